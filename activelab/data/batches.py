"""Tables read a batch of rows at a time: CSV, JSON lines, Parquet, and a saved Hugging
Face dataset (the folder ``Dataset.save_to_disk`` writes).

Every reader yields pandas DataFrames of at most ``rows`` rows, in file order, so a
command can scan a table far larger than memory. A ``ClassLabel`` column of a saved
dataset comes out as its class names (``None`` where the value is -1, "no label").

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
>>> _ = path.write_text("a,label\\n1,x\\n2,\\n3,y\\n")
>>> [len(frame) for frame in read_batches(path, rows=2)]
[2, 1]
>>> table_format(path), column_names(path)
('csv', ['a', 'label'])
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ActiveLabError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["TABLE_FORMATS", "column_names", "is_saved_dataset", "read_batches",
           "schema_numeric_columns", "table_format"]

#: What :func:`table_format` answers, and the files it reads.
TABLE_FORMATS = {
    "csv": (".csv", ".csv.gz"),
    "jsonl": (".jsonl", ".ndjson"),
    "parquet": (".parquet", ".pq"),
    "hf-dataset": (),
}

_READ_ERRORS = (ValueError, OSError, EOFError, zlib.error, UnicodeDecodeError)


def is_saved_dataset(path: Path) -> bool:
    """Whether ``path`` is a folder written by ``datasets.Dataset.save_to_disk``."""
    return path.is_dir() and (path / "state.json").is_file() and \
        (path / "dataset_info.json").is_file()


def table_format(path: Path) -> str:
    """``csv``, ``jsonl``, ``parquet`` or ``hf-dataset``; raises for anything else."""
    path = Path(path)
    if not path.exists():
        raise ActiveLabError(f"no file or folder {str(path)!r}; check the path")
    if path.is_dir():
        if (path / "dataset_dict.json").is_file():
            splits = sorted(p.name for p in path.iterdir() if p.is_dir())
            raise ActiveLabError(
                f"{path.name!r} holds a DatasetDict (splits: {', '.join(splits)}); "
                f"give one split's folder, e.g. {path.name}/{splits[0] if splits else 'train'}")
        if is_saved_dataset(path):
            return "hf-dataset"
        if any(path.glob("*.parquet")):
            return "parquet"
        raise ActiveLabError(
            f"the folder {path.name!r} is neither a saved Hugging Face dataset (state.json, "
            "dataset_info.json) nor a folder of .parquet files")
    lowered = path.name.lower()
    for name, suffixes in TABLE_FORMATS.items():
        if lowered.endswith(suffixes or ("\0",)):
            return name
    known = ", ".join(s for suffixes in TABLE_FORMATS.values() for s in suffixes)
    raise ActiveLabError(f"{path.name!r} is not a table this command reads; use one of: "
                         f"{known}, or a folder saved by datasets' save_to_disk")


def column_names(path: Path) -> list[str]:
    """The table's column names, reading as little as its format allows."""
    kind = table_format(path)
    if kind == "hf-dataset":
        return list(_load_saved(path).column_names)
    if kind == "parquet":
        with _reading(path, kind):
            return list(_pyarrow().read_schema(_parquet_files(path)[0]).names)
    first = next(read_batches(path, rows=100), None)
    return [] if first is None else [str(c) for c in first.columns]


def schema_numeric_columns(path: Path) -> list[str]:
    """The columns a Parquet file or saved dataset declares numeric or bool (CSV and JSON
    lines declare nothing: their types are found by reading them)."""
    kind = table_format(path)
    if kind == "parquet":
        import pyarrow.types as pat

        with _reading(path, kind):
            schema = _pyarrow().read_schema(_parquet_files(path)[0])
        return [field.name for field in schema if pat.is_integer(field.type)
                or pat.is_floating(field.type) or pat.is_boolean(field.type)]
    if kind == "hf-dataset":
        features = _load_saved(path).features
        return [name for name, feature in features.items()
                if type(feature).__name__ == "Value" and feature.dtype.startswith(
                    ("int", "uint", "float", "bool"))]
    return []


def read_batches(path: Path, rows: int = 65_536,
                 columns: list[str] | None = None) -> Iterator[pd.DataFrame]:
    """The table at ``path`` as DataFrames of at most ``rows`` rows, in order; ``columns``
    limits what is read (a CSV or JSON lines file is still parsed whole, a batch at a time).

    A file that cannot be parsed raises :class:`ActiveLabError` naming the file.
    """
    path = Path(path)
    kind = table_format(path)
    readers = {"csv": _csv_batches, "jsonl": _jsonl_batches, "parquet": _parquet_batches,
               "hf-dataset": _dataset_batches}
    with _reading(path, kind):
        for frame in readers[kind](path, rows, columns):
            frame.columns = [str(c) for c in frame.columns]
            yield frame


@contextmanager
def _reading(path: Path, kind: str) -> Iterator[None]:
    """Turns a parser's error into one :class:`ActiveLabError` naming the file."""
    try:
        yield
    except ActiveLabError:
        raise
    except _READ_ERRORS as err:
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ActiveLabError(f"could not read {path.name!r} as {kind}: {reason}; check that "
                             f"the file is valid {kind}") from None


def _csv_batches(path: Path, rows: int, columns: list[str] | None) -> Iterator[pd.DataFrame]:
    import pandas as pd

    try:
        yield from pd.read_csv(path, chunksize=rows, usecols=columns)
    except pd.errors.EmptyDataError:
        return


def _jsonl_batches(path: Path, rows: int, columns: list[str] | None) -> Iterator[pd.DataFrame]:
    import pandas as pd

    if path.stat().st_size == 0:
        return
    with pd.read_json(path, lines=True, chunksize=rows, dtype=False) as reader:
        for frame in reader:
            yield frame if columns is None else frame[[c for c in columns if c in frame]]


def _parquet_batches(path: Path, rows: int, columns: list[str] | None) -> Iterator[pd.DataFrame]:
    # One row group at a time, read whole: ``iter_batches`` buffers far ahead of the batch
    # it yields (about the whole file), reading a group holds only that group.
    pq = _pyarrow()
    for file in _parquet_files(path):
        parquet = pq.ParquetFile(file)
        for group in range(parquet.num_row_groups):
            table = parquet.read_row_group(group, columns=columns, use_threads=False)
            for start in range(0, table.num_rows, rows):
                yield table.slice(start, rows).to_pandas()


def _dataset_batches(path: Path, rows: int, columns: list[str] | None) -> Iterator[pd.DataFrame]:
    import numpy as np

    dataset = _load_saved(path)
    if columns is not None:
        dataset = dataset.select_columns(columns)
    names = {column: np.array(list(feature.names) + [None], dtype=object)
             for column, feature in dataset.features.items()
             if type(feature).__name__ == "ClassLabel"}
    if len(dataset) == 0:
        return
    for frame in dataset.to_pandas(batch_size=rows, batched=True):
        for column, classes in names.items():
            codes = frame[column].to_numpy()
            # -1 (no label) indexes the trailing None
            frame[column] = classes[np.where(codes < 0, -1, codes)]
        yield frame


def _parquet_files(path: Path) -> list[Path]:
    return sorted(path.glob("*.parquet")) if path.is_dir() else [path]


def _load_saved(path: Path) -> Any:
    try:
        import datasets
    except ImportError as err:
        raise ActiveLabError(
            "reading a saved Hugging Face dataset needs datasets: pip install 'activelab[hf]'"
        ) from err
    try:
        return datasets.load_from_disk(str(path))
    except (FileNotFoundError, ValueError, OSError) as err:
        raise ActiveLabError(f"could not read the saved dataset {path.name!r}: {err}") from None


def _pyarrow() -> Any:
    try:
        import pyarrow.parquet as pq
    except ImportError as err:
        raise ActiveLabError(
            "reading Parquet needs pyarrow: pip install 'activelab[parquet]'") from err
    return pq
