"""Diversity, batch-mode and cold-start strategies: spread the batch over the data.

They measure Euclidean distances between embeddings: ``model.embed(items)`` when the
model has it, else the items' numeric features (:meth:`ModelOutputs.embeddings`). A pool
of raw items (texts) needs a model with ``embed``.

* ``coreset`` / ``gsx`` — farthest-first from the labeled items (k-center greedy).
* ``kmeans`` / ``cluster_stratified`` — one item per k-means cluster.
* ``typiclust`` / ``probcover`` — low-budget, cold-start methods built on density.
* ``ranked_batch`` / ``cluster_margin`` / ``stochastic_margin`` — uncertainty made diverse.
* ``gsy`` / ``igs`` — greedy sampling for regression in output (and input) space.

Greedy methods score a pick by its utility when it was picked, made non-increasing
with ``np.minimum.accumulate``; every tie goes to the smaller id.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from ..errors import ActiveLabError
from ..outputs import ModelOutputs
from ..pool import Pool
from ..selection.clustering import ClusterMarginSelector, KMeansSelector, kmeans_labels
from ..selection.kcenter import KCenterGreedy, greedy_farthest
from ..selection.neighbors import (
    DEFAULT_DISTANCE_CHUNK,
    RunningMinDistance,
    faiss_radius_pairs,
    nearest_distances,
    use_faiss,
)
from ..selection.ranked_batch import RankedBatch
from ..selection.topk import Selector, StochasticTopK, best_by_id, id_ranks
from ..validation import check_int
from .base import Query, ScoringStrategy, Strategy
from .registry import register
from .uncertainty import MarginSampling, class_probabilities, least_confidence

__all__ = [
    "ClusterMargin",
    "ClusterStratified",
    "CoreSet",
    "GreedySamplingX",
    "GreedySamplingY",
    "ImprovedGreedySampling",
    "KMeansSampling",
    "ProbCover",
    "RankedBatchSampling",
    "StochasticMargin",
    "TypiClust",
    "closeness_to_mean",
]

ANY_MODEL = (
    "proba", "decision", "ensemble", "regressor", "regressor_std", "ensemble_regressor",
    "multilabel",
)
REGRESSORS = ("regressor", "regressor_std", "ensemble_regressor")


def closeness_to_mean(X: Any, chunk_size: int = DEFAULT_DISTANCE_CHUNK) -> np.ndarray:
    """``-||x - mean||^2`` per row: the most central row scores highest. ``O(n * dim)``."""
    n = X.shape[0]
    if sp.issparse(X):
        X = sp.csr_matrix(X, dtype=np.float64)
        mean = np.asarray(X.mean(axis=0)).ravel()
        sq = np.asarray(X.multiply(X).sum(axis=1)).ravel()
        return -np.maximum(sq - 2 * (X @ mean) + mean @ mean, 0)
    X = np.asarray(X, dtype=np.float64).reshape(n, -1)
    mean = X.mean(axis=0)
    out = np.empty(n)
    for start in range(0, n, chunk_size):
        out[start : start + chunk_size] = -((X[start : start + chunk_size] - mean) ** 2).sum(1)
    return out


def _labeled_embeddings(outputs: ModelOutputs) -> Any:
    return outputs.embeddings("labeled") if outputs.pool.n_labeled else None


def _stack(candidates: Any, labeled: Any) -> Any:
    if labeled is None:
        return candidates
    if sp.issparse(candidates) or sp.issparse(labeled):
        return sp.vstack([sp.csr_matrix(candidates), sp.csr_matrix(labeled)], format="csr")
    return np.vstack([candidates, labeled])


class _SelectorStrategy(ScoringStrategy):
    """A scorer with a fixed selector built from the strategy's own parameters."""

    @property
    def selector(self) -> Selector:  # type: ignore[override]
        return self._selector()

    def _selector(self) -> Selector:
        raise NotImplementedError


@register("coreset")
class CoreSet(_SelectorStrategy):
    """Core-set: farthest-first traversal from the labeled items (k-center greedy).

    Sener & Savarese, "Active Learning for Convolutional Neural Networks: A Core-Set
    Approach", ICLR 2018. Each pick is the candidate farthest from the labeled items and
    the picks before it; its score is that distance. With nothing labeled the first
    pick is the candidate nearest the mean of the candidates (a cheap medoid).

    Needs no model; uses ``model.embed`` when the model has it, else the features.
    ``O(k * n * dim + n * n_labeled * dim)`` time, ``O(n)`` memory beyond the
    embeddings (distances in float32 blocks).

    >>> import numpy as np
    >>> from activelab import Pool
    >>> from activelab.strategies.diversity import CoreSet
    >>> pool = Pool(np.array([[0.0], [1.0], [2.0], [10.0]]))
    >>> pool.add_labels([0], [0])
    >>> CoreSet().query(None, pool, 2).ids
    array([3, 2])
    """

    needs_model = False
    contract_models = ANY_MODEL

    def __init__(self) -> None:
        pass

    def score(self, outputs: ModelOutputs, rng: np.random.Generator) -> np.ndarray:
        if outputs.pool.n_labeled:
            return np.zeros(len(outputs))
        return closeness_to_mean(outputs.embeddings())

    def _selector(self) -> Selector:
        return KCenterGreedy()


@register("gsx")
class GreedySamplingX(CoreSet):
    """GSx: the candidate farthest, in input space, from the labeled and chosen items.

    Wu, Lin & Huang, "Active learning for regression using greedy sampling",
    Information Sciences 474 (2019). The same farthest-first traversal as
    :class:`CoreSet` (one implementation serves both); with nothing labeled the first
    pick is the candidate nearest the mean, as in the paper. Needs no model.
    ``O(k * n * dim + n * n_labeled * dim)`` time, ``O(n)`` extra memory.

    >>> import numpy as np
    >>> from activelab import Pool
    >>> from activelab.strategies.diversity import GreedySamplingX
    >>> GreedySamplingX().query(None, Pool(np.array([[0.0], [1.0], [2.0], [10.0]])), 2).ids
    array([2, 3])
    """


def _predictions(outputs: ModelOutputs) -> np.ndarray:
    model = outputs.model
    if model is None or not hasattr(model, "predict"):
        raise ActiveLabError(
            "this strategy needs a fitted regressor with predict; "
            f"got {'model=None' if model is None else type(model).__name__}"
        )
    predictions = outputs.predict()
    try:
        return np.asarray(predictions, dtype=np.float64).reshape(len(outputs), -1)
    except (TypeError, ValueError) as err:
        raise ActiveLabError(
            f"{type(model).__name__}.predict returned non-numbers; greedy sampling in output "
            "space needs a regressor"
        ) from err


def _numeric_labels(pool: Pool) -> np.ndarray | None:
    if pool.n_labeled == 0:
        return None
    labels = pool.labels_of(pool.labeled_ids)
    try:
        return np.asarray(labels, dtype=np.float64).reshape(pool.n_labeled, -1)
    except (TypeError, ValueError) as err:
        raise ActiveLabError(
            "greedy sampling in output space needs numeric labels (a regression task); "
            "use gsx or coreset for classification"
        ) from err


class _GreedyRegression(Strategy):
    """Greedy sampling in output space, optionally times the distance in input space."""

    contract_models = REGRESSORS
    _use_inputs = False

    def __init__(self) -> None:
        pass

    def select_batch(self, outputs: ModelOutputs, k: int, rng: np.random.Generator) -> Query:
        pool = outputs.pool
        labels = _numeric_labels(pool)
        spaces = [RunningMinDistance(_predictions(outputs), labels)]
        if self._use_inputs:
            spaces.append(
                RunningMinDistance(outputs.embeddings(), _labeled_embeddings(outputs))
            )
        first = closeness_to_mean(outputs.embeddings()) if pool.n_labeled == 0 else None
        positions, scores = greedy_farthest(
            spaces, _product, id_ranks(outputs.ids), k, first_scores=first
        )
        return Query(ids=outputs.ids[positions], scores=scores)


def _product(distances: list[np.ndarray], step: int) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return np.prod(distances, axis=0)


@register("gsy")
class GreedySamplingY(_GreedyRegression):
    """GSy: the candidate whose prediction is farthest from every known output.

    Wu, Lin & Huang, "Active learning for regression using greedy sampling",
    Information Sciences 474 (2019). The distance of a candidate is
    ``min |f(x) - y|`` over the labels ``y`` of the labeled items and, within a batch,
    the predictions ``f`` of the candidates already chosen (Euclidean for several
    outputs). Its score is that distance when picked. With nothing labeled the first
    pick is the candidate nearest the mean of the inputs (GSx's start).

    Needs a fitted regressor (``predict``) and numeric labels. ``O(k * n * outputs)``
    time, ``O(n)`` extra memory.

    >>> from sklearn.datasets import make_regression
    >>> from sklearn.linear_model import Ridge
    >>> from activelab import Pool
    >>> from activelab.strategies.diversity import GreedySamplingY
    >>> X, y = make_regression(n_samples=40, n_features=3, random_state=0)
    >>> pool = Pool(X)
    >>> pool.add_labels(range(5), y[:5])
    >>> model = Ridge().fit(*pool.labeled_data())
    >>> len(GreedySamplingY().query(model, pool, 3).ids)
    3
    """


@register("igs")
class ImprovedGreedySampling(_GreedyRegression):
    """iGS: the candidate with the largest product of input and output distances.

    Wu, Lin & Huang, "Active learning for regression using greedy sampling",
    Information Sciences 474 (2019). Utility ``d_x(x) * d_y(x)``: ``d_x`` the distance in
    input space to the nearest labeled or chosen item (as :class:`GreedySamplingX`),
    ``d_y`` the output distance of :class:`GreedySamplingY`. The score of a pick is its
    utility when picked. With nothing labeled the first pick is the candidate nearest the
    mean of the inputs.

    Needs a fitted regressor (``predict``) and numeric labels.
    ``O(k * n * (dim + outputs) + n * n_labeled * dim)`` time, ``O(n)`` extra memory.

    >>> from sklearn.datasets import make_regression
    >>> from sklearn.linear_model import Ridge
    >>> from activelab import Pool
    >>> from activelab.strategies.diversity import ImprovedGreedySampling
    >>> X, y = make_regression(n_samples=40, n_features=3, random_state=0)
    >>> pool = Pool(X)
    >>> pool.add_labels(range(5), y[:5])
    >>> model = Ridge().fit(*pool.labeled_data())
    >>> len(ImprovedGreedySampling().query(model, pool, 3).ids)
    3
    """

    _use_inputs = True


@register("kmeans")
class KMeansSampling(_SelectorStrategy):
    """One representative per k-means cluster: the candidate nearest each centre.

    Clusters the candidates' embeddings into ``batch_size`` clusters (k-means++, one
    start; MiniBatchKMeans above 20,000 candidates) and takes the candidate nearest
    each centre, largest cluster first; every score is 0. A classic diversity baseline
    (e.g. Zhdanov, 2019, arXiv:1901.05954, without the uncertainty pre-filter).

    Needs no model. ``O(iterations * n * k * dim)`` time, ``O(n + k * dim)`` extra
    memory.

    >>> import numpy as np
    >>> from activelab import Pool
    >>> from activelab.strategies.diversity import KMeansSampling
    >>> X = np.array([[0.0], [0.1], [0.2], [5.0], [5.1], [5.2]])
    >>> KMeansSampling().query(None, Pool(X), 2, random_state=0).ids
    array([1, 4])
    """

    needs_model = False
    contract_models = ANY_MODEL

    def __init__(self) -> None:
        pass

    def score(self, outputs: ModelOutputs, rng: np.random.Generator) -> np.ndarray:
        return np.zeros(len(outputs))

    def _selector(self) -> Selector:
        return KMeansSelector(pick="nearest")


@register("cluster_stratified")
class ClusterStratified(_SelectorStrategy):
    """Cold start: one random candidate from each of ``batch_size`` k-means clusters.

    Stratified random sampling with k-means strata (a common cold-start baseline, e.g.
    in Hacohen et al., ICML 2022). The picks are ordered largest cluster first and
    every score is 0. Deterministic under ``random_state``.

    Needs no model. ``O(iterations * n * k * dim)`` time, ``O(n + k * dim)`` extra
    memory.

    >>> import numpy as np
    >>> from activelab import Pool
    >>> from activelab.strategies.diversity import ClusterStratified
    >>> X = np.array([[0.0], [0.1], [0.2], [5.0], [5.1], [5.2]])
    >>> ids = ClusterStratified().query(None, Pool(X), 2, random_state=0).ids
    >>> sorted(int(i) // 3 for i in ids)
    [0, 1]
    """

    needs_model = False
    contract_models = ANY_MODEL

    def __init__(self) -> None:
        pass

    def score(self, outputs: ModelOutputs, rng: np.random.Generator) -> np.ndarray:
        return np.zeros(len(outputs))

    def _selector(self) -> Selector:
        return KMeansSelector(pick="random")


@register("ranked_batch")
class RankedBatchSampling(_SelectorStrategy):
    """Ranked batch: least confidence blended with distance to the labeled items.

    Cardoso, Silva, Goldschmidt & Gama, "Ranked batch-mode active learning",
    Information Sciences 379 (2017). Greedily ranks by
    ``alpha * (1 - max similarity to labeled and ranked items) + (1 - alpha) * u``, with
    ``u`` the least-confidence score min-max normalised, similarity ``1 / (1 + d)``, and
    ``alpha = |U| / (|U| + |L|)`` unless given (see
    :class:`~activelab.selection.RankedBatch`).

    Needs ``predict_proba`` or ``decision_function``; embeddings as in the module
    docstring. ``O(k * n * dim + n * n_labeled * dim)`` time, ``O(n)`` extra memory.

    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from activelab import Pool
    >>> from activelab.strategies.diversity import RankedBatchSampling
    >>> X, y = load_iris(return_X_y=True)
    >>> pool = Pool(X)
    >>> pool.add_labels([0, 50, 100], y[[0, 50, 100]])
    >>> model = LogisticRegression().fit(*pool.labeled_data())
    >>> len(RankedBatchSampling().query(model, pool, 5).ids)
    5
    """

    def __init__(self, alpha: float | None = None) -> None:
        self.alpha = alpha

    def score(self, outputs: ModelOutputs, rng: np.random.Generator) -> np.ndarray:
        return least_confidence(class_probabilities(outputs))

    def _selector(self) -> Selector:
        return RankedBatch(alpha=self.alpha)


@register("cluster_margin")
class ClusterMargin(_SelectorStrategy, MarginSampling):
    """Cluster-Margin: lowest-margin shortlist, round-robin over its clusters.

    Citovsky et al., "Batch Active Learning at Scale", NeurIPS 2021. Shortlists the
    ``shortlist_factor * batch_size`` smallest-margin candidates, clusters them with
    average-linkage agglomerative clustering, and takes the best-margin item of each
    cluster in turn, smallest cluster first. It departs from the paper in two ways. The
    paper clusters the whole pool once up front; here the shortlist is clustered in every
    query. The paper takes a random item of each cluster; here it is the best-margin one
    (``ClusterMarginSelector(pick="random")`` does as the paper does; see
    :class:`~activelab.selection.ClusterMarginSelector`).

    Needs ``predict_proba`` or ``decision_function``. ``O(n)`` for the margins plus
    ``O(m^2)`` time and memory for ``m = shortlist_factor * batch_size`` (at most 2048
    unless the batch is larger).

    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from activelab import Pool
    >>> from activelab.strategies.diversity import ClusterMargin
    >>> X, y = load_iris(return_X_y=True)
    >>> pool = Pool(X)
    >>> pool.add_labels([0, 50, 100], y[[0, 50, 100]])
    >>> model = LogisticRegression().fit(*pool.labeled_data())
    >>> len(ClusterMargin().query(model, pool, 5).ids)
    5
    """

    def __init__(self, shortlist_factor: int = 10) -> None:
        self.shortlist_factor = shortlist_factor

    def _selector(self) -> Selector:
        return ClusterMarginSelector(shortlist_factor=self.shortlist_factor)


@register("stochastic_margin")
class StochasticMargin(_SelectorStrategy, MarginSampling):
    """Margin scores, batch drawn by stochastic top-k instead of top-k.

    Kirsch et al., "Stochastic Batch Acquisition: A Simple Baseline for Deep Active
    Learning", TMLR 2023. Samples ``batch_size`` candidates without replacement with
    probability proportional to ``exp(margin / temperature)`` (``mode="softmax"``; see
    :class:`~activelab.selection.StochasticTopK` for ``"power"`` and ``"softrank"``).
    Margins of ``predict_proba`` lie in ``[-1, 0]``; the default temperature of 0.1
    weighs the most uncertain item ``e^10`` times the most confident one. The same as
    ``MarginSampling(selector=StochasticTopK(mode, temperature))``, by name.

    Needs ``predict_proba`` or ``decision_function``. ``O(n log k)`` time beyond the
    margins, ``O(n)`` memory. Deterministic under ``random_state``.

    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from activelab import Pool
    >>> from activelab.strategies.diversity import StochasticMargin
    >>> X, y = load_iris(return_X_y=True)
    >>> pool = Pool(X)
    >>> pool.add_labels([0, 50, 100], y[[0, 50, 100]])
    >>> model = LogisticRegression().fit(*pool.labeled_data())
    >>> len(StochasticMargin().query(model, pool, 5, random_state=0).ids)
    5
    """

    def __init__(self, mode: str = "softmax", temperature: float = 0.1) -> None:
        self.mode = mode
        self.temperature = temperature

    def _selector(self) -> Selector:
        return StochasticTopK(mode=self.mode, temperature=self.temperature)


class _EmbeddingStrategy(Strategy):
    """Needs no model: works on embeddings (or features) of candidates and labeled items."""

    needs_model = False
    contract_models = ANY_MODEL

    def select_batch(self, outputs: ModelOutputs, k: int, rng: np.random.Generator) -> Query:
        positions, scores = self._select(outputs, k, rng)
        return Query(ids=outputs.ids[positions], scores=scores)

    def _select(
        self, outputs: ModelOutputs, k: int, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError


@register("typiclust")
class TypiClust(_EmbeddingStrategy):
    """TypiClust: the most typical item of the largest clusters that hold no label yet.

    Hacohen, Dekel & Weinshall, "Active Learning on a Budget: Opposite Strategies Suit
    High and Low Budgets", ICML 2022. Clusters the embeddings of the labeled items and
    the candidates into ``min(|L| + k, max_clusters)`` k-means clusters. For each pick,
    takes the cluster with the fewest labeled and chosen items (then the largest;
    clusters under ``min_cluster_size`` only when no other is left), and in it the
    candidate of highest typicality, ``1 / mean distance to its n_neighbors nearest
    neighbours`` within the cluster. The score of a pick is its typicality, made
    non-increasing with ``np.minimum.accumulate``. Works with nothing labeled (cold
    start).

    Needs no model. k-means costs ``O(iterations * N * (|L| + k) * dim)``; typicality a
    blocked nearest-neighbour search within each visited cluster, ``O(size^2 * dim)``
    time and ``O(size * n_neighbors)`` memory per cluster. ``backend="auto"`` runs that
    search with faiss when it is installed (``pip install 'activelab[faiss]'``; dense
    embeddings), else with NumPy; ``"numpy"`` or ``"faiss"`` force one. Both are exact
    and give the same picks except where float32 rounding reorders near-tied neighbours.

    >>> import numpy as np
    >>> from activelab import Pool
    >>> from activelab.strategies.diversity import TypiClust
    >>> X = np.random.default_rng(0).normal(size=(60, 2))
    >>> len(TypiClust().query(None, Pool(X), 3, random_state=0).ids)
    3
    """

    def __init__(
        self,
        n_neighbors: int = 20,
        max_clusters: int = 500,
        min_cluster_size: int = 5,
        backend: str = "auto",
    ) -> None:
        self.n_neighbors = n_neighbors
        self.max_clusters = max_clusters
        self.min_cluster_size = min_cluster_size
        self.backend = backend

    def _select(
        self, outputs: ModelOutputs, k: int, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        n_neighbors = check_int(self.n_neighbors, "n_neighbors")
        max_clusters = check_int(self.max_clusters, "max_clusters")
        min_size = check_int(self.min_cluster_size, "min_cluster_size", minimum=0)
        n, n_labeled = len(outputs), outputs.pool.n_labeled
        X = _stack(outputs.embeddings(), _labeled_embeddings(outputs))
        backend = "faiss" if use_faiss(self.backend, X) else "numpy"
        all_ids = np.concatenate([outputs.ids, outputs.pool.labeled_ids])
        n_clusters = min(n_labeled + k, max_clusters, n + n_labeled)
        labels, _ = kmeans_labels(X, n_clusters, id_ranks(all_ids), rng)
        sizes = np.bincount(labels, minlength=n_clusters)
        claimed = np.bincount(labels[n:], minlength=n_clusters)
        left = np.bincount(labels[:n], minlength=n_clusters)
        ranks = id_ranks(outputs.ids)
        typicality: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        taken = np.zeros(n, dtype=bool)
        picks, scores = [], []
        for _ in range(k):
            open_ = left > 0
            if (open_ & (sizes >= min_size)).any():
                open_ &= sizes >= min_size
            options = np.flatnonzero(open_)
            cluster = int(options[np.lexsort((options, -sizes[options], claimed[options]))[0]])
            if cluster not in typicality:
                typicality[cluster] = _typicality(X, labels, cluster, n, n_neighbors, backend)
            members, values = typicality[cluster]
            free = ~taken[members]
            pick = int(members[free][best_by_id(values[free], ranks[members[free]])])
            picks.append(pick)
            scores.append(float(values[members == pick][0]))
            taken[pick] = True
            claimed[cluster] += 1
            left[cluster] -= 1
        return np.array(picks, dtype=np.int64), np.minimum.accumulate(np.array(scores))


def _typicality(
    X: Any, labels: np.ndarray, cluster: int, n_candidates: int, n_neighbors: int,
    backend: str = "numpy",
) -> tuple[np.ndarray, np.ndarray]:
    """Candidate positions in ``cluster`` and ``1 / mean distance to their nearest neighbours``."""
    everyone = np.flatnonzero(labels == cluster)
    members = everyone[everyone < n_candidates]
    n_near = min(n_neighbors, len(everyone) - 1)
    if n_near == 0:
        return members, np.zeros(len(members))
    distances = nearest_distances(X[members], X[everyone], n_near + 1, backend=backend)
    mean = distances.sum(axis=1) / n_near
    return members, 1.0 / (mean + 1e-12)


#: The default ball radius is the median distance to this nearest neighbour...
DELTA_NEIGHBOUR = 10
#: ...over a random sample of at most this many items.
DELTA_SAMPLE = 2000


@register("probcover")
class ProbCover(_EmbeddingStrategy):
    """ProbCover: greedy maximum coverage with balls of radius ``delta``.

    Yehuda, Dekel, Hacohen & Weinshall, "Active Learning Through a Covering Lens",
    NeurIPS 2022. Builds the sparse graph of pairs of items (labeled and candidates)
    within ``delta`` of each other, marks the balls of the labeled items as covered, and
    then, ``k`` times, picks the candidate whose ball covers the most uncovered items
    (ties by id) and marks its ball covered. Its score is that count. Once everything is
    covered, the rest of the batch is drawn at random (score 0), as in the paper.

    ``delta=None`` uses a heuristic instead of the paper's purity search: the median,
    over up to 2000 sampled items, of the distance to their 10th nearest neighbour, so a
    typical ball holds about ten items. Works with nothing labeled (cold start).

    Needs no model. The radius search (scikit-learn's ``NearestNeighbors``, a fixed
    number of rows at a time) costs up to ``O(N^2 * dim)`` time; the graph and its
    transpose take about 10 bytes an edge, so a large ``delta`` on dense data makes them
    big. Each pick then costs ``O(N + edges it touches)``. ``backend="auto"`` runs the
    radius search (and the default radius's neighbour search) with faiss's exact flat
    index when faiss is installed and the embeddings are dense, else with scikit-learn
    and NumPy; ``"numpy"`` or ``"faiss"`` force one. faiss's float32 candidates are
    checked against ``delta`` in float64, so both give the same graph up to rounding at
    the radius.

    >>> import numpy as np
    >>> from activelab import Pool
    >>> from activelab.strategies.diversity import ProbCover
    >>> X = np.array([[0.0], [0.1], [0.2], [5.0], [5.1], [9.0]])
    >>> q = ProbCover(delta=0.5).query(None, Pool(X), 3, random_state=0)
    >>> q.ids, q.scores
    (array([0, 3, 5]), array([3., 2., 1.]))
    """

    def __init__(self, delta: float | None = None, backend: str = "auto") -> None:
        self.delta = delta
        self.backend = backend

    def _select(
        self, outputs: ModelOutputs, k: int, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        delta = self.delta
        if delta is not None and (
            isinstance(delta, bool) or not isinstance(delta, (int, float, np.number))
            or not 0 < delta < np.inf
        ):
            raise ActiveLabError(f"delta must be None or a positive number; got {delta!r}")
        n = len(outputs)
        X = _stack(outputs.embeddings(), _labeled_embeddings(outputs))
        all_ids = np.concatenate([outputs.ids, outputs.pool.labeled_ids])
        backend = "faiss" if use_faiss(self.backend, X) else "numpy"
        if delta is None:
            delta = _default_delta(X, id_ranks(all_ids), rng, backend)
        graph = _radius_graph(X, delta, backend=backend)
        reverse = graph.T.tocsr()
        covered = np.zeros(X.shape[0], dtype=bool)
        covered[graph[n:].indices] = True
        counts = graph[:n] @ (~covered).astype(np.int64)
        ranks = id_ranks(outputs.ids)
        taken = np.zeros(n, dtype=bool)
        picks, scores = [], []
        while len(picks) < k:
            gain = np.where(taken, -1, counts)
            if gain.max() <= 0:
                break
            pick = best_by_id(gain, ranks)
            picks.append(pick)
            scores.append(float(gain[pick]))
            taken[pick] = True
            ball = graph.indices[graph.indptr[pick] : graph.indptr[pick + 1]]
            fresh = ball[~covered[ball]]
            covered[fresh] = True
            hit = reverse[fresh].indices
            counts -= np.bincount(hit[hit < n], minlength=n)
        if len(picks) < k:
            keys = np.empty(n)
            keys[np.argsort(ranks)] = rng.random(n)
            keys[taken] = -1.0
            rest = np.argsort(-keys, kind="stable")[: k - len(picks)]
            picks.extend(rest.tolist())
            scores.extend([0.0] * len(rest))
        return np.array(picks, dtype=np.int64), np.minimum.accumulate(np.array(scores))


def _radius_graph(
    X: Any, delta: float, chunk_size: int = DEFAULT_DISTANCE_CHUNK, backend: str = "numpy"
) -> sp.csr_matrix:
    """Which items lie within ``delta`` of each item (itself included), as a 0/1 CSR matrix.

    Found ``chunk_size`` rows at a time, stored with int8 values: about 5 bytes an edge.
    """
    if backend == "faiss":
        return faiss_radius_pairs(X, delta, chunk_size)
    from sklearn.neighbors import NearestNeighbors

    search = NearestNeighbors(radius=delta).fit(X)
    n = X.shape[0]
    index_dtype = np.int32 if n < 2**31 else np.int64
    parts, lengths = [], []
    for start in range(0, n, chunk_size):
        found = search.radius_neighbors(X[start : start + chunk_size], return_distance=False)
        lengths.extend(len(row) for row in found)
        parts.append(np.concatenate(list(found)).astype(index_dtype, copy=False))
    indices = np.concatenate(parts)
    indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    data = np.ones(len(indices), dtype=np.int8)
    return sp.csr_matrix((data, indices, indptr), shape=(n, n))


def _default_delta(
    X: Any, ranks: np.ndarray, rng: np.random.Generator, backend: str = "numpy"
) -> float:
    """Median distance to the 10th nearest neighbour over a sample of the items."""
    n = X.shape[0]
    if n < 2:
        return 1.0
    in_id_order = np.argsort(ranks)
    sample = np.sort(in_id_order[rng.choice(n, size=min(n, DELTA_SAMPLE), replace=False)])
    n_near = min(DELTA_NEIGHBOUR, n - 1)
    distances = nearest_distances(X[sample], X, n_near + 1, backend=backend)
    delta = float(np.median(distances[:, -1]))
    return delta if delta > 0 else float(np.finfo(np.float32).eps)
