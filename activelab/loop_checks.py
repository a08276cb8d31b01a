"""The checks :class:`~activelab.ActiveLoop` makes of the parts it is given and of each
strategy's answer, with errors that say what to pass instead."""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import ActiveLabError
from .strategies.base import Query, Strategy
from .validation import check_callable

__all__ = ["check_answer_of", "check_parts"]


def check_parts(training: Any, cold_start: Any, callbacks: list[Any]) -> None:
    """The training policy, cold-start strategy and callbacks are objects of the right kind."""
    if isinstance(training, type) or not (
        callable(getattr(training, "train", None)) or callable(getattr(training, "fit", None))
    ):
        raise ActiveLabError(
            f"training must be a TrainingPolicy object, e.g. training=FullRefit(); got "
            f"{_described(training)}"
        )
    if not isinstance(cold_start, Strategy):
        raise ActiveLabError(
            f"cold_start must be an activelab Strategy, e.g. strategies.get('random'); got "
            f"{_described(cold_start)}"
        )
    for position, callback in enumerate(callbacks):
        check_callable(callback, f"callbacks[{position}]", 2, "callback(loop, record)")


def _described(value: Any) -> str:
    return f"the class {value.__name__}" if isinstance(value, type) else type(value).__name__


def check_answer_of(strategy: Strategy, query: Query, candidates: np.ndarray, k: int) -> None:
    """A strategy's ids must be unique candidates, at most ``k`` of them."""
    ids = np.asarray(query.ids)
    if len(ids) > k or len(np.unique(ids)) != len(ids) or not np.isin(ids, candidates).all():
        raise ActiveLabError(
            f"strategy {strategy.name!r} broke the query contract: it must return at most "
            f"{k} unique ids from the candidates it was given (outputs.ids); "
            "check it with activelab.testing.check_strategy"
        )
