"""Stopping rules: when the loop stops asking for labels.

A rule looks at the loop after each fit and evaluation. :meth:`StoppingRule.reason`
returns why to stop (or ``None``), and :meth:`StoppingRule.remaining` how many more
labels it allows (or ``None`` for no limit), so the last batch never overshoots a budget.

>>> from activelab.stopping import LabelBudget, TargetScore
>>> rules = [LabelBudget(200), TargetScore(0.95, metric="accuracy")]
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from .errors import ActiveLabError
from .validation import check_int

if TYPE_CHECKING:
    from .loop import ActiveLoop

__all__ = ["LabelBudget", "StoppingRule", "TargetScore"]


class StoppingRule:
    """Base class of stopping rules."""

    def reason(self, loop: ActiveLoop) -> str | None:
        """Why the loop should stop now, or ``None`` to go on."""
        return None

    def remaining(self, loop: ActiveLoop) -> int | None:
        """How many more labels this rule allows; ``None`` for no limit."""
        return None

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({params})"


class LabelBudget(StoppingRule):
    """Stop once the pool holds ``max_labels`` labels (the initial ones included)."""

    def __init__(self, max_labels: int) -> None:
        self.max_labels = check_int(max_labels, "max_labels")

    def remaining(self, loop: ActiveLoop) -> int:
        return max(self.max_labels - loop.pool.n_labeled, 0)

    def reason(self, loop: ActiveLoop) -> str | None:
        if self.remaining(loop) == 0:
            return f"label budget of {self.max_labels} reached"
        return None


class TargetScore(StoppingRule):
    """Stop once ``metric`` on the evaluation set reaches ``target``."""

    def __init__(self, target: float, metric: str = "accuracy") -> None:
        if not isinstance(target, (int, float)) or not math.isfinite(target):
            raise ActiveLabError(f"target must be a finite number; got {target!r}")
        self.target = target
        self.metric = metric

    def reason(self, loop: ActiveLoop) -> str | None:
        if loop.eval_set is None or self.metric not in loop.metric_names:
            raise ActiveLabError(
                f"TargetScore watches {self.metric!r}, which the loop does not measure; "
                f"pass metrics=[{self.metric!r}] and an eval_set to ActiveLoop"
            )
        if not loop.history or self.metric not in loop.history[-1].metrics:
            return None  # nothing measured yet: the model could not be fit
        value = loop.history[-1].metrics[self.metric]
        if value >= self.target:
            return f"{self.metric} {value:.4f} reached the target {self.target}"
        return None
