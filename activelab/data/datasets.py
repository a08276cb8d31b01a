"""Bundled data sets by name, and loaders for CSV, Parquet, NPZ, svmlight and JSONL files.

Nothing is downloaded: the bundled sets ship with scikit-learn or are generated
with a fixed seed. pandas, pyarrow and scikit-learn are imported only when a
loader needs them, so importing this module stays cheap.

Every data set has a task, found from its labels (:func:`detect_task`) unless the
loader knows better:

* **classification** — one label per item (numbers or strings);
* **regression** — one number per item, with many distinct non-integral values
  (the bundled ``diabetes`` and ``friedman`` are regression by declaration);
* **multilabel** — a 0/1 indicator row per item: several 0/1 columns named with
  ``--target a,b,c``, or a 2-D ``y`` in an ``.npz`` file.

>>> load("multilabel_synth").y.shape
(1000, 5)
>>> load("friedman").task
'regression'
"""

from __future__ import annotations

import difflib
import os
import zipfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import scipy.sparse

from activelab.errors import ActiveLabError
from activelab.validation import nonfinite_cells

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["BUNDLED", "TASKS", "Dataset", "bundled_names", "detect_task", "load"]

MAX_CATEGORIES = 50
LABEL_COLUMN_NAMES = ("target", "label", "y", "class")
TASKS = ("classification", "regression", "multilabel")
#: A numeric label with more distinct non-integral values than this is a regression target.
MAX_FLOAT_CLASSES = 20

# What a broken or mislabelled file makes pandas, pyarrow, numpy or scikit-learn raise.
_READ_ERRORS = (ValueError, OSError, EOFError, zlib.error, zipfile.BadZipFile)

_T = TypeVar("_T")


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


# --- bundled data sets ------------------------------------------------------------------


def _from_sklearn(name: str, loader_name: str, what: str, task: str | None = None) -> Dataset:
    from sklearn import datasets as sklearn_datasets

    bunch = getattr(sklearn_datasets, loader_name)()
    feature_names = [str(feature) for feature in bunch.feature_names]
    return _build_dataset(name, bunch.data, bunch.target, feature_names, what, "target", task)


def _load_digits() -> Dataset:
    return _from_sklearn("digits", "load_digits", "8x8 images of digits")


def _load_breast_cancer() -> Dataset:
    return _from_sklearn("breast_cancer", "load_breast_cancer", "breast cancer diagnoses")


def _load_wine() -> Dataset:
    return _from_sklearn("wine", "load_wine", "chemical analyses of wines")


def _load_iris() -> Dataset:
    return _from_sklearn("iris", "load_iris", "measurements of iris flowers")


def _load_blobs() -> Dataset:
    from sklearn.datasets import make_classification

    X, y = make_classification(
        n_samples=2000,
        n_features=20,
        n_informative=8,
        n_classes=4,
        class_sep=1.0,
        random_state=0,
    )
    what = "synthetic clusters (make_classification, seed 0)"
    return _build_dataset("blobs", X, y, _numbered_names(20), what, "target")


def _load_moons() -> Dataset:
    from sklearn.datasets import make_moons

    X, y = make_moons(n_samples=1000, noise=0.25, random_state=0)
    what = "two interleaving half moons (make_moons, seed 0)"
    return _build_dataset("moons", X, y, _numbered_names(2), what, "target")


def _load_diabetes() -> Dataset:
    what = "disease progression one year after baseline"
    return _from_sklearn("diabetes", "load_diabetes", what, task="regression")


def _load_friedman() -> Dataset:
    from sklearn.datasets import make_friedman1

    X, y = make_friedman1(n_samples=1000, noise=1.0, random_state=0)
    what = "Friedman #1 (make_friedman1, noise 1.0, seed 0)"
    return _build_dataset("friedman", X, y, _numbered_names(10), what, "target", "regression")


def _load_multilabel_synth() -> Dataset:
    from sklearn.datasets import make_multilabel_classification

    X, Y = make_multilabel_classification(
        n_samples=1000, n_features=20, n_classes=5, random_state=0
    )
    what = "synthetic multi-label documents (make_multilabel_classification, seed 0)"
    names = [f"label{index}" for index in range(Y.shape[1])]
    return _build_dataset(
        "multilabel_synth", X, Y, _numbered_names(20), what, names, "multilabel"
    )


BUNDLED: dict[str, Callable[[], Dataset]] = {
    "digits": _load_digits,
    "breast_cancer": _load_breast_cancer,
    "wine": _load_wine,
    "iris": _load_iris,
    "blobs": _load_blobs,
    "moons": _load_moons,
    "diabetes": _load_diabetes,
    "friedman": _load_friedman,
    "multilabel_synth": _load_multilabel_synth,
}


def bundled_names() -> list[str]:
    """Names that :func:`load` accepts without a file, sorted."""
    return sorted(BUNDLED)


# --- entry point ------------------------------------------------------------------------


def load(name_or_path: str | os.PathLike[str], target: str | None = None) -> Dataset:
    """Load a bundled data set by name, or a data file chosen by its suffix.

    ``target`` names the label column (or the label array of an ``.npz`` file);
    when it is None a column called target, label, y or class is used. Several
    comma-separated 0/1 columns (``"a,b,c"``) make a multi-label data set.
    """
    name = os.fspath(name_or_path)
    if name in BUNDLED:
        if target is not None:
            raise ActiveLabError(
                f"{name!r} is a bundled data set with its own labels; do not pass --target"
            )
        return BUNDLED[name]()
    path = Path(name)
    suffix = _supported_suffix(path)
    if not path.exists():
        raise ActiveLabError(_missing_message(name, suffix))
    if suffix is None:
        raise ActiveLabError(
            f"{path.name!r} has an unsupported file type; use one of: {', '.join(_FILE_LOADERS)}"
        )
    return _FILE_LOADERS[suffix](path, target)


def _supported_suffix(path: Path) -> str | None:
    if path.is_dir():
        return ".parquet"
    lowered = path.name.lower()
    return next((suffix for suffix in _FILE_LOADERS if lowered.endswith(suffix)), None)


def _missing_message(name: str, suffix: str | None) -> str:
    bundled = ", ".join(bundled_names())
    if suffix is not None:
        return f"file {name!r} does not exist; check the path, or use a bundled data set: {bundled}"
    close = difflib.get_close_matches(name, bundled_names(), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return (
        f"no bundled data set or file named {name!r}{hint}; "
        f"bundled: {bundled}; files: {', '.join(_FILE_LOADERS)}"
    )


# --- file loaders -----------------------------------------------------------------------


def _load_csv(path: Path, target: str | None) -> Dataset:
    import pandas as pd

    frame = _read(path, "CSV", pd.read_csv)
    return _dataset_from_table(path, frame, target, "CSV file")


def _load_jsonl(path: Path, target: str | None) -> Dataset:
    import pandas as pd

    frame = _read(path, "JSON lines", lambda p: pd.read_json(p, lines=True))
    return _dataset_from_table(path, frame, target, "JSON lines file")


def _load_parquet(path: Path, target: str | None) -> Dataset:
    try:
        import pyarrow  # noqa: F401
    except ImportError as err:
        raise ActiveLabError(
            "reading Parquet needs pyarrow: pip install 'activelab[parquet]'"
        ) from err
    import pandas as pd

    if path.is_dir() and not any(path.rglob("*.parquet")) and not any(path.rglob("*.pq")):
        raise ActiveLabError(
            f"directory {path.name!r} has no .parquet or .pq files; point at a data file instead"
        )
    frame = _read(path, "Parquet", lambda p: pd.read_parquet(p, engine="pyarrow"))
    what = "Parquet directory" if path.is_dir() else "Parquet file"
    return _dataset_from_table(path, frame, target, what)


def _load_npz(path: Path, target: str | None) -> Dataset:
    arrays = _read(path, "NumPy .npz", _read_npz_arrays)
    label_key = "y" if target is None else target
    for key in ("X", label_key):
        if key not in arrays:
            raise ActiveLabError(
                f"{path.name!r} has no array named {key!r}; arrays present: "
                f"{_short_list(sorted(arrays), 20)}; save features as X and labels as y, "
                "or name the label array with --target"
            )
    X = arrays["X"]
    n_features = X.shape[1] if X.ndim == 2 else 0
    return _build_dataset(
        path.name, X, arrays[label_key], _numbered_names(n_features), "NumPy archive", label_key
    )


def _read_npz_arrays(path: Path) -> dict[str, np.ndarray]:
    loaded = np.load(path, allow_pickle=False)
    if isinstance(loaded, np.ndarray):
        raise ValueError("it holds a single .npy array, not an archive of named arrays")
    with loaded as archive:
        return {key: archive[key] for key in archive.files}


def _load_svmlight(path: Path, target: str | None) -> Dataset:
    if target is not None:
        raise ActiveLabError(
            f"{path.name!r} keeps its labels in the first field of each line; do not pass --target"
        )
    from sklearn.datasets import load_svmlight_file

    X, y = _read(path, "svmlight/LIBSVM", lambda p: load_svmlight_file(str(p)))
    return _build_dataset(path.name, X, y, _numbered_names(X.shape[1]), "svmlight file", "label")


_FILE_LOADERS: dict[str, Callable[[Path, str | None], Dataset]] = {
    ".csv": _load_csv,
    ".csv.gz": _load_csv,
    ".parquet": _load_parquet,
    ".pq": _load_parquet,
    ".npz": _load_npz,
    ".svm": _load_svmlight,
    ".svmlight": _load_svmlight,
    ".libsvm": _load_svmlight,
    ".jsonl": _load_jsonl,
    ".ndjson": _load_jsonl,
}


def _read(path: Path, kind: str, reader: Callable[[Path], _T]) -> _T:
    try:
        return reader(path)
    except _READ_ERRORS as err:
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ActiveLabError(
            f"could not read {path.name!r} as {kind}: {reason}; check that the file is valid {kind}"
        ) from err


# --- tables -----------------------------------------------------------------------------


def _dataset_from_table(path: Path, frame: pd.DataFrame, target: str | None, what: str) -> Dataset:
    frame.columns = [str(column) for column in frame.columns]
    columns = list(frame.columns)
    if target is not None and target not in columns and "," in target:
        labels = _label_columns(path.name, columns, target)
        X, feature_names = _encode_features(path.name, frame.drop(columns=labels))
        Y = np.column_stack([_indicator_values(path.name, frame[label]) for label in labels])
        return _build_dataset(path.name, X, Y, feature_names, what, labels)
    label = _label_column(path.name, columns, target)
    X, feature_names = _encode_features(path.name, frame.drop(columns=[label]))
    return _build_dataset(path.name, X, _label_values(frame[label]), feature_names, what, label)


def _label_columns(source: str, columns: list[str], target: str) -> list[str]:
    """The columns of a multi-label ``--target a,b,c``: at least two, each once, all present."""
    names = [name.strip() for name in target.split(",") if name.strip()]
    missing = [name for name in names if name not in columns]
    if missing:
        raise ActiveLabError(
            f"{source} has no column {missing[0]!r}; columns are: {_short_list(columns, 20)}"
        )
    if len(set(names)) != len(names):
        raise ActiveLabError(f"{source}: a column is listed twice in --target {target!r}")
    if len(names) < 2:
        raise ActiveLabError(
            f"{source}: --target {target!r} names one column; give one label column, or "
            "several 0/1 columns a,b,c for multi-label data"
        )
    return names


def _indicator_values(source: str, column: pd.Series) -> np.ndarray:
    """A multi-label column as 0/1 int64; anything but 0, 1, true and false is refused."""
    import pandas as pd
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    missing = np.flatnonzero(column.isna().to_numpy())
    if missing.size:
        raise ActiveLabError(
            f"{source}: {_count(missing.size, 'row')} without a value in the label column "
            f"{column.name!r} (first is data row {missing[0] + 1}); drop or label those rows"
        )
    if is_bool_dtype(column):
        return column.to_numpy(dtype=np.int64)
    numbers = column if is_numeric_dtype(column) else pd.to_numeric(column, errors="coerce")
    values = numbers.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isin(values, (0, 1))
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        value = column.iloc[first]
        value = value.item() if isinstance(value, np.generic) else value
        raise ActiveLabError(
            f"{source}: the label column {column.name!r} holds {value!r} (data row "
            f"{first + 1}); a multi-label column must hold only 0 and 1 (or true and false)"
        )
    return values.astype(np.int64)


def _label_column(source: str, columns: list[str], target: str | None) -> str:
    listed = _short_list(columns, 20)
    if target is not None:
        if target not in columns:
            raise ActiveLabError(f"{source} has no column {target!r}; columns are: {listed}")
        return target
    candidates = [column for column in columns if column.lower() in LABEL_COLUMN_NAMES]
    if len(candidates) == 1:
        return candidates[0]
    problem = (
        f"several columns could be the label ({', '.join(candidates)})"
        if candidates
        else f"no column is called {', '.join(LABEL_COLUMN_NAMES)}"
    )
    raise ActiveLabError(
        f"{source}: {problem}; name the label column with --target; columns are: {listed}"
    )


def _label_values(column: pd.Series) -> np.ndarray:
    from pandas.api.types import is_numeric_dtype

    if is_numeric_dtype(column):
        return _as_float(column)
    return column.to_numpy(dtype=object)


def _encode_features(source: str, frame: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """Numeric and bool columns as floats; columns of a few categories one-hot encoded."""
    from pandas.api.types import is_numeric_dtype

    blocks = [np.empty((len(frame), 0))]
    names: list[str] = []
    for name, column in frame.items():
        if is_numeric_dtype(column):
            blocks.append(_as_float(column).reshape(-1, 1))
            names.append(str(name))
        else:
            dummies = _one_hot(source, str(name), column)
            blocks.append(dummies.to_numpy(dtype=np.float64))
            names.extend(str(dummy) for dummy in dummies.columns)
    return np.hstack(blocks), names


def _as_float(column: pd.Series) -> np.ndarray:
    return column.to_numpy(dtype=np.float64, na_value=np.nan)


def _one_hot(source: str, name: str, column: pd.Series) -> pd.DataFrame:
    import pandas as pd

    try:
        n_distinct = column.nunique()
    except TypeError as err:
        raise ActiveLabError(
            f"{source}: column {name!r} holds nested values (lists or objects); "
            "flatten it or drop it first"
        ) from err
    if n_distinct > MAX_CATEGORIES:
        raise ActiveLabError(
            f"{source}: column {name!r} looks like free text ({n_distinct} distinct values); "
            "drop it or turn it into numbers first"
        )
    categories = column.map(str, na_action="ignore")
    dummies = pd.get_dummies(categories, prefix=name, prefix_sep="=", dtype=np.float64)
    # A missing category stays missing, so the NaN check reports it like any other gap.
    dummies.loc[column.isna().to_numpy(), :] = np.nan
    return dummies


# --- shared checks ----------------------------------------------------------------------


def _build_dataset(
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
            f"{source}: {_count(missing.size, 'row')} without a value in the label column "
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
        f"{source}: NaN or infinite values in {_count(np.unique(bad_rows).size, 'row')} of "
        f"features {_short_list(columns, 5)}; impute or drop them before active learning"
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


def _numbered_names(n_features: int) -> list[str]:
    return [f"x{index}" for index in range(n_features)]


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _short_list(names: Sequence[str], limit: int) -> str:
    shown = ", ".join(names[:limit])
    if len(names) > limit:
        return f"{shown}, ... ({len(names)} in all)"
    return shown
