"""Low-budget, cold-start strategies built on density: TypiClust and ProbCover.

Both need no model and work with nothing labeled: they read the embeddings (or features)
of the candidates and the labeled items (see :mod:`~activelab.strategies.embedding_space`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from ..errors import ActiveLabError
from ..outputs import ModelOutputs
from ..selection.clustering import KMEANS_METRICS, kmeans_labels, kmeans_rows
from ..selection.metrics import check_metric
from ..selection.neighbors import (
    DEFAULT_DISTANCE_CHUNK,
    faiss_radius_pairs,
    nearest_distances,
    use_faiss,
)
from ..selection.topk import best_by_id, id_ranks
from ..validation import check_int
from .base import Query, Strategy
from .embedding_space import ANY_MODEL, _labeled_embeddings, _stack
from .registry import register

__all__ = ["ProbCover", "TypiClust"]


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
    ``metric="cosine"`` clusters the L2-normalised embeddings and measures typicality in
    cosine distance (text); faiss serves ``"euclidean"`` only.

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
        metric: str = "euclidean",
    ) -> None:
        self.n_neighbors = n_neighbors
        self.max_clusters = max_clusters
        self.min_cluster_size = min_cluster_size
        self.backend = backend
        self.metric = metric

    def _select(
        self, outputs: ModelOutputs, k: int, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        n_neighbors = check_int(self.n_neighbors, "n_neighbors")
        max_clusters = check_int(self.max_clusters, "max_clusters")
        min_size = check_int(self.min_cluster_size, "min_cluster_size", minimum=0)
        metric = check_metric(self.metric, KMEANS_METRICS)
        n, n_labeled = len(outputs), outputs.pool.n_labeled
        X = kmeans_rows(_stack(outputs.embeddings(), _labeled_embeddings(outputs)), metric)
        backend = _backend(self.backend, X, metric)
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
                typicality[cluster] = _typicality(
                    X, labels, cluster, n, n_neighbors, backend, metric
                )
            members, values = typicality[cluster]
            free = ~taken[members]
            pick = int(members[free][best_by_id(values[free], ranks[members[free]])])
            picks.append(pick)
            scores.append(float(values[members == pick][0]))
            taken[pick] = True
            claimed[cluster] += 1
            left[cluster] -= 1
        return np.array(picks, dtype=np.int64), np.minimum.accumulate(np.array(scores))


def _backend(backend: str, X: Any, metric: str) -> str:
    """``"faiss"`` or ``"numpy"``: faiss only for Euclidean distances."""
    if metric != "euclidean":
        if backend == "faiss":
            raise ActiveLabError(
                f"backend='faiss' measures Euclidean distances; got metric={metric!r}"
            )
        use_faiss(backend)  # refuses an unknown backend
        return "numpy"
    return "faiss" if use_faiss(backend, X) else "numpy"


def _typicality(
    X: Any, labels: np.ndarray, cluster: int, n_candidates: int, n_neighbors: int,
    backend: str = "numpy", metric: str = "euclidean",
) -> tuple[np.ndarray, np.ndarray]:
    """Candidate positions in ``cluster`` and ``1 / mean distance to their nearest neighbours``."""
    everyone = np.flatnonzero(labels == cluster)
    members = everyone[everyone < n_candidates]
    n_near = min(n_neighbors, len(everyone) - 1)
    if n_near == 0:
        return members, np.zeros(len(members))
    distances = nearest_distances(
        X[members], X[everyone], n_near + 1, backend=backend, metric=metric
    )
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
    the radius. ``metric`` (``"euclidean"``, ``"cosine"``, ``"manhattan"``) is the
    distance the balls and the default radius measure; faiss serves ``"euclidean"`` only.

    >>> import numpy as np
    >>> from activelab import Pool
    >>> from activelab.strategies.diversity import ProbCover
    >>> X = np.array([[0.0], [0.1], [0.2], [5.0], [5.1], [9.0]])
    >>> q = ProbCover(delta=0.5).query(None, Pool(X), 3, random_state=0)
    >>> q.ids, q.scores
    (array([0, 3, 5]), array([3., 2., 1.]))
    """

    def __init__(
        self, delta: float | None = None, backend: str = "auto", metric: str = "euclidean"
    ) -> None:
        self.delta = delta
        self.backend = backend
        self.metric = metric

    def _select(
        self, outputs: ModelOutputs, k: int, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        delta = self.delta
        if delta is not None and (
            isinstance(delta, bool) or not isinstance(delta, (int, float, np.number))
            or not 0 < delta < np.inf
        ):
            raise ActiveLabError(f"delta must be None or a positive number; got {delta!r}")
        metric = check_metric(self.metric)
        n = len(outputs)
        X = _stack(outputs.embeddings(), _labeled_embeddings(outputs))
        all_ids = np.concatenate([outputs.ids, outputs.pool.labeled_ids])
        backend = _backend(self.backend, X, metric)
        if delta is None:
            delta = _default_delta(X, id_ranks(all_ids), rng, backend, metric)
        graph = _radius_graph(X, delta, backend=backend, metric=metric)
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
    X: Any, delta: float, chunk_size: int = DEFAULT_DISTANCE_CHUNK, backend: str = "numpy",
    metric: str = "euclidean",
) -> sp.csr_matrix:
    """Which items lie within ``delta`` of each item (itself included), as a 0/1 CSR matrix.

    Found ``chunk_size`` rows at a time, stored with int8 values: about 5 bytes an edge.
    """
    if backend == "faiss":
        return faiss_radius_pairs(X, delta, chunk_size)
    from sklearn.neighbors import NearestNeighbors

    search = NearestNeighbors(radius=delta, metric=metric).fit(X)
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
    X: Any, ranks: np.ndarray, rng: np.random.Generator, backend: str = "numpy",
    metric: str = "euclidean",
) -> float:
    """Median distance to the 10th nearest neighbour over a sample of the items."""
    n = X.shape[0]
    if n < 2:
        return 1.0
    in_id_order = np.argsort(ranks)
    sample = np.sort(in_id_order[rng.choice(n, size=min(n, DELTA_SAMPLE), replace=False)])
    n_near = min(DELTA_NEIGHBOUR, n - 1)
    distances = nearest_distances(X[sample], X, n_near + 1, backend=backend, metric=metric)
    delta = float(np.median(distances[:, -1]))
    return delta if delta > 0 else float(np.finfo(np.float32).eps)
