"""Metrics by name: one resolver for the loop, the stopping rules and the bench.

A metric is a scikit-learn scorer name (``"accuracy"``, ``"f1_macro"``, ``"r2"``, ...) or
any callable ``metric(model, X, y) -> float``. :func:`resolve_metric` turns either into
``(name, scorer)``; a misspelt name fails with the closest scorer name.

>>> name, scorer = resolve_metric("accuracy")
>>> name, callable(scorer)
('accuracy', True)
>>> resolve_metric("acuracy")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
activelab.errors.ActiveLabError: unknown metric 'acuracy' (did you mean 'accuracy'?); use a scikit-learn scorer name (accuracy, f1, ...) or a callable metric(model, X, y)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .errors import ActiveLabError
from .registry import did_you_mean
from .validation import check_callable

__all__ = ["Metric", "resolve_metric"]

#: ``metric(model, X, y) -> float``, higher is better (scikit-learn's scorer convention).
Metric = Callable[[Any, Any, Any], float]


def resolve_metric(metric: str | Metric) -> tuple[str, Metric]:
    """``(name, scorer)`` for a scikit-learn scorer name or a callable ``metric(model, X, y)``.

    A callable is named by its ``__name__`` (``"metric"`` when it has none).
    """
    if callable(metric):
        check_callable(metric, "metric", 3, "metric(model, X, y) -> float")
        return getattr(metric, "__name__", "metric"), metric
    from sklearn.metrics import get_scorer, get_scorer_names

    names = get_scorer_names()
    if not isinstance(metric, str) or metric not in names:
        hint = did_you_mean(metric, names) if isinstance(metric, str) else ""
        shown = ", ".join(n for n in names if "_" not in n or n.startswith("f1"))
        raise ActiveLabError(
            f"unknown metric {metric!r}{hint}; use a scikit-learn scorer name ({shown}, ...) "
            "or a callable metric(model, X, y)"
        )
    return metric, get_scorer(metric)
