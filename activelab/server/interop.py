"""A labeling project exported for other tools: Label Studio tasks (annotations and the
model's predictions) and a Hugging Face dataset (``ClassLabel`` labels).

The predictions come from the project's own loop (:func:`~activelab.server.project_loop.
build_loop`: its model, strategy, training policy and seed) fit on the project's resolved
labels: each unlabeled item gets the model's guess, its probability, and the strategy's
score, higher for the items the strategy would ask first, so Label Studio can sort its
task list by it.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from ..data.label_studio import Annotation, Prediction, TagNames, parse_tasks, to_tasks
from ..errors import ActiveLabError

__all__ = ["hf_dataset", "label_studio_tasks", "project_predictions"]


def label_studio_tasks(store: Any, name: str, from_name: str | None = None,
                       to_name: str | None = None,
                       predictions: bool = True) -> list[dict[str, Any]]:
    """Every item of project ``name`` as a Label Studio task: its current answers (labels,
    cancelled skips, reviewers' resolutions) with annotator and time, and the model's
    prediction when ``predictions`` and the project has two classes labeled.

    ``from_name`` and ``to_name`` default to those of the Label Studio export the project
    was made from, when it still exists; else ``label`` and the item kind."""
    info = store.project_info(name)
    _single_choice_only(info, "label-studio")
    names = _source_names(info)
    names = replace(names, from_name=from_name or names.from_name,
                    to_name=to_name or names.to_name)
    answers = [Annotation(row["external_id"], row["label"], row["annotator"], row["time"],
                          "label" if row["kind"] in ("label", "resolve") else "skip")
               for row in store.answer_details(name)]
    guesses = project_predictions(store, name) if predictions else {}
    items = [(external, content, item_id) for item_id, external, content in store.items(name)]
    return to_tasks(items, answers, guesses, names)


def _single_choice_only(info: dict[str, Any], fmt: str) -> None:
    task = info["settings"].get("task", "single")
    if task != "single":
        raise ActiveLabError(f"--format {fmt} exports single-choice projects; project "
                             f"{info['name']!r} is a {task} project: use --format csv or jsonl")


def _source_names(info: dict[str, Any]) -> TagNames:
    kind = info["item_kind"]
    source = Path(info["source"])
    if source.suffix.lower() == ".json" and source.is_file():
        try:
            return parse_tasks(json.loads(source.read_text(encoding="utf-8-sig")),
                               source.name).names
        except (ActiveLabError, ValueError, OSError):
            pass
    return TagNames("label", kind, kind)


def project_predictions(store: Any, name: str) -> dict[str, Prediction]:
    """External id -> the model's :class:`Prediction` for every unlabeled item (empty
    until two classes are labeled)."""
    from .features import featurize
    from .project_loop import build_loop

    info = store.project_info(name)
    settings = replace(store.settings_of(name), control=0.0)  # scores: the strategy's only
    rows = store.items(name)
    resolved = {item: entry["label"] for item, entry in store.resolved_labels(name).items()
                if entry["label"] is not None and entry["status"] != "pending"}
    if len(set(resolved.values())) < 2:
        return {}
    features = featurize([content for _i, _e, content in rows], info["item_kind"],
                         Path(info["source"]).parent)
    item_ids = np.array([item for item, _e, _c in rows])
    loop = build_loop(settings, features, item_ids)
    loop.pool.add_labels(list(resolved), list(resolved.values()))
    if loop.pool.n_unlabeled == 0:
        return {}
    query = loop.ask(batch_size=loop.pool.n_unlabeled)
    items = loop.pool.items(query.ids)
    proba = np.asarray(loop.model.predict_proba(items))
    best = proba.argmax(axis=1)
    classes = np.asarray(loop.model.classes_)
    external = {item: ext for item, ext, _c in rows}
    version = (f"activelab {settings.model} + {query.strategy or settings.strategy}, "
               f"{len(resolved)} labels")
    return {external[int(item)]: Prediction(str(classes[b]), float(score), version,
                                            round(float(proba[n, b]), 6))
            for n, (item, score, b) in enumerate(zip(query.ids, query.scores, best))}


def hf_dataset(store: Any, name: str) -> Any:
    """Project ``name`` as a ``datasets.Dataset``: ``id``, the content (``text`` or
    ``image``), ``label`` (a ``ClassLabel`` of the project's labels; -1 where unlabeled),
    and the ``annotator`` and ``labeled_at`` time of the answer that gave the label."""
    from ..data.hf import labeled_dataset

    info = store.project_info(name)
    _single_choice_only(info, "hf")
    resolved = store.resolved_labels(name)
    given: dict[str, dict[str, Any]] = {}
    for row in store.answer_details(name):  # oldest first: the latest answer wins
        if row["kind"] in ("label", "resolve"):  # not a skip or an "unsure"
            given.setdefault(row["external_id"], {})[row["label"]] = row
    ids, contents, labels, annotators, times = [], [], [], [], []
    for item_id, external, content in store.items(name):
        entry = resolved.get(item_id)
        label = None if entry is None or entry["status"] == "pending" else entry["label"]
        source = given.get(external, {}).get(label) if label is not None else None
        ids.append(external)
        contents.append(content)
        labels.append(label)
        annotators.append(source["annotator"] if source else None)
        times.append(source["time"] if source else None)
    return labeled_dataset(ids, {info["item_kind"]: contents}, labels, info["labels"],
                           annotators, times)
