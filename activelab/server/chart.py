"""The dashboard's learning curve as SVG coordinates: accuracy against the labels used.

One point per number of labels (the newest version trained on that many), sorted by it, so
the line never doubles back even when labels were undone between versions; labelled ticks
on both axes.

>>> nice_ticks(37)
[0, 10, 20, 30, 40]
>>> nice_ticks(0.9, count=4)
[0.0, 0.25, 0.5, 0.75, 1.0]
>>> curve = learning_curve([{"n_labels": 20, "number": 2, "metrics": {"cv_accuracy": 0.8}},
...                         {"n_labels": 10, "number": 1, "metrics": {"cv_accuracy": 0.6}}])
>>> [label for _x, label in curve["x_ticks"]]
['0', '5', '10', '15', '20']
>>> [n for _x, _y, n, _acc in curve["dots"]]
[10, 20]
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["learning_curve", "nice_ticks"]

#: Room around the plot for the ticks' labels and the axes' titles (SVG pixels).
LEFT, RIGHT, TOP, BOTTOM = 52, 16, 12, 44


def nice_ticks(top: float, count: int = 5) -> list[float]:
    """Ticks from 0 in steps of 1, 2, 2.5 or 5 times a power of ten, the last at or above
    ``top``, about ``count`` of them."""
    if top <= 0:
        return [0, 1]
    raw = top / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    n = math.ceil(top / step - 1e-9)
    whole = float(step).is_integer()
    return [int(i * step) if whole else round(i * step, 10) for i in range(n + 1)]


def learning_curve(models: list[dict[str, Any]], width: int = 520,
                   height: int = 240) -> dict[str, Any] | None:
    """Coordinates of cross-validated accuracy against labels for the model ``versions``
    (dicts with ``number``, ``n_labels`` and ``metrics``); ``None`` before the first."""
    by_labels: dict[int, tuple[int, float]] = {}
    metric = "accuracy"
    for v in models:
        accuracy = v["metrics"].get("cv_accuracy")
        if accuracy is None and v["metrics"].get("cv_score") is not None:
            # Other task types: micro-F1, R^2 or token F1; an R^2 below 0 sits on the axis.
            metric = v["metrics"].get("cv_metric", "score")
            accuracy = min(1.0, max(0.0, v["metrics"]["cv_score"]))
        if accuracy is not None and v["number"] >= by_labels.get(v["n_labels"], (-1, 0))[0]:
            by_labels[v["n_labels"]] = (v["number"], accuracy)
    if not by_labels:
        return None
    x_ticks = nice_ticks(max(by_labels))
    y_ticks = nice_ticks(1.0, count=4)
    x0, x1, y0, y1 = LEFT, width - RIGHT, height - BOTTOM, TOP

    def at(n: float, accuracy: float) -> tuple[float, float]:
        return (round(x0 + (x1 - x0) * n / x_ticks[-1], 1),
                round(y0 - (y0 - y1) * accuracy / y_ticks[-1], 1))

    dots = [(*at(n, acc), n, acc) for n, (_v, acc) in sorted(by_labels.items())]
    return {
        "metric": metric, "width": width, "height": height, "x0": x0, "x1": x1, "y0": y0, "y1": y1,
        "points": " ".join(f"{x},{y}" for x, y, _n, _a in dots), "dots": dots,
        "x_ticks": [(at(t, 0)[0], f"{t:g}") for t in x_ticks],
        "y_ticks": [(at(0, t)[1], f"{t:g}") for t in y_ticks],
    }
