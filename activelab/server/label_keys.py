"""Which key labels what on the label page.

Every label has its number (1, 2, ...). With at most 9 labels a number key labels at
once; with more, the annotator types the number (shown on screen as it is typed) and
presses Enter, so that ``1`` never labels the first class before ``12`` could be typed.
A label may also have its own hotkey, from the project's ``label_config`` setting, which
refuses the keys the page uses for something else (digits, ``s``, ``u``, ``?``) and a
hotkey given twice.

>>> keys = label_keys(["pos", "neg"], {"label_config": {"labels": {"pos": {"hotkey": "p"}}}})
>>> [(k.number, k.name, k.hotkey) for k in keys]
[(1, 'pos', 'p'), (2, 'neg', None)]
>>> key_hint(keys, guess=True)
'Keys: 1–2 label (p for pos) · Enter accepts the model’s guess · ? unsure · s skip · u undo'
>>> key_hint(label_keys([f"c{i}" for i in range(12)], {}), guess=False)
'Keys: type a label’s number 1–12, then Enter · ? unsure · s skip · u undo'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..store.task_types import LabelConfig

__all__ = ["LabelKey", "key_hint", "label_keys"]


#: Up to this many labels, a number key labels at once.
MAX_SINGLE_KEY = 9


@dataclass(frozen=True)
class LabelKey:
    number: int
    name: str
    hotkey: str | None


def label_keys(labels: Sequence[str], settings: Mapping[str, Any]) -> list[LabelKey]:
    """The number and hotkey (or ``None``) of each label, in the project's label order;
    the hotkeys come from the project's label config
    (:class:`~activelab.store.task_types.LabelConfig`, which refuses the page's own keys)."""
    config = LabelConfig.from_json(settings.get("label_config"))
    return [LabelKey(number, name, info.hotkey if (info := config.labels.get(name)) else None)
            for number, name in enumerate(labels, start=1)]


def key_hint(keys: Sequence[LabelKey], guess: bool) -> str:
    """The line under the label page that says which key does what."""
    n = len(keys)
    if n <= MAX_SINGLE_KEY:
        parts = [f"Keys: 1–{n} label"]
    else:
        parts = [f"Keys: type a label’s number 1–{n}, then Enter"]
    hotkeys = [f"{k.hotkey} for {k.name}" for k in keys if k.hotkey]
    if hotkeys:
        parts[0] += f" ({', '.join(hotkeys)})"
    if guess:
        parts.append("Enter accepts the model’s guess" if n <= MAX_SINGLE_KEY
                     else "Enter with no number typed accepts the model’s guess")
    parts += ["? unsure", "s skip", "u undo"]
    return " · ".join(parts)
