"""The feature typing of a table, learned in one scan and applied a batch at a time.

The rules are those of :mod:`activelab.data.files`: numeric and bool columns are features
as they are; a column of at most :data:`~activelab.data.files.MAX_CATEGORIES` distinct
values (or one named in ``categorical``) is one-hot encoded; a mostly-numeric column with
a few words in it is refused. One addition for tables too large to load: a column of more
distinct strings is free **text**, encoded as hashed word counts (a stateless
``HashingVectorizer`` with :data:`TEXT_BUCKETS` buckets, so every batch is encoded alike
without seeing the others).

>>> import pandas as pd
>>> frame = pd.DataFrame({"x": [1.0, 2.0, 3.0], "colour": ["red", "blue", "red"]})
>>> features = TableFeatures("t.csv", ["x", "colour"])
>>> features.observe(frame)
>>> features.finish().names
['x', 'colour=blue', 'colour=red']
>>> features.transform(frame).tolist()
[[1.0, 0.0, 1.0], [2.0, 1.0, 0.0], [3.0, 0.0, 1.0]]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from ..errors import ActiveLabError
from .files import MAX_CATEGORIES, refuse_stray_words

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["TEXT_BUCKETS", "TableFeatures", "category_name"]

#: Hashed word buckets of one text column.
TEXT_BUCKETS = 2**18


def category_name(value: Any) -> str:
    """How a cell is named as a category: integral numbers without ``.0`` (so a column read
    as ``1`` in one batch and ``1.0`` in another names one category)."""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


class TableFeatures:
    """Learns each column's kind from batches (:meth:`observe`), then encodes batches
    (:meth:`transform`) into one feature matrix layout.

    ``numeric`` names columns known to be numeric from the file's schema (Parquet, a
    saved dataset); they need no scan.
    """

    def __init__(self, source: str, columns: Sequence[str], categorical: Sequence[str] = (),
                 numeric: Sequence[str] = ()) -> None:
        self.source = source
        self.columns = list(columns)
        self.categorical = set(categorical)
        self._known_numeric = set(numeric) - self.categorical
        self._numeric = dict.fromkeys(self.columns, True)
        # distinct category names so far; None once there are too many to be categories
        self._values: dict[str, set[str] | None] = {c: set() for c in self.columns}
        self._rows = 0
        self.kinds: dict[str, str] = {}
        self.categories: dict[str, list[str]] = {}
        self.names: list[str] = []

    @property
    def scan_columns(self) -> list[str]:
        """The columns :meth:`observe` needs to see (those the schema leaves open)."""
        return [c for c in self.columns if c not in self._known_numeric]

    def observe(self, frame: pd.DataFrame) -> None:
        """Take in one batch of rows (the columns of :attr:`scan_columns` at least)."""
        from pandas.api.types import is_numeric_dtype

        for name in self.scan_columns:
            column = frame[name]
            present = column.dropna()
            numeric = is_numeric_dtype(column)
            if not numeric and len(present):
                self._numeric[name] = False
                if name not in self.categorical:
                    refuse_stray_words(self.source, name, column, first_row=self._rows)
            values = self._values[name]
            if values is not None and len(present):
                distinct = np.unique(present.to_numpy()) if numeric else present.unique()
                values.update(category_name(v) for v in distinct[: MAX_CATEGORIES + 1])
                if len(values) > MAX_CATEGORIES:
                    self._values[name] = None
        self._rows += len(frame)

    def finish(self) -> TableFeatures:
        """Fix every column's kind and the feature names, once every batch was observed."""
        self.names = []
        for name in self.columns:
            values = self._values[name]
            if name not in self.categorical and (name in self._known_numeric
                                                 or self._numeric[name]):
                self.kinds[name] = "numeric"
                self.names.append(name)
            elif values is not None:
                self.kinds[name] = "category"
                self.categories[name] = sorted(values)
                self.names.extend(f"{name}={value}" for value in self.categories[name])
            elif name in self.categorical:
                raise ActiveLabError(
                    f"{self.source}: --categorical column {name!r} has more than "
                    f"{MAX_CATEGORIES} distinct values; drop it from --categorical")
            else:
                self.kinds[name] = "text"
                self.names.append(f"{name}:words")
        return self

    @property
    def sparse(self) -> bool:
        """Whether :meth:`transform` returns a sparse matrix (a text column is hashed)."""
        return "text" in self.kinds.values()

    @property
    def n_features(self) -> int:
        return sum(TEXT_BUCKETS if kind == "text" else
                   len(self.categories[name]) if kind == "category" else 1
                   for name, kind in self.kinds.items())

    def transform(self, frame: pd.DataFrame) -> Any:
        """One batch as features: a float64 array, or CSR when a column is text."""
        blocks: list[Any] = [np.empty((len(frame), 0))]
        for name in self.columns:
            kind, column = self.kinds[name], frame[name]
            if kind == "numeric":
                blocks.append(column.to_numpy(dtype=np.float64, na_value=np.nan)[:, None])
            elif kind == "category":
                blocks.append(self._one_hot(name, column))
            else:
                blocks.append(_hashed_words(column))
        if self.sparse:
            return sp.hstack([sp.csr_matrix(b) if not sp.issparse(b) else b for b in blocks],
                             format="csr")
        return np.hstack(blocks)

    def _one_hot(self, name: str, column: pd.Series) -> np.ndarray:
        import pandas as pd

        categories = self.categories[name]
        missing = column.isna().to_numpy()
        named = column.map(category_name, na_action="ignore")
        codes = pd.Categorical(named, categories=categories).codes
        out = np.zeros((len(column), len(categories)))
        rows = np.flatnonzero(codes >= 0)
        out[rows, codes[rows]] = 1.0
        out[missing] = np.nan  # a missing category stays missing, like any gap
        return out


def _hashed_words(column: pd.Series) -> sp.csr_matrix:
    from sklearn.feature_extraction.text import HashingVectorizer

    vectorizer = HashingVectorizer(n_features=TEXT_BUCKETS, alternate_sign=False)
    return vectorizer.transform(column.fillna("").map(str).tolist()).tocsr()
