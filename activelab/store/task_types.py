"""The task types of a labeling project: what an answer is, how it is checked, shown and
resolved when several annotators answer the same item.

An answer is stored as one string (``Event.label``, ``Answer.label``):

* ``single``: the label's name, e.g. ``sport``;
* ``multi``: a JSON array of label names in the project's label order, ``[]`` when none
  apply, e.g. ``["sport","space"]``;
* ``rating``: the number as a decimal string, e.g. ``3.5``;
* ``spans``: a JSON array of ``[start, end, label]`` character offsets into the item's text,
  sorted, e.g. ``[[0,5,"PER"]]``.

>>> config = LabelConfig.from_json({"min": 1, "max": 5, "step": 0.5})
>>> task_type("rating").parse(" 3.50 ", ("",), config)
'3.5'
>>> task_type("multi").parse(["space", "sport"], ("sport", "food", "space"), config)
'["sport","space"]'
>>> task_type("multi").display('["sport","space"]')
'sport, space'
>>> task_type("spans").parse([[6, 11, "LOC"]], ("LOC",), config, text="Hello Paris")
'[[6,11,"LOC"]]'
>>> task_type("rating").resolve(["2", "3", "4"], config).value is None  # spread 2 > step
True
>>> task_type("multi").resolve(['["b"]', '["a","b"]', '["a","b"]'], config, ("a", "b")).value
'["a","b"]'
"""

from __future__ import annotations

import json
import math
import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from ..errors import ActiveLabError

__all__ = ["TASK_TYPES", "LabelConfig", "LabelInfo", "Resolution", "TaskType", "task_of",
           "task_type"]

#: The task types a project can have, in the order the docs list them.
TASK_TYPES = ("single", "multi", "rating", "spans")
#: Keys of the label page that no label's hotkey may take.
RESERVED_HOTKEYS = frozenset("0123456789sux?")
#: The colours labels get when the config names none (readable on white, distinct).
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b",
           "#e377c2", "#7f7f7f", "#bcbd22")


@dataclass(frozen=True)
class LabelInfo:
    """What the annotator sees of a label: its guidelines, colour and key."""

    description: str = ""
    color: str = ""
    hotkey: str = ""


@dataclass(frozen=True)
class LabelConfig:
    """Per label a :class:`LabelInfo`; for ratings the scale (``min``, ``max``, ``step``) and
    ``tolerance``, the widest spread of votes still resolved by their median."""

    labels: Mapping[str, LabelInfo] = field(default_factory=dict)
    min: float = 1.0
    max: float = 5.0
    step: float = 1.0
    tolerance: float | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> LabelConfig:
        """The config of ``--label-config`` (or of the project's settings); clear errors for
        unknown keys and wrong types."""
        data = dict(data or {})
        unknown = set(data) - {"labels", "min", "max", "step", "tolerance"}
        if unknown:
            raise ActiveLabError(f"the label config has unknown keys {sorted(unknown)}; "
                                 "it knows labels, min, max, step, tolerance")
        labels = data.get("labels") or {}
        if isinstance(labels, list):  # [{"name": ..., ...}, ...] keeps the order given
            labels = {str(entry.get("name", "")): entry for entry in labels
                      if isinstance(entry, dict)}
        if not isinstance(labels, dict):
            raise ActiveLabError("the label config's labels are an object {name: {description, "
                                 "color, hotkey}} or a list of {name, description, ...}")
        infos = {}
        for name, entry in labels.items():
            entry = {k: v for k, v in (entry or {}).items() if k != "name"}
            extra = set(entry) - {"description", "color", "hotkey"}
            if extra:
                raise ActiveLabError(f"label {name!r} in the label config has unknown keys "
                                     f"{sorted(extra)}; it knows description, color, hotkey")
            infos[str(name)] = LabelInfo(**{k: str(v) for k, v in entry.items()})
        numbers = {}
        for key in ("min", "max", "step", "tolerance"):
            value = data.get(key)
            if value is None:
                continue
            try:
                numbers[key] = float(value)
            except (TypeError, ValueError):
                raise ActiveLabError(f"the label config's {key} is a number; got {value!r}") \
                    from None
        return cls(labels=infos, **numbers).check()

    def check(self) -> LabelConfig:
        if not all(map(math.isfinite, (self.min, self.max, self.step))):
            raise ActiveLabError("the rating scale's min, max and step are finite numbers")
        if self.min >= self.max:
            raise ActiveLabError(f"the rating scale's min ({self.min:g}) must be below its max "
                                 f"({self.max:g})")
        if self.step <= 0:
            raise ActiveLabError(f"the rating scale's step must be positive; got {self.step:g}")
        if self.tolerance is not None and not self.tolerance >= 0:
            raise ActiveLabError("the rating tolerance is a number at least 0")
        keys = [info.hotkey for info in self.labels.values() if info.hotkey]
        if any(len(key) != 1 for key in keys):
            raise ActiveLabError(f"a hotkey is one character; got {keys}")
        if len(set(keys)) != len(keys):
            raise ActiveLabError(f"two labels share a hotkey: {keys}")
        reserved = set(keys) & RESERVED_HOTKEYS
        if reserved:
            raise ActiveLabError(f"hotkeys {sorted(reserved)} are taken (digits: the labels' "
                                 "numbers, s skip, u undo, ? unsure, x remove the last span); "
                                 "pick others")
        return self

    def to_json(self) -> dict[str, Any]:
        labels = {name: {k: v for k, v in vars(info).items() if v}
                  for name, info in self.labels.items()}
        out: dict[str, Any] = {"labels": labels, "min": self.min, "max": self.max,
                               "step": self.step}
        if self.tolerance is not None:
            out["tolerance"] = self.tolerance
        return out

    @property
    def spread_allowed(self) -> float:
        """The tolerance, one step by default."""
        return self.step if self.tolerance is None else self.tolerance

    def shown(self, labels: Sequence[str]) -> list[dict[str, str]]:
        """Each label with its description, colour and key (the config's, else a palette
        colour and its number, 1 to 9 then 0), for the label page."""
        out = []
        for i, name in enumerate(labels):
            info = self.labels.get(name, LabelInfo())
            key = info.hotkey or (str((i + 1) % 10) if i < 10 else "")
            out.append({"name": name, "description": info.description, "key": key,
                        "color": info.color or PALETTE[i % len(PALETTE)]})
        return out


@dataclass(frozen=True)
class Resolution:
    """Several annotators' votes as one answer: ``value`` (``None`` on a disagreement) and
    ``agreement``, the type's measure of how much the votes agree with it, 0..1."""

    value: str | None
    agreement: float


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _loads(raw: Any, what: str) -> Any:
    if not isinstance(raw, str):
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        raise ActiveLabError(f"{what}; got {raw[:80]!r}") from None


class TaskType:
    """A task type: parse and check an answer, show it, resolve votes, measure agreement."""

    name = "single"
    #: The model catalog (:mod:`activelab.models.catalog`) of the type's models.
    catalog = "classification"
    #: At least this many labels in ``--labels``.
    min_labels = 2

    def parse(self, raw: Any, labels: Sequence[str], config: LabelConfig,
              text: str | None = None) -> str:
        """The stored string of the answer ``raw`` (a form field, a JSON value); an error
        naming the problem when it does not fit the project."""
        value = str(raw) if not isinstance(raw, list) else raw
        if value not in labels:
            raise ActiveLabError(f"label {value!r} is not one of this project's labels: "
                                 f"{', '.join(labels)}")
        return str(value)

    def display(self, value: str | None, text: str | None = None) -> str:
        """The answer for humans."""
        return "" if value is None else value

    def resolve(self, votes: Sequence[str], config: LabelConfig,
                labels: Sequence[str] = ()) -> Resolution:
        """The unique most common vote, else a disagreement (``labels``: the project's, in
        order)."""
        counts = Counter(votes).most_common()
        if len(counts) > 1 and counts[0][1] == counts[1][1]:
            return Resolution(None, counts[0][1] / len(votes))
        return Resolution(counts[0][0], counts[0][1] / len(votes))

    def label_counts(self, values: Sequence[str], labels: Sequence[str]) -> dict[str, int]:
        """How often each label is used by the resolved ``values`` (the dashboard's
        labels per class)."""
        counts = Counter(values)
        return {label: counts.get(label, 0) for label in labels}

    def pair_agreement(self, a: str, b: str, config: LabelConfig) -> float:
        """How much two votes agree, 0..1 (here: equal or not)."""
        return float(a == b)

    #: The name of :meth:`agreement`'s measure on the dashboard.
    agreement_name = "Share of vote pairs that agree"

    def agreement(self, votes_by_item: Mapping[int, Sequence[str]],
                  config: LabelConfig) -> dict[str, Any]:
        """The mean of :meth:`pair_agreement` over every pair of votes on the same item:
        ``{"measure", "value" (None without pairs), "n_items"}``."""
        scores = [self.pair_agreement(a, b, config) for votes in votes_by_item.values()
                  for a, b in combinations(votes, 2)]
        n_items = sum(1 for votes in votes_by_item.values() if len(votes) > 1)
        return {"measure": self.agreement_name, "n_items": n_items,
                "value": round(statistics.fmean(scores), 4) if scores else None}


class MultiLabel(TaskType):
    """Several labels per item, a JSON array in label order; resolved label by label, by
    majority (half the votes is a tie: a disagreement)."""

    name = "multi"
    catalog = "multilabel"
    agreement_name = "Mean Jaccard similarity of vote pairs"

    def parse(self, raw: Any, labels: Sequence[str], config: LabelConfig,
              text: str | None = None) -> str:
        chosen = _loads(raw, 'a multi-label answer is a JSON array of labels, e.g. '
                             '["a","b"], or [] when none apply')
        if not isinstance(chosen, list) or not all(isinstance(x, str) for x in chosen):
            raise ActiveLabError("a multi-label answer is a list of label names, e.g. "
                                 f'["{labels[0]}"], or [] when none apply')
        unknown = [x for x in chosen if x not in labels]
        if unknown:
            raise ActiveLabError(f"{unknown} are not labels of this project: "
                                 f"{', '.join(labels)}")
        if len(set(chosen)) != len(chosen):
            raise ActiveLabError(f"the answer names a label twice: {chosen}")
        return _json([label for label in labels if label in chosen])

    def display(self, value: str | None, text: str | None = None) -> str:
        if value is None:
            return ""
        chosen = json.loads(value)
        return ", ".join(chosen) if chosen else "(none)"

    def resolve(self, votes: Sequence[str], config: LabelConfig,
                labels: Sequence[str] = ()) -> Resolution:
        sets = [json.loads(v) for v in votes]
        named = list(dict.fromkeys(label for s in sets for label in s))
        order = [label for label in labels if label in named] or named
        counts = Counter(label for s in sets for label in s)
        if any(2 * counts[label] == len(sets) for label in order):
            return Resolution(None, self._mean_jaccard(votes))
        value = _json([label for label in order if 2 * counts[label] > len(sets)])
        return Resolution(value, statistics.fmean(self.pair_agreement(value, v, config)
                                                  for v in votes))

    def label_counts(self, values: Sequence[str], labels: Sequence[str]) -> dict[str, int]:
        counts = Counter(label for value in values for label in json.loads(value))
        return {label: counts.get(label, 0) for label in labels}

    def _mean_jaccard(self, votes: Sequence[str]) -> float:
        pairs = [self.pair_agreement(a, b, LabelConfig()) for a, b in combinations(votes, 2)]
        return statistics.fmean(pairs) if pairs else 1.0

    def pair_agreement(self, a: str, b: str, config: LabelConfig) -> float:
        left, right = set(json.loads(a)), set(json.loads(b))
        union = left | right
        return len(left & right) / len(union) if union else 1.0


def _number(value: float) -> str:
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


class Rating(TaskType):
    """A number on the scale ``min..max`` by ``step``; resolved by the median, a
    disagreement when the votes spread wider than the tolerance."""

    name = "rating"
    catalog = "regression"
    min_labels = 0
    agreement_name = "Share of vote pairs within the tolerance"

    def parse(self, raw: Any, labels: Sequence[str], config: LabelConfig,
              text: str | None = None) -> str:
        try:
            number = float(str(raw).strip()) if not isinstance(raw, bool) else math.nan
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            raise ActiveLabError(f"a rating is a number from {config.min:g} to {config.max:g}; "
                                 f"got {str(raw)[:40]!r}")
        if not config.min <= number <= config.max:
            raise ActiveLabError(f"the rating {number:g} is outside the scale {config.min:g} "
                                 f"to {config.max:g}")
        steps = (number - config.min) / config.step
        if abs(steps - round(steps)) > 1e-6:
            raise ActiveLabError(f"the rating {number:g} is not on the scale's steps of "
                                 f"{config.step:g} from {config.min:g}")
        return _number(config.min + round(steps) * config.step)

    def resolve(self, votes: Sequence[str], config: LabelConfig,
                labels: Sequence[str] = ()) -> Resolution:
        numbers = [float(v) for v in votes]
        share = self._share_within(numbers, config)
        if max(numbers) - min(numbers) > config.spread_allowed + 1e-9:
            return Resolution(None, share)
        return Resolution(_number(statistics.median(numbers)), share)

    def label_counts(self, values: Sequence[str], labels: Sequence[str]) -> dict[str, int]:
        """Items per rating, lowest first."""
        counts = Counter(values)
        return {value: counts[value] for value in sorted(counts, key=float)}

    def _share_within(self, numbers: list[float], config: LabelConfig) -> float:
        pairs = [abs(a - b) <= config.spread_allowed + 1e-9 for a, b in combinations(numbers, 2)]
        return statistics.fmean(pairs) if pairs else 1.0

    def pair_agreement(self, a: str, b: str, config: LabelConfig) -> float:
        return self._share_within([float(a), float(b)], config)


class Spans(TaskType):
    """Spans of the item's text tagged with labels; the exact set of spans most votes
    give (a tie is a disagreement). Pairs agree by span F1 (exact start, end and label)."""

    name = "spans"
    catalog = "spans"
    min_labels = 1
    agreement_name = "Mean span F1 of vote pairs"

    def parse(self, raw: Any, labels: Sequence[str], config: LabelConfig,
              text: str | None = None) -> str:
        spans = _loads(raw, 'a spans answer is a JSON array of [start, end, label], e.g. '
                            '[[0,5,"PER"]], or [] when the text has none')
        if not isinstance(spans, list) or not all(
                isinstance(s, (list, tuple)) and len(s) == 3 and isinstance(s[2], str)
                and all(isinstance(x, int) and not isinstance(x, bool) for x in s[:2])
                for s in spans):
            raise ActiveLabError('a spans answer is a list of [start, end, label] with integer '
                                 'character offsets, e.g. [[0,5,"PER"]]')
        size = len(text) if text is not None else None
        for start, end, label in spans:
            if label not in labels:
                raise ActiveLabError(f"span label {label!r} is not one of this project's "
                                     f"labels: {', '.join(labels)}")
            if not 0 <= start < end or (size is not None and end > size):
                raise ActiveLabError(f"the span [{start}, {end}] is not inside the text "
                                     f"(0 to {size}) or is empty")
        ordered = sorted((s, e, label) for s, e, label in spans)
        for (s1, e1, _l1), (s2, e2, _l2) in zip(ordered, ordered[1:]):
            if s2 < e1:
                raise ActiveLabError(f"the spans [{s1}, {e1}] and [{s2}, {e2}] overlap; "
                                     "remove one of them")
        return _json([list(span) for span in ordered])

    def label_counts(self, values: Sequence[str], labels: Sequence[str]) -> dict[str, int]:
        """Spans per label."""
        counts = Counter(span[2] for value in values for span in json.loads(value))
        return {label: counts.get(label, 0) for label in labels}

    def display(self, value: str | None, text: str | None = None) -> str:
        if value is None:
            return ""
        spans = json.loads(value)
        if not spans:
            return "(no spans)"
        if text is None:
            return "; ".join(f"{label} {s}-{e}" for s, e, label in spans)
        return "; ".join(f"{text[s:e]} ({label})" for s, e, label in spans)

    def pair_agreement(self, a: str, b: str, config: LabelConfig) -> float:
        left = {tuple(s) for s in json.loads(a)}
        right = {tuple(s) for s in json.loads(b)}
        if not left and not right:
            return 1.0
        return 2 * len(left & right) / (len(left) + len(right))


_TYPES: dict[str, TaskType] = {t.name: t for t in (TaskType(), MultiLabel(), Rating(),
                                                    Spans())}


def task_type(name: str) -> TaskType:
    """The task type named ``name``; an error listing the types for an unknown one."""
    try:
        return _TYPES[name]
    except KeyError:
        raise ActiveLabError(f"unknown task type {name!r}; choose one of "
                             f"{', '.join(TASK_TYPES)}") from None


def task_of(settings: Mapping[str, Any]) -> tuple[TaskType, LabelConfig]:
    """The task type and label config of a project's stored settings (single choice for a
    project made before task types)."""
    return task_type(settings.get("task") or "single"), \
        LabelConfig.from_json(settings.get("label_config"))
