"""Strategies that use "unsure" answers from the pool's label log.

When an annotator looks at an item and answers "not sure" (:meth:`Pool.add_unsure`), the
item is likely hard to label, and asking again costs money for maybe nothing.
**unsure_aware** wraps any scoring strategy and lowers such items' scores.
"""

from __future__ import annotations

import numpy as np

from ..outputs import ModelOutputs
from ..validation import check_number
from .base import ScoringStrategy
from .combine import NORMALISES, check_choice, normalised, wrapped_scorer
from .registry import register
from .uncertainty import MarginSampling

__all__ = ["UnsureAware"]


@register("unsure_aware")
class UnsureAware(ScoringStrategy):
    """Deprioritise items people were unsure about: ``utility * penalty ** n_unsure``.

    The wrapped strategy's scores are normalised (by rank, in ``(0, 1]``, or min-max)
    and multiplied by ``penalty`` once per "unsure" answer the item has had
    (:meth:`Pool.unsure_counts`); ``penalty=0`` never asks again about such items while
    others are left, ``penalty=1`` ignores unsure answers. Without unsure answers it ranks
    exactly as the wrapped strategy (a ScoringStrategy or its registered name; default
    margin). Cost: the wrapped strategy's, plus
    ``O(n log n)``.

    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from activelab import Pool
    >>> X = np.linspace(-1, 1, 9).reshape(-1, 1)
    >>> pool = Pool(X); pool.add_labels([0, 8], [0, 1])
    >>> model = LogisticRegression().fit(*pool.labeled_data())
    >>> pool.add_unsure([4])           # the most uncertain item: nobody could tell
    >>> 4 in UnsureAware(penalty=0.0).query(model, pool, 2).ids
    False
    """

    contract_models = MarginSampling.contract_models

    def __init__(self, strategy: ScoringStrategy | str | None = None, penalty: float = 0.5,
                 normalise: str = "rank") -> None:
        self.strategy = strategy
        self.penalty = penalty
        self.normalise = normalise
        self.selector = None

    def score(self, outputs: ModelOutputs, rng: np.random.Generator) -> np.ndarray:
        penalty = check_number(self.penalty, "penalty", low=0, high=1)
        inner = wrapped_scorer(self.strategy, type(self).__name__)
        normalise = check_choice(self.normalise, "normalise", NORMALISES)
        utility = normalised(np.asarray(inner.score(outputs, rng), dtype=float), normalise)
        counts = outputs.pool.unsure_counts(outputs.ids)
        return utility * penalty ** counts
