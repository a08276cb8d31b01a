"""Clustering selectors: one representative per k-means cluster, cluster-margin's
round-robin over clusters of the best-scored items (Citovsky et al., 2021), and the
k-means round-robin order of a whole pool that spreads a cold start over it.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from ..errors import ActiveLabError
from ..validation import check_int

if TYPE_CHECKING:
    from ..outputs import ModelOutputs
from .metrics import check_metric, prepare_rows
from .neighbors import DEFAULT_DISTANCE_CHUNK, _as_rows, _row_sq_norms
from .topk import Selector, _check_scores, id_ranks, top_k

#: Above this many rows k-means runs as MiniBatchKMeans.
MINIBATCH_ABOVE = 20_000


#: The metrics k-means can cluster in (cosine: Euclidean k-means of the normalised rows).
KMEANS_METRICS = ("euclidean", "cosine")


def kmeans_rows(X: Any, metric: str = "euclidean") -> np.ndarray | sp.csr_matrix:
    """The rows k-means clusters for ``metric``: float32 rows, L2-normalised for cosine.

    On the unit sphere ``||a - b||^2 = 2 * cosine distance``, so Euclidean k-means of the
    normalised rows groups by direction (spherical k-means up to the centres' norms).
    Manhattan has no k-means and is refused.
    """
    metric = check_metric(metric, KMEANS_METRICS)
    return prepare_rows(X, metric)


def kmeans_labels(
    X: Any, n_clusters: int, ranks: np.ndarray, rng: np.random.Generator, n_init: int = 1,
    metric: str = "euclidean",
) -> tuple[np.ndarray, np.ndarray]:
    """k-means cluster labels and centres of the rows of ``X``, seeded from ``rng``.

    The rows are clustered in id order (``ranks``), so the result does not depend on
    the order they come in. ``MiniBatchKMeans`` above :data:`MINIBATCH_ABOVE` rows.
    Fewer distinct rows than clusters leave some clusters empty. ``metric="cosine"``
    clusters the L2-normalised rows (:func:`kmeans_rows`); the centres are in that space.
    """
    from sklearn.cluster import KMeans, MiniBatchKMeans
    from sklearn.exceptions import ConvergenceWarning

    X = kmeans_rows(X, metric)
    order = np.argsort(ranks, kind="stable")
    seed = int(rng.integers(2**31 - 1))
    n_init = check_int(n_init, "n_init")
    if n_clusters >= X.shape[0]:
        centres = X.toarray() if sp.issparse(X) else X
        return np.arange(X.shape[0], dtype=np.int64), np.asarray(centres, dtype=np.float32)
    if X.shape[0] > MINIBATCH_ABOVE:
        model: Any = MiniBatchKMeans(
            n_clusters=n_clusters, n_init=n_init, random_state=seed, batch_size=4096
        )
    else:
        model = KMeans(n_clusters=n_clusters, n_init=n_init, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        sorted_labels = model.fit_predict(X[order])
    labels = np.empty(X.shape[0], dtype=np.int64)
    labels[order] = sorted_labels
    return labels, np.asarray(model.cluster_centers_, dtype=np.float32)


def _sq_distance_to_own_centre(
    X: Any, centres: np.ndarray, labels: np.ndarray, chunk_size: int = DEFAULT_DISTANCE_CHUNK
) -> np.ndarray:
    X = _as_rows(X)
    out = np.empty(X.shape[0], dtype=np.float64)
    for start in range(0, X.shape[0], chunk_size):
        rows = X[start : start + chunk_size]
        own = centres[labels[start : start + chunk_size]]
        if sp.issparse(rows):
            cross = np.asarray(rows.multiply(own).sum(axis=1)).ravel()
            part = _row_sq_norms(rows) + np.einsum("ij,ij->i", own, own) - 2 * cross
        else:
            part = ((rows - own) ** 2).sum(axis=1)
        out[start : start + chunk_size] = np.maximum(part, 0)
    return out


def cluster_round_robin_order(X: Any, n_clusters: int, seed: int,
                              chunk_size: int = 2048) -> np.ndarray:
    """Every row position of ``X`` in k-means round-robin order, for a cold start.

    The rows are clustered by :func:`kmeans_labels` (seeded with
    ``np.random.default_rng(seed)``); then the clusters are taken in turn, the largest
    first, each giving its rows nearest the centre first, until every row is placed.
    Ties break by position. Costs one k-means and ``O(n)`` memory beyond ``X``; sparse
    rows are made dense ``chunk_size`` at a time.

    >>> X = np.array([[0.0], [0.1], [0.3], [0.35], [5.0], [5.1], [5.3]])
    >>> cluster_round_robin_order(X, n_clusters=2, seed=0).tolist()
    [1, 5, 2, 4, 3, 6, 0]
    """
    n = X.shape[0]
    n_clusters = max(1, min(int(n_clusters), n))
    labels, centres = kmeans_labels(X, n_clusters, np.arange(n), np.random.default_rng(seed))
    distances = np.empty(n)
    for start in range(0, n, chunk_size):
        rows = X[start:start + chunk_size]
        rows = rows.toarray() if sp.issparse(rows) else np.asarray(rows)
        distances[start:start + chunk_size] = (
            (rows - centres[labels[start:start + chunk_size]]) ** 2).sum(1)
    sizes = np.bincount(labels, minlength=len(centres))
    cluster_order = sorted(range(len(centres)), key=lambda c: (-sizes[c], c))
    members = {c: np.flatnonzero(labels == c) for c in cluster_order}
    queues = {c: members[c][np.lexsort((members[c], distances[members[c]]))]
              for c in cluster_order}
    order: list[int] = []
    depth = 0
    while len(order) < n:
        order += [int(queues[c][depth]) for c in cluster_order if depth < len(queues[c])]
        depth += 1
    return np.array(order, dtype=np.int64)


class KMeansSelector(Selector):
    """One item from each of ``k`` k-means clusters of the candidates' embeddings.

    ``pick="nearest"`` takes the candidate nearest its cluster's centre (Zhdanov, 2019,
    "Diverse mini-batch active learning", arXiv:1901.05954, without the pre-filter),
    ``"best"`` the best-scored one, ``"random"`` one at random; ties by id. The picks are
    ordered by score, then by the size of their cluster (largest first), then by id, and
    keep their scores. When k-means leaves clusters empty (fewer distinct points than
    ``k``), the best-scored remaining candidates fill the batch.

    ``metric="cosine"`` clusters the L2-normalised embeddings (text); ``"euclidean"`` is
    the default (:func:`kmeans_rows`).

    k-means (``n_init`` restarts; ``MiniBatchKMeans`` above 20,000 candidates) costs
    ``O(iterations * n * k * dim)`` time and ``O(n + k * dim)`` memory beyond the
    embeddings.

    >>> import numpy as np
    >>> from activelab import ModelOutputs, Pool
    >>> X = np.array([[0.0], [0.1], [0.2], [5.0], [5.1], [5.2]])
    >>> outputs = ModelOutputs(None, Pool(X))
    >>> ids, _ = KMeansSelector().select(outputs, np.zeros(6), 2, np.random.default_rng(0))
    >>> ids
    array([1, 4])
    """

    PICKS = ("nearest", "best", "random")

    def __init__(self, pick: str = "nearest", n_init: int = 1, metric: str = "euclidean") -> None:
        self.pick = pick
        self.n_init = n_init
        self.metric = metric

    def select(
        self, outputs: ModelOutputs, scores: np.ndarray, k: int, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        if self.pick not in self.PICKS:
            raise ActiveLabError(f"pick must be one of {self.PICKS}; got {self.pick!r}")
        ids = outputs.ids
        scores = _check_scores(ids, scores)
        n, k = len(ids), min(int(k), len(ids))
        if k >= n:
            return top_k(ids, scores, n)
        ranks = id_ranks(ids)
        X = kmeans_rows(outputs.embeddings(), self.metric)
        labels, centres = kmeans_labels(X, k, ranks, rng, self.n_init)
        if self.pick == "nearest":
            primary = _sq_distance_to_own_centre(X, centres, labels)
        elif self.pick == "best":
            primary = -scores
        else:
            primary = np.empty(n)
            primary[np.argsort(ranks)] = rng.random(n)
        within = np.lexsort((ranks, primary, labels))
        first = within[np.r_[True, labels[within][1:] != labels[within][:-1]]]
        size = np.bincount(labels, minlength=k)[labels].astype(float)
        if len(first) < k:
            rest = np.setdiff1d(np.arange(n), first)
            fill = rest[np.lexsort((ranks[rest], -scores[rest]))[: k - len(first)]]
            size[fill] = 0
            first = np.concatenate([first, fill])
        order = first[np.lexsort((ranks[first], -size[first], -scores[first]))]
        return ids[order], scores[order]


class ClusterMarginSelector(Selector):
    """Round-robin over clusters of the best-scored candidates, smallest cluster first.

    Citovsky, DeSalvo, Gentile, Karydas, Rajagopalan, Rostamizadeh & Kumar, "Batch
    Active Learning at Scale", NeurIPS 2021 (Cluster-Margin). Shortlists the
    ``shortlist_factor * k`` best-scored candidates (lowest margin, with margin scores),
    clusters them by agglomerative clustering with average linkage, then visits the
    clusters from the smallest to the largest, taking one item from each per round
    (``pick="best"``: the best-scored left; ``"random"``: one at random, as in the
    paper) until ``k`` are taken.

    Approximation: the paper clusters the whole pool once, before the first round, and
    reuses the clusters; here the shortlist is clustered afresh in every query, into
    ``k`` clusters (or by ``distance_threshold`` when given), so there is no state to
    keep and no ``pool x pool`` matrix. The shortlist is at most
    ``max(k, max_shortlist)`` items; clustering it costs ``O(m^2)`` memory and up to
    ``O(m^2 log m)`` time for ``m`` shortlisted items. The score of a pick is its own
    score, made non-increasing in round-robin order with ``np.minimum.accumulate``.
    ``metric`` (``"euclidean"``, ``"cosine"``, ``"manhattan"``) is the distance the
    clustering measures.

    >>> import numpy as np
    >>> from activelab import ModelOutputs, Pool
    >>> X = np.array([[0.0], [0.1], [0.2], [5.0]])
    >>> outputs = ModelOutputs(None, Pool(X))
    >>> scores = np.array([0.9, 0.8, 0.7, 0.1])
    >>> ClusterMarginSelector().select(outputs, scores, 2, np.random.default_rng(0))[0]
    array([3, 0])
    """

    PICKS = ("best", "random")

    def __init__(
        self,
        shortlist_factor: int = 10,
        distance_threshold: float | None = None,
        max_shortlist: int = 2048,
        pick: str = "best",
        metric: str = "euclidean",
    ) -> None:
        self.shortlist_factor = shortlist_factor
        self.distance_threshold = distance_threshold
        self.max_shortlist = max_shortlist
        self.pick = pick
        self.metric = metric

    def select(
        self, outputs: ModelOutputs, scores: np.ndarray, k: int, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        factor = check_int(self.shortlist_factor, "shortlist_factor")
        cap = check_int(self.max_shortlist, "max_shortlist")
        if self.pick not in self.PICKS:
            raise ActiveLabError(f"pick must be one of {self.PICKS}; got {self.pick!r}")
        threshold = self.distance_threshold
        if threshold is not None and not (
            isinstance(threshold, (int, float, np.number)) and threshold > 0
        ):
            raise ActiveLabError(
                f"distance_threshold must be None or a positive number; got {threshold!r}"
            )
        metric = check_metric(self.metric)
        ids = outputs.ids
        scores = _check_scores(ids, scores)
        n, k = len(ids), min(int(k), len(ids))
        ranks = id_ranks(ids)
        m = min(n, max(k, min(k * factor, cap)))
        shortlist = np.lexsort((ranks, -scores))[:m]
        clusters = self._clusters(outputs.embeddings(), shortlist, k, threshold, metric)
        if self.pick == "best":
            member_key = np.arange(m, dtype=float)
        else:
            member_key = np.empty(m)
            member_key[np.argsort(ranks[shortlist])] = rng.random(m)
        by_cluster = np.lexsort((member_key, clusters))
        sorted_clusters = clusters[by_cluster]
        starts = np.r_[0, np.flatnonzero(np.diff(sorted_clusters)) + 1]
        turn = np.arange(m) - np.repeat(starts, np.diff(np.r_[starts, m]))
        sizes = np.bincount(clusters)
        best_of = np.full(len(sizes), m)
        np.minimum.at(best_of, clusters, np.arange(m))
        cluster_order = np.lexsort((best_of, sizes))
        cluster_rank = np.empty(len(sizes), dtype=np.int64)
        cluster_rank[cluster_order] = np.arange(len(sizes))
        in_shortlist = by_cluster[np.lexsort((cluster_rank[sorted_clusters], turn))][:k]
        chosen = shortlist[in_shortlist]
        return ids[chosen], np.minimum.accumulate(scores[chosen])

    @staticmethod
    def _clusters(
        embeddings: Any, shortlist: np.ndarray, k: int, threshold: float | None,
        metric: str = "euclidean",
    ) -> np.ndarray:
        m = len(shortlist)
        if m < 2 or (threshold is None and k >= m):
            return np.arange(m)
        from sklearn.cluster import AgglomerativeClustering
        from sklearn.metrics import pairwise_distances

        rows = _as_rows(embeddings[shortlist])
        distances = pairwise_distances(rows, metric=metric).astype(np.float64)
        model = AgglomerativeClustering(
            n_clusters=None if threshold is not None else k,
            distance_threshold=threshold,
            metric="precomputed",
            linkage="average",
        )
        return model.fit_predict(distances).astype(np.int64)
