"""Oracles: whoever answers the label queries.

An oracle is anything with ``label(ids) -> Answers``. ``Answers`` says which ids got a
label, what the labels are, who answered, what it cost, which ids were skipped, and
whether the oracle wants to stop.

>>> import numpy as np
>>> from activelab.oracles import SimulatedOracle
>>> oracle = SimulatedOracle(np.array(["cat", "dog", "cat"]))
>>> oracle.label([2, 0]).labels.tolist()
['cat', 'cat']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from ..errors import ActiveLabError

__all__ = ["Answers", "Oracle"]


@dataclass(frozen=True)
class Answers:
    """What an oracle said about a batch of ids.

    ``ids``, ``labels``, ``costs`` and (when given) ``annotators``, ``times`` and
    ``rationales`` hold one entry per answered id. ``annotator`` names whoever answered
    everything (``None`` when several did: see ``annotators``). ``skipped`` are ids the
    oracle could not label; ``unsure`` are ids someone looked at and answered "not sure",
    which cost ``unsure_cost`` in all (``unsure_annotators`` says who, one per entry of
    ``unsure``; an id may be in ``unsure`` and also answered, by someone else). ``votes`` are the raw annotations behind
    aggregated labels (:class:`~activelab.oracles.aggregation.Votes`), and ``revised_ids`` /
    ``revised_labels`` are ids answered earlier whose aggregated label changed since.
    """

    ids: np.ndarray
    labels: np.ndarray
    annotator: str | None = None
    costs: np.ndarray = field(default_factory=lambda: np.zeros(0))
    skipped: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    stop: bool = False
    annotators: np.ndarray | None = None
    times: np.ndarray | None = None
    unsure: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    unsure_annotators: np.ndarray | None = None
    unsure_cost: float = 0.0
    rationales: Sequence[Any] | None = None
    votes: Any = None
    revised_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    revised_labels: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def __post_init__(self) -> None:
        if len(self.costs) == 0 and len(self.ids):
            object.__setattr__(self, "costs", np.ones(len(self.ids)))
        for name in ("annotators", "times", "rationales"):
            value = getattr(self, name)
            if value is not None and len(value) != len(self.ids):
                raise ActiveLabError(
                    f"Answers.{name} must hold one entry per answered id ({len(self.ids)}); "
                    f"got {len(value)}"
                )

    @property
    def total_cost(self) -> float:
        """What the batch cost: every label, plus the "unsure" answers."""
        return float(np.sum(self.costs)) + float(self.unsure_cost)

    def annotator_of_each(self) -> list[str | None]:
        """Who answered each id: ``annotators`` when given, else ``annotator`` for all."""
        if self.annotators is not None:
            return [None if a is None else str(a) for a in self.annotators]
        return [self.annotator] * len(self.ids)


@runtime_checkable
class Oracle(Protocol):
    """The oracle protocol: one method."""

    def label(self, ids: Sequence[Any] | np.ndarray) -> Answers: ...


