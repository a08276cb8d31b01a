"""Random sampling: the baseline every other strategy has to beat."""

from __future__ import annotations

import numpy as np

from ..outputs import ModelOutputs
from ..selection.topk import id_ranks
from .base import ScoringStrategy
from .registry import register


@register("random")
class RandomSampling(ScoringStrategy):
    """Every unlabeled item is equally likely; the score is a uniform random key.

    Needs no model. Deterministic under ``random_state``.

    >>> import numpy as np
    >>> from activelab import Pool
    >>> from activelab.strategies import RandomSampling
    >>> q = RandomSampling().query(None, Pool(np.zeros((100, 2))), 3, random_state=0)
    >>> len(q.ids)
    3
    """

    needs_model = False
    contract_models = (
        "proba", "decision", "ensemble", "regressor", "regressor_std", "ensemble_regressor",
        "multilabel",
    )

    def score(self, outputs: ModelOutputs, rng: np.random.Generator) -> np.ndarray:
        keys = rng.random(len(outputs))
        return keys[id_ranks(outputs.ids)]  # drawn in id order: row order does not matter
