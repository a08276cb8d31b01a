"""Which rows of a partly labeled table to label next: the engine of ``activelab query``.

The table (CSV, JSON lines, Parquet, or a saved Hugging Face dataset) is read a batch of
rows at a time, twice: once to find the labels, the ids and each column's kind
(:class:`~activelab.data.table_features.TableFeatures`), once to encode the features. A
table whose features fit in ``memory_budget`` bytes is encoded in memory; a larger one
into a temporary ``.npy`` file that the pool reads a chunk at a time
(:class:`~activelab.data.sources.NpyRows`), so the strategy's scoring streams and memory
stays bounded by a chunk. The library's :class:`~activelab.loop.ActiveLoop` then fits the
model on the labeled rows and asks the strategy for a batch; the same seed gives the same
rows.

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "rows.csv"
>>> lines = ["x,label"] + [f"{i},{'a' if i < 10 else 'b' if i < 20 else ''}" for i in range(30)]
>>> _ = path.write_text("\\n".join(lines) + "\\n")
>>> result = query_table(path, batch_size=2, seed=0, strategy="margin")
>>> [row["id"] for row in result.rows]  # the unlabeled rows nearest the a|b boundary
[20, 21]
"""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .data.batches import column_names, read_batches, schema_numeric_columns
from .data.dataset import count_of, short_list
from .data.files import label_column
from .data.hf import ANNOTATOR_COLUMN, TIME_COLUMN
from .data.table_features import TableFeatures
from .errors import ActiveLabError
from .pool import to_python
from .validation import check_int, check_seed

__all__ = ["BATCH_ROWS", "MEMORY_BUDGET", "TableQuery", "query_table", "wilson_interval"]

#: Rows read from the table at once.
BATCH_ROWS = 65_536
#: Feature bytes above which the features go to a temporary file instead of memory.
MEMORY_BUDGET = 64 * 2**20


@dataclass(frozen=True)
class TableQuery:
    """The rows to label next, best first (``rank``, ``id``, ``score``, ``guess``,
    ``confidence``), and what the query saw, as summary lines."""

    rows: list[dict[str, Any]]
    summary: list[str]
    facts: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Scan:
    """What the first pass over the table found."""

    n_rows: int = 0
    ids: list[np.ndarray] = field(default_factory=list)
    labeled_at: list[np.ndarray] = field(default_factory=list)
    labels: list[Any] = field(default_factory=list)


def query_table(path: str | Path, *, target: str | None = None, id_column: str | None = None,
                model: str | None = None, strategy: str | None = None, batch_size: int = 10,
                seed: int = 0, categorical: Sequence[str] = (), exclude: Sequence[str] = (),
                batch_rows: int = BATCH_ROWS, memory_budget: int = MEMORY_BUDGET) -> TableQuery:
    """The ``batch_size`` unlabeled rows of the table at ``path`` to label next.

    ``target`` is the label column (default: the one called target, label, y or class);
    an empty cell means "not labeled yet". ``id_column`` holds each row's id (default:
    ``id`` when there is one, else the row number from 0). ``model`` is a name of the
    model catalog and ``strategy`` a registered strategy (default: the library's,
    :data:`~activelab.strategies.registry.DEFAULT_STRATEGY`). Every other column is a
    feature, except those named in ``exclude`` and the ``annotator`` and ``labeled_at``
    columns of activelab's dataset layout (:mod:`activelab.data.hf`). Raises
    :class:`ActiveLabError` for a table it cannot use, before any work is done.
    """
    from .models.catalog import DEFAULT_MODELS, MODELS
    from .strategies.registry import DEFAULT_STRATEGY, STRATEGIES

    path = Path(path)
    batch_size = check_int(batch_size, "--batch-size")
    seed = check_seed(seed, "--seed")
    model = MODELS.canonical(model or DEFAULT_MODELS["classification"])
    strategy = STRATEGIES.canonical(strategy or DEFAULT_STRATEGY)
    columns = column_names(path)
    label = label_column(path.name, columns, target)
    id_name = _id_column(path.name, columns, id_column, label)
    _check_named(path.name, columns, categorical, "--categorical", label, id_name)
    _check_named(path.name, columns, exclude, "--exclude", label, id_name)
    skip = {label, id_name, *exclude, ANNOTATOR_COLUMN, TIME_COLUMN}
    features = TableFeatures(path.name, [c for c in columns if c not in skip],
                             categorical, numeric=schema_numeric_columns(path))
    if not features.columns:
        raise ActiveLabError(f"{path.name} has no feature columns besides the label "
                             f"{label!r}; add the columns the model should learn from")
    scan = _scan(path, features, label, id_name, batch_rows)
    ids, labeled_ids, labels = _check_scan(path.name, scan, label, id_name)
    with tempfile.TemporaryDirectory(prefix="activelab-query-") as folder:
        X = _encode(path, features, scan.n_rows, batch_rows, memory_budget, Path(folder))
        return _run_query(path.name, X, features.sparse, ids, labeled_ids, labels,
                          model=model, strategy=strategy, batch_size=batch_size, seed=seed)


def _id_column(source: str, columns: list[str], id_column: str | None, label: str) -> str | None:
    if id_column is None:
        return "id" if "id" in columns and label != "id" else None
    if id_column not in columns:
        raise ActiveLabError(f"{source} has no column {id_column!r} (from --id-column); "
                             f"columns are: {short_list(columns, 20)}")
    if id_column == label:
        raise ActiveLabError(f"{source}: --id-column {id_column!r} is the label column")
    return id_column


def _check_named(source: str, columns: list[str], names: Sequence[str], option: str,
                 label: str, id_name: str | None) -> None:
    for name in names:
        if name not in columns:
            raise ActiveLabError(f"{source} has no column {name!r} (from {option}); "
                                 f"columns are: {short_list(columns, 20)}")
        if name in (label, id_name):
            raise ActiveLabError(f"{source}: {option} {name!r} is the label or id column; "
                                 "name feature columns only")


def _scan(path: Path, features: TableFeatures, label: str, id_name: str | None,
          batch_rows: int) -> _Scan:
    """Pass one: the ids, which rows are labeled and with what, and the column kinds."""
    scan = _Scan()
    wanted = [label] + ([id_name] if id_name else []) + features.scan_columns
    for frame in read_batches(path, batch_rows, columns=wanted):
        present = _labeled_mask(frame[label])
        at = np.flatnonzero(present)
        scan.labeled_at.append(at + scan.n_rows)
        scan.labels.extend(_label_value(v) for v in frame[label].to_numpy()[at])
        if id_name is not None:
            scan.ids.append(frame[id_name].to_numpy())
        features.observe(frame)
        scan.n_rows += len(frame)
    features.finish()
    return scan


def _labeled_mask(column: Any) -> np.ndarray:
    """Which cells hold a label: not missing and not blank."""
    present = column.notna().to_numpy()
    if column.dtype == object:
        blank = column.map(lambda v: isinstance(v, str) and not v.strip()).to_numpy(dtype=bool)
        present = present & ~blank
    return present


def _label_value(value: Any) -> Any:
    value = to_python(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)  # a label column with gaps is read as floats: 1.0 is the class 1
    return value.strip() if isinstance(value, str) else value


def _check_scan(source: str, scan: _Scan, label: str,
                id_name: str | None) -> tuple[np.ndarray | None, np.ndarray, list[Any]]:
    """The ids (None: row numbers), the labeled rows' ids and labels; refuses a table
    with nothing to learn from or nothing to ask."""
    if scan.n_rows == 0:
        raise ActiveLabError(f"{source} has no rows; give a table with one row per item")
    at = np.concatenate(scan.labeled_at)
    if len(at) == 0:
        raise ActiveLabError(f"{source}: no row has a label in column {label!r}; label a few "
                             "rows (at least one of each of two classes) first")
    if len(at) == scan.n_rows:
        raise ActiveLabError(f"{source}: every row is labeled in column {label!r}; there is "
                             "nothing left to query")
    kinds = {type(v) for v in scan.labels}
    if len(kinds) > 1:
        raise ActiveLabError(f"{source}: the label column {label!r} mixes numbers and text "
                             f"(e.g. {scan.labels[0]!r}); use one kind of label")
    classes = Counter(scan.labels)
    if len(classes) < 2:
        raise ActiveLabError(
            f"{source}: every labeled row has the same label {scan.labels[0]!r}; label at "
            "least one row of another class so that the model can tell them apart")
    if id_name is None:
        return None, at, scan.labels
    ids = np.concatenate(scan.ids)
    if ids.dtype == object:
        missing = [i for i, v in enumerate(ids) if v is None or v != v]
        if missing:
            raise ActiveLabError(f"{source}: data row {missing[0] + 1} has no id in column "
                                 f"{id_name!r}; every row needs one")
        ids = np.array([str(v) for v in ids])
    return ids, ids[at], scan.labels


def _encode(path: Path, features: TableFeatures, n_rows: int, batch_rows: int,
            memory_budget: int, folder: Path) -> Any:
    """Pass two: the feature matrix, in memory or in an ``.npy`` file read by chunks."""
    import scipy.sparse as sp

    from .data.sources import NpyRows

    batches = read_batches(path, batch_rows, columns=features.columns)
    if features.sparse:
        X = sp.vstack([features.transform(frame) for frame in batches], format="csr")
        return X[:, np.flatnonzero(X.getnnz(axis=0))]  # the hash buckets some word fell in
    shape = (n_rows, features.n_features)
    if n_rows * features.n_features * 8 <= memory_budget:
        X = np.empty(shape)
        start = 0
        for frame in batches:
            X[start:start + len(frame)] = features.transform(frame)
            start += len(frame)
        return X
    # Appended through a file handle, not a memory map: written pages stay in the system's
    # file cache instead of the process's resident memory.
    file = folder / "features.npy"
    with open(file, "wb") as out:
        np.lib.format.write_array_header_2_0(
            out, {"descr": np.lib.format.dtype_to_descr(np.dtype(np.float64)),
                  "fortran_order": False, "shape": shape})
        for frame in batches:
            out.write(np.ascontiguousarray(features.transform(frame), np.float64).tobytes())
    return NpyRows(file)


def _run_query(source: str, X: Any, sparse: bool, ids: np.ndarray | None,
               labeled_ids: np.ndarray, labels: list[Any], *, model: str, strategy: str,
               batch_size: int, seed: int) -> TableQuery:
    """Fit, query and describe: the loop's one round on the encoded table."""
    from . import strategies
    from .loop import ActiveLoop
    from .models.catalog import make_model
    from .pool import Pool

    pool = Pool(X, ids=ids)
    pool.add_labels(labeled_ids, labels)
    k = min(batch_size, pool.n_unlabeled)
    loop = ActiveLoop(make_model(model, seed, sparse=sparse), pool, strategies.get(strategy),
                      batch_size=k, random_state=seed)
    query = loop.ask()
    guesses, confidence = _guesses(loop.model, pool.items(query.ids))
    rows = [{"rank": rank, "id": to_python(i), "score": float(s), "guess": g, "confidence": c}
            for rank, (i, s, g, c) in enumerate(
                zip(query.ids, query.scores, guesses, confidence), start=1)]
    accuracy = _cross_validated_accuracy(pool, model, seed, sparse)
    facts = {"source": source, "n_rows": len(pool), "n_labeled": pool.n_labeled,
             "per_class": dict(sorted(Counter(labels).items(), key=lambda kv: str(kv[0]))),
             "model": model, "strategy": strategy, "picked_by": query.strategy or strategy,
             "n_candidates": pool.n_unlabeled, "accuracy": accuracy, "info": query.info}
    return TableQuery(rows, _summary(facts, rows), facts)


def _guesses(model: Any, items: Any) -> tuple[list[Any], list[float | None]]:
    """The model's label for each item and its probability (None without predict_proba)."""
    if not hasattr(model, "predict_proba"):
        return [to_python(v) for v in model.predict(items)], [None] * items.shape[0]
    proba = np.asarray(model.predict_proba(items))
    best = proba.argmax(axis=1)
    classes = np.asarray(model.classes_)
    return ([to_python(v) for v in classes[best]],
            [round(float(p), 6) for p in proba[np.arange(len(best)), best]])


def _cross_validated_accuracy(pool: Any, model: str, seed: int,
                              sparse: bool) -> dict[str, Any] | None:
    """Accuracy on the labeled rows by stratified k-fold cross-validation (k up to 5,
    at most the smallest class), with its 95% Wilson interval; None below 2 per class."""
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    from .models.catalog import make_model

    X, y = pool.labeled_data()
    y = np.asarray([str(v) for v in y])
    folds = min(5, min(Counter(y.tolist()).values()))
    if folds < 2:
        return None
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    predicted = cross_val_predict(make_model(model, seed, sparse=sparse), X, y, cv=cv)
    correct = int((predicted == y).sum())
    low, high = wilson_interval(correct, len(y))
    return {"accuracy": correct / len(y), "low": low, "high": high, "folds": folds,
            "n": len(y)}


def wilson_interval(successes: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """The Wilson score interval of a proportion (95% for the default ``z``).

    >>> [round(v, 4) for v in wilson_interval(8, 10)]
    [0.4902, 0.9433]
    """
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return float(centre - half), float(centre + half)


def _summary(facts: dict[str, Any], rows: list[dict[str, Any]]) -> list[str]:
    n, labeled = facts["n_rows"], facts["n_labeled"]
    per_class = ", ".join(f"{label} {count}" for label, count in facts["per_class"].items())
    lines = [f"{facts['source']}: labels so far: {labeled:,} of {count_of(n, 'row')} "
             f"({labeled / n:.1%}): {per_class}"]
    accuracy = facts["accuracy"]
    if accuracy is None:
        lines.append(f"estimated accuracy of {facts['model']}: unknown (cross-validation "
                     "needs at least 2 labels of every class)")
    else:
        lines.append(
            f"estimated accuracy of {facts['model']}: {accuracy['accuracy']:.3f} (95% "
            f"interval {accuracy['low']:.3f}-{accuracy['high']:.3f}; {accuracy['folds']}-fold "
            f"cross-validation on the {accuracy['n']:,} labeled rows)")
    picked = facts["picked_by"]
    via = f" (chosen by {facts['strategy']})" if picked != facts["strategy"] else ""
    scores = [row["score"] for row in rows]
    lines.append(
        f"strategy {picked}{via}: scored {facts['n_candidates']:,} unlabeled rows with "
        f"{facts['model']} fit on {labeled:,} labels; picked {len(rows)}, scores "
        f"{max(scores):.4g} to {min(scores):.4g} (higher: more informative)")
    return lines
