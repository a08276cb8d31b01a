"""Which key labels what on the label page.

Every label has its number (1, 2, ...). With at most 9 labels a number key labels at
once; with more, the annotator types the number (shown on screen as it is typed) and
presses Enter, so that ``1`` never labels the first class before ``12`` could be typed.
A label may also have its own hotkey, from the project's ``label_config`` setting; keys
the page uses for something else (digits, ``s``, ``u``, ``?``, Enter) and a hotkey given
twice are not used.

>>> keys = label_keys(["pos", "neg"], {"label_config": {"pos": {"hotkey": "p"}}})
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

__all__ = ["RESERVED_KEYS", "LabelKey", "key_hint", "label_keys"]

#: Keys of the label page that a label's hotkey may not take.
RESERVED_KEYS = frozenset("0123456789su?") | {"Enter", "Escape", "Backspace", " "}

#: Up to this many labels, a number key labels at once.
MAX_SINGLE_KEY = 9


@dataclass(frozen=True)
class LabelKey:
    number: int
    name: str
    hotkey: str | None


def _configured_hotkeys(config: Any) -> dict[str, str]:
    """``{label: hotkey}`` from a label config in any of the shapes it may take:
    ``{"labels": [{"name", "hotkey"}, ...]}``, ``[{"name", "hotkey"}, ...]``,
    ``{"hotkeys": {label: key}}`` or ``{label: {"hotkey": key}}``; anything else: none."""
    if isinstance(config, Mapping) and isinstance(config.get("hotkeys"), Mapping):
        return {str(k): str(v) for k, v in config["hotkeys"].items()}
    entries = config.get("labels") if isinstance(config, Mapping) else config
    if isinstance(entries, Sequence) and not isinstance(entries, str):
        return {str(e["name"]): str(e["hotkey"]) for e in entries
                if isinstance(e, Mapping) and e.get("name") is not None and e.get("hotkey")}
    if isinstance(config, Mapping):
        return {str(name): str(entry["hotkey"]) for name, entry in config.items()
                if isinstance(entry, Mapping) and entry.get("hotkey")}
    return {}


def label_keys(labels: Sequence[str], settings: Mapping[str, Any]) -> list[LabelKey]:
    """The number and hotkey (or ``None``) of each label, in the project's label order."""
    wanted = _configured_hotkeys(settings.get("label_config") or {})
    taken: set[str] = set()
    keys = []
    for number, name in enumerate(labels, start=1):
        hotkey = wanted.get(name)
        if hotkey is None or len(hotkey) != 1 or hotkey in RESERVED_KEYS or hotkey in taken:
            hotkey = None
        else:
            taken.add(hotkey)
        keys.append(LabelKey(number, name, hotkey))
    return keys


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
