"""ask(): the one way every scenario calls its oracle.

The pool loop, the stream learner, the synthesis loop, the partial-label code and the
wrapping oracles all call ``ask(oracle, request)``. It checks that the oracle implements
the protocol (``label(request) -> Answers``), turns a plain function into a
:class:`~activelab.oracles.function.FunctionOracle` where the scenario allows one, and
checks the answer: an :class:`~activelab.oracles.base.Answers`, answered ids among those
asked, one label per answered id.

>>> import numpy as np
>>> from activelab.oracles import LabelRequest, SimulatedOracle, ask
>>> ask(SimulatedOracle(["a", "b", "c"]), LabelRequest([2, 1])).labels.tolist()
['c', 'b']
>>> ask(3, LabelRequest([0]))
Traceback (most recent call last):
...
activelab.errors.ActiveLabError: the oracle must have label(request) -> Answers; got int
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from typing import Any

import numpy as np

from ..errors import ActiveLabError
from .base import Answers, LabelRequest, Oracle
from .function import FunctionOracle, as_points_request

__all__ = ["as_oracle", "ask", "as_point_oracle"]


def as_oracle(oracle: Any, *, functions: bool = False, vectorized: bool = False) -> Oracle:
    """``oracle`` itself if it has ``label(request)``, else an oracle made of it.

    With ``functions=True`` a plain function becomes a
    :class:`~activelab.oracles.function.FunctionOracle` (``f(x) -> label``, or
    ``f(X) -> labels`` with ``vectorized=True``); an object of the previous release with
    only ``label_points(X)`` is adapted, with a :class:`DeprecationWarning`. Anything else
    is an :class:`~activelab.errors.ActiveLabError` naming what to implement.
    """
    if callable(getattr(oracle, "label", None)):
        return oracle
    if functions and callable(getattr(oracle, "label_points", None)):
        warnings.warn(
            f"{type(oracle).__name__} has label_points(X) only, which is deprecated and goes "
            "away in the next release; give it label(request) -> Answers", DeprecationWarning,
            stacklevel=3)
        return _LabelPointsOnly(oracle)
    if functions and callable(oracle):
        return FunctionOracle(oracle, vectorized=vectorized)
    also = ", or be a function f(x) -> label" if functions else ""
    raise ActiveLabError(
        f"the oracle must have label(request) -> Answers{also}; got {type(oracle).__name__}"
    )


def ask(oracle: Any, request: LabelRequest | Any, *, functions: bool = False,
        vectorized: bool = False) -> Answers:
    """Ask ``oracle`` about ``request`` and check its answer.

    ``request`` is a :class:`~activelab.oracles.base.LabelRequest` (bare ids become one).
    ``functions`` and ``vectorized`` say whether a plain function may stand for the oracle
    (see :func:`as_oracle`); scenarios whose requests carry ``points`` allow it. Answers
    to a request with ``points`` get the asked rows of the answered ids as their
    ``points`` when the oracle left them out; answers to a pair request that answer every
    pair in order get the request's ``labels`` as their ``asked_labels``.
    """
    request = LabelRequest.of(request)
    answers = as_oracle(oracle, functions=functions, vectorized=vectorized).label(request)
    check_answers(answers, request, oracle)
    return _complete(answers, request)


def check_answers(answers: Any, request: LabelRequest, oracle: Any = None) -> None:
    """An :class:`Answers` about ids of ``request`` only, one label per answered id."""
    who = f"{type(oracle).__name__}.label" if oracle is not None else "the oracle"
    if not isinstance(answers, Answers):
        raise ActiveLabError(
            f"{who} must return Answers(ids=..., labels=...); got {type(answers).__name__}"
        )
    answered = np.asarray(answers.ids).reshape(-1)
    strange = ~np.isin(answered, request.ids)
    if strange.any():
        raise ActiveLabError(
            f"the oracle answered ids it was not asked about, e.g. "
            f"{answered[strange][:3].tolist()}; it must answer ids from the query"
        )
    if len(answers.labels) != len(answered):
        raise ActiveLabError(
            f"the oracle gave {len(answers.labels)} labels for {len(answered)} answered ids; "
            "give one label per answered id"
        )


def _complete(answers: Answers, request: LabelRequest) -> Answers:
    """``answers`` with the asked rows (``points``) and pair labels filled in when left out."""
    if request.points is not None and answers.points is None:
        row = {key: j for j, key in enumerate(request.ids.tolist())}
        rows = [row[key] for key in np.asarray(answers.ids).reshape(-1).tolist()]
        answers = replace(answers, points=request.points[np.asarray(rows, dtype=np.intp)])
    if (request.labels is not None and answers.asked_labels is None
            and np.array_equal(np.asarray(answers.ids).reshape(-1), request.ids)):
        answers = replace(answers, asked_labels=request.labels)
    return answers


class _LabelPointsOnly:
    """A previous-release point oracle (``label_points(X)`` only) under the protocol."""

    def __init__(self, oracle: Any) -> None:
        self.oracle = oracle

    def label(self, request: LabelRequest | Any) -> Answers:
        request = as_points_request(request)
        got = self.oracle.label_points(request.points)
        X, labels = np.asarray(got.X), np.asarray(got.labels)
        item_ids = None if got.ids is None else np.asarray(got.ids)
        # which points such an oracle skipped is unknown; the rows say what was labeled
        return Answers(ids=request.ids[: len(X)], labels=labels, points=X, item_ids=item_ids)


def as_point_oracle(oracle: Any) -> Any:
    """Deprecated: use :func:`as_oracle` with ``functions=True``."""
    warnings.warn("as_point_oracle is deprecated and goes away in the next release; use "
                  "activelab.oracles.as_oracle(oracle, functions=True)", DeprecationWarning,
                  stacklevel=2)
    return as_oracle(oracle, functions=True)
