"""Hugging Face ``datasets``, both ways (needs ``pip install 'activelab[hf]'``).

A labeled table as a ``datasets.Dataset``: an ``id`` column (strings), the content columns,
``label`` as a ``ClassLabel`` (-1 where an item has no label yet), and who labeled each
item and when (``annotator``, ``labeled_at``: a UTC timestamp). ``save_to_disk`` writes
it; ``activelab serve --data DIR``, ``activelab query --data DIR`` and
``Pool.from_dataset`` read it back.

>>> from activelab import Pool
>>> dataset = labeled_dataset(["a", "b", "c"], {"x": [0.0, 1.0, 2.0]}, ["neg", None, "pos"],
...                           ["neg", "pos"], ["ann", None, "bob"], [1.5e9, None, 1.6e9])
>>> dataset.features["label"].names, list(dataset["label"])
(['neg', 'pos'], [0, -1, 1])
>>> pool = Pool.from_dataset(dataset)
>>> pool.labeled_ids.tolist(), pool.events[0].annotator
(['a', 'c'], 'ann')
>>> list(pool_to_dataset(pool, {"x": [0.0, 1.0, 2.0]}, ["neg", "pos"])["annotator"])
['ann', None, 'bob']
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

import numpy as np

from ..errors import ActiveLabError

__all__ = ["ANNOTATOR_COLUMN", "ID_COLUMN", "LABEL_COLUMN", "TIME_COLUMN", "labeled_dataset",
           "labeled_rows", "pool_parts", "pool_to_dataset", "require_datasets"]

ID_COLUMN, LABEL_COLUMN, ANNOTATOR_COLUMN, TIME_COLUMN = "id", "label", "annotator", "labeled_at"


def require_datasets() -> Any:
    """The ``datasets`` module, or a clear error saying how to install it."""
    try:
        import datasets
    except ImportError as err:
        raise ActiveLabError("Hugging Face datasets support needs the datasets package: "
                             "pip install 'activelab[hf]'") from err
    return datasets


def labeled_dataset(ids: Sequence[Any], columns: dict[str, Sequence[Any]],
                    labels: Sequence[str | None], label_names: Sequence[str],
                    annotators: Sequence[str | None], times: Sequence[float | None]) -> Any:
    """A ``datasets.Dataset`` of ids, content ``columns``, a ``ClassLabel`` label (-1: none
    yet), annotators and label times (Unix seconds, kept to the microsecond)."""
    datasets = require_datasets()
    names = [str(name) for name in label_names]
    index = {name: i for i, name in enumerate(names)}
    unknown = sorted({str(label) for label in labels if label is not None} - set(index))
    if unknown:
        raise ActiveLabError(f"labels {unknown} are not among the label names {names}")
    features = {ID_COLUMN: datasets.Value("string")}
    for name, values in columns.items():
        features[name] = datasets.Value("string") if values and isinstance(values[0], str) \
            else datasets.Value("float64")
    features[LABEL_COLUMN] = datasets.ClassLabel(names=names)
    features[ANNOTATOR_COLUMN] = datasets.Value("string")
    features[TIME_COLUMN] = datasets.Value("timestamp[us, tz=UTC]")
    data = {ID_COLUMN: [str(i) for i in ids], **{k: list(v) for k, v in columns.items()},
            LABEL_COLUMN: [-1 if label is None else index[str(label)] for label in labels],
            ANNOTATOR_COLUMN: list(annotators),
            TIME_COLUMN: [None if t is None else datetime.fromtimestamp(t, tz=timezone.utc)
                          for t in times]}
    return datasets.Dataset.from_dict(data, features=datasets.Features(features))


def pool_parts(dataset: Any, label: str = LABEL_COLUMN, id: str | None = ID_COLUMN,
               features: Sequence[str] | None = None) -> dict[str, Any]:
    """What :meth:`activelab.Pool.from_dataset` builds a pool from: ``X`` (a 2-D array of
    the numeric ``features``, or the texts of one string column), ``ids``, and the labeled
    items' ``labeled_ids``, ``labels``, ``annotators`` and ``times``."""
    columns = list(dataset.column_names)
    for name in [label, *(features or [])] + ([id] if id in columns else []):
        if name not in columns:
            raise ActiveLabError(f"the dataset has no column {name!r}; it has: "
                                 f"{', '.join(columns)}")
    skip = {label, id, ANNOTATOR_COLUMN, TIME_COLUMN}
    features = list(features) if features is not None else [c for c in columns if c not in skip]
    if not features:
        raise ActiveLabError("the dataset has no feature columns; name them with features=")
    X = _features(dataset, features)
    ids = np.asarray(list(dataset[id])) if id in columns else None
    rows = labeled_rows(dataset, label)
    at = [row for row, _, _, _ in rows]
    return {"X": X, "ids": ids,
            "labeled_ids": (ids if ids is not None else np.arange(len(dataset)))[at],
            "labels": [r[1] for r in rows], "annotators": [r[2] for r in rows],
            "times": [r[3] for r in rows]}


def labeled_rows(dataset: Any, label: str = LABEL_COLUMN) -> list[tuple[int, Any, Any, Any]]:
    """``(row, label, annotator, time)`` of every labeled row: the label as a name (a
    ``ClassLabel`` of -1, a missing or a blank value is no label), its ``annotator`` and
    ``labeled_at`` (Unix seconds) where the dataset has those columns, else None."""
    columns = list(dataset.column_names)
    labels = _label_names(dataset, label)
    nothing = [None] * len(labels)
    annotators = list(dataset[ANNOTATOR_COLUMN]) if ANNOTATOR_COLUMN in columns else nothing
    times = list(dataset[TIME_COLUMN]) if TIME_COLUMN in columns else nothing
    return [(row, value, annotators[row], _seconds(times[row]))
            for row, value in enumerate(labels) if value is not None]


def _features(dataset: Any, features: list[str]) -> Any:
    kinds = {name: getattr(dataset.features[name], "dtype", "") for name in features}
    if len(features) == 1 and kinds[features[0]] in ("string", "large_string"):
        return list(dataset[features[0]])
    bad = [name for name, kind in kinds.items()
           if not str(kind).startswith(("int", "uint", "float", "bool"))]
    if bad:
        raise ActiveLabError(f"dataset columns {bad} are not numeric; give numeric columns, "
                             "or one text column, as features=")
    return np.column_stack([np.asarray(dataset[name], dtype=np.float64) for name in features])


def _label_names(dataset: Any, label: str) -> list[Any]:
    """The label of every row as a name (None: unlabeled, -1 of a ClassLabel or missing)."""
    feature = dataset.features[label]
    values = list(dataset[label])
    if type(feature).__name__ == "ClassLabel":
        return [None if v is None or v < 0 else feature.names[v] for v in values]
    return [None if v is None or (isinstance(v, str) and not v.strip()) else v for v in values]


def _seconds(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.timestamp()
    return float(value)


def pool_to_dataset(pool: Any, columns: dict[str, Sequence[Any]],
                    label_names: Sequence[str] | None = None) -> Any:
    """``pool``'s ids and current labels, with who gave each label and when (the latest
    label or correction of its log), as a ``datasets.Dataset`` with content ``columns``
    (one value per pool item). ``label_names`` default to the sorted labels."""
    latest: dict[Any, Any] = {}
    for event in pool.events:
        if event.kind in ("label", "correction"):
            latest[event.id] = event
    ids = [i.item() if hasattr(i, "item") else i for i in pool.ids]
    events = [latest.get(i) for i in ids]
    labels = [None if e is None else str(e.label) for e in events]
    names = label_names if label_names is not None else sorted({v for v in labels if v})
    return labeled_dataset(ids, columns, labels, names,
                           [None if e is None else e.annotator for e in events],
                           [None if e is None else e.time for e in events])
