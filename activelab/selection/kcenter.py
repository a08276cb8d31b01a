"""k-center greedy: farthest-first traversal from the labeled items, the core-set
selector (Sener & Savarese, 2018).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from ..outputs import ModelOutputs
from .neighbors import DEFAULT_DISTANCE_CHUNK, RunningMinDistance
from .topk import Selector, _check_scores, best_by_id, id_ranks


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

    ``metric`` is ``"euclidean"`` (default), ``"cosine"`` (text) or ``"manhattan"``
    (:mod:`activelab.selection.metrics`).

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

    def __init__(self, chunk_size: int = DEFAULT_DISTANCE_CHUNK, metric: str = "euclidean") -> None:
        self.chunk_size = chunk_size
        self.metric = metric

    def select(
        self, outputs: ModelOutputs, scores: np.ndarray, k: int, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        ids = outputs.ids
        scores = _check_scores(ids, scores)
        space = RunningMinDistance(
            outputs.embeddings(), _labeled_embeddings(outputs), self.chunk_size, self.metric
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
    """:func:`greedy_farthest` for one space with finite rows, on the metric's keys.

    The same picks and scores (a key orders like its distance, so the largest key and
    its ties are the largest distance's), without a float64 copy of the
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
            values[step] = space.to_distance(largest)
        picks[step] = pick
        space.add(pick)
        min_sq[pick] = -np.inf
    if k and not np.isfinite(values[0]):
        if k > 1:
            values[0] = values[1]
        else:
            left = min_sq[np.isfinite(min_sq)]
            values[0] = space.to_distance(left.max()) if len(left) else 0.0
    return picks, np.minimum.accumulate(values)


