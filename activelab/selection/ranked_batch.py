"""Ranked batch: a greedy blend of distance to the labeled items and uncertainty
(Cardoso et al., 2017).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..errors import ActiveLabError

if TYPE_CHECKING:
    from ..outputs import ModelOutputs
from .kcenter import _labeled_embeddings, greedy_farthest
from .neighbors import DEFAULT_DISTANCE_CHUNK, RunningMinDistance
from .topk import Selector, _check_scores, id_ranks


class RankedBatch(Selector):
    """Greedy ranking by ``alpha * (1 - similarity) + (1 - alpha) * uncertainty``.

    Cardoso, Silva, Goldschmidt & Gama, "Ranked batch-mode active learning",
    Information Sciences 379 (2017). ``similarity`` is ``1 / (1 + d)`` with ``d`` the
    distance (``metric``: ``"euclidean"``, ``"cosine"`` or ``"manhattan"``) to the
    nearest of the labeled and already-ranked items (0 when there are none, so a cold
    start begins with the most uncertain item);
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

    def __init__(
        self, alpha: float | None = None, chunk_size: int = DEFAULT_DISTANCE_CHUNK,
        metric: str = "euclidean",
    ) -> None:
        self.alpha = alpha
        self.chunk_size = chunk_size
        self.metric = metric

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
            outputs.embeddings(), _labeled_embeddings(outputs), self.chunk_size, self.metric
        )

        def utility(distances: list[np.ndarray], step: int) -> np.ndarray:
            left = n - step
            weight = alpha if alpha is not None else left / (left + n_labeled + step)
            return weight * (1 - 1 / (1 + distances[0])) + (1 - weight) * uncertainty

        positions, picked = greedy_farthest([space], utility, id_ranks(ids), k)
        return ids[positions], picked


# ---- clusters --------------------------------------------------------------------------------


