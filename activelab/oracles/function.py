"""FunctionOracle: a Python callable as the oracle of points that are in no pool.

A simulator, an experiment driver or a formula labels synthesised points
(:mod:`~activelab.scenarios.synthesis`) and stream items
(:mod:`~activelab.scenarios.stream`); both scenarios wrap a plain function in
:class:`FunctionOracle` themselves. :class:`PointAnswers` and :class:`PointOracle` are the
shapes of the previous release, kept for one release.

>>> import numpy as np
>>> from activelab.oracles import LabelRequest
>>> oracle = FunctionOracle(lambda x: int(x.sum() > 1))
>>> answers = oracle.label(LabelRequest.for_points([[0.2, 0.3], [0.9, 0.8]]))
>>> answers.ids.tolist(), answers.labels.tolist()
([0, 1], [0, 1])
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

from ..errors import ActiveLabError
from ..validation import first_line
from .base import Answers, LabelRequest

__all__ = ["FunctionOracle", "PointAnswers", "PointOracle"]


def _point_text(x: np.ndarray) -> str:
    """A point as short text for messages: at most a dozen values."""
    values = [f"{v:.6g}" for v in np.asarray(x, dtype=float).ravel()]
    if len(values) > 12:
        values = values[:10] + [f"... ({len(values)} features)"]
    return "[" + ", ".join(values) + "]"


def as_points_request(request: Any) -> LabelRequest:
    """``request`` if it is a :class:`LabelRequest` with points; rows become one."""
    if not isinstance(request, LabelRequest):
        return LabelRequest.for_points(request)
    if request.points is None:
        raise ActiveLabError(
            "this oracle labels points, but the request holds ids only; ask with "
            "LabelRequest.for_points(X) (or LabelRequest(ids, points=X))"
        )
    return request


class FunctionOracle:
    """A Python callable as the oracle: a simulator, an experiment driver, a formula.

    ``func(x) -> label`` for one point, or, with ``vectorized=True``, ``func(X) -> labels``
    for a batch. It labels the ``points`` of a :class:`~activelab.oracles.LabelRequest`
    (or rows given directly). Every point asked counts in ``n_calls``. An exception the
    function raises becomes an :class:`ActiveLabError` naming the point.

    >>> oracle = FunctionOracle(lambda x: int(x.sum() > 1))
    >>> oracle.label(np.array([[0.2, 0.3], [0.9, 0.8]])).labels.tolist()
    [0, 1]
    >>> FunctionOracle(lambda x: 1 / 0).label(np.array([[0.5]]))
    Traceback (most recent call last):
    ...
    activelab.errors.ActiveLabError: the oracle raised on point [0.5]: ZeroDivisionError: division by zero
    """

    def __init__(self, func: Callable[[np.ndarray], Any], vectorized: bool = False) -> None:
        if not callable(func):
            raise ActiveLabError(f"the oracle must be callable; got {type(func).__name__}")
        self.func = func
        self.vectorized = vectorized
        self.n_calls = 0

    def label(self, request: LabelRequest | Any) -> Answers:
        request = as_points_request(request)
        X = np.asarray(request.points, dtype=float)
        if self.vectorized:
            labels = np.asarray(self._call(X, X[0] if len(X) == 1 else None))
            if labels.shape[:1] != (len(X),):
                raise ActiveLabError(
                    f"the vectorized oracle returned {labels.shape} for {len(X)} points; "
                    "return one label per point"
                )
        else:
            labels = np.asarray([self._call(x, x) for x in X])
        self.n_calls += len(X)
        return Answers(ids=request.ids, labels=labels, points=X)

    def label_points(self, X: np.ndarray) -> PointAnswers:
        """Deprecated: use ``label(LabelRequest.for_points(X))``."""
        return _point_answers(self, X)

    def _call(self, arg: np.ndarray, point: np.ndarray | None) -> Any:
        try:
            label = self.func(arg)
        except Exception as err:
            where = f"point {_point_text(point)}" if point is not None else f"{len(arg)} points"
            raise ActiveLabError(
                f"the oracle raised on {where}: {type(err).__name__}: {first_line(err)}"
            ) from err
        if label is None:
            where = _point_text(point) if point is not None else "a batch"
            raise ActiveLabError(f"the oracle returned no label (None) for point {where}")
        return label


# ---- the previous release's point-oracle shapes, for one release -------------------------


@dataclass(frozen=True)
class PointAnswers:
    """Deprecated: point answers are :class:`~activelab.oracles.Answers` now.

    ``X`` are the points the labels belong to (``Answers.points``), ``ids`` the ids of
    the real items asked about instead, if any (``Answers.item_ids``).
    """

    X: np.ndarray
    labels: np.ndarray
    ids: np.ndarray | None = None


@runtime_checkable
class PointOracle(Protocol):
    """Deprecated: every oracle has ``label(request) -> Answers`` now."""

    def label_points(self, X: np.ndarray) -> PointAnswers: ...


def _point_answers(oracle: Any, X: Any) -> PointAnswers:
    """What the deprecated ``label_points(X)`` returned, through ``oracle.label``."""
    warnings.warn(
        f"{type(oracle).__name__}.label_points(X) is deprecated and goes away in the next "
        "release; use label(LabelRequest.for_points(X)), which returns Answers",
        DeprecationWarning, stacklevel=3)
    answers = oracle.label(LabelRequest.for_points(X))
    return PointAnswers(X=answers.points, labels=answers.labels, ids=answers.item_ids)

