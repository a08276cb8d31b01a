"""ConsoleOracle: asks a person at the terminal."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any, TextIO

import numpy as np
import scipy.sparse as sp

from ..pool import Pool, to_python
from .base import Answers, LabelRequest

__all__ = ["ConsoleOracle", "describe_item"]


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

    def label(self, request: LabelRequest | Sequence[Any] | np.ndarray) -> Answers:
        ids = LabelRequest.of(request).ids
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
