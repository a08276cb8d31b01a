"""Streaming top-k: the best ``k`` items of a pool scored chunk by chunk.

A pool of tens of millions of items does not need its scores in memory at once: each
chunk is scored, merged into a running top-k, and dropped. The order is total (higher
score first, then smaller id), so the result is exactly what one top-k over every
score would give, whatever the chunking, the chunk order, or how partial results are
merged (the Dask backend merges per-partition results in a tree).

>>> import numpy as np
>>> from activelab.streaming import TopKAccumulator
>>> best = TopKAccumulator(2)
>>> best.push(np.array([10, 11]), np.array([0.5, 0.9]))
>>> best.push(np.array([3, 12]), np.array([0.5, 0.1]))
>>> best.result()
(array([11,  3]), array([0.9, 0.5]))
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from .errors import ActiveLabError
from .selection import top_k
from .validation import check_int

if TYPE_CHECKING:
    from .outputs import ModelOutputs

__all__ = [
    "DEFAULT_CHUNK_BYTES",
    "TopKAccumulator",
    "chunk_rows",
    "merge_top_k",
    "parse_bytes",
    "row_bytes",
    "stream_top_k",
]

#: The most item bytes one chunk holds by default (the row count is capped by this too).
DEFAULT_CHUNK_BYTES = 64 * 2**20

_UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9,
          "kib": 2**10, "mib": 2**20, "gib": 2**30}


def parse_bytes(text: str) -> int:
    """``"64MiB"`` -> 67108864; units B, KB, MB, GB (powers of 10) and KiB, MiB, GiB.

    >>> parse_bytes("64MiB"), parse_bytes("1.5 GB")
    (67108864, 1500000000)
    """
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([a-zA-Z]*)\s*", str(text))
    unit = match.group(2).lower() if match else None
    if match is None or unit not in _UNITS or float(match.group(1)) <= 0:
        raise ActiveLabError(
            f"a chunk size in bytes must look like '64MiB' or '500MB'; got {text!r}"
        )
    return max(1, int(float(match.group(1)) * _UNITS[unit]))


def row_bytes(X: Any) -> int:
    """About how many bytes one item of ``X`` takes in memory (at least 1)."""
    shape = getattr(X, "shape", None)
    if sp.issparse(X):
        per_row = X.nnz / max(X.shape[0], 1) * (X.dtype.itemsize + X.indices.dtype.itemsize)
        return max(1, int(per_row))
    if hasattr(X, "columns"):
        return max(1, 8 * len(X.columns))
    dtype = getattr(X, "dtype", None)
    if shape is not None and len(shape) >= 2 and dtype is not None and dtype.kind in "biuf":
        return max(1, int(np.prod(shape[1:])) * dtype.itemsize)
    return 1024


def chunk_rows(chunk_size: int | str, X: Any, max_rows: int | None = None) -> int:
    """Rows per chunk: ``chunk_size`` rows, or as many as fit in ``chunk_size`` bytes.

    An int is a row count; a string such as ``"64MiB"`` is a byte budget for the items
    of one chunk (see :func:`row_bytes`). ``max_rows`` caps either.

    >>> chunk_rows(1000, None), chunk_rows("1MiB", np.zeros((5, 32), dtype=np.float32))
    (1000, 8192)
    """
    if isinstance(chunk_size, str):
        rows = max(1, parse_bytes(chunk_size) // row_bytes(X))
    else:
        rows = check_int(chunk_size, "chunk_size")
    return min(rows, max_rows) if max_rows is not None else rows


class TopKAccumulator:
    """The ``k`` best ``(id, score)`` pairs seen so far, higher score first, ties by smaller id.

    :meth:`push` a chunk at a time; memory is ``k`` plus one chunk. Items whose score is
    below the current ``k``-th best are dropped before any sorting, so a long stream
    costs about one comparison per item.
    """

    def __init__(self, k: int) -> None:
        self.k = check_int(k, "k")
        self._ids: np.ndarray | None = None
        self._scores: np.ndarray | None = None
        self.n_seen = 0

    def push(self, ids: Any, scores: Any) -> None:
        ids = np.asarray(ids)
        scores = np.asarray(scores, dtype=np.float64)
        if ids.ndim != 1 or scores.shape != ids.shape:
            raise ActiveLabError(
                f"got {ids.shape} ids and {scores.shape} scores; give one score per id"
            )
        self.n_seen += len(ids)
        if self._ids is not None:
            if len(self._ids) == self.k:
                keep = scores >= self._scores[-1]
                ids, scores = ids[keep], scores[keep]
            if len(ids) == 0:
                return
            ids = np.concatenate([self._ids, ids])
            scores = np.concatenate([self._scores, scores])
        elif len(ids) == 0:
            return
        self._ids, self._scores = top_k(ids, scores, self.k)

    def result(self) -> tuple[np.ndarray, np.ndarray]:
        """``(ids, scores)``, best first; empty arrays when nothing was pushed."""
        if self._ids is None:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        return self._ids.copy(), self._scores.copy()


def merge_top_k(parts: Iterable[tuple[np.ndarray, np.ndarray]], k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` best of several ``(ids, scores)`` results: what a tree merge does at each node.

    >>> merge_top_k([(np.array([1, 2]), np.array([0.3, 0.1])), (np.array([0]), np.array([0.3]))], 2)
    (array([0, 1]), array([0.3, 0.3]))
    """
    best = TopKAccumulator(k)
    for ids, scores in parts:
        best.push(ids, scores)
    return best.result()


def stream_top_k(
    outputs: ModelOutputs, score: Callable[[ModelOutputs], np.ndarray], k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Top ``k`` of ``score(view)`` over the chunk views of ``outputs`` (ties by id).

    ``score`` maps a :class:`~activelab.outputs.ModelOutputs` of one chunk to one score
    per item; every scorer that reads the same view shares its outputs.
    """
    best = TopKAccumulator(k)
    for view in outputs.chunks():
        best.push(view.ids, score(view))
    return best.result()
