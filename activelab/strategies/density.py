"""Density-weighted strategies: prefer items that stand for many others.

An uncertain outlier teaches the model little about the rest of the pool. These
strategies weigh each candidate by how *representative* it is:

* **information_density** multiplies an uncertainty score by the item's mean
  similarity to the candidates (Settles & Craven, 2008).
* **graph_density** needs no model: it ranks items by the density of a k-nearest-neighbour
  graph and spreads the batch by lowering the density around each pick (Ebert et al., 2012).

Both measure similarity in ``outputs.embeddings()`` (the model's ``embed`` when it has
one, else the features) and accept dense and sparse features.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp

from ..errors import ActiveLabError
from ..outputs import ModelOutputs
from ..selection.neighbors import faiss_neighbors, use_faiss
from ..selection.topk import Selector
from ..validation import check_int
from .base import Query, ScoringStrategy
from .registry import register
from .uncertainty import class_probabilities, entropy, least_confidence, margin

__all__ = [
    "GraphDensity",
    "InformationDensity",
    "fixed_sample",
    "mean_cosine_similarity",
    "mean_euclidean_similarity",
    "mean_similarity",
]

SIMILARITIES = ("cosine", "euclidean")

#: Cells of one block of distances (rows x reference items), about 32 MB of float64.
_BLOCK_CELLS = 1 << 22


def _one_minus_gap(proba: np.ndarray) -> np.ndarray:
    """``1 - (p(first) - p(second))``: margin uncertainty shifted to ``[0, 1]``."""
    return 1.0 + margin(proba)


UNCERTAINTIES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "entropy": entropy,
    "least_confidence": least_confidence,
    "margin": _one_minus_gap,
}


def _row_norms(X: np.ndarray | sp.spmatrix) -> np.ndarray:
    if sp.issparse(X):
        return np.sqrt(np.asarray(X.multiply(X).sum(axis=1), dtype=float).ravel())
    return np.sqrt(np.einsum("ij,ij->i", X, X))


def mean_cosine_similarity(X: np.ndarray | sp.spmatrix) -> np.ndarray:
    """Mean cosine similarity of each row to every row (itself included), in ``O(n·d)``.

    ``mean_j cos(x_i, x_j) = x̂_i · mean_j x̂_j`` with ``x̂ = x / ||x||``; an all-zero row
    has similarity 0 to everything.
    """
    norms = _row_norms(X)
    inverse = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    centre = np.asarray(X.T @ inverse, dtype=float).ravel() / X.shape[0]
    return np.asarray(X @ centre, dtype=float).ravel() * inverse


def mean_euclidean_similarity(
    X: np.ndarray | sp.spmatrix, reference: np.ndarray | sp.spmatrix
) -> np.ndarray:
    """Mean of ``1 / (1 + ||x - r||)`` over the rows ``r`` of ``reference``, for each row of X.

    Computed in blocks of rows so that no more than about four million distances exist
    at once: ``O(n·m·d)`` time for ``m`` reference rows, ``O(n + m)`` memory besides.
    """
    n, m = X.shape[0], reference.shape[0]
    x_sq = _row_norms(X) ** 2
    r_sq = _row_norms(reference) ** 2
    reference_t = reference.T
    rows = max(1, _BLOCK_CELLS // max(m, 1))
    out = np.empty(n, dtype=float)
    for start in range(0, n, rows):
        block = X[start : start + rows] @ reference_t
        block = block.toarray() if sp.issparse(block) else np.asarray(block)
        sq = x_sq[start : start + rows, None] + r_sq[None, :] - 2.0 * block
        np.maximum(sq, 0.0, out=sq)
        out[start : start + rows] = (1.0 / (1.0 + np.sqrt(sq))).mean(axis=1)
    return out


def fixed_sample(ids: np.ndarray, size: int) -> np.ndarray:
    """Sorted positions of at most ``size`` of ``ids``, drawn with a fixed seed in id order.

    The same set of ids gives the same sample whatever order they come in, so results
    built on it are deterministic and independent of how the candidates are listed.
    """
    n = len(ids)
    if n <= size:
        return np.arange(n)
    in_id_order = np.argsort(ids, kind="stable")
    chosen = np.random.default_rng(0).choice(n, size=size, replace=False)
    return np.sort(in_id_order[chosen])


def _check_similarity(similarity: Any) -> str:
    if similarity not in SIMILARITIES:
        raise ActiveLabError(
            f"similarity must be one of {', '.join(SIMILARITIES)}; got {similarity!r}"
        )
    return similarity


def mean_similarity(
    outputs: ModelOutputs, similarity: str = "cosine", n_reference: int = 1000
) -> np.ndarray:
    """Each candidate's mean similarity to the candidates, cached in ``outputs``.

    ``"cosine"`` is exact (every candidate, itself included). ``"euclidean"`` uses the
    similarity ``1 / (1 + distance)`` averaged over a fixed-seed sample of at most
    ``n_reference`` candidates (all of them when there are no more): an unbiased
    estimate of the mean over every candidate, deterministic for a given candidate set.
    """
    _check_similarity(similarity)
    n_reference = check_int(n_reference, "n_reference")

    def compute() -> np.ndarray:
        X = outputs.embeddings()
        if similarity == "cosine":
            return mean_cosine_similarity(X)
        reference = X[fixed_sample(outputs.ids, n_reference)]
        return mean_euclidean_similarity(X, reference)

    key = f"mean_similarity_{similarity}" + (
        f"_{n_reference}" if similarity == "euclidean" else ""
    )
    return outputs.derived(key, compute)


@register("information_density")
class InformationDensity(ScoringStrategy):
    """Uncertainty weighted by representativeness (Settles & Craven, 2008, EMNLP).

    ``score(x) = u(x) · max(0, mean_sim(x))^beta``, where ``u`` is the ``uncertainty``
    measure of :mod:`activelab.strategies.uncertainty` and ``mean_sim`` the mean
    similarity of ``x`` to the candidates (see :func:`mean_similarity`).

    * ``uncertainty``: ``"entropy"``, ``"least_confidence"``, ``"margin"`` (used as
      ``1 - (p1 - p2)`` so that it is non-negative) or ``None`` for density alone.
      Decision-function-only models use the pseudo-probabilities of
      :func:`~activelab.strategies.uncertainty.class_probabilities`.
    * ``similarity="cosine"`` is the paper's measure and costs ``O(n·d)`` time and
      ``O(n)`` memory. Its mean is negative for items pointing away from most others,
      which happens with centred features; those get density 0. For centred or
      low-dimensional features ``"euclidean"`` (``1 / (1 + distance)``, averaged over a
      fixed sample of ``n_reference`` candidates) is usually the better choice; it costs
      ``O(n·n_reference·d)`` time in blocks of bounded memory.
    * ``selector`` picks the batch from the scores (top-k by default).

    Needs ``predict_proba`` or ``decision_function`` (not for ``uncertainty=None``).

    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from activelab import Pool
    >>> from activelab.strategies.density import InformationDensity
    >>> X, y = load_iris(return_X_y=True)
    >>> pool = Pool(X)
    >>> pool.add_labels([0, 50, 100], y[[0, 50, 100]])
    >>> model = LogisticRegression().fit(*pool.labeled_data())
    >>> len(InformationDensity().query(model, pool, 5).ids)
    5
    """

    def __init__(
        self,
        uncertainty: str | None = "entropy",
        beta: float = 1.0,
        similarity: str = "cosine",
        n_reference: int = 1000,
        selector: Selector | None = None,
    ) -> None:
        self.uncertainty = uncertainty
        self.beta = beta
        self.similarity = similarity
        self.n_reference = n_reference
        self.selector = selector

    def score(self, outputs: ModelOutputs, rng: np.random.Generator) -> np.ndarray:
        if self.uncertainty is not None and self.uncertainty not in UNCERTAINTIES:
            raise ActiveLabError(
                f"uncertainty must be one of {', '.join(UNCERTAINTIES)} or None; "
                f"got {self.uncertainty!r}"
            )
        beta = _check_exponent(self.beta, "beta")
        density = np.maximum(mean_similarity(outputs, self.similarity, self.n_reference), 0.0)
        weight = density**beta
        if self.uncertainty is None:
            return weight
        return UNCERTAINTIES[self.uncertainty](class_probabilities(outputs)) * weight


def _check_exponent(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise ActiveLabError(f"{name} must be a non-negative number; got {value!r}")
    if not np.isfinite(value) or value < 0:
        raise ActiveLabError(f"{name} must be a non-negative number; got {value}")
    return float(value)


def knn_graph(
    X: np.ndarray | sp.spmatrix, n_neighbors: int, backend: str = "numpy"
) -> sp.csr_matrix:
    """The symmetric k-nearest-neighbour graph of the rows of X with Gaussian edge weights.

    Items ``i`` and ``j`` are joined when either is among the other's ``n_neighbors``
    nearest (Euclidean) neighbours; the edge weighs ``exp(-d² / (2σ²))`` with ``σ`` the
    mean distance to the k nearest neighbours. Every edge is stored, even one whose
    weight underflows to 0, so the number of stored entries of a row is its degree.
    Neighbours are searched in chunks of rows: ``O(n·k)`` memory. ``backend`` as in
    :func:`~activelab.selection.use_faiss`: scikit-learn's ``NearestNeighbors``
    (``"numpy"``) or faiss's exact flat index with distances recomputed in float64
    (``"faiss"``); the same graph except where neighbours tie at the k-th distance.
    """
    from sklearn.neighbors import NearestNeighbors

    n = X.shape[0]
    k = min(n_neighbors, n - 1)
    if k < 1:
        return sp.csr_matrix((n, n), dtype=float)
    found: Any
    if use_faiss(backend, X):
        found = [(0, *faiss_neighbors(X, X, k + 1))]
    else:
        index = NearestNeighbors(n_neighbors=k + 1).fit(X)
        rows = max(1, _BLOCK_CELLS // (k + 1))  # the index bounds its own distance memory
        found = ((s, *index.kneighbors(X[s : s + rows])) for s in range(0, n, rows))
    sources, targets, distances = [], [], []
    for start, dist, nbr in found:
        own = nbr == np.arange(start, start + len(nbr))[:, None]
        own[~own.any(axis=1), -1] = True
        keep = ~own
        sources.append(np.repeat(np.arange(start, start + len(nbr)), k))
        targets.append(nbr[keep])
        distances.append(dist[keep])
    source, target = np.concatenate(sources), np.concatenate(targets)
    distance = np.concatenate(distances)
    sigma = float(distance.mean())
    weight = np.exp(-(distance**2) / (2.0 * sigma**2)) if sigma > 0 else np.ones_like(distance)
    keys = np.concatenate([source * n + target, target * n + source])
    unique, inverse = np.unique(keys, return_inverse=True)
    edge = np.zeros(len(unique))
    np.maximum.at(edge, inverse, np.concatenate([weight, weight]))
    indptr = np.searchsorted(unique // n, np.arange(n + 1))
    return sp.csr_matrix((edge, unique % n, indptr), shape=(n, n))


@register("graph_density")
class GraphDensity(ScoringStrategy):
    """Densest regions of a k-nearest-neighbour graph first, spread out (Ebert, Fritz & Schiele, 2012, CVPR, "RALF").

    Builds the symmetric kNN graph of the candidates (:func:`knn_graph`: Gaussian edge
    weights, ``σ`` = the mean kNN distance). An item's graph density is the mean weight
    of its edges, ``sum_j W_ij / sum_j P_ij`` as in the paper (``P`` the adjacency). The
    batch is greedy: take the densest item, subtract its density (when positive) from
    the density of each of its graph neighbours (the paper's update, so the next pick
    comes from another region; a density never rises), repeat. A pick's score is its density when picked, made
    non-increasing with ``np.minimum.accumulate``; ties go to the smaller id.
    :meth:`score` alone gives the densities before any pick, so the strategy can be a
    part of :class:`~activelab.strategies.hybrid.WeightedScores`.

    Needs no model (cold start): it uses the features, or the model's ``embed`` when it
    has one. Cost: the neighbour search (``O(n²·d)`` for sparse or high-dimensional
    features, less with a tree), ``O(n·k)`` memory, and ``O(n)`` per pick.
    ``backend="auto"`` searches with faiss when it is installed and the features are
    dense, else with scikit-learn; ``"numpy"`` or ``"faiss"`` force one (see
    :func:`knn_graph`).

    >>> import numpy as np
    >>> from activelab import Pool
    >>> from activelab.strategies.density import GraphDensity
    >>> X = np.random.default_rng(0).normal(size=(40, 2))
    >>> len(GraphDensity(n_neighbors=5).query(None, Pool(X), 3).ids)
    3
    """

    needs_model = False
    contract_models: ClassVar[tuple[str, ...]] = (
        "proba", "decision", "ensemble", "regressor", "regressor_std", "ensemble_regressor",
        "multilabel",
    )

    def __init__(self, n_neighbors: int = 10, backend: str = "auto") -> None:
        self.n_neighbors = n_neighbors
        self.backend = backend

    def _graph(self, outputs: ModelOutputs) -> tuple[sp.csr_matrix, np.ndarray]:
        """The kNN graph over candidates and labeled items, and the candidates' densities.

        The graph holds the labeled items too, and each one discounts its neighbours as a
        pick would, so regions labeled in earlier rounds stay discounted (the paper's
        densities persist across rounds). Rows ``0..n-1`` are the candidates; the
        labeled rows get density ``-inf`` so they are never picked.
        """
        k = check_int(self.n_neighbors, "n_neighbors")

        def compute() -> tuple[sp.csr_matrix, np.ndarray]:
            candidates, labeled = outputs.embeddings(), outputs.embeddings("labeled")
            stack = sp.vstack if sp.issparse(candidates) else np.vstack
            items = stack([candidates, labeled]) if labeled.shape[0] else candidates
            items = sp.csr_matrix(items) if sp.issparse(items) else items
            graph = knn_graph(items, k, self.backend)
            degree = np.diff(graph.indptr)
            total = np.asarray(graph.sum(axis=1), dtype=float).ravel()
            density = np.divide(total, degree, out=np.zeros(len(total)), where=degree > 0)
            labeled_rows = len(outputs) + np.argsort(outputs.pool.labeled_ids, kind="stable")
            for row in labeled_rows:  # in id order, so the pool's row order does not matter
                _discount_neighbours(graph, density, int(row))
            return graph, density

        use_faiss(self.backend)  # refuse an unknown backend before looking in the cache
        return outputs.derived(f"graph_density_{k}", compute)

    def score(self, outputs: ModelOutputs, rng: np.random.Generator) -> np.ndarray:
        return self._graph(outputs)[1][: len(outputs)].copy()

    def select_batch(self, outputs: ModelOutputs, k: int, rng: np.random.Generator) -> Query:
        graph, density = self._graph(outputs)
        n = len(outputs)
        left = density.copy()
        left[n:] = -np.inf
        id_rank = np.argsort(np.argsort(outputs.ids, kind="stable"), kind="stable")
        picks, scores = [], []
        for _ in range(k):
            tied = np.flatnonzero(left[:n] == left[:n].max())
            pick = int(tied[np.argmin(id_rank[tied])])
            scores.append(float(left[pick]))
            _discount_neighbours(graph, left, pick)
            picks.append(pick)
        chosen = np.asarray(picks, dtype=np.intp)
        return Query(
            ids=outputs.ids[chosen],
            scores=np.minimum.accumulate(np.asarray(scores, dtype=float)),
        )


def _discount_neighbours(graph: sp.csr_matrix, density: np.ndarray, row: int) -> None:
    """RALF's update after ``row`` is labeled: its neighbours lose its density; it is spent."""
    value = float(density[row])
    neighbours = graph.indices[graph.indptr[row] : graph.indptr[row + 1]]
    if np.isfinite(value):
        density[neighbours] -= max(value, 0.0)
    density[row] = -np.inf
