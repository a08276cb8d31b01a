"""Pool: the items, their stable ids, and the label state.

Every public method speaks ids, never positions: an id is the user's own key for a
record (an int or a string), and it keeps meaning the same record however many items
get labeled. Labels are kept as an append-only list of events, so a correction is a
new event and nothing is silently overwritten.

>>> import numpy as np
>>> from activelab import Pool
>>> pool = Pool(np.eye(4), ids=["a", "b", "c", "d"])
>>> pool.add_labels(["b"], [1], annotator="ann")
>>> pool.unlabeled_ids.tolist()
['a', 'c', 'd']
>>> pool.labels_of(["b"]).tolist()
[1]
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from .data.sources import RowSource
from .errors import ActiveLabError
from .validation import nonfinite_cells

__all__ = ["IdIndex", "LabelEvent", "Pool"]


@dataclass(frozen=True)
class LabelEvent:
    """One entry of the label log: who said what about which item, and when.

    ``kind`` is ``"label"`` when it came from :meth:`Pool.add_labels` (a first label, or
    a repeat of the same one), ``"correction"`` when it came from
    :meth:`Pool.correct_labels`, and ``"unsure"`` when it came from
    :meth:`Pool.add_unsure` (someone looked and could not tell; ``label`` is ``None``).
    ``cost`` is what the answer cost; ``rationale`` what the annotator said decided it
    (features or words), if anything.
    """

    id: Any
    label: Any
    annotator: str | None
    time: float
    kind: str
    cost: float = 0.0
    rationale: Any = None


def _n_rows(X: Any) -> int:
    if hasattr(X, "shape") and len(getattr(X, "shape", ())) >= 1:
        return int(X.shape[0])
    return len(X)


def _is_dataframe(X: Any) -> bool:
    return hasattr(X, "iloc") and hasattr(X, "columns")


def _is_list_of_rows(X: Any) -> bool:
    """A list of numeric rows (rather than a list of raw items such as texts)."""
    return (
        isinstance(X, (list, tuple))
        and len(X) > 0
        and all(isinstance(row, (list, tuple, np.ndarray)) for row in X)
    )


def _check_finite(X: Any) -> None:
    """Refuse NaN or infinite features, naming how many rows and the first one."""
    if isinstance(X, RowSource):
        bad_rows = X.nonfinite_rows()
    elif isinstance(X, np.ndarray) and X.ndim == 2 and X.dtype.kind in "fc":
        bad_rows = _nonfinite_rows(X)
    else:
        bad_rows = np.unique(nonfinite_cells(X)[0])
    if len(bad_rows):
        raise ActiveLabError(
            f"the features hold NaN or infinite values in {len(bad_rows)} row(s) "
            f"(first at position {int(bad_rows[0])}); impute or drop them before active learning"
        )


def _nonfinite_rows(X: np.ndarray, block: int = 65_536) -> np.ndarray:
    """Rows of a dense array holding NaN or inf, found a block at a time (memory-mapped
    arrays are never copied whole).

    A block whose sum is finite holds no NaN or inf (either would spoil the sum), so
    only a block whose sum is not (a bad value, or an overflow) is searched row by row.
    """
    bad = [np.zeros(0, dtype=np.int64)]
    for start in range(0, X.shape[0], block):
        part = X[start : start + block]
        if not np.isfinite(np.add.reduce(part, axis=None)):
            bad.append(np.flatnonzero(~np.isfinite(part).all(axis=1)) + start)
    return np.concatenate(bad)


class IdIndex:
    """Maps stable ids (ints or strings, unique) to row positions, vectorised.

    Default ids ``0..n-1`` map to themselves; other ids are found by binary search in
    a sorted copy, so no per-id Python dict is built for large pools.
    """

    def __init__(self, ids: Sequence[Any] | np.ndarray | None, n: int, owner: str = "pool") -> None:
        self.owner = owner
        self._default = ids is None
        self.ids = np.arange(n) if ids is None else self._check(ids, n)
        if self._default:  # 0..n-1 is its own sorted copy: no argsort, no second array
            self._sorted_ids, self._sorted_pos = self.ids, self.ids
        else:
            order = np.argsort(self.ids, kind="stable")
            self._sorted_ids = self.ids[order]
            self._sorted_pos = order

    @staticmethod
    def _check(ids: Any, n: int) -> np.ndarray:
        arr = np.asarray(ids)
        if arr.ndim != 1 or len(arr) != n:
            raise ActiveLabError(
                f"ids must be a flat sequence with one id per item ({n}); got shape {arr.shape}"
            )
        if arr.dtype.kind not in "iuUS":
            raise ActiveLabError(
                f"ids must be integers or strings; got dtype {arr.dtype}: convert them first"
            )
        mixed = arr.dtype.kind in "US" and not isinstance(ids, np.ndarray)
        if mixed and not all(isinstance(i, (str, bytes)) for i in ids):
            raise ActiveLabError(
                "ids mix strings and numbers; make them all strings or all integers"
            )
        uniq, counts = np.unique(arr, return_counts=True)
        if len(uniq) != n:
            dup = uniq[counts > 1][:3].tolist()
            raise ActiveLabError(f"ids must be unique; repeated: {dup}")
        return arr

    def positions(self, ids: Sequence[Any] | np.ndarray) -> np.ndarray:
        query = np.asarray(ids)
        if query.ndim == 0:
            query = query.reshape(1)
        if query.size == 0:
            return np.zeros(0, dtype=np.intp)
        n = len(self.ids)
        if self._default and query.dtype.kind in "iu":
            pos = query.astype(np.intp, copy=False)
            unknown = (pos < 0) | (pos >= n)
        elif query.dtype.kind != self._sorted_ids.dtype.kind and not (
            query.dtype.kind in "iu" and self._sorted_ids.dtype.kind in "iu"
        ):
            pos = np.zeros(query.shape, dtype=np.intp)
            unknown = np.ones(query.shape, dtype=bool)
        else:
            where = np.minimum(np.searchsorted(self._sorted_ids, query), n - 1)
            unknown = self._sorted_ids[where] != query
            pos = self._sorted_pos[where]
        if unknown.any():
            missing = query[unknown][:5].tolist()
            raise ActiveLabError(
                f"{int(unknown.sum())} id(s) are not in the {self.owner}, e.g. {missing}; "
                f"use ids the {self.owner} was given"
            )
        return pos


class Pool:
    """Items with stable ids and an append-only label log.

    Parameters
    ----------
    X : array-like
        A dense NumPy array, a SciPy sparse matrix, a pandas DataFrame, a sequence of
        raw items (texts, file paths, ...), or a :class:`~activelab.data.sources.RowSource`
        whose rows stay on disk (a memory-mapped ``.npy`` file, a Parquet file or
        folder; see docs/scale.md). One item per row.
    ids : sequence, optional
        The user's key for each item (ints or strings, unique). Defaults to ``0..n-1``.
    """

    def __init__(self, X: Any, ids: Sequence[Any] | np.ndarray | None = None) -> None:
        if isinstance(X, (str, bytes)) or not (hasattr(X, "shape") or hasattr(X, "__len__")):
            raise ActiveLabError(
                "Pool needs a 2-D array, a sparse matrix, a DataFrame or a list of items; "
                f"got {type(X).__name__}"
            )
        if sp.issparse(X):
            X = X.tocsr()
        elif hasattr(X, "iloc") and not hasattr(X, "columns"):  # a pandas Series of items
            X = X.to_numpy(dtype=object) if X.dtype == object else X.to_numpy()
        elif _is_list_of_rows(X):
            try:
                X = np.asarray(X, dtype=float)
            except ValueError as err:
                raise ActiveLabError(
                    "the rows of X have different lengths or hold non-numbers; "
                    "give one equal-length numeric row per item"
                ) from err
        if isinstance(X, np.ndarray) and X.ndim != 2 and X.dtype.kind in "biufc":
            raise ActiveLabError(
                f"Pool needs one row per item (a 2-D array); got an array of shape {X.shape}: "
                "use X.reshape(-1, 1) for a single feature"
            )
        n = _n_rows(X)
        if n == 0:
            raise ActiveLabError("the pool is empty; give it at least one item")
        _check_finite(X)
        self._X = X
        self._index = IdIndex(ids, n)
        self._ids = self._index.ids
        self._labels = np.empty(n, dtype=object)
        self._labeled = np.zeros(n, dtype=bool)
        self._unsure = np.zeros(n, dtype=np.int64)
        self._rationales: dict[int, Any] = {}
        self._events: list[LabelEvent] = []
        self._version = 0

    @classmethod
    def from_dataset(cls, dataset: Any, label: str = "label", id: str | None = "id",
                     features: Sequence[str] | None = None) -> Pool:
        """A pool from a Hugging Face ``datasets.Dataset`` (or the folder ``save_to_disk``
        wrote), with the labels it already has.

        ``label`` is the label column (a ``ClassLabel``: -1 means unlabeled; otherwise an
        empty value does); ``id`` the id column, used when present; ``features`` the
        numeric columns, or one text column (default: every other column). The columns
        ``annotator`` and ``labeled_at`` (written by ``activelab export --format hf``)
        become the label log's annotators and times. Needs ``activelab[hf]``.
        """
        from .data.hf import pool_parts, require_datasets

        if isinstance(dataset, (str, bytes)) or hasattr(dataset, "__fspath__"):
            dataset = require_datasets().load_from_disk(str(dataset))
        parts = pool_parts(dataset, label=label, id=id, features=features)
        pool = cls(parts["X"], ids=parts["ids"])
        pool.add_labels(parts["labeled_ids"], parts["labels"], annotator=parts["annotators"],
                        times=parts["times"])
        return pool

    # ---- the items -------------------------------------------------------------------

    @property
    def X(self) -> Any:
        """The items as given (array, sparse matrix, DataFrame or sequence)."""
        return self._X

    @property
    def ids(self) -> np.ndarray:
        """Every id, in the order the items were given."""
        return self._ids

    def __len__(self) -> int:
        return len(self._ids)

    @property
    def version(self) -> int:
        """A counter that grows with every change of the label state."""
        return self._version

    def positions(self, ids: Sequence[Any] | np.ndarray) -> np.ndarray:
        """Row positions of ``ids``; raises :class:`ActiveLabError` for unknown ids."""
        return self._index.positions(ids)

    def items(self, ids: Sequence[Any] | np.ndarray) -> Any:
        """The items for ``ids``, in the same container type as ``X``."""
        return self._rows(self.positions(ids))

    def _rows(self, pos: np.ndarray) -> Any:
        X = self._X
        if isinstance(X, RowSource):
            return X.read(pos)
        if isinstance(X, np.ndarray) or sp.issparse(X):
            return X[pos]
        if _is_dataframe(X):
            return X.iloc[pos]
        return [X[int(p)] for p in pos]

    # ---- the label state ----------------------------------------------------------------

    @property
    def labeled_ids(self) -> np.ndarray:
        """Ids that have a label, in pool order."""
        return self._ids[self._labeled]

    @property
    def unlabeled_ids(self) -> np.ndarray:
        """Ids without a label, in pool order."""
        return self._ids[~self._labeled]

    @property
    def n_labeled(self) -> int:
        return int(self._labeled.sum())

    @property
    def n_unlabeled(self) -> int:
        return len(self._ids) - self.n_labeled

    def is_labeled(self, ids: Sequence[Any] | np.ndarray) -> np.ndarray:
        """A boolean mask: which of ``ids`` have a label."""
        return self._labeled[self.positions(ids)]

    def labels_of(self, ids: Sequence[Any] | np.ndarray) -> np.ndarray:
        """The current label of each id; raises if any of them is unlabeled."""
        pos = self.positions(ids)
        unlabeled = ~self._labeled[pos]
        if unlabeled.any():
            some = np.asarray(ids).reshape(-1)[unlabeled][:5].tolist()
            raise ActiveLabError(
                f"{int(unlabeled.sum())} id(s) have no label yet, e.g. {some}; "
                "check pool.labeled_ids"
            )
        return _stack(self._labels[pos])

    def labeled_data(self) -> tuple[Any, np.ndarray]:
        """``(items, labels)`` of every labeled item, in pool order: what a model is fit on."""
        pos = np.flatnonzero(self._labeled)
        return self._rows(pos), _stack(self._labels[pos])

    @property
    def events(self) -> list[LabelEvent]:
        """The label log, oldest first (a copy)."""
        return list(self._events)

    def add_labels(
        self,
        ids: Sequence[Any] | np.ndarray,
        labels: Sequence[Any] | np.ndarray,
        annotator: str | Sequence[str | None] | None = None,
        *,
        costs: Sequence[float] | np.ndarray | None = None,
        rationales: Sequence[Any] | None = None,
        times: Sequence[float | None] | None = None,
    ) -> None:
        """Record labels for ``ids``.

        Labeling an item again with the same label records the repeat; giving a labeled
        item a *different* label is refused: use :meth:`correct_labels` for that. Either
        every label is recorded or, on an error, none is. ``annotator`` is one name for
        all, or one per id; ``costs`` and ``rationales`` (optional) one per id; ``times``
        (optional, one per id, Unix seconds; ``None``: now) when the labels were given
        elsewhere, say in another labeling tool.
        """
        pos, values = self._check_new_labels(ids, labels)
        current = self._labels[pos]
        changes = self._labeled[pos] & np.array(
            [not _same_label(a, b) for a, b in zip(current, values)], dtype=bool
        )
        if changes.any():
            i = int(np.flatnonzero(changes)[0])
            raise ActiveLabError(
                f"id {to_python(self._ids[pos[i]])!r} is already labeled {to_python(current[i])!r}; "
                "to change a label call pool.correct_labels(ids, labels)"
            )
        self._record(pos, values, annotator, kind="label", costs=costs, rationales=rationales,
                     times=times)

    def correct_labels(
        self,
        ids: Sequence[Any] | np.ndarray,
        labels: Sequence[Any] | np.ndarray,
        annotator: str | Sequence[str | None] | None = None,
    ) -> None:
        """Replace the labels of already labeled ``ids``; each change is logged as a correction."""
        pos, values = self._check_new_labels(ids, labels)
        if not self._labeled[pos].all():
            i = int(np.flatnonzero(~self._labeled[pos])[0])
            raise ActiveLabError(
                f"id {to_python(self._ids[pos[i]])!r} has no label to correct; use pool.add_labels"
            )
        self._record(pos, values, annotator, kind="correction")

    def _check_new_labels(self, ids: Any, labels: Any) -> tuple[np.ndarray, list[Any]]:
        id_arr = np.asarray(ids)
        if id_arr.ndim == 0:
            raise ActiveLabError("ids must be a sequence of ids, e.g. [3, 7]; got a single value")
        values = list(labels) if not isinstance(labels, (str, bytes)) else [labels]
        if len(values) != len(id_arr):
            raise ActiveLabError(
                f"got {len(id_arr)} ids but {len(values)} labels; give one label per id"
            )
        for value in values:
            if _is_missing(value):
                raise ActiveLabError(
                    f"a label is {to_python(value)!r}; give a real label, or leave the item unlabeled"
                )
        pos = self.positions(id_arr)
        if len(np.unique(pos)) != len(pos):
            raise ActiveLabError("the same id appears twice in one call; give each id once")
        return pos, [to_python(v) for v in values]

    def add_unsure(
        self,
        ids: Sequence[Any] | np.ndarray,
        annotator: str | Sequence[str | None] | None = None,
        *,
        costs: Sequence[float] | np.ndarray | None = None,
    ) -> None:
        """Log that someone looked at ``ids`` and could not tell; the labels stay as they were.

        :meth:`unsure_counts` counts these answers, so a strategy can pass over items
        people find hard, or send them to a better annotator.
        """
        pos = self.positions(np.asarray(ids).reshape(-1))
        if len(pos) == 0:
            return
        who = _per_item(annotator, len(pos), "annotator")
        cost = _costs_per_item(costs, len(pos))
        now = time.time()
        for p, name, c in zip(pos, who, cost):
            self._events.append(LabelEvent(id=to_python(self._ids[p]), label=None, annotator=name,
                                           time=now, kind="unsure", cost=float(c)))
        np.add.at(self._unsure, pos, 1)

    def unsure_counts(self, ids: Sequence[Any] | np.ndarray) -> np.ndarray:
        """How many "unsure" answers each of ``ids`` has had."""
        return self._unsure[self.positions(ids)].copy()

    def rationales_of(self, ids: Sequence[Any] | np.ndarray) -> list[Any]:
        """The latest rationale given with each id's label (``None`` where none was)."""
        return [self._rationales.get(int(p)) for p in self.positions(ids)]

    def _record(self, pos: np.ndarray, values: list[Any], annotator: Any, kind: str,
                costs: Any = None, rationales: Any = None, times: Any = None) -> None:
        if len(pos) == 0:
            return
        who = _per_item(annotator, len(pos), "annotator")
        cost = _costs_per_item(costs, len(pos))
        why = _per_item(rationales, len(pos), "rationales", scalar_ok=False)
        now = time.time()
        when = [now if t is None else float(t)
                for t in _per_item(times, len(pos), "times", scalar_ok=False)]
        for p, value, name, c, reason, moment in zip(pos, values, who, cost, why, when):
            self._events.append(
                LabelEvent(id=to_python(self._ids[p]), label=value, annotator=name,
                           time=moment, kind=kind, cost=float(c), rationale=reason)
            )
            self._labels[p] = value
            if reason is not None:
                self._rationales[int(p)] = reason
        self._labeled[pos] = True
        self._version += 1

    def __repr__(self) -> str:
        return f"Pool(n_items={len(self)}, n_labeled={self.n_labeled})"


def _per_item(value: Any, n: int, name: str, default: Any = None,
              scalar_ok: bool = True) -> list[Any]:
    """One value per item: a scalar repeated (``None``: ``default``), or a sequence of ``n``."""
    if value is None:
        return [default] * n
    if scalar_ok and (isinstance(value, (str, bytes, int, float, np.generic))):
        return [to_python(value)] * n
    values = list(value)
    if len(values) != n:
        raise ActiveLabError(f"got {len(values)} {name} for {n} ids; give one per id")
    return [to_python(v) for v in values]


def _costs_per_item(costs: Any, n: int) -> list[float]:
    """One finite, non-negative cost per item, checked before anything is written."""
    values = _per_item(costs, n, "costs", default=0.0)
    checked = []
    for value in values:
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = float("nan")
        if isinstance(value, bool) or not np.isfinite(number) or number < 0:
            raise ActiveLabError(
                f"a cost is {to_python(value)!r}; costs must be finite numbers >= 0, one per id"
            )
        checked.append(number)
    return checked


def to_python(value: Any) -> Any:
    """NumPy scalars become Python scalars, so logs and JSON stay plain."""
    return value.item() if isinstance(value, np.generic) else value


def _same_label(a: Any, b: Any) -> bool:
    if isinstance(a, (np.ndarray, list, tuple)) or isinstance(b, (np.ndarray, list, tuple)):
        return bool(np.array_equal(np.asarray(a, dtype=object), np.asarray(b, dtype=object)))
    return bool(a == b)


def _is_missing(value: Any) -> bool:
    if value is None or type(value).__name__ in ("NAType", "NaTType"):
        return True
    return isinstance(value, (float, np.floating)) and not np.isfinite(value)


def _stack(labels: np.ndarray) -> np.ndarray:
    """Labels as one array: scalars stack plainly, label vectors of one length as rows."""
    try:
        return np.array(labels.tolist())
    except ValueError:  # label vectors of different lengths stay an object array
        out = np.empty(len(labels), dtype=object)
        out[:] = list(labels)
        return out
