"""The :class:`Dataset` record, how its task is found, and the checks every loader ends with.

Every data set has a task, found from its labels (:func:`detect_task`) unless the
loader knows better:

* **classification** — one label per item (numbers or strings);
* **regression** — one number per item, with many distinct non-integral values;
* **multilabel** — a 0/1 indicator row per item.

Loaders (:mod:`~activelab.data.datasets` for the bundled sets, :mod:`~activelab.data.files`
for files) end in :func:`build_dataset`, which validates and normalises what they read.

>>> import numpy as np
>>> build_dataset("tiny", np.eye(4), [0, 1, 0, 1], ["a", "b", "c", "d"], "a test", "y").description
'a test, 4 items, 4 features, 2 classes'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse

from activelab.errors import ActiveLabError
from activelab.validation import nonfinite_cells

__all__ = ["MAX_FLOAT_CLASSES", "TASKS", "Dataset", "build_dataset", "count_of", "detect_task",
           "numbered_names", "short_list"]

TASKS = ("classification", "regression", "multilabel")
#: A numeric label with more distinct non-integral values than this is a regression target.
MAX_FLOAT_CLASSES = 20


# eq=False: comparing arrays field by field is ambiguous, so a Dataset equals only itself.
@dataclass(frozen=True, eq=False)
class Dataset:
    """A labelled pool: float64 features ``X`` (dense or CSR) and labels ``y``.

    ``y`` is 1-D for classification (int64 or strings) and regression (float64), and an
    ``(n_items, n_labels)`` int64 0/1 matrix for multi-label data.
    """

    name: str
    X: np.ndarray | scipy.sparse.csr_matrix
    y: np.ndarray
    feature_names: list[str]
    description: str
    task: str = "classification"

    @property
    def n_items(self) -> int:
        return int(self.X.shape[0])

    @property
    def classes(self) -> np.ndarray:
        """The distinct labels; for multi-label data, the label indices ``0..n_labels-1``."""
        if self.y.ndim == 2:
            return np.arange(self.y.shape[1])
        return np.unique(self.y)

    def for_task(self, task: str) -> Dataset:
        """This data set with its labels as ``task`` needs them (``"auto"``: unchanged).

        Integral numbers become a regression target with ``"regression"``; numeric
        targets become class labels with ``"classification"``. A label matrix is only
        multi-label and a single label column never is.
        """
        if task == "auto" or task == self.task:
            return self
        if task not in TASKS:
            raise ActiveLabError(f"--task must be auto or one of {', '.join(TASKS)}; got {task!r}")
        if self.task == "multilabel":
            raise ActiveLabError(
                f"{self.name} has a label matrix ({self.y.shape[1]} labels): it is multi-label "
                "data; use --task multilabel or auto"
            )
        if task == "multilabel":
            raise ActiveLabError(
                f"{self.name} has one label column; multi-label data needs several 0/1 columns "
                "(--target a,b,c) or a 2-D y array"
            )
        if task == "regression":
            if self.y.dtype.kind not in "biuf":
                raise ActiveLabError(
                    f"{self.name}: the labels are not numbers ({self.y[0]!r}, ...); "
                    "regression needs a numeric target"
                )
            y = self.y.astype(np.float64)
        else:
            y = _class_labels(self.y)
        base = self.description.rsplit(", ", 1)[0]
        return Dataset(self.name, self.X, y, self.feature_names,
                       f"{base}, {_label_summary(y, task)}", task)


def detect_task(y: np.ndarray) -> str:
    """``"multilabel"`` for a 2-D 0/1 matrix, ``"regression"`` for float labels with more
    than 20 distinct values not all integral, else ``"classification"``.

    >>> import numpy as np
    >>> detect_task(np.array([[0, 1], [1, 1]])), detect_task(np.linspace(0, 1, 50))
    ('multilabel', 'regression')
    >>> detect_task(np.array([0.5, 1.5, 0.5]))
    'classification'
    """
    y = np.asarray(y)
    if y.ndim == 2 and y.dtype.kind in "biuf" and np.isin(y, (0, 1)).all():
        return "multilabel"
    if (
        y.ndim == 1
        and y.dtype.kind == "f"
        and np.isfinite(y).all()
        and not (y == np.trunc(y)).all()
        and len(np.unique(y)) > MAX_FLOAT_CLASSES
    ):
        return "regression"
    return "classification"


def _class_labels(y: np.ndarray) -> np.ndarray:
    """Labels a classifier accepts: integral numbers as int64, anything else as strings."""
    if y.dtype.kind in "biu":
        return y.astype(np.int64)
    if y.dtype.kind == "f" and np.isfinite(y).all() and (y == np.trunc(y)).all():
        return y.astype(np.int64)
    return y.astype(str)


def _label_summary(y: np.ndarray, task: str) -> str:
    if task == "multilabel":
        return f"{y.shape[1]} labels"
    if task == "regression":
        return "regression target"
    return f"{len(np.unique(y))} classes"



# --- shared checks ----------------------------------------------------------------------


def build_dataset(
    name: str,
    X: Any,
    y: Any,
    feature_names: list[str],
    what: str,
    label_name: str | list[str],
    task: str | None = None,
) -> Dataset:
    """Validate and normalise what a loader read; every loader ends here.

    ``label_name`` is one column name, or one name per column of a 2-D ``y``;
    ``task`` is found from the labels when it is None.
    """
    X = _as_float_matrix(name, X)
    y = np.asarray(y)
    _check_shapes(name, X, y)
    single = label_name if isinstance(label_name, str) else ", ".join(label_name)
    if y.ndim == 2:
        names = label_name if isinstance(label_name, list) else [
            f"{label_name}[:, {index}]" for index in range(y.shape[1])
        ]
        labels = _normalise_indicators(name, y, names)
        _check_finite(name, X, feature_names)
        _check_each_label_varies(name, labels, names)
        task = "multilabel"
    else:
        labels = _normalise_labels(name, y, single, task)
        task = task or detect_task(labels)
        _check_finite(name, X, feature_names)
        if task == "regression":
            _check_target_varies(name, labels, single)
        else:
            _check_two_classes(name, labels, single)
    n_items, n_features = X.shape
    description = (
        f"{what}, {n_items} items, {n_features} features, {_label_summary(labels, task)}"
    )
    return Dataset(name, X, labels, feature_names, description, task)


def _as_float_matrix(source: str, X: Any) -> np.ndarray | scipy.sparse.csr_matrix:
    try:
        if scipy.sparse.issparse(X):
            return scipy.sparse.csr_matrix(X, dtype=np.float64)
        return np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ActiveLabError(
            f"{source}: the features are not numbers; convert them to numbers first"
        ) from err


def _check_shapes(source: str, X: np.ndarray | scipy.sparse.csr_matrix, y: np.ndarray) -> None:
    if X.ndim != 2:
        raise ActiveLabError(
            f"{source}: X must be 2-D (items x features) but has shape {X.shape}; reshape it"
        )
    if y.ndim not in (1, 2) or (y.ndim == 2 and y.shape[1] < 2):
        raise ActiveLabError(
            f"{source}: the labels must be 1-D (one per item), or a 0/1 matrix with one column "
            f"per label for multi-label data, but have shape {y.shape}; flatten them"
        )
    if X.shape[0] != y.shape[0]:
        raise ActiveLabError(
            f"{source}: X has {X.shape[0]} rows but there are {y.shape[0]} labels; "
            "give one label per row"
        )
    if X.shape[0] == 0:
        raise ActiveLabError(f"{source} has no rows; give it at least two labelled items")
    if X.shape[1] == 0:
        raise ActiveLabError(
            f"{source} has no feature columns; add at least one column besides the label"
        )


def _normalise_labels(
    source: str, y: np.ndarray, label_name: str, task: str | None = None
) -> np.ndarray:
    """Missing labels fail. A regression target (declared, or found by :func:`detect_task`)
    stays float64; otherwise integral numbers become int64 and anything else strings."""
    import pandas as pd

    missing = np.flatnonzero(pd.isna(y))
    if missing.size:
        raise ActiveLabError(
            f"{source}: {count_of(missing.size, 'row')} without a value in the label column "
            f"{label_name!r} (first is data row {missing[0] + 1}); drop or label those rows"
        )
    if task == "regression" or (task is None and detect_task(y) == "regression"):
        try:
            values = y.astype(np.float64)
        except (TypeError, ValueError) as err:
            raise ActiveLabError(
                f"{source}: the label column {label_name!r} is not numeric; "
                "a regression target must be numbers"
            ) from err
        if not np.isfinite(values).all():
            raise ActiveLabError(
                f"{source}: the label column {label_name!r} holds infinite values; "
                "drop those rows"
            )
        return values
    return _class_labels(y)


def _normalise_indicators(source: str, y: np.ndarray, names: Sequence[str]) -> np.ndarray:
    """A multi-label matrix as int64 0/1, naming the first column that holds anything else."""
    if y.dtype.kind == "b":
        return y.astype(np.int64)
    if y.dtype.kind not in "iuf":
        raise ActiveLabError(
            f"{source}: a 2-D label array must be a 0/1 matrix (multi-label), "
            f"but it holds {y.dtype} values"
        )
    bad = ~np.isin(y, (0, 1))
    if bad.any():
        row, column = (int(v[0]) for v in np.nonzero(bad))
        raise ActiveLabError(
            f"{source}: the label column {names[column]!r} holds {y[row, column].item()!r} "
            f"(data row {row + 1}); a multi-label matrix must hold only 0 and 1"
        )
    return y.astype(np.int64)


def _check_finite(
    source: str, X: np.ndarray | scipy.sparse.csr_matrix, feature_names: Sequence[str]
) -> None:
    bad_rows, bad_columns = nonfinite_cells(X)
    if bad_rows.size == 0:
        return
    columns = [feature_names[index] for index in np.unique(bad_columns)]
    raise ActiveLabError(
        f"{source}: NaN or infinite values in {count_of(np.unique(bad_rows).size, 'row')} of "
        f"features {short_list(columns, 5)}; impute or drop them before active learning"
    )


def _check_two_classes(source: str, labels: np.ndarray, label_name: str) -> None:
    classes = np.unique(labels)
    if classes.size < 2:
        raise ActiveLabError(
            f"{source}: the label column {label_name!r} has one class ({classes[0].item()!r}); "
            "active learning for classification needs at least two"
        )


def _check_target_varies(source: str, values: np.ndarray, label_name: str) -> None:
    if np.all(values == values[0]):
        raise ActiveLabError(
            f"{source}: the target {label_name!r} has one value ({values[0].item()!r}) for every "
            "item; a regression target must vary"
        )


def _check_each_label_varies(source: str, labels: np.ndarray, names: Sequence[str]) -> None:
    """Every label of a multi-label matrix must be on for some items and off for others."""
    on = labels.sum(axis=0)
    for index in np.flatnonzero((on == 0) | (on == len(labels))):
        state = "never" if on[index] == 0 else "always"
        raise ActiveLabError(
            f"{source}: label {names[index]!r} is {state} on; drop that column, a label needs "
            "items with and without it"
        )



# --- small helpers ----------------------------------------------------------------------


def numbered_names(n_features: int) -> list[str]:
    return [f"x{index}" for index in range(n_features)]


def count_of(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def short_list(names: Sequence[str], limit: int) -> str:
    shown = ", ".join(names[:limit])
    if len(names) > limit:
        return f"{shown}, ... ({len(names)} in all)"
    return shown
