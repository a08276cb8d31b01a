"""Pieces for strategies built from other scorers: normalise, check a choice, wrap a scorer.

Scores of different scorers live on different scales, so a strategy that mixes or
re-weights them (:class:`~activelab.strategies.hybrid.WeightedScores`,
:class:`~activelab.strategies.cost_sensitive.CostSensitive`,
:class:`~activelab.strategies.unsure.UnsureAware`) first maps them to a common one with
:func:`normalised`.

>>> import numpy as np
>>> normalised(np.array([3.0, 1.0, 2.0]), "rank")
array([1.        , 0.33333333, 0.66666667])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import ActiveLabError
from .base import ScoringStrategy
from .registry import get
from .uncertainty import MarginSampling

__all__ = ["COMBINES", "NORMALISES", "check_choice", "normalised", "wrapped_scorer"]

#: How :class:`~activelab.strategies.hybrid.WeightedScores` combines normalised scores.
COMBINES = ("sum", "product")
#: How :func:`normalised` maps scores to a common scale.
NORMALISES = ("rank", "minmax")


def normalised(scores: np.ndarray, how: str) -> np.ndarray:
    """Scores mapped to ``(0, 1]`` by rank (``"rank"``: rank / n, ties share their mean
    rank) or to ``[0, 1]`` (``"minmax"``; all ones when every score is equal).

    >>> import numpy as np
    >>> normalised(np.array([2.0, 4.0, 4.0, 6.0]), "minmax")
    array([0. , 0.5, 0.5, 1. ])
    >>> normalised(np.array([2.0, 4.0, 4.0, 6.0]), "rank")
    array([0.25 , 0.625, 0.625, 1.   ])
    """
    if how == "rank":
        from scipy.stats import rankdata

        return rankdata(scores, method="average") / len(scores)
    low, high = float(scores.min()), float(scores.max())
    if high == low:
        return np.ones(len(scores))
    return (scores - low) / (high - low)


def check_choice(value: Any, name: str, choices: Sequence[str]) -> str:
    """``value`` if it is one of ``choices``, else a one-line error naming the parameter.

    >>> check_choice("rank", "normalise", NORMALISES)
    'rank'
    >>> check_choice("ranks", "normalise", NORMALISES)
    Traceback (most recent call last):
    ...
    activelab.errors.ActiveLabError: normalise must be one of rank, minmax; got 'ranks'
    """
    if value not in choices:
        raise ActiveLabError(f"{name} must be one of {', '.join(choices)}; got {value!r}")
    return value


def wrapped_scorer(strategy: Any, wrapper: str) -> ScoringStrategy:
    """The per-item scorer a wrapper strategy re-weights: a ScoringStrategy or its
    registered name (None: margin sampling); anything else is a one-line error naming
    the ``wrapper``.

    >>> wrapped_scorer("entropy", "CostSensitive")
    EntropySampling(selector=None)
    >>> wrapped_scorer(None, "UnsureAware")
    MarginSampling(selector=None)
    """
    if strategy is None:
        return MarginSampling()
    if isinstance(strategy, str):
        strategy = get(strategy)
    if not isinstance(strategy, ScoringStrategy):
        raise ActiveLabError(
            f"{wrapper} wraps a per-item scorer (a ScoringStrategy such as 'margin'); "
            f"got {strategy!r}"
        )
    return strategy
