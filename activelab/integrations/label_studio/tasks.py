"""Label Studio's JSON, read and written: a task's text, an annotation's answer, a
prediction's result.

An answer is the label (classification), the tuple of labels (multi-label) or a tuple of
``(start, end, label)`` character spans (spans), as :class:`Interface` says.

>>> from activelab.integrations.label_studio.label_config import Interface
>>> face = Interface("multilabel", "topic", "text", "text", ("a", "b", "c"))
>>> annotation_answer({"result": [{"from_name": "topic", "type": "choices",
...                                 "value": {"choices": ["c", "a"]}}]}, face)
('a', 'c')
>>> prediction_result(face, ("b",), "some text")[0]["value"]
{'choices': ['b']}
"""

from __future__ import annotations

from typing import Any

from ...errors import ActiveLabError
from .label_config import Interface

__all__ = ["annotation_answer", "prediction_result", "task_id", "task_text"]


def task_id(task: Any) -> int:
    """The id of a task of a /predict or webhook request."""
    if not isinstance(task, dict) or not isinstance(task.get("id"), int):
        raise ActiveLabError("a task must be a JSON object with an integer 'id'")
    return int(task["id"])


def task_text(task: dict[str, Any], interface: Interface) -> str:
    """The text ``interface`` labels in ``task`` (``task["data"][data_key]``)."""
    data = task.get("data")
    if not isinstance(data, dict) or interface.data_key not in data:
        raise ActiveLabError(f"task {task.get('id')} has no data field {interface.data_key!r}, "
                             f"which <Text name=\"{interface.to_name}\"> shows")
    return str(data[interface.data_key])


def annotation_answer(annotation: dict[str, Any], interface: Interface) -> Any:
    """What ``annotation`` says for ``interface``; None when it says nothing (cancelled,
    empty, or only other controls)."""
    if not isinstance(annotation, dict) or annotation.get("was_cancelled"):
        return None
    items = [item for item in annotation.get("result") or []
             if isinstance(item, dict) and item.get("from_name") == interface.from_name]
    if interface.kind == "spans":
        spans = []
        for item in items:
            value = item.get("value") or {}
            for label in value.get("labels") or []:
                if label in interface.labels:
                    spans.append((int(value["start"]), int(value["end"]), str(label)))
        return tuple(sorted(spans)) if items else None
    chosen: set[str] = set()
    for item in items:
        chosen.update(str(c) for c in (item.get("value") or {}).get("choices") or [])
    unknown = chosen - set(interface.labels)
    if unknown:
        raise ActiveLabError(f"an annotation chose {', '.join(sorted(unknown))}, not among "
                             f"<{interface.from_name}>'s options {', '.join(interface.labels)}")
    ordered = tuple(label for label in interface.labels if label in chosen)
    if interface.kind == "multilabel":
        return ordered if items else None
    return ordered[0] if len(ordered) == 1 else None


def prediction_result(interface: Interface, guess: Any, text: str) -> list[dict[str, Any]]:
    """The ``result`` list of a prediction: ``guess`` in Label Studio's format."""
    base = {"from_name": interface.from_name, "to_name": interface.to_name,
            "type": interface.result_type}
    if interface.kind == "spans":
        return [{**base, "value": {"start": start, "end": end, "text": text[start:end],
                                   "labels": [label]}}
                for start, end, label in guess]
    choices = list(guess) if interface.kind == "multilabel" else [guess]
    return [{**base, "value": {"choices": choices}}]
