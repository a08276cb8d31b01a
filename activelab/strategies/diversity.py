"""Diversity, batch-mode and cold-start strategies: spread the batch over the data.

They measure distances between embeddings by the one features rule
(:meth:`ModelOutputs.embeddings`): ``model.embed(items)`` when the model has it, a
``Pipeline``'s steps but the last (a pool of raw texts with a ``TfidfVectorizer``
pipeline works), else the items' numeric features. ``metric=`` chooses the distance:
``"euclidean"`` (default), ``"cosine"`` (usual for text) or ``"manhattan"``; the k-means
ones take ``"euclidean"`` or ``"cosine"`` (:mod:`activelab.selection.metrics`).

* ``coreset`` / ``gsx`` — farthest-first from the labeled items (k-center greedy).
* ``kmeans`` / ``cluster_stratified`` — one item per k-means cluster.
* ``typiclust`` / ``probcover`` — low-budget, cold-start methods built on density.
* ``ranked_batch`` / ``cluster_margin`` / ``stochastic_margin`` — uncertainty made diverse.
* ``gsy`` / ``igs`` — greedy sampling for regression in output (and input) space.

Greedy methods score a pick by its utility when it was picked, made non-increasing
with ``np.minimum.accumulate``; every tie goes to the smaller id.

This module holds the core-set, k-means, ranked-batch and cluster-margin families;
TypiClust and ProbCover live in :mod:`~activelab.strategies.cold_start`, GSy and iGS in
:mod:`~activelab.strategies.greedy_regression`, and every name stays importable from here.
"""

from __future__ import annotations

import numpy as np

from ..outputs import ModelOutputs
from ..selection.clustering import ClusterMarginSelector, KMeansSelector
from ..selection.kcenter import KCenterGreedy
from ..selection.ranked_batch import RankedBatch
from ..selection.topk import Selector, StochasticTopK
from .base import ScoringStrategy
from .cold_start import ProbCover, TypiClust
from .embedding_space import ANY_MODEL, closeness_to_mean
from .greedy_regression import GreedySamplingY, ImprovedGreedySampling
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

    def __init__(self, metric: str = "euclidean") -> None:
        self.metric = metric

    def score(self, outputs: ModelOutputs, rng: np.random.Generator) -> np.ndarray:
        if outputs.pool.n_labeled:
            return np.zeros(len(outputs))
        return closeness_to_mean(outputs.embeddings())

    def _selector(self) -> Selector:
        return KCenterGreedy(metric=self.metric)


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

    def __init__(self, metric: str = "euclidean") -> None:
        self.metric = metric

    def score(self, outputs: ModelOutputs, rng: np.random.Generator) -> np.ndarray:
        return np.zeros(len(outputs))

    def _selector(self) -> Selector:
        return KMeansSelector(pick="nearest", metric=self.metric)


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

    def __init__(self, metric: str = "euclidean") -> None:
        self.metric = metric

    def score(self, outputs: ModelOutputs, rng: np.random.Generator) -> np.ndarray:
        return np.zeros(len(outputs))

    def _selector(self) -> Selector:
        return KMeansSelector(pick="random", metric=self.metric)


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

    def __init__(self, alpha: float | None = None, metric: str = "euclidean") -> None:
        self.alpha = alpha
        self.metric = metric

    def score(self, outputs: ModelOutputs, rng: np.random.Generator) -> np.ndarray:
        return least_confidence(class_probabilities(outputs))

    def _selector(self) -> Selector:
        return RankedBatch(alpha=self.alpha, metric=self.metric)


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

    def __init__(self, shortlist_factor: int = 10, metric: str = "euclidean") -> None:
        self.shortlist_factor = shortlist_factor
        self.metric = metric

    def _selector(self) -> Selector:
        return ClusterMarginSelector(shortlist_factor=self.shortlist_factor, metric=self.metric)


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
