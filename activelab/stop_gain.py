"""The ``expected_gain`` stopping rule: stop when the next batch is not worth its cost.

It reads the random control of an :class:`~activelab.ActiveLoop` (``control=``, see
:mod:`activelab.control`): every control item says whether the model of its round, fit on
``n`` labels, was right about an item it had not seen. A learning curve
``accuracy = a + b·ln(n)`` fit by least squares to those 0/1 outcomes gives the slope, and
the expected gain of the next batch of ``B`` labels is ``b·ln((N + B) / N)`` at ``N``
labels, divided by what the batch costs (``B`` times the cost per label: ``cost_per_label``,
or what the labels cost so far on average, or 1 when nothing was paid). The rule
recommends stopping when even the upper ``confidence`` bound of that gain per unit cost
(one-sided, from the slope's standard error) is below ``min_gain``: "with 90% confidence
the next batch gains less than the value set". The log-linear curve flattens more slowly
than most real curves, so the rule errs on the side of labeling more.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .errors import ActiveLabError
from .stopping import STOPPING_RULES, LoopState, StoppingRule
from .validation import check_int, check_number

__all__ = ["ExpectedGain", "expected_gain"]


def expected_gain(curve: np.ndarray, n_labeled: int, batch: int,
                  confidence: float = 0.9) -> tuple[float, float] | None:
    """``(expected, upper bound)`` accuracy gain of ``batch`` more labels at ``n_labeled``,
    from ``curve`` rows ``[labels, 0/1 correct]``; ``None`` with fewer than 3 rows or
    fewer than 2 label counts.

    >>> import math
    >>> n = np.repeat([10, 20, 40, 80], 50)
    >>> z = (np.random.default_rng(0).random(len(n)) < 0.5 + 0.1 * np.log(n / 10)).astype(float)
    >>> gain, upper = expected_gain(np.column_stack([n, z]), 80, 80)
    >>> round(gain, 3), round(0.1 * math.log(2), 3), gain < upper  # estimate, truth
    (0.084, 0.069, True)
    """
    from scipy.stats import norm

    curve = np.asarray(curve, dtype=float).reshape(-1, 2)
    if len(curve) < 3 or len(np.unique(curve[:, 0])) < 2:
        return None
    x = np.log(np.maximum(curve[:, 0], 1.0))
    z = curve[:, 1]
    centred = x - x.mean()
    slope = float(centred @ (z - z.mean()) / (centred @ centred))
    residual = z - z.mean() - slope * centred
    variance = float(residual @ residual) / (len(z) - 2) if len(z) > 2 else 0.25
    se = math.sqrt(max(variance, 1e-12) / float(centred @ centred))
    step = math.log((n_labeled + batch) / max(n_labeled, 1))
    return slope * step, (slope + float(norm.ppf(confidence)) * se) * step


@STOPPING_RULES.register("expected_gain")
class ExpectedGain(StoppingRule):
    """Stop when, at ``confidence``, the next batch gains less than ``min_gain`` accuracy per
    unit of labeling cost (see the module docstring). Needs ``ActiveLoop(control=...)``.

    ``min_gain`` is in accuracy (0..1) per unit cost: with a cost of 1 per label,
    ``0.0005`` means "stop once 10 more labels are not expected to add half a point".
    Each fitted round's ``info["expected_gain"]`` holds the estimate, its upper bound,
    the gain per unit cost and the statement of confidence. The rule waits for
    ``min_items`` control items. The next batch is ``batch`` labels (default: the loop's
    batch size).

    >>> ExpectedGain(0.0005)
    ExpectedGain(min_gain=0.0005, confidence=0.9, cost_per_label=None, min_items=20, batch=None)
    """

    def __init__(self, min_gain: float, confidence: float = 0.9,
                 cost_per_label: float | None = None, min_items: int = 20,
                 batch: int | None = None) -> None:
        self.min_gain = check_number(min_gain, "min_gain", low=0)
        self.confidence = check_number(confidence, "confidence", 0.5, 0.999)
        self.cost_per_label = (None if cost_per_label is None
                               else check_number(cost_per_label, "cost_per_label", low=0))
        self.min_items = check_int(min_items, "min_items")
        self.batch = None if batch is None else check_int(batch, "batch")

    def _cost(self, loop: Any) -> float:
        if self.cost_per_label is not None:
            return self.cost_per_label
        n = loop.pool.n_labeled
        return loop.total_cost / n if loop.total_cost > 0 and n > 0 else 1.0

    def reason(self, loop: LoopState) -> str | None:
        control = getattr(loop, "control", None)
        if control is None:
            raise ActiveLabError(
                "the expected_gain stopping rule measures the gain on random control items; "
                "give the loop a control share, e.g. ActiveLoop(..., control=0.1)")
        if not loop.history or not loop.history[-1].model_fitted:
            return None
        curve = control.accuracy_curve()
        if len(curve) < self.min_items:
            return None
        record = loop.history[-1]
        batch = self.batch if self.batch is not None else int(getattr(loop, "batch_size", 10))
        found = expected_gain(curve, record.n_labeled, batch, self.confidence)
        if found is None:
            return None
        gain, upper = found
        per_cost = self._cost(loop) * batch
        statement = (f"with {100 * self.confidence:g}% confidence the next {batch} labels "
                     f"gain at most {100 * upper:.2f} accuracy points (expected "
                     f"{100 * gain:.2f}), {upper / per_cost:.2g} per unit cost")
        record.info["expected_gain"] = {
            "gain": gain, "upper": upper, "per_cost": gain / per_cost,
            "upper_per_cost": upper / per_cost, "items": len(curve), "statement": statement,
        }
        if upper / per_cost < self.min_gain:
            return f"{statement}, below {self.min_gain:g}: stop recommended"
        return None
