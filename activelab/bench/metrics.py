"""Learning-curve summaries, and the test metrics of each task.

A learning curve is an array ``[[n_labels, score], ...]`` with ``n_labels`` increasing.

Each task has a primary metric, the one learning curves, AULC and the target are
built on, and secondary metrics that are recorded alongside (:data:`TASK_METRICS`):

* classification: ``accuracy``;
* regression: ``r2`` (the coefficient of determination), and ``rmse``;
* multilabel: ``f1_micro``, and ``f1_macro`` and ``subset_accuracy`` (the share of
  items whose whole label row is right).

>>> import numpy as np
>>> from sklearn.dummy import DummyRegressor
>>> model = DummyRegressor().fit(np.zeros((4, 1)), [1.0, 2.0, 3.0, 4.0])
>>> round(metric_function("rmse")(model, np.zeros((2, 1)), np.array([2.5, 4.5])), 3)
1.414
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..errors import ActiveLabError
from ..registry import did_you_mean

__all__ = [
    "METRIC_LABELS",
    "TASK_METRICS",
    "aulc",
    "labels_to_reach",
    "mean_curve",
    "metric_function",
]

#: task -> (primary metric, secondary metrics...)
TASK_METRICS: dict[str, tuple[str, ...]] = {
    "classification": ("accuracy",),
    "regression": ("r2", "rmse"),
    "multilabel": ("f1_micro", "f1_macro", "subset_accuracy"),
}

#: How reports name each metric.
METRIC_LABELS = {
    "accuracy": "accuracy",
    "r2": "R²",
    "rmse": "RMSE",
    "f1_micro": "micro-F1",
    "f1_macro": "macro-F1",
    "subset_accuracy": "subset accuracy",
}


def _score(y: Any, predicted: Any, name: str) -> float:
    from sklearn import metrics

    if name == "subset_accuracy":
        return float(metrics.accuracy_score(y, predicted))
    if name == "r2":
        return float(metrics.r2_score(y, predicted))
    if name == "rmse":
        return float(np.sqrt(metrics.mean_squared_error(y, predicted)))
    average = name.removeprefix("f1_")
    return float(metrics.f1_score(y, predicted, average=average, zero_division=0))


def metric_function(name: str) -> Callable[[Any, Any, Any], float]:
    """``metric(model, X, y) -> float`` for a name in :data:`METRIC_LABELS`, named ``name``.

    Accuracy is ``model.score``, as scikit-learn's own scorer computes it; the others
    score ``model.predict(X)``. F1 counts a label with no true and no predicted items
    as 0 (``zero_division=0``). The loop takes the result as a callable metric
    (:func:`activelab.metrics.resolve_metric`).
    """
    if name not in METRIC_LABELS:
        raise ActiveLabError(
            f"unknown bench metric {name!r}{did_you_mean(name, METRIC_LABELS)}; "
            f"the bench measures {', '.join(METRIC_LABELS)}"
        )

    def metric(model: Any, X: Any, y: Any) -> float:
        if name == "accuracy":
            return float(model.score(X, y))
        return _score(y, model.predict(X), name)

    metric.__name__ = name
    return metric


def aulc(curve: np.ndarray) -> float:
    """Normalised area under the learning curve.

    ``AULC = (1 / (n_last - n_first)) * integral of score(n) dn`` over
    ``[n_first, n_last]``, by the trapezoidal rule over the recorded points. It is the
    mean score over the labeling range, in the score's own units (0..1 for accuracy).
    A curve with a single point has that point's score. For R², which is negative while
    the model predicts worse than the mean, it is this same mean over the range.
    """
    curve = np.asarray(curve, dtype=float)
    n, score = curve[:, 0], curve[:, 1]
    if len(n) == 1 or n[-1] == n[0]:
        return float(score[-1])
    area = float(np.sum((n[1:] - n[:-1]) * (score[1:] + score[:-1]) / 2))
    return area / float(n[-1] - n[0])


def labels_to_reach(curve: np.ndarray, target: float) -> int | None:
    """The smallest recorded ``n_labels`` whose score is at least ``target``; ``None`` if never."""
    curve = np.asarray(curve, dtype=float)
    reached = np.flatnonzero(curve[:, 1] >= target)
    return int(curve[reached[0], 0]) if len(reached) else None


def mean_curve(curves: list[np.ndarray]) -> np.ndarray:
    """The mean and standard deviation of several curves on the first one's label counts.

    Returns ``[[n_labels, mean, std], ...]``; curves with other label counts are
    linearly interpolated onto the first one's.
    """
    grid = np.asarray(curves[0], dtype=float)[:, 0]
    values = np.array([np.interp(grid, c[:, 0], c[:, 1]) for c in map(np.asarray, curves)])
    return np.column_stack([grid, values.mean(axis=0), values.std(axis=0)])
