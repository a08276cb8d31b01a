"""Label Studio's task JSON, both ways: its export read as items and labels, and items,
labels and model predictions written as tasks Label Studio imports.

A task is ``{"id": 7, "data": {"text": "..."}, "annotations": [...], "predictions": [...]}``.
An annotation's ``result`` holds one ``choices`` region (``from_name`` the Choices tag,
``to_name`` the Text or Image tag, ``value.choices`` the label); ``completed_by`` is the
annotator's Label Studio user id and ``created_at`` an ISO 8601 time. A prediction has a
``score`` (Label Studio sorts tasks by it), a ``model_version`` and a result like an
annotation's.

Annotators are named ``label-studio-user-<id>`` here, so that writing the tasks back gives
``completed_by`` its number again; an annotator of activelab's own is written as
``created_username``. Ids that are not whole numbers travel in the task's ``meta``.

>>> tasks = [{"id": 3, "data": {"text": "great"}, "annotations": [{"completed_by": 1,
...           "created_at": "2024-05-01T10:00:00.250000Z", "result": [{"from_name": "s",
...           "to_name": "text", "type": "choices", "value": {"choices": ["pos"]}}]}]}]
>>> parsed = parse_tasks(tasks, "tasks.json")
>>> parsed.items, parsed.annotations[0].annotator, parsed.labels
([('3', 'great', 1)], 'label-studio-user-1', ['pos'])
>>> to_tasks(parsed.items[:1], parsed.annotations, {}, parsed.names)[0]["annotations"][0][
...     "created_at"]
'2024-05-01T10:00:00.250000Z'
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from ..errors import ActiveLabError

__all__ = ["LABEL_STUDIO_USER", "Annotation", "ParsedTasks", "Prediction", "TagNames",
           "from_iso", "parse_tasks", "to_iso", "to_tasks"]

#: How a Label Studio user id becomes an annotator name (and back).
LABEL_STUDIO_USER = "label-studio-user-{}"
_USER = re.compile(r"label-studio-user-(\d+)")
IMAGE_KEYS = ("image", "img")


@dataclass(frozen=True)
class TagNames:
    """Where the label goes in a result: the Choices tag (``from_name``), the tag it labels
    (``to_name``) and the task's data key holding the text or image path."""

    from_name: str = "label"
    to_name: str = "text"
    data_key: str = "text"


@dataclass(frozen=True)
class Annotation:
    """One annotation: a label (``kind="label"``) or a cancelled one (``kind="skip"``)."""

    external_id: str
    label: str | None
    annotator: str
    time: float | None
    kind: str = "label"


@dataclass(frozen=True)
class Prediction:
    """The model's guess for a task, with the score Label Studio sorts by."""

    label: str
    score: float
    model_version: str
    confidence: float | None = None


@dataclass
class ParsedTasks:
    """``items``: ``(external id, content, task number)``; ``labels``: in order of first use."""

    items: list[tuple[str, str, int]]
    annotations: list[Annotation]
    kind: str
    names: TagNames
    labels: list[str] = field(default_factory=list)


def parse_tasks(tasks: Any, source: str, text_column: str | None = None,
                image_column: str | None = None, id_column: str | None = None) -> ParsedTasks:
    """The items and labels of Label Studio's exported JSON (already decoded).

    The content is the data key ``text_column`` or ``image_column`` names, else the only
    key of ``data``, else ``text`` or ``image``. ``id_column`` names a data key holding
    the id (default: the task's ``id``, or ``meta.external_id``, else its position).
    """
    if isinstance(tasks, dict):
        tasks = [tasks]
    if not isinstance(tasks, list) or not tasks:
        raise ActiveLabError(f"{source}: Label Studio's JSON export is a list of tasks; "
                             "this file holds none")
    key, kind = _content_key(source, tasks, text_column, image_column)
    items: list[tuple[str, str, int]] = []
    annotations: list[Annotation] = []
    names: TagNames | None = None
    for number, task in enumerate(tasks, start=1):
        external_id = _external_id(source, task, number, id_column)
        content = task["data"].get(key)
        if not isinstance(content, (str, int, float)) or not str(content).strip():
            raise ActiveLabError(f"{source}: task {number} has no {key!r} in its data")
        items.append((external_id, str(content), number))
        for annotation in task.get("annotations") or []:
            parsed, tags = _annotation(source, number, external_id, annotation)
            annotations.append(parsed)
            names = names or (TagNames(tags[0], tags[1], key) if tags else None)
    labels = list(dict.fromkeys(a.label for a in annotations if a.label is not None))
    return ParsedTasks(items, annotations, kind, names or TagNames("label", key, key), labels)


def _content_key(source: str, tasks: list[Any], text_column: str | None,
                 image_column: str | None) -> tuple[str, str]:
    first = tasks[0]
    if not isinstance(first, dict) or not isinstance(first.get("data"), dict):
        raise ActiveLabError(
            f"{source}: the tasks have no \"data\" object, so this is not Label Studio's JSON "
            "export (export the project as JSON, or save the rows as .jsonl or .csv)")
    for number, task in enumerate(tasks, start=1):
        if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
            raise ActiveLabError(f"{source}: task {number} is not an object with a \"data\" "
                                 "object")
    if text_column is not None and image_column is not None:
        raise ActiveLabError("give at most one of --text-column or --image-column")
    keys = list(first["data"])
    if text_column or image_column:
        key = text_column or image_column
        if key not in keys:
            raise ActiveLabError(f"{source}: the tasks' data has no {key!r}; it has: "
                                 f"{', '.join(keys)}")
        return key, "image" if image_column else "text"
    if len(keys) == 1:
        key = keys[0]
    else:
        key = next((k for k in ("text", *IMAGE_KEYS) if k in keys), None)
        if key is None:
            raise ActiveLabError(f"{source}: the tasks' data has several keys ({', '.join(keys)})"
                                 "; name the content with --text-column or --image-column")
    return key, "image" if key in IMAGE_KEYS else "text"


def _external_id(source: str, task: dict[str, Any], number: int, id_column: str | None) -> str:
    if id_column is not None:
        value = task["data"].get(id_column)
        if value is None or not str(value).strip():
            raise ActiveLabError(f"{source}: task {number} has no {id_column!r} in its data")
        return str(value).strip()
    meta = task.get("meta")
    if isinstance(meta, dict) and meta.get("external_id") is not None:
        return str(meta["external_id"])
    return str(task["id"]) if task.get("id") is not None else str(number)


def _annotation(source: str, number: int, external_id: str,
                annotation: Any) -> tuple[Annotation, tuple[str, str] | None]:
    """One annotation, and its ``(from_name, to_name)`` when it holds a choice."""
    where = f"{source}: task {number}"
    if not isinstance(annotation, dict):
        raise ActiveLabError(f"{where}: an annotation is not an object")
    annotator = _annotator(annotation)
    time = from_iso(annotation["created_at"], where) if annotation.get("created_at") else None
    regions = annotation.get("result") or []
    if annotation.get("was_cancelled") or not regions:
        return Annotation(external_id, None, annotator, time, "skip"), None
    choices = [r for r in regions if isinstance(r, dict) and r.get("type") == "choices"]
    if not choices:
        kinds = sorted({str(r.get("type")) for r in regions if isinstance(r, dict)})
        raise ActiveLabError(f"{where}: its annotation holds {', '.join(kinds)} results; "
                             "activelab reads one label per task (a Choices tag)")
    chosen = (choices[0].get("value") or {}).get("choices") or []
    if len(choices) > 1 or len(chosen) != 1:
        raise ActiveLabError(f"{where}: its annotation picks {len(chosen)} choices; activelab "
                             "reads one label per task (Choices with choice=\"single\")")
    tags = (str(choices[0].get("from_name", "label")), str(choices[0].get("to_name", "text")))
    return Annotation(external_id, str(chosen[0]), annotator, time), tags


def _annotator(annotation: dict[str, Any]) -> str:
    user = annotation.get("completed_by")
    if isinstance(user, dict):
        user = user.get("email") or user.get("id")
        if isinstance(user, str):
            return user
    if isinstance(user, int) and not isinstance(user, bool):
        return LABEL_STUDIO_USER.format(user)
    name = annotation.get("created_username")
    return str(name) if name else "label-studio"


def from_iso(text: str, where: str = "") -> float:
    """Unix seconds of an ISO 8601 time (``Z`` or an offset; none means UTC)."""
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        raise ActiveLabError(f"{where}: {text!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def to_iso(seconds: float) -> str:
    """Unix seconds as Label Studio writes times: UTC, microseconds, ``Z``."""
    moment = datetime.fromtimestamp(seconds, tz=timezone.utc)
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


def to_tasks(items: Sequence[tuple[str, str, Any]], annotations: Sequence[Annotation],
             predictions: dict[str, Prediction], names: TagNames) -> list[dict[str, Any]]:
    """Tasks Label Studio imports: each item with its annotations and prediction.

    ``items`` are ``(external id, content, anything)``; ``predictions`` maps an external
    id to the model's :class:`Prediction`.
    """
    by_item: dict[str, list[Annotation]] = {}
    for annotation in annotations:
        by_item.setdefault(annotation.external_id, []).append(annotation)
    tasks = []
    for external_id, content, _ in items:
        task: dict[str, Any] = {"data": {names.data_key: content}}
        if external_id.isdigit() and str(int(external_id)) == external_id:
            task = {"id": int(external_id), **task}
        else:
            task["meta"] = {"external_id": external_id}
        task["annotations"] = [_annotation_json(a, names) for a in by_item.get(external_id, [])]
        prediction = predictions.get(external_id)
        task["predictions"] = [] if prediction is None else [_prediction_json(prediction, names)]
        tasks.append(task)
    return tasks


def _choice(label: str, names: TagNames) -> dict[str, Any]:
    return {"from_name": names.from_name, "to_name": names.to_name, "type": "choices",
            "value": {"choices": [label]}}


def _annotation_json(annotation: Annotation, names: TagNames) -> dict[str, Any]:
    out: dict[str, Any] = {
        "result": [] if annotation.label is None else [_choice(annotation.label, names)],
        "was_cancelled": annotation.kind == "skip"}
    number = _USER.fullmatch(annotation.annotator)
    if number:
        out["completed_by"] = int(number.group(1))
    else:
        out["created_username"] = annotation.annotator
    if annotation.time is not None:
        out["created_at"] = out["updated_at"] = to_iso(annotation.time)
    return out


def _prediction_json(prediction: Prediction, names: TagNames) -> dict[str, Any]:
    region = _choice(prediction.label, names)
    if prediction.confidence is not None:
        region["score"] = prediction.confidence
    return {"model_version": prediction.model_version, "score": prediction.score,
            "result": [region]}
