"""Random sampling: the baseline every other strategy has to beat."""

from __future__ import annotations

import numpy as np

from ..outputs import ModelOutputs
from ..selection.topk import id_ranks
from .base import ScoringStrategy
from .registry import register

__all__ = ["RandomSampling", "random_keys"]


def random_keys(n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` uniform random keys in [0, 1): the one source of random choice in activelab.

    The pool strategy :class:`RandomSampling` ranks items by them and the stream rule
    :class:`~activelab.scenarios.stream_rules.RandomRule` compares one per item with
    its threshold, so the two baselines draw from a seeded generator the same way.

    >>> import numpy as np
    >>> random_keys(3, np.random.default_rng(0)).round(3)
    array([0.637, 0.27 , 0.041])
    """
    return rng.random(n)


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
        keys = random_keys(len(outputs), rng)
        return keys[id_ranks(outputs.ids)]  # drawn in id order: row order does not matter
