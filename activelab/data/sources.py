"""Out-of-core pools: items that stay on disk and are read a chunk at a time.

A :class:`~activelab.Pool` built on a :class:`RowSource` keeps only the ids and the
label state in memory; the items are read when a chunk of them is needed. Two sources:

* :class:`NpyRows` — a 2-D ``.npy`` file, memory-mapped. After each read the pages of
  that read are released (``madvise(MADV_DONTNEED)`` where the system has it), so the
  process's resident memory stays bounded by a chunk, not by the file.
* :class:`ParquetRows` — a Parquet file or a folder of them, read one row group at a
  time (needs ``pyarrow``: ``pip install 'activelab[parquet]'``).

>>> import tempfile, numpy as np
>>> from activelab import Pool
>>> from activelab.data.sources import NpyRows
>>> path = tempfile.mkdtemp() + "/pool.npy"
>>> np.save(path, np.arange(12, dtype=np.float32).reshape(6, 2))
>>> pool = Pool(NpyRows(path))
>>> len(pool), pool.items([4]).tolist()
(6, [[8.0, 9.0]])
"""

from __future__ import annotations

import mmap
import os
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ActiveLabError

__all__ = ["NpyRows", "ParquetRows", "RowSource"]

#: Rows read at once by the block scans (finiteness check, id column).
SCAN_ROWS = 65_536


class RowSource(ABC):
    """Numeric rows that live outside memory: a 2-D ``shape``, a ``dtype``, and :meth:`read`.

    Subclasses implement :meth:`read` and set ``shape`` and ``dtype``. A source must be
    picklable (store paths, reopen files lazily), so Dask workers can read it.
    """

    shape: tuple[int, int]
    dtype: np.dtype

    @property
    def ndim(self) -> int:
        return 2

    def __len__(self) -> int:
        return self.shape[0]

    @abstractmethod
    def read(self, positions: np.ndarray) -> np.ndarray:
        """The rows at ``positions`` (any order, any count) as a 2-D NumPy array."""

    def blocks(self, rows: int = SCAN_ROWS):
        """``(start, block)`` pairs covering every row in order."""
        for start in range(0, self.shape[0], rows):
            yield start, self.read(np.arange(start, min(start + rows, self.shape[0])))

    def nonfinite_rows(self) -> np.ndarray:
        """Positions of rows holding NaN or infinite values (one scan, a block at a time)."""
        bad: list[np.ndarray] = []
        if self.dtype.kind not in "fc":
            return np.zeros(0, dtype=np.int64)
        for start, block in self.blocks():
            rows = np.flatnonzero(~np.isfinite(block).all(axis=1))
            if len(rows):
                bad.append(rows + start)
        return np.concatenate(bad) if bad else np.zeros(0, dtype=np.int64)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        raise ActiveLabError(
            f"{type(self).__name__} is read a chunk at a time; read rows with "
            ".read(positions) (or pool.items(ids)) instead of loading it whole"
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(shape={self.shape}, dtype={self.dtype})"


class NpyRows(RowSource):
    """The rows of a 2-D ``.npy`` file, memory-mapped and read on demand.

    Parameters
    ----------
    path : str or Path
        A file written by ``np.save`` holding a 2-D numeric array in C order.
    release : bool
        Release the pages of each read from the process's resident memory afterwards
        (they stay in the operating system's file cache). Default ``True``.

    Reading sorted positions (a chunk of candidates in pool order) touches one
    contiguous stretch of the file.

    >>> import tempfile, numpy as np
    >>> path = tempfile.mkdtemp() + "/x.npy"
    >>> np.save(path, np.eye(3))
    >>> NpyRows(path).read(np.array([2, 0])).tolist()
    [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
    """

    def __init__(self, path: str | os.PathLike, release: bool = True) -> None:
        self.path = Path(path)
        self.release = release
        if not self.path.is_file():
            raise ActiveLabError(f"no .npy file at {str(self.path)!r}; give the path np.save wrote")
        try:
            with open(self.path, "rb") as handle:
                version = np.lib.format.read_magic(handle)
                reader = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                          else np.lib.format.read_array_header_2_0)
                shape, fortran_order, dtype = reader(handle)
                self._offset = handle.tell()
        except ValueError as err:
            raise ActiveLabError(
                f"{str(self.path)!r} is not a .npy file ({err}); write it with np.save"
            ) from err
        if len(shape) != 2 or fortran_order or dtype.kind not in "biuf":
            raise ActiveLabError(
                f"{str(self.path)!r} holds a {'Fortran-order ' if fortran_order else ''}"
                f"{dtype} array of shape {shape}; an out-of-core pool needs a 2-D numeric "
                "array in C order (np.save(path, np.ascontiguousarray(X)))"
            )
        self.shape = (int(shape[0]), int(shape[1]))
        self.dtype = dtype
        self._map: mmap.mmap | None = None
        self._array: np.ndarray | None = None

    def _rows_array(self) -> np.ndarray:
        if self._array is None:
            with open(self.path, "rb") as handle:
                self._map = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
            self._array = np.ndarray(self.shape, self.dtype, buffer=self._map, offset=self._offset)
        return self._array

    def read(self, positions: np.ndarray) -> np.ndarray:
        positions = np.asarray(positions, dtype=np.intp)
        array = self._rows_array()
        if len(positions) == 0:
            return np.empty((0, self.shape[1]), dtype=self.dtype)
        rows = array[positions]
        if self.release and hasattr(mmap, "MADV_DONTNEED"):
            self._release(int(positions.min()), int(positions.max()) + 1)
        return rows

    def _release(self, first: int, stop: int) -> None:
        width = self.shape[1] * self.dtype.itemsize
        start = (self._offset + first * width) // mmap.PAGESIZE * mmap.PAGESIZE
        end = min(self._offset + stop * width, len(self._map))
        if end > start:
            self._map.madvise(mmap.MADV_DONTNEED, start, end - start)

    def blocks(self, rows: int = SCAN_ROWS):
        for start in range(0, self.shape[0], rows):
            stop = min(start + rows, self.shape[0])
            block = np.array(self._rows_array()[start:stop])
            if self.release and hasattr(mmap, "MADV_DONTNEED"):
                self._release(start, stop)
            yield start, block

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_map": None, "_array": None}


class ParquetRows(RowSource):
    """Numeric columns of a Parquet file, or of a folder of ``*.parquet`` files, by row group.

    Parameters
    ----------
    path : str or Path
        A ``.parquet`` file, or a folder whose ``*.parquet`` files (sorted by name) are
        the pool in order.
    columns : list of str, optional
        The feature columns. Defaults to every numeric column but ``id_column``.
    id_column : str, optional
        A column holding each row's id; read by :meth:`ids`.

    Rows are read one row group at a time; the last row group read is kept, so a pass
    in pool order decodes each row group once. Needs ``pyarrow``.

    >>> import tempfile, pyarrow as pa, pyarrow.parquet as pq
    >>> path = tempfile.mkdtemp() + "/pool.parquet"
    >>> pq.write_table(pa.table({"key": [7, 8, 9], "a": [0.0, 1.0, 2.0]}), path, row_group_size=2)
    >>> rows = ParquetRows(path, id_column="key")
    >>> rows.shape, rows.ids().tolist(), rows.read(np.array([2])).tolist()
    ((3, 1), [7, 8, 9], [[2.0]])
    """

    def __init__(
        self,
        path: str | os.PathLike,
        columns: list[str] | None = None,
        id_column: str | None = None,
    ) -> None:
        pq = _pyarrow_parquet()
        self.path = Path(path)
        if self.path.is_dir():
            self.files = sorted(self.path.glob("*.parquet"))
        elif self.path.is_file():
            self.files = [self.path]
        else:
            raise ActiveLabError(f"no Parquet file or folder at {str(self.path)!r}")
        if not self.files:
            raise ActiveLabError(f"the folder {str(self.path)!r} holds no *.parquet files")
        schema = pq.read_schema(self.files[0])
        self.id_column = id_column
        if id_column is not None and id_column not in schema.names:
            raise ActiveLabError(
                f"id_column {id_column!r} is not a column of the Parquet data; it has {schema.names}"
            )
        if columns is None:
            columns = [
                field.name for field in schema
                if field.name != id_column and _is_numeric(field.type)
            ]
        missing = [c for c in columns if c not in schema.names]
        if missing or not columns:
            raise ActiveLabError(
                f"Parquet columns {missing or columns} are not usable features; "
                f"pick numeric columns among {schema.names}"
            )
        not_numeric = [c for c in columns if not _is_numeric(schema.field(c).type)]
        if not_numeric:
            raise ActiveLabError(f"Parquet columns {not_numeric} are not numeric; drop them from columns")
        self.columns = list(columns)
        self.dtype = np.result_type(*[schema.field(c).type.to_pandas_dtype() for c in self.columns])
        groups = []
        for file_index, file in enumerate(self.files):
            metadata = pq.ParquetFile(file).metadata
            if pq.read_schema(file).names != schema.names:
                raise ActiveLabError(f"{file.name} has other columns than {self.files[0].name}")
            for group in range(metadata.num_row_groups):
                groups.append((file_index, group, metadata.row_group(group).num_rows))
        self.row_groups = [(f, g) for f, g, _ in groups]
        sizes = np.array([n for _, _, n in groups], dtype=np.int64)
        self.group_starts = np.concatenate([[0], np.cumsum(sizes)])
        self.shape = (int(self.group_starts[-1]), len(self.columns))
        self._cached: tuple[int, np.ndarray] | None = None

    def _read_columns(self, index: int, columns: list[str]) -> list[np.ndarray]:
        pq = _pyarrow_parquet()
        file_index, group = self.row_groups[index]
        table = pq.ParquetFile(self.files[file_index]).read_row_group(group, columns=columns)
        return [table.column(c).to_numpy() for c in columns]

    def read_group(self, index: int) -> np.ndarray:
        """Row group ``index`` (in pool order) as a 2-D array of the feature columns."""
        return np.column_stack(self._read_columns(index, self.columns)).astype(
            self.dtype, copy=False
        )

    def read(self, positions: np.ndarray) -> np.ndarray:
        positions = np.asarray(positions, dtype=np.int64)
        out = np.empty((len(positions), self.shape[1]), dtype=self.dtype)
        if len(positions) == 0:
            return out
        if positions.min() < 0 or positions.max() >= self.shape[0]:
            raise ActiveLabError(f"row positions must lie in [0, {self.shape[0]})")
        group_of = np.searchsorted(self.group_starts, positions, side="right") - 1
        for group in np.unique(group_of):
            where = np.flatnonzero(group_of == group)
            if self._cached is None or self._cached[0] != group:
                self._cached = (int(group), self.read_group(int(group)))
            out[where] = self._cached[1][positions[where] - self.group_starts[group]]
        return out

    def blocks(self, rows: int = SCAN_ROWS):
        for index in range(len(self.row_groups)):
            yield int(self.group_starts[index]), self.read_group(index)

    def ids(self) -> np.ndarray:
        """Every row's id from ``id_column`` (row positions when there is none)."""
        if self.id_column is None:
            return np.arange(self.shape[0])
        parts = [self._read_columns(i, [self.id_column])[0] for i in range(len(self.row_groups))]
        ids = np.concatenate(parts)
        return ids.astype(str) if ids.dtype == object else ids

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_cached": None}


def _pyarrow_parquet() -> Any:
    try:
        import pyarrow.parquet as pq
    except ImportError as err:
        raise ActiveLabError(
            "Parquet pools need pyarrow: pip install 'activelab[parquet]'"
        ) from err
    return pq


def _is_numeric(arrow_type: Any) -> bool:
    import pyarrow.types as pat

    return bool(pat.is_integer(arrow_type) or pat.is_floating(arrow_type))
