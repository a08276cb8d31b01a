"""What an :class:`~activelab.ActiveLoop` records: one :class:`RoundRecord` per fit, in a
:class:`History`, and :func:`log_round`, a callback that logs each record.

``from activelab.loop import RoundRecord`` keeps working: the loop re-exports these names.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

__all__ = ["History", "RoundRecord", "format_seconds", "log_round"]


@dataclass
class RoundRecord:
    """One round: the model fit on ``n_labeled`` labels, its scores, and what it queried.

    ``labels_cost`` is what had been paid (labels and "unsure" answers) when the model was
    fit; ``cost`` is the cumulative cost once the round's query was answered.

    ``query_time`` is the seconds spent choosing the round's items. It is ``None`` for a
    round that asked nothing: the last round of a run (its fit is measured, then a
    stopping rule ends the loop before any query), and a round whose ask/tell caller
    never asked. Code that formats records must allow for that (:func:`format_seconds`).

    ``control`` holds the random-control estimates once the round's control items are
    labeled (``ActiveLoop(control=...)``, see :mod:`activelab.control`): the model's
    accuracy on the unlabeled pool and active learning's gain over random, each with its
    interval; ``None`` without a control share or before any control item is labeled.
    ``info`` holds the training policy's and stopping rules' notes, and the strategy's own
    ``Query.info`` under ``info["query"]`` (the ``auto`` strategy writes there which arm
    it chose and why).
    """

    round: int
    n_labeled: int
    metrics: dict[str, float]
    fit_time: float
    model_fitted: bool
    query_time: float | None = None
    query_ids: list[Any] = field(default_factory=list)
    strategy: str | None = None
    cost: float = 0.0
    stop_reason: str | None = None
    info: dict[str, Any] = field(default_factory=dict)
    labels_cost: float = 0.0
    control: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class History(list):
    """The list of :class:`RoundRecord`, one per fit, with a few helpers."""

    def curve(self, metric: str = "accuracy") -> np.ndarray:
        """``[[n_labeled, value], ...]`` for one metric."""
        rows = [[r.n_labeled, r.metrics[metric]] for r in self if metric in r.metrics]
        return np.array(rows, dtype=float).reshape(-1, 2)

    def cost_curve(self, metric: str = "accuracy") -> np.ndarray:
        """``[[cumulative cost of the labels, value], ...]`` for one metric."""
        rows = [[r.labels_cost, r.metrics[metric]] for r in self if metric in r.metrics]
        return np.array(rows, dtype=float).reshape(-1, 2)

    def to_dicts(self) -> list[dict[str, Any]]:
        return [r.to_dict() for r in self]


def format_seconds(seconds: float | None) -> str:
    """``"0.012s"``, or ``"-"`` for a time that was not measured (``None``).

    >>> format_seconds(0.0123), format_seconds(None)
    ('0.012s', '-')
    """
    return "-" if seconds is None else f"{seconds:.3f}s"


def log_round(loop: Any, record: RoundRecord) -> None:
    """A callback that logs each round to the ``activelab`` logger at INFO level.

    ``ActiveLoop(..., callbacks=[log_round])`` with ``logging.basicConfig(level="INFO")``.
    The fit is logged when it happens, before the round's query, so its query time is not
    known yet; the previous round's query time is logged with it.
    """
    metrics = ", ".join(f"{k}={v:.4f}" for k, v in record.metrics.items())
    history = getattr(loop, "history", [])
    previous = history[-2] if len(history) >= 2 and history[-1] is record else None
    query = "" if previous is None else f", previous query {format_seconds(previous.query_time)}"
    logging.getLogger("activelab").info(
        "round %d: %d labels, fit %s%s%s", record.round, record.n_labeled,
        format_seconds(record.fit_time), query, f", {metrics}" if metrics else "",
    )
