"""Data sets from files: CSV, JSON lines, Parquet, NPZ and svmlight, chosen by suffix, and
folders saved by Hugging Face `datasets` (``save_to_disk``).

A table (CSV, JSON lines, Parquet) keeps its labels in one column (``target``, ``label``,
``y`` or ``class``, or the one named), or in several 0/1 columns for multi-label data;
numeric and bool columns become features as they are and columns of a few categories
are one-hot encoded. pandas, pyarrow and scikit-learn are imported only when a loader
needs them.

>>> sorted(FILE_LOADERS)[:3]
['.csv', '.csv.gz', '.jsonl']
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from activelab.errors import ActiveLabError
from activelab.validation import stray_non_numbers

from .batches import is_saved_dataset, read_batches
from .dataset import Dataset, build_dataset, count_of, numbered_names, short_list

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["FILE_LOADERS", "LABEL_COLUMN_NAMES", "MAX_CATEGORIES", "TABLE_SUFFIXES", "label_column",
           "load_file", "refuse_stray_words", "supported_suffix"]

MAX_CATEGORIES = 50
LABEL_COLUMN_NAMES = ("target", "label", "y", "class")

# What a broken or mislabelled file makes pandas, pyarrow, numpy or scikit-learn raise.
_READ_ERRORS = (ValueError, OSError, EOFError, zlib.error, zipfile.BadZipFile)

_T = TypeVar("_T")


def supported_suffix(path: Path) -> str | None:
    """The suffix of :data:`FILE_LOADERS` that reads ``path`` (a directory is Parquet), or None."""
    if path.is_dir():
        return ".parquet"
    lowered = path.name.lower()
    return next((suffix for suffix in FILE_LOADERS if lowered.endswith(suffix)), None)


def load_file(path: Path, target: str | None = None,
              categorical: Sequence[str] = ()) -> Dataset:
    """The data set in the existing file ``path``, read by the loader of its suffix.

    ``categorical`` names table columns to one-hot encode even though they hold numbers.
    """
    if is_saved_dataset(path):
        return _load_saved_dataset(path, target, categorical)
    suffix = supported_suffix(path)
    if suffix is None:
        raise ActiveLabError(
            f"{path.name!r} has an unsupported file type; use one of: {', '.join(FILE_LOADERS)}"
        )
    if not categorical:
        return FILE_LOADERS[suffix](path, target)
    if suffix not in TABLE_SUFFIXES:
        raise ActiveLabError(
            f"--categorical names columns of a table (CSV, JSON lines, Parquet); "
            f"{path.name!r} is a {suffix} file without named columns; drop --categorical"
        )
    return FILE_LOADERS[suffix](path, target, list(categorical))  # type: ignore[call-arg]


# --- file loaders -----------------------------------------------------------------------


def _load_csv(path: Path, target: str | None, categorical: Sequence[str] = ()) -> Dataset:
    import pandas as pd

    frame = _read(path, "CSV", pd.read_csv)
    return _dataset_from_table(path, frame, target, "CSV file", categorical)


def _load_jsonl(path: Path, target: str | None, categorical: Sequence[str] = ()) -> Dataset:
    import pandas as pd

    frame = _read(path, "JSON lines", lambda p: pd.read_json(p, lines=True))
    return _dataset_from_table(path, frame, target, "JSON lines file", categorical)


def _load_parquet(path: Path, target: str | None, categorical: Sequence[str] = ()) -> Dataset:
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
    return _dataset_from_table(path, frame, target, what, categorical)


def _load_saved_dataset(path: Path, target: str | None,
                        categorical: Sequence[str] = ()) -> Dataset:
    """A folder written by ``datasets.Dataset.save_to_disk`` (needs ``activelab[hf]``)."""
    import pandas as pd

    frame = pd.concat(list(read_batches(path)), ignore_index=True)
    return _dataset_from_table(path, frame, target, "saved Hugging Face dataset", categorical)


def _load_npz(path: Path, target: str | None) -> Dataset:
    arrays = _read(path, "NumPy .npz", _read_npz_arrays)
    label_key = "y" if target is None else target
    for key in ("X", label_key):
        if key not in arrays:
            raise ActiveLabError(
                f"{path.name!r} has no array named {key!r}; arrays present: "
                f"{short_list(sorted(arrays), 20)}; save features as X and labels as y, "
                "or name the label array with --target"
            )
    X = arrays["X"]
    n_features = X.shape[1] if X.ndim == 2 else 0
    return build_dataset(
        path.name, X, arrays[label_key], numbered_names(n_features), "NumPy archive", label_key
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
    return build_dataset(path.name, X, y, numbered_names(X.shape[1]), "svmlight file", "label")


#: The suffixes of tables with named columns (what ``categorical`` may name).
TABLE_SUFFIXES = (".csv", ".csv.gz", ".parquet", ".pq", ".jsonl", ".ndjson")

FILE_LOADERS: dict[str, Callable[[Path, str | None], Dataset]] = {
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


def _dataset_from_table(path: Path, frame: pd.DataFrame, target: str | None, what: str,
                        categorical: Sequence[str] = ()) -> Dataset:
    frame.columns = [str(column) for column in frame.columns]
    columns = list(frame.columns)
    if target is not None and target not in columns and "," in target:
        labels = _label_columns(path.name, columns, target)
        _check_categorical(path.name, columns, labels, categorical)
        X, feature_names = _encode_features(path.name, frame.drop(columns=labels), categorical)
        Y = np.column_stack([_indicator_values(path.name, frame[label]) for label in labels])
        return build_dataset(path.name, X, Y, feature_names, what, labels)
    label = label_column(path.name, columns, target)
    _check_categorical(path.name, columns, [label], categorical)
    X, feature_names = _encode_features(path.name, frame.drop(columns=[label]), categorical)
    return build_dataset(path.name, X, _label_values(frame[label]), feature_names, what, label)


def _label_columns(source: str, columns: list[str], target: str) -> list[str]:
    """The columns of a multi-label ``--target a,b,c``: at least two, each once, all present."""
    names = [name.strip() for name in target.split(",") if name.strip()]
    missing = [name for name in names if name not in columns]
    if missing:
        raise ActiveLabError(
            f"{source} has no column {missing[0]!r}; columns are: {short_list(columns, 20)}"
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
            f"{source}: {count_of(missing.size, 'row')} without a value in the label column "
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


def label_column(source: str, columns: list[str], target: str | None) -> str:
    listed = short_list(columns, 20)
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


def _check_categorical(source: str, columns: list[str], labels: list[str],
                       categorical: Sequence[str]) -> None:
    """Every ``--categorical`` column exists and is a feature, not a label."""
    for name in categorical:
        if name not in columns:
            raise ActiveLabError(
                f"{source} has no column {name!r} (from --categorical); columns are: "
                f"{short_list(columns, 20)}"
            )
        if name in labels:
            raise ActiveLabError(
                f"{source}: --categorical {name!r} is the label column; name feature columns only"
            )


def _encode_features(source: str, frame: pd.DataFrame,
                     categorical: Sequence[str] = ()) -> tuple[np.ndarray, list[str]]:
    """Numeric and bool columns as floats; columns of a few categories one-hot encoded.

    A column named in ``categorical`` is one-hot encoded whatever it holds; a text column
    that is mostly numbers is refused (see :func:`refuse_stray_words`).
    """
    from pandas.api.types import is_numeric_dtype

    blocks = [np.empty((len(frame), 0))]
    names: list[str] = []
    for name, column in frame.items():
        if is_numeric_dtype(column) and name not in categorical:
            blocks.append(_as_float(column).reshape(-1, 1))
            names.append(str(name))
        else:
            if name not in categorical:
                refuse_stray_words(source, str(name), column)
            dummies = _one_hot(source, str(name), column)
            blocks.append(dummies.to_numpy(dtype=np.float64))
            names.extend(str(dummy) for dummy in dummies.columns)
    return np.hstack(blocks), names


def refuse_stray_words(source: str, name: str, column: pd.Series, first_row: int = 0) -> None:
    """Refuse a column of numbers with a few words or unit suffixes (``5.1cm``) in it,
    naming the first few data rows (``first_row``: the data row the column starts at);
    ``--categorical`` makes it categories on purpose."""
    stray = stray_non_numbers(column.tolist())
    if stray is None:
        return
    shown = ", ".join(f"data row {first_row + row + 1}: {column.iloc[row]!r}"
                      for row in stray[:5])
    more = f" and {len(stray) - 5} more" if len(stray) > 5 else ""
    raise ActiveLabError(
        f"{source}: column {name!r} holds numbers except in {count_of(len(stray), 'row')} "
        f"({shown}{more}); fix those cells, or pass --categorical {name} if the column "
        "holds categories"
    )


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

