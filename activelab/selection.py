"""Selectors: turn per-item scores into a batch of ids.

Every selector is deterministic: ties between equal scores break by id (smaller first),
never by the order in which the items were scored.

>>> import numpy as np
>>> from activelab.selection import top_k
>>> top_k(np.array([10, 11, 12]), np.array([0.5, 0.9, 0.5]), 2)
(array([11, 10]), array([0.9, 0.5]))
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .errors import ActiveLabError
from .validation import check_random_state

if TYPE_CHECKING:
    from .outputs import ModelOutputs

__all__ = ["Selector", "TopK", "check_random_state", "top_k"]


def top_k(ids: np.ndarray, scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` highest scores and their ids, best first, ties broken by smaller id.

    Runs in ``O(n + m log m)`` where ``m`` is ``k`` plus the number of items tied with
    the k-th score.
    """
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
        return f"{type(self).__name__}()"


class TopK(Selector):
    """The ``k`` best-scored items (ties by id)."""

    def select(
        self, outputs: ModelOutputs, scores: np.ndarray, k: int, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        return top_k(outputs.ids, scores, k)
