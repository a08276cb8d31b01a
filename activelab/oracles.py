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

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TextIO, runtime_checkable

import numpy as np
import scipy.sparse as sp

from .errors import ActiveLabError
from .pool import IdIndex, Pool, to_python

__all__ = ["Answers", "ConsoleOracle", "Oracle", "SimulatedOracle"]


@dataclass(frozen=True)
class Answers:
    """What an oracle said about a batch of ids.

    ``ids``, ``labels``, ``costs`` and (when given) ``annotators``, ``times`` and
    ``rationales`` hold one entry per answered id. ``annotator`` names whoever answered
    everything (``None`` when several did: see ``annotators``). ``skipped`` are ids the
    oracle could not label; ``unsure`` are ids someone looked at and answered "not sure",
    which cost ``unsure_cost`` in all (``unsure_annotators`` says who, one per entry of
    ``unsure``; an id may be in ``unsure`` and also answered, by someone else). ``votes`` are the raw annotations behind
    aggregated labels (:class:`~activelab.aggregation.Votes`), and ``revised_ids`` /
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


class SimulatedOracle:
    """Answers from known labels: the oracle of every benchmark.

    Parameters
    ----------
    labels : array-like
        The true label of every item.
    ids : array-like, optional
        The id of each label; defaults to ``0..n-1``, which matches a :class:`Pool`
        built without ids.
    name : str
        Recorded as the annotator of every answer.
    cost_per_label : float
        Recorded as the cost of every answer.
    """

    def __init__(
        self,
        labels: Sequence[Any] | np.ndarray,
        ids: Sequence[Any] | np.ndarray | None = None,
        name: str = "simulated",
        cost_per_label: float = 1.0,
    ) -> None:
        self.labels = np.asarray(labels)
        self.ids = ids
        self.name = name
        self.cost_per_label = cost_per_label
        if self.labels.ndim == 0:
            raise ActiveLabError("SimulatedOracle needs one label per item; got a single value")
        self._index = IdIndex(ids, len(self.labels), owner="oracle's labels")

    def label(self, ids: Sequence[Any] | np.ndarray) -> Answers:
        ids = np.asarray(ids)
        labels = self.labels[self._index.positions(ids)]
        return Answers(
            ids=ids,
            labels=labels,
            annotator=self.name,
            costs=np.full(len(ids), float(self.cost_per_label)),
        )


def describe_item(item: Any) -> str:
    """A short text for showing one item to a person."""
    if isinstance(item, str):
        return item
    if sp.issparse(item):
        item = item.toarray().ravel()
    if hasattr(item, "to_string"):
        return item.to_string()
    if isinstance(item, np.ndarray):
        return np.array2string(item.ravel(), precision=4, threshold=40, max_line_width=100)
    return repr(item)


class ConsoleOracle:
    """Asks a person at the terminal.

    For each item it shows the item and reads a label. The person may type a label
    (or, when no class reads as a number, its number in ``classes``), ``s`` to skip the item, or ``q`` to stop; on ``q``
    (or the end of input) the labels given so far are kept.

    Parameters
    ----------
    pool : Pool
        Where the items are shown from.
    classes : sequence, optional
        The allowed labels. When given, answers are checked against them and a number
        ``1..len(classes)`` picks one; when not, any non-empty text is a label.
    show : callable, optional
        ``show(item) -> str``, how an item is displayed. Defaults to :func:`describe_item`.
    input, output :
        Where answers are read from and prompts written to (``input()`` and stdout by
        default); tests pass their own.

    >>> import io, numpy as np
    >>> from activelab import Pool
    >>> from activelab.oracles import ConsoleOracle
    >>> pool = Pool(["good film", "dull film"])
    >>> answers = iter(["pos", "2"])
    >>> oracle = ConsoleOracle(pool, classes=["pos", "neg"], input=lambda _: next(answers),
    ...                        output=io.StringIO())
    >>> oracle.label([0, 1]).labels.tolist()
    ['pos', 'neg']
    """

    def __init__(
        self,
        pool: Pool,
        classes: Sequence[Any] | None = None,
        show: Callable[[Any], str] | None = None,
        input: Callable[[str], str] | None = None,
        output: TextIO | None = None,
        name: str = "console",
    ) -> None:
        self.pool = pool
        self.classes = classes
        self.show = show
        self.input = input
        self.output = output
        self.name = name

    def label(self, ids: Sequence[Any] | np.ndarray) -> Answers:
        ids = np.asarray(ids)
        read = self.input or input
        out = self.output or sys.stdout
        show = self.show or describe_item
        answered: list[int] = []
        labels: list[Any] = []
        skipped: list[int] = []
        stop = False
        for i, item_id in enumerate(ids):
            item = self.pool.items([item_id])
            item = item[0] if isinstance(item, list) else item
            out.write(f"\n[{i + 1}/{len(ids)}] id {to_python(item_id)!r}\n{show(item)}\n")
            answer = self._ask(read, out)
            if answer is None:
                stop = True
                break
            if answer is _SKIP:
                skipped.append(i)
                continue
            answered.append(i)
            labels.append(answer)
        return Answers(
            ids=ids[answered],
            labels=np.array(labels) if labels else np.array([], dtype=object),
            annotator=self.name,
            skipped=ids[skipped],
            stop=stop,
        )

    @property
    def _numbered(self) -> bool:
        """Numbers pick classes only when no class itself reads as a number."""
        return self.classes is not None and not any(
            _reads_as_number(str(c)) for c in self.classes
        )

    def _prompt(self) -> str:
        if self.classes is None:
            return "label (s = skip, q = quit): "
        if self._numbered:
            choices = ", ".join(f"{n}={c}" for n, c in enumerate(self.classes, start=1))
        else:
            choices = ", ".join(map(str, self.classes))
        return f"label [{choices}] (s = skip, q = quit): "

    def _ask(self, read: Callable[[str], str], out: TextIO) -> Any:
        while True:
            try:
                text = read(self._prompt()).strip()
            except EOFError:
                return None
            if text.lower() == "q":
                return None
            if text.lower() == "s":
                return _SKIP
            label = self._parse(text)
            if label is not _INVALID:
                return label
            allowed = ", ".join(map(str, self.classes or []))
            out.write(f"'{text}' is not a label; type one of: {allowed}, or s / q\n")

    def _parse(self, text: str) -> Any:
        if not text:
            return _INVALID
        if self.classes is None:
            return text
        for cls in self.classes:
            if str(cls) == text:
                return cls
        if self._numbered and text.isdigit() and 1 <= int(text) <= len(self.classes):
            return self.classes[int(text) - 1]
        return _INVALID


def _reads_as_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


_SKIP = object()
_INVALID = object()
