"""Top-k selection: the ``k`` best scores, ties broken by id, in memory or streamed.

Every selector is deterministic: ties between equal scores break by id (smaller first),
never by the order in which the items were scored or by how the work was chunked.

>>> import numpy as np
>>> from activelab.selection import top_k
>>> top_k(np.array([10, 11, 12]), np.array([0.5, 0.9, 0.5]), 2)
(array([11, 10]), array([0.9, 0.5]))

>>> from activelab.selection import TopKAccumulator
>>> best = TopKAccumulator(2)
>>> best.push(np.array([10, 11]), np.array([0.5, 0.9]))
>>> best.push(np.array([3, 12]), np.array([0.5, 0.1]))
>>> best.result()
(array([11,  3]), array([0.9, 0.5]))
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import ActiveLabError
from ..validation import check_int

if TYPE_CHECKING:
    from ..outputs import ModelOutputs
from collections.abc import Iterable


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


def chunk_scores(
    outputs: ModelOutputs, score: Callable[[ModelOutputs], np.ndarray]
) -> np.ndarray:
    """``score(view)`` over the chunk views of ``outputs``, as one score per candidate.

    For a per-item scorer whose outputs nobody else reads: each chunk's model outputs
    are scored and dropped, so only the scores (one float per item) are kept.
    """
    scores = np.empty(len(outputs))
    for start, view in zip(range(0, len(outputs), outputs.chunk_size), outputs.chunks()):
        scores[start : start + len(view)] = _check_scores(view.ids, score(view))
    return scores
