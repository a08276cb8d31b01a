"""Selectors: turn per-item scores into a batch of ids.

Every selector is deterministic: ties between equal scores break by id (smaller first),
never by the order in which the items were scored or by how the work was chunked.

* :class:`TopK` — the ``k`` best scores.
* :class:`StochasticTopK` — ``k`` items sampled without replacement, likelier the higher
  their score (Kirsch et al., 2023).
* :class:`KCenterGreedy` — farthest-first traversal from the labeled items, the core-set
  selector (Sener & Savarese, 2018).
* :class:`RankedBatch` — greedy blend of distance to the labeled items and uncertainty
  (Cardoso et al., 2017).
* :class:`KMeansSelector` — one representative per k-means cluster.
* :class:`ClusterMarginSelector` — round-robin over clusters of the best-scored items
  (Citovsky et al., 2021).

Distance work runs in float32 blocks of at most ``chunk_size ** 2`` distances (tall
blocks: many rows against few centres), keeping a running minimum per candidate: no
selector builds a ``batch x pool`` or ``pool x pool`` array.

>>> import numpy as np
>>> from activelab.selection import top_k
>>> top_k(np.array([10, 11, 12]), np.array([0.5, 0.9, 0.5]), 2)
(array([11, 10]), array([0.9, 0.5]))
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from .errors import ActiveLabError
from .validation import check_int, check_random_state

if TYPE_CHECKING:
    from .outputs import ModelOutputs

__all__ = [
    "ClusterMarginSelector",
    "KCenterGreedy",
    "KMeansSelector",
    "RankedBatch",
    "RunningMinDistance",
    "Selector",
    "StochasticTopK",
    "TopK",
    "best_by_id",
    "check_random_state",
    "greedy_farthest",
    "id_ranks",
    "kmeans_labels",
    "faiss_neighbors",
    "faiss_radius_pairs",
    "nearest_distances",
    "top_k",
    "use_faiss",
]

#: Rows (and columns) of one block of pairwise distances: 16 MiB in float32.
DEFAULT_DISTANCE_CHUNK = 2048

#: Above this many rows k-means runs as MiniBatchKMeans.
MINIBATCH_ABOVE = 20_000


def _check_scores(ids: np.ndarray, scores: Any) -> np.ndarray:
    scores = np.asarray(scores, dtype=float)
    if scores.shape != (len(ids),):
        raise ActiveLabError(
            f"a scorer returned {scores.shape} scores for {len(ids)} items; it must return one per item"
        )
    if np.isnan(scores).any():
        raise ActiveLabError(
            f"{int(np.isnan(scores).sum())} score(s) are NaN; the model's outputs hold NaN, "
            "check the model and the features"
        )
    return scores


def top_k(ids: np.ndarray, scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` highest scores and their ids, best first, ties broken by smaller id.

    Runs in ``O(n + m log m)`` where ``m`` is ``k`` plus the number of items tied with
    the k-th score.
    """
    scores = _check_scores(ids, scores)
    k = min(int(k), len(ids))
    if k <= 0:
        return ids[:0], scores[:0]
    candidates = np.arange(len(ids))
    if k < len(ids):
        kth_best = np.partition(scores, len(ids) - k)[len(ids) - k]
        candidates = np.flatnonzero(scores >= kth_best)
    order = np.lexsort((ids[candidates], -scores[candidates]))[:k]
    chosen = candidates[order]
    return ids[chosen], scores[chosen]


def id_ranks(ids: np.ndarray) -> np.ndarray:
    """Each id's place in sorted id order: the tie-break key (smaller id first).

    >>> id_ranks(np.array(["b", "c", "a"]))
    array([1, 2, 0])
    """
    order = np.argsort(ids, kind="stable")
    ranks = np.empty(len(ids), dtype=np.int64)
    ranks[order] = np.arange(len(ids))
    return ranks


def best_by_id(values: np.ndarray, ranks: np.ndarray) -> int:
    """Position of the largest of ``values``; among equal values, the one with the smallest id."""
    tied = np.flatnonzero(values == values.max())
    return int(tied[np.argmin(ranks[tied])])


class Selector:
    """Picks a batch from scored candidates. Subclasses override :meth:`select`.

    ``outputs`` is the round's :class:`~activelab.outputs.ModelOutputs`: ``outputs.ids``
    are the candidates that ``scores`` belong to, and a diversity selector reads the
    items or embeddings it needs through it.
    """

    def select(
        self, outputs: ModelOutputs, scores: np.ndarray, k: int, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def __repr__(self) -> str:
        names = [p for p in inspect.signature(type(self).__init__).parameters if p != "self"]
        params = ", ".join(f"{p}={getattr(self, p)!r}" for p in names if hasattr(self, p))
        return f"{type(self).__name__}({params})"


class TopK(Selector):
    """The ``k`` best-scored items (ties by id)."""

    def select(
        self, outputs: ModelOutputs, scores: np.ndarray, k: int, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        return top_k(outputs.ids, scores, k)


# ---- stochastic top-k -------------------------------------------------------------------


class StochasticTopK(Selector):
    """``k`` items drawn without replacement, each likelier the higher its score.

    Kirsch, Farquhar, Atighehchian, Jesson, Branchaud-Charron & Gal, "Stochastic Batch
    Acquisition: A Simple Baseline for Deep Active Learning", TMLR 2023. Top-k of
    scores picks near-duplicates; sampling in proportion to the scores spreads the
    batch at no extra cost. With ``beta = 1 / temperature`` the weight of an item is

    * ``mode="softmax"``: ``exp(beta * score)``;
    * ``mode="power"``: ``score ** beta``, after shifting the scores so the smallest is 0
      when any is negative (an item of weight 0 is drawn only when nothing else is left);
    * ``mode="softrank"``: ``rank ** -beta``, rank 1 for the best score (ties by id):
      independent of the scale of the scores.

    Drawn with the Gumbel-top-k trick: the ``k`` largest ``log(weight) + Gumbel noise``
    are a sample without replacement. The noise is drawn in id order, so the sample does
    not depend on the order of the candidates. The returned scores are those perturbed
    keys, sorted. ``O(n)`` time and memory.

    >>> import numpy as np
    >>> from activelab import ModelOutputs, Pool
    >>> outputs = ModelOutputs(None, Pool(np.zeros((5, 1))))
    >>> rng = np.random.default_rng(0)
    >>> ids, keys = StochasticTopK().select(outputs, np.arange(5.0), 2, rng)
    >>> len(ids), bool(keys[0] >= keys[1])
    (2, True)
    """

    MODES = ("softmax", "power", "softrank")

    def __init__(self, mode: str = "softmax", temperature: float = 1.0) -> None:
        self.mode = mode
        self.temperature = temperature

    def log_weights(self, ids: np.ndarray, scores: np.ndarray) -> np.ndarray:
        """``log(weight)`` of each item (up to a constant), as defined by ``mode``."""
        if self.mode not in self.MODES:
            raise ActiveLabError(f"mode must be one of {self.MODES}; got {self.mode!r}")
        temperature = self.temperature
        if isinstance(temperature, bool) or not (
            isinstance(temperature, (int, float, np.number)) and 0 < temperature < np.inf
        ):
            raise ActiveLabError(f"temperature must be a positive number; got {temperature!r}")
        scores = _check_scores(ids, scores)
        if not np.isfinite(scores).all():
            raise ActiveLabError(
                "StochasticTopK needs finite scores; the scorer returned infinite values"
            )
        if self.mode == "softmax":
            return (scores - scores.max()) / temperature
        if self.mode == "power":
            shifted = scores - min(scores.min(), 0.0)
            return np.log(np.maximum(shifted, np.finfo(float).tiny)) / temperature
        order = np.lexsort((ids, -scores))
        ranks = np.empty(len(ids))
        ranks[order] = np.arange(1, len(ids) + 1)
        return -np.log(ranks) / temperature

    def select(
        self, outputs: ModelOutputs, scores: np.ndarray, k: int, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        ids = outputs.ids
        log_weights = self.log_weights(ids, scores)
        noise = np.empty(len(ids))
        noise[np.argsort(ids, kind="stable")] = rng.gumbel(size=len(ids))
        return top_k(ids, log_weights + noise, k)


# ---- distances -----------------------------------------------------------------------------


def _as_rows(X: Any) -> np.ndarray | sp.csr_matrix:
    """``X`` as float32 rows: a C-contiguous array or a CSR matrix."""
    if sp.issparse(X):
        return sp.csr_matrix(X, dtype=np.float32)
    X = np.asarray(X)
    if X.ndim != 2:
        X = X.reshape(len(X), -1)
    return np.ascontiguousarray(X, dtype=np.float32)


def _row_sq_norms(X: np.ndarray | sp.csr_matrix) -> np.ndarray:
    if sp.issparse(X):
        return np.asarray(X.multiply(X).sum(axis=1), dtype=X.dtype).ravel()
    return np.einsum("ij,ij->i", X, X)


def _sq_distances(
    A: np.ndarray | sp.csr_matrix, a_sq: np.ndarray, B: np.ndarray | sp.csr_matrix, b_sq: np.ndarray
) -> np.ndarray:
    """Squared Euclidean distances of one block, ``||a||^2 + ||b||^2 - 2 a.b``, clipped at 0."""
    block = A @ B.T
    block = block.toarray() if sp.issparse(block) else block
    block *= -2
    block += a_sq[:, None]
    block += b_sq[None, :]
    return np.maximum(block, 0, out=block)


def _nearest_sq(
    A: np.ndarray | sp.csr_matrix,
    a_sq: np.ndarray,
    B_times_minus_2: np.ndarray | sp.csr_matrix,
    b_sq: np.ndarray,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Per row of ``A``, the squared distance to its nearest row of ``B``, clipped at 0.

    ``min_b (||b||^2 - 2 a.b) + ||a||^2``: one GEMM (a GEMV for one row of ``B``) and
    two passes over the ``len(A) x len(B)`` block; ``out`` (dense rows, one row of ``B``)
    receives the GEMV so a greedy step allocates nothing.
    """
    if out is not None and not sp.issparse(A) and B_times_minus_2.shape[0] == 1:
        nearest = np.dot(A, B_times_minus_2[0], out=out[: A.shape[0]])
        nearest += b_sq[0]
    else:
        block = A @ B_times_minus_2.T
        block = block.toarray() if sp.issparse(block) else np.asarray(block)
        block += b_sq[None, :]
        nearest = block[:, 0] if block.shape[1] == 1 else block.min(axis=1)
    nearest += a_sq
    return np.maximum(nearest, 0, out=nearest)


class RunningMinDistance:
    """Squared Euclidean distance from each row of ``X`` to its nearest centre.

    Starts with the rows of ``centres`` (none if ``None`` or empty) and takes more
    centres one at a time with :meth:`add` (a row of ``X``, by position). Works in
    float32 BLAS, on dense or CSR rows, in blocks of at most ``chunk_size ** 2``
    distances (16 MiB of float32 at the default): tall blocks of rows against at most
    ``chunk_size`` centres, so each added centre is one matrix-vector product over up to
    ``chunk_size ** 2`` rows and an in-place ``np.minimum``. ``||x||^2`` is computed once.
    Dense rows are first shifted by their mean rounded to integers, which keeps
    ``||a||^2 + ||b||^2 - 2 a.b`` accurate far from the origin and integer data exact (so
    exact ties stay ties). Memory beyond the rows: that shifted float32 copy of dense rows
    (none for CSR rows), ``O(n)`` vectors and one block.

    >>> import numpy as np
    >>> running = RunningMinDistance(np.array([[0.0], [3.0], [5.0]]), np.array([[1.0]]))
    >>> running.distances()
    array([1., 2., 4.])
    >>> running.add(2)
    >>> running.distances()
    array([1., 2., 0.])
    """

    def __init__(
        self, X: Any, centres: Any = None, chunk_size: int = DEFAULT_DISTANCE_CHUNK
    ) -> None:
        self.chunk_size = check_int(chunk_size, "chunk_size")
        X = _as_rows(X)
        has_centres = centres is not None and np.shape(centres)[0] > 0
        C = _as_rows(centres) if has_centres else None
        if C is not None and C.shape[1] != X.shape[1]:
            raise ActiveLabError(
                f"the centres have {C.shape[1]} dimensions and the rows {X.shape[1]}; "
                "embed both the same way"
            )
        if not sp.issparse(X) and len(X):
            shift = np.round(X.mean(axis=0, dtype=np.float64)).astype(np.float32)
            X = X - shift
            if C is not None:
                C = C - shift
        self._X = X
        self._sq = _row_sq_norms(X)
        self._buffer: np.ndarray | None = None
        self.min_sq = np.full(X.shape[0], np.inf, dtype=np.float32)
        self.n_centres = 0
        if C is not None:
            self._update(C, _row_sq_norms(C))
            self.n_centres = C.shape[0]

    def _update(self, C: np.ndarray | sp.csr_matrix, c_sq: np.ndarray) -> None:
        budget = self.chunk_size**2
        cols = min(C.shape[0], self.chunk_size)
        rows = max(1, budget // cols)
        if cols == 1 and not sp.issparse(self._X) and self._buffer is None:
            self._buffer = np.empty(min(rows, self._X.shape[0]), dtype=np.float32)
        for c_start in range(0, C.shape[0], cols):
            centres = C[c_start : c_start + cols] * np.float32(-2)
            centre_sq = c_sq[c_start : c_start + cols]
            for start in range(0, self._X.shape[0], rows):
                part = slice(start, start + rows)
                current = self.min_sq[part]
                nearest = _nearest_sq(
                    self._X[part], self._sq[part], centres, centre_sq,
                    self._buffer if cols == 1 else None,
                )
                np.minimum(current, nearest, out=current)

    def add(self, position: int) -> None:
        """Make row ``position`` of ``X`` a centre too."""
        position = int(position)
        self._update(self._X[position : position + 1], self._sq[position : position + 1])
        self.n_centres += 1

    def distances(self) -> np.ndarray:
        """Distance (not squared) of each row to its nearest centre; ``inf`` with no centres."""
        return np.sqrt(self.min_sq.astype(np.float64))


#: Where nearest-neighbour work runs: ``"auto"`` (faiss when installed and the rows are
#: dense, else NumPy), ``"numpy"`` or ``"faiss"``.
BACKENDS = ("auto", "numpy", "faiss")


def use_faiss(backend: str, *arrays: Any) -> bool:
    """Whether ``backend`` resolves to faiss for these rows; refuses an unknown backend.

    ``"faiss"`` needs faiss installed and dense rows (a clear error otherwise);
    ``"auto"`` picks faiss only when both hold.
    """
    if backend not in BACKENDS:
        raise ActiveLabError(f"backend must be 'auto', 'numpy' or 'faiss'; got {backend!r}")
    dense = not any(sp.issparse(a) for a in arrays)
    if backend == "numpy":
        return False
    if backend == "auto":
        return dense and _faiss() is not None
    if _faiss() is None:
        raise ActiveLabError("backend='faiss' needs faiss: pip install 'activelab[faiss]'")
    if not dense:
        raise ActiveLabError("backend='faiss' needs dense rows; use backend='numpy' for sparse ones")
    return True


def nearest_distances(
    X: Any,
    reference: Any,
    n_neighbors: int,
    chunk_size: int = DEFAULT_DISTANCE_CHUNK // 2,
    backend: str = "numpy",
) -> np.ndarray:
    """Distances from each row of ``X`` to its ``n_neighbors`` nearest rows of ``reference``.

    Ascending, one row per row of ``X``; a row that is also in ``reference`` finds itself
    at distance 0. Computed in float64 on dense rows shifted by the mean of
    ``reference`` (or on CSR rows), in blocks of ``chunk_size x chunk_size``, keeping
    the ``n_neighbors`` smallest per row: ``O(len(X) * n_neighbors)`` memory.

    ``backend="faiss"`` finds the neighbours with faiss (``IndexFlatL2``, exact search in
    float32, multi-threaded; ``pip install 'activelab[faiss]'``) on dense rows and then
    recomputes their distances in float64, so they agree with the NumPy path except
    where float32 rounding reorders near-ties. ``"auto"`` uses faiss when it is
    installed and the rows are dense, NumPy otherwise.

    >>> nearest_distances(np.array([[0.0], [4.0]]), np.array([[1.0], [3.0], [9.0]]), 2)
    array([[1., 3.],
           [1., 3.]])
    """
    n_neighbors = check_int(n_neighbors, "n_neighbors")
    if use_faiss(backend, X, reference):
        return faiss_neighbors(X, reference, n_neighbors, chunk_size)[0]
    if sp.issparse(X) or sp.issparse(reference):
        X, reference = sp.csr_matrix(X, dtype=np.float64), sp.csr_matrix(reference, dtype=np.float64)
    else:
        reference = np.asarray(reference, dtype=np.float64)
        shift = reference.mean(axis=0)
        X, reference = np.asarray(X, dtype=np.float64) - shift, reference - shift
    if n_neighbors > reference.shape[0]:
        raise ActiveLabError(
            f"asked for {n_neighbors} nearest neighbours among {reference.shape[0]} rows"
        )
    x_sq, r_sq = _row_sq_norms(X), _row_sq_norms(reference)
    out = np.empty((X.shape[0], n_neighbors))
    for start in range(0, X.shape[0], chunk_size):
        rows = slice(start, start + chunk_size)
        best = np.empty((len(x_sq[rows]), 0))
        for c_start in range(0, reference.shape[0], chunk_size):
            cols = slice(c_start, c_start + chunk_size)
            block = _sq_distances(X[rows], x_sq[rows], reference[cols], r_sq[cols])
            best = np.concatenate([best, block], axis=1)
            if best.shape[1] > n_neighbors:
                best = np.partition(best, n_neighbors - 1, axis=1)[:, :n_neighbors]
        out[rows] = np.sqrt(np.sort(best, axis=1))
    return out


def _faiss() -> Any:
    try:
        import faiss
    except ImportError:
        return None
    return faiss


def _pair_distances(X: np.ndarray, reference: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Float64 distances between ``X[rows]`` and ``reference[cols]`` (equal-length index arrays)."""
    out = np.empty(len(rows))
    step = 1 << 16
    for start in range(0, len(rows), step):
        part = slice(start, start + step)
        diff = np.asarray(X[rows[part]], dtype=np.float64) - reference[cols[part]]
        out[part] = np.sqrt(np.einsum("ij,ij->i", diff, diff))
    return out


def faiss_neighbors(
    X: Any, reference: Any, n_neighbors: int, chunk_size: int = DEFAULT_DISTANCE_CHUNK // 2
) -> tuple[np.ndarray, np.ndarray]:
    """Distances and positions in ``reference`` of each row's ``n_neighbors`` nearest rows.

    Found with faiss's exact flat index in float32, ``chunk_size`` rows at a time; the
    distances are then recomputed in float64 and each row's neighbours sorted by them
    (ties by position). Dense rows only; ``O(len(X) * n_neighbors)`` memory beyond the
    index (a float32 copy of ``reference``).
    """
    faiss = _faiss()
    if faiss is None:
        raise ActiveLabError("backend='faiss' needs faiss: pip install 'activelab[faiss]'")
    reference = np.asarray(reference, dtype=np.float64).reshape(np.shape(reference)[0], -1)
    if n_neighbors > reference.shape[0]:
        raise ActiveLabError(
            f"asked for {n_neighbors} nearest neighbours among {reference.shape[0]} rows"
        )
    shift = reference.mean(axis=0)
    reference = reference - shift
    index = faiss.IndexFlatL2(reference.shape[1])
    index.add(np.ascontiguousarray(reference, dtype=np.float32))
    X = np.asarray(X, dtype=np.float64).reshape(np.shape(X)[0], -1)
    distances = np.empty((X.shape[0], n_neighbors))
    positions = np.empty((X.shape[0], n_neighbors), dtype=np.int64)
    for start in range(0, X.shape[0], chunk_size):
        rows = X[start : start + chunk_size] - shift
        _, found = index.search(np.ascontiguousarray(rows, dtype=np.float32), n_neighbors)
        exact = _pair_distances(
            rows, reference, np.repeat(np.arange(len(rows)), n_neighbors), found.ravel()
        ).reshape(found.shape)
        order = _row_order(exact, found)
        distances[start : start + len(rows)] = np.take_along_axis(exact, order, axis=1)
        positions[start : start + len(rows)] = np.take_along_axis(found, order, axis=1)
    return distances, positions


def _row_order(values: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Per row, the order that sorts ``values`` ascending, ties by ``positions``."""
    by_position = np.argsort(positions, axis=1, kind="stable")
    by_value = np.argsort(np.take_along_axis(values, by_position, axis=1), axis=1, kind="stable")
    return np.take_along_axis(by_position, by_value, axis=1)


def faiss_radius_pairs(X: Any, radius: float, chunk_size: int = DEFAULT_DISTANCE_CHUNK) -> sp.csr_matrix:
    """Which rows of ``X`` lie within ``radius`` of each row (itself included), as 0/1 CSR.

    faiss's exact range search in float32 with a radius widened by float32's error bound
    finds the candidates; their distances are then checked in float64 against ``radius``
    (``<=``, as scikit-learn's ``radius_neighbors``). Dense rows only.
    """
    faiss = _faiss()
    if faiss is None:
        raise ActiveLabError("backend='faiss' needs faiss: pip install 'activelab[faiss]'")
    X = np.asarray(X, dtype=np.float64).reshape(np.shape(X)[0], -1)
    X = X - X.mean(axis=0)
    n = X.shape[0]
    index = faiss.IndexFlatL2(X.shape[1])
    index.add(np.ascontiguousarray(X, dtype=np.float32))
    scale = float(np.sqrt(np.einsum("ij,ij->i", X, X).max())) if n else 0.0
    # float32 squared distances err by about dim * eps32 * (||a|| + ||b||)^2: search wider.
    search_sq = radius**2 * (1 + 1e-5) + 1e-5 * X.shape[1] * 4 * scale**2 + 1e-30
    index_dtype = np.int32 if n < 2**31 else np.int64
    parts, lengths = [], []
    for start in range(0, n, chunk_size):
        rows = X[start : start + chunk_size]
        lims, _, found = index.range_search(
            np.ascontiguousarray(rows, dtype=np.float32), float(search_sq)
        )
        owner = np.repeat(np.arange(len(rows)), np.diff(lims.astype(np.int64)))
        found = found.astype(np.int64)
        keep = _pair_distances(rows, X, owner, found) <= radius
        found, owner = found[keep], owner[keep]
        order = np.lexsort((found, owner))
        lengths.append(np.bincount(owner, minlength=len(rows)))
        parts.append(found[order].astype(index_dtype, copy=False))
    indices = np.concatenate(parts) if parts else np.empty(0, dtype=index_dtype)
    counts = np.concatenate(lengths) if lengths else np.empty(0, dtype=np.int64)
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return sp.csr_matrix((np.ones(len(indices), dtype=np.int8), indices, indptr), shape=(n, n))


def greedy_farthest(
    spaces: Sequence[RunningMinDistance],
    utility: Callable[[list[np.ndarray], int], np.ndarray],
    ranks: np.ndarray,
    k: int,
    first_scores: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Greedy batch: ``k`` times, pick the best ``utility`` and make it a centre everywhere.

    ``utility(distances, step)`` maps each space's current distances (one array per
    space) to one value per row; ties go to the smallest id (``ranks``). When a space has
    no centre yet and ``first_scores`` is given, the first pick is the best of
    ``first_scores`` instead. Returns positions and the utility of each pick at the time
    it was picked; a pick whose utility was not finite (no centres yet) gets the next
    pick's value (0 if it was the last), and the sequence is made non-increasing with
    ``np.minimum.accumulate``. ``O(k * n * dim)`` time, ``O(n)`` memory.
    """
    n = len(ranks)
    k = min(int(k), n)
    taken = np.zeros(n, dtype=bool)
    picks: list[int] = []
    values: list[float] = []
    for step in range(k):
        value = np.asarray(utility([s.distances() for s in spaces], step), dtype=float)
        value[taken] = -np.inf
        cold = any(s.n_centres == 0 for s in spaces)
        if step == 0 and cold and first_scores is not None:
            pick = best_by_id(np.where(taken, -np.inf, first_scores), ranks)
        else:
            pick = best_by_id(np.where(np.isnan(value), -np.inf, value), ranks)
        picks.append(pick)
        values.append(float(value[pick]))
        taken[pick] = True
        for space in spaces:
            space.add(pick)
    scores = np.array(values)
    for i in range(len(scores) - 1, -1, -1):
        if not np.isfinite(scores[i]):
            scores[i] = scores[i + 1] if i + 1 < len(scores) else _best_left(
                spaces, utility, taken, k
            )
    return np.array(picks, dtype=np.int64), np.minimum.accumulate(scores)


def _best_left(
    spaces: Sequence[RunningMinDistance],
    utility: Callable[[list[np.ndarray], int], np.ndarray],
    taken: np.ndarray,
    step: int,
) -> float:
    if taken.all():
        return 0.0
    left = np.asarray(utility([s.distances() for s in spaces], step), dtype=float)[~taken]
    left = left[np.isfinite(left)]
    return float(left.max()) if len(left) else 0.0


def _labeled_embeddings(outputs: ModelOutputs) -> Any:
    if outputs.pool.n_labeled == 0:
        return None
    return outputs.embeddings("labeled")


class KCenterGreedy(Selector):
    """Farthest-first traversal: each pick is the candidate farthest from every centre.

    Sener & Savarese, "Active Learning for Convolutional Neural Networks: A Core-Set
    Approach", ICLR 2018 (the greedy 2-approximation of k-center). The centres start as
    the labeled items' embeddings (``outputs.embeddings("labeled")``) and grow with each
    pick. With nothing labeled, the first pick is the best-scored candidate (ties by
    id). The score of a pick is its distance to the nearest centre when it was picked
    (non-increasing); a cold-start first pick gets the second pick's distance, the
    covering radius it leaves.

    ``O(k * n * dim + n * n_labeled * dim)`` time; ``O(n)`` memory beyond the
    embeddings, distances in float32 blocks of at most ``chunk_size ** 2`` (16 MiB at
    the default): each pick is one matrix-vector product over the candidates.

    >>> import numpy as np
    >>> from activelab import ModelOutputs, Pool
    >>> pool = Pool(np.array([[0.0], [1.0], [2.0], [10.0]]))
    >>> pool.add_labels([0], [0])
    >>> outputs = ModelOutputs(None, pool)
    >>> KCenterGreedy().select(outputs, np.zeros(3), 2, np.random.default_rng(0))
    (array([3, 2]), array([10.,  2.]))
    """

    def __init__(self, chunk_size: int = DEFAULT_DISTANCE_CHUNK) -> None:
        self.chunk_size = chunk_size

    def select(
        self, outputs: ModelOutputs, scores: np.ndarray, k: int, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        ids = outputs.ids
        scores = _check_scores(ids, scores)
        space = RunningMinDistance(
            outputs.embeddings(), _labeled_embeddings(outputs), self.chunk_size
        )
        ranks = id_ranks(ids)
        if not np.isfinite(space._sq).all():  # NaN distances: the general loop handles them
            positions, picked = greedy_farthest(
                [space], lambda d, step: d[0], ranks, k, first_scores=scores
            )
            return ids[positions], picked
        positions, picked = _farthest_first(space, ranks, k, scores)
        return ids[positions], picked


def _farthest_first(
    space: RunningMinDistance, ranks: np.ndarray, k: int, first_scores: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`greedy_farthest` for one space with finite rows, on the squared distances.

    The same picks and scores (the square root is monotonic, so the largest squared
    distance and its ties are the largest distance's), without a float64 copy of the
    distances per step: a pick's running minimum becomes ``-inf``, which keeps it out.
    """
    n = len(ranks)
    k = min(int(k), n)
    min_sq = space.min_sq
    picks = np.empty(k, dtype=np.int64)
    values = np.empty(k)
    for step in range(k):
        if step == 0 and space.n_centres == 0:
            pick = best_by_id(first_scores, ranks)
            values[step] = np.inf
        else:
            largest = min_sq.max()
            tied = np.flatnonzero(min_sq == largest)
            pick = int(tied[np.argmin(ranks[tied])]) if len(tied) > 1 else int(tied[0])
            values[step] = np.sqrt(np.float64(largest))
        picks[step] = pick
        space.add(pick)
        min_sq[pick] = -np.inf
    if k and not np.isfinite(values[0]):
        if k > 1:
            values[0] = values[1]
        else:
            left = min_sq[np.isfinite(min_sq)]
            values[0] = np.sqrt(np.float64(left.max())) if len(left) else 0.0
    return picks, np.minimum.accumulate(values)


class RankedBatch(Selector):
    """Greedy ranking by ``alpha * (1 - similarity) + (1 - alpha) * uncertainty``.

    Cardoso, Silva, Goldschmidt & Gama, "Ranked batch-mode active learning",
    Information Sciences 379 (2017). ``similarity`` is ``1 / (1 + d)`` with ``d`` the
    Euclidean distance to the nearest of the labeled and already-ranked items (0 when
    there are none, so a cold start begins with the most uncertain item);
    ``uncertainty`` is the given scores min-max normalised to ``[0, 1]`` (all 0 when
    they are equal). ``alpha=None`` uses the paper's ``|U| / (|U| + |L|)``, recomputed
    at every step: ``|U|`` the candidates not ranked yet, ``|L|`` the labeled items plus
    those already ranked. The score of a pick is its value when it was picked, made
    non-increasing with ``np.minimum.accumulate``.

    Costs as :class:`KCenterGreedy`.

    >>> import numpy as np
    >>> from activelab import ModelOutputs, Pool
    >>> pool = Pool(np.array([[0.0], [1.0], [2.0], [10.0]]))
    >>> pool.add_labels([0], [0])
    >>> outputs = ModelOutputs(None, pool)
    >>> ids, _ = RankedBatch().select(outputs, np.array([1.0, 0.5, 0.0]), 3, np.random.default_rng(0))
    >>> ids
    array([3, 1, 2])
    """

    def __init__(self, alpha: float | None = None, chunk_size: int = DEFAULT_DISTANCE_CHUNK) -> None:
        self.alpha = alpha
        self.chunk_size = chunk_size

    def select(
        self, outputs: ModelOutputs, scores: np.ndarray, k: int, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        alpha = self.alpha
        if alpha is not None and (
            isinstance(alpha, bool) or not isinstance(alpha, (int, float, np.number))
            or not 0 <= alpha <= 1
        ):
            raise ActiveLabError(f"alpha must be None or a number in [0, 1]; got {alpha!r}")
        ids = outputs.ids
        scores = _check_scores(ids, scores)
        if not np.isfinite(scores).all():
            raise ActiveLabError("RankedBatch needs finite scores; the scorer returned infinite values")
        spread = scores.max() - scores.min()
        uncertainty = (scores - scores.min()) / spread if spread > 0 else np.zeros(len(ids))
        n, n_labeled = len(ids), outputs.pool.n_labeled
        space = RunningMinDistance(
            outputs.embeddings(), _labeled_embeddings(outputs), self.chunk_size
        )

        def utility(distances: list[np.ndarray], step: int) -> np.ndarray:
            left = n - step
            weight = alpha if alpha is not None else left / (left + n_labeled + step)
            return weight * (1 - 1 / (1 + distances[0])) + (1 - weight) * uncertainty

        positions, picked = greedy_farthest([space], utility, id_ranks(ids), k)
        return ids[positions], picked


# ---- clusters --------------------------------------------------------------------------------


def kmeans_labels(
    X: Any, n_clusters: int, ranks: np.ndarray, rng: np.random.Generator, n_init: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """k-means cluster labels and centres of the rows of ``X``, seeded from ``rng``.

    The rows are clustered in id order (``ranks``), so the result does not depend on
    the order they come in. ``MiniBatchKMeans`` above :data:`MINIBATCH_ABOVE` rows.
    Fewer distinct rows than clusters leave some clusters empty.
    """
    from sklearn.cluster import KMeans, MiniBatchKMeans
    from sklearn.exceptions import ConvergenceWarning

    X = _as_rows(X)
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


class KMeansSelector(Selector):
    """One item from each of ``k`` k-means clusters of the candidates' embeddings.

    ``pick="nearest"`` takes the candidate nearest its cluster's centre (Zhdanov, 2019,
    "Diverse mini-batch active learning", arXiv:1901.05954, without the pre-filter),
    ``"best"`` the best-scored one, ``"random"`` one at random; ties by id. The picks are
    ordered by score, then by the size of their cluster (largest first), then by id, and
    keep their scores. When k-means leaves clusters empty (fewer distinct points than
    ``k``), the best-scored remaining candidates fill the batch.

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

    def __init__(self, pick: str = "nearest", n_init: int = 1) -> None:
        self.pick = pick
        self.n_init = n_init

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
        X = outputs.embeddings()
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
    ) -> None:
        self.shortlist_factor = shortlist_factor
        self.distance_threshold = distance_threshold
        self.max_shortlist = max_shortlist
        self.pick = pick

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
        ids = outputs.ids
        scores = _check_scores(ids, scores)
        n, k = len(ids), min(int(k), len(ids))
        ranks = id_ranks(ids)
        m = min(n, max(k, min(k * factor, cap)))
        shortlist = np.lexsort((ranks, -scores))[:m]
        clusters = self._clusters(outputs.embeddings(), shortlist, k, threshold)
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
        embeddings: Any, shortlist: np.ndarray, k: int, threshold: float | None
    ) -> np.ndarray:
        m = len(shortlist)
        if m < 2 or (threshold is None and k >= m):
            return np.arange(m)
        from sklearn.cluster import AgglomerativeClustering
        from sklearn.metrics import pairwise_distances

        rows = _as_rows(embeddings[shortlist])
        distances = pairwise_distances(rows).astype(np.float64)
        model = AgglomerativeClustering(
            n_clusters=None if threshold is not None else k,
            distance_threshold=threshold,
            metric="precomputed",
            linkage="average",
        )
        return model.fit_predict(distances).astype(np.int64)
