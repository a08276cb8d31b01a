"""Per-round model outputs over the unlabeled pool, computed once, in chunks, and shared.

A round of active learning asks the model about every candidate item. ``ModelOutputs``
does that once per round and caches the result, so a hybrid of two scorers never calls
``predict_proba`` twice, and it predicts in chunks, so the model never sees more than
``chunk_size`` rows at a time.

>>> import numpy as np
>>> from sklearn.linear_model import LogisticRegression
>>> from activelab import ModelOutputs, Pool
>>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
>>> pool = Pool(X)
>>> pool.add_labels([0, 3], [0, 1])
>>> model = LogisticRegression().fit(*pool.labeled_data())
>>> ModelOutputs(model, pool).proba().shape
(2, 2)
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import scipy.sparse as sp

from .data.sources import RowSource
from .errors import ActiveLabError
from .features import as_float_rows, embedding_function
from .pool import Pool
from .validation import check_int, first_line

__all__ = [
    "DEFAULT_CHUNK_BYTES",
    "DEFAULT_CHUNK_SIZE",
    "STREAM_ABOVE",
    "ModelOutputs",
    "chunk_rows",
    "entropy",
    "parse_bytes",
    "row_bytes",
]

#: The most item bytes one chunk holds by default (the row count is capped by this too).
DEFAULT_CHUNK_BYTES = 64 * 2**20

_UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9,
          "kib": 2**10, "mib": 2**20, "gib": 2**30}


def parse_bytes(text: str) -> int:
    """``"64MiB"`` -> 67108864; units B, KB, MB, GB (powers of 10) and KiB, MiB, GiB.

    >>> parse_bytes("64MiB"), parse_bytes("1.5 GB")
    (67108864, 1500000000)
    """
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([a-zA-Z]*)\s*", str(text))
    unit = match.group(2).lower() if match else None
    if match is None or unit not in _UNITS or float(match.group(1)) <= 0:
        raise ActiveLabError(
            f"a chunk size in bytes must look like '64MiB' or '500MB'; got {text!r}"
        )
    return max(1, int(float(match.group(1)) * _UNITS[unit]))


def row_bytes(X: Any) -> int:
    """About how many bytes one item of ``X`` takes in memory (at least 1)."""
    shape = getattr(X, "shape", None)
    if sp.issparse(X):
        per_row = X.nnz / max(X.shape[0], 1) * (X.dtype.itemsize + X.indices.dtype.itemsize)
        return max(1, int(per_row))
    if hasattr(X, "columns"):
        return max(1, 8 * len(X.columns))
    dtype = getattr(X, "dtype", None)
    if shape is not None and len(shape) >= 2 and dtype is not None and dtype.kind in "biuf":
        return max(1, int(np.prod(shape[1:])) * dtype.itemsize)
    return 1024


def chunk_rows(chunk_size: int | str, X: Any, max_rows: int | None = None) -> int:
    """Rows per chunk: ``chunk_size`` rows, or as many as fit in ``chunk_size`` bytes.

    An int is a row count; a string such as ``"64MiB"`` is a byte budget for the items
    of one chunk (see :func:`row_bytes`). ``max_rows`` caps either.

    >>> chunk_rows(1000, None), chunk_rows("1MiB", np.zeros((5, 32), dtype=np.float32))
    (1000, 8192)
    """
    if isinstance(chunk_size, str):
        rows = max(1, parse_bytes(chunk_size) // row_bytes(X))
    else:
        rows = check_int(chunk_size, "chunk_size")
    return min(rows, max_rows) if max_rows is not None else rows


#: Rows per chunk by default (fewer when 8,192 rows of items exceed 64 MiB).
DEFAULT_CHUNK_SIZE = 8192

#: With ``streaming=None``, top-k queries over more candidates than this stream.
STREAM_ABOVE = 1_000_000

#: How far a row of ``predict_proba`` may sum from one (float32 models round).
PROBA_TOLERANCE = 1e-3


class ModelOutputs:
    """What the model says about a set of pool items in one round.

    Parameters
    ----------
    model : estimator or None
        A fitted model. ``None`` is allowed for strategies that need no model (random).
    pool : Pool
    ids : array-like, optional
        The candidate ids. Defaults to every unlabeled id, in pool order.
    chunk_size : int or str, optional
        How many rows the model predicts at once: a row count, or a byte budget for the
        items of one chunk such as ``"64MiB"``. Default: 8,192 rows, fewer if those
        take more than 64 MiB. :attr:`chunk_size` holds the resolved row count.
    streaming : bool, optional
        Whether a top-k query over per-item scores (uncertainty, say) streams: it scores
        one chunk at a time and keeps only the running top-k, so memory is bounded by
        a chunk, and each chunk's outputs are shared by the scorers of that chunk but not
        cached for the round. ``None`` (default) streams for out-of-core pools
        (:mod:`activelab.data.sources`) and above :data:`STREAM_ABOVE` candidates. Streaming
        returns exactly the ids and scores a materialised query returns.
    shared : bool, default True
        Whether other scorers may read these outputs after the first one (a hybrid, a
        caller sharing one round's outputs). ``Strategy.query`` makes its own with
        ``shared=False``: a per-item top-k scorer then scores chunk by chunk and the
        pool's outputs are never stacked into one array (same ids and scores).

    Every output the model gives is checked, a chunk at a time: one row per item asked,
    the same shape in every chunk, no NaN or infinity, and for ``predict_proba`` one
    column per class of ``classes_``, values ``>= 0`` and rows that sum to one (within
    :data:`PROBA_TOLERANCE`). A model that knows only one class gets a warning: every
    item then scores the same.
    """

    def __init__(
        self,
        model: Any,
        pool: Pool,
        ids: np.ndarray | None = None,
        chunk_size: int | str | None = None,
        streaming: bool | None = None,
        shared: bool = True,
    ) -> None:
        self.model = model
        self.pool = pool
        if chunk_size is None:
            self.chunk_size = chunk_rows(
                f"{DEFAULT_CHUNK_BYTES}B", pool.X, max_rows=DEFAULT_CHUNK_SIZE
            )
        else:
            self.chunk_size = chunk_rows(chunk_size, pool.X)
        if streaming not in (None, True, False):
            raise ActiveLabError(f"streaming must be None, True or False; got {streaming!r}")
        if shared not in (True, False):
            raise ActiveLabError(f"shared must be True or False; got {shared!r}")
        self.streaming, self.shared = streaming, shared
        if ids is None:
            self._positions = np.flatnonzero(~pool._labeled)
            self.ids = pool.ids[self._positions]
        else:
            self.ids, self._positions = _check_candidates(pool, ids)
        self.pool_version = pool.version
        self._cache: dict[str, Any] = {}
        self._warned: set[str] = set()  # shared with the chunk views: warn once a round

    @property
    def streams(self) -> bool:
        """Whether top-k queries over per-item scores stream (see ``streaming``)."""
        if self.streaming is not None:
            return self.streaming
        return isinstance(self.pool.X, RowSource) or len(self.ids) > STREAM_ABOVE

    def chunks(self) -> Iterator[ModelOutputs]:
        """The candidates as consecutive views of at most :attr:`chunk_size` items.

        Each view is a ``ModelOutputs`` for the same model and pool; outputs already
        cached here are sliced into the views rather than computed again.
        """
        for start in range(0, len(self.ids), self.chunk_size):
            yield self._view(slice(start, start + self.chunk_size))

    def _view(self, rows: slice) -> ModelOutputs:
        view = object.__new__(ModelOutputs)
        view.model, view.pool = self.model, self.pool
        view.chunk_size, view.streaming, view.shared = self.chunk_size, False, self.shared
        view.ids, view.pool_version = self.ids[rows], self.pool_version
        view._positions, view._warned = self._positions[rows], self._warned
        view._cache = {
            key: value[rows] for key, value in self._cache.items()
            if not key.startswith("labeled_") and _sliceable(value, len(self.ids))
        }
        view._cache.update({k: v for k, v in self._cache.items() if k.startswith("labeled_")})
        return view

    def __len__(self) -> int:
        return len(self.ids)

    def check_current(self, model: Any, pool: Pool) -> None:
        """Refuse outputs made for another model, another pool, or an older label state."""
        if model is not self.model or pool is not self.pool:
            raise ActiveLabError(
                "these ModelOutputs were computed for another model or pool; "
                "build them with ModelOutputs(model, pool) for this round"
            )
        if pool.version != self.pool_version:
            raise ActiveLabError(
                "the pool's labels changed since these ModelOutputs were computed; "
                "build new ones after every round of labeling"
            )

    @property
    def has_proba(self) -> bool:
        return hasattr(self.model, "predict_proba")

    @property
    def has_decision(self) -> bool:
        return hasattr(self.model, "decision_function")

    @property
    def classes(self) -> np.ndarray | None:
        """The model's ``classes_``, if it has them."""
        return getattr(self.model, "classes_", None)

    def of_items(
        self, key: str, compute: Callable[[Any], np.ndarray], *, kind: str = "rows"
    ) -> np.ndarray:
        """Apply ``compute`` to the candidate items chunk by chunk, once per round.

        ``compute`` maps a chunk of items to an array with one row per item; the chunks
        are stacked. The result is cached under ``key``. Each chunk's result is checked
        as a ``kind`` of output: ``"rows"`` (one row per item, no NaN or infinity) or
        ``"proba"`` (also probability rows, see the class docstring).
        """
        if kind not in ("rows", "proba"):
            raise ActiveLabError(f"kind must be 'rows' or 'proba'; got {kind!r}")
        return self._computed(key, compute, _describe(compute, key), kind)

    def _computed(self, key: str, compute: Callable[[Any], Any], what: str, kind: str) -> Any:
        if key not in self._cache:
            self._cache[key] = self._in_chunks(compute, what=what, kind=kind)
        return self._cache[key]

    def derived(self, key: str, compute: Callable[[], np.ndarray]) -> np.ndarray:
        """Cache ``compute()``, a value built from other outputs, under ``key``."""
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    def proba(self) -> np.ndarray:
        """``predict_proba`` of every candidate, shape ``(n, n_classes)``."""
        self._require("predict_proba")
        return self._computed("proba", self.model.predict_proba, self._what("predict_proba"),
                              "proba")

    def predict(self) -> np.ndarray:
        """``predict`` of every candidate (for regressors: the predicted values)."""
        self._require("predict")
        return self._computed("predict", self.model.predict, self._what("predict"), "rows")

    def decision(self) -> np.ndarray:
        """``decision_function`` of every candidate: ``(n,)`` for two classes, else ``(n, k)``."""
        self._require("decision_function")
        return self._computed("decision", self.model.decision_function,
                              self._what("decision_function"), "rows")

    @property
    def has_samples(self) -> bool:
        """Whether :meth:`samples` can work: the model has ``sample_proba`` or ``estimators_``."""
        return hasattr(self.model, "sample_proba") or hasattr(self.model, "estimators_")

    def samples(self, n_samples: int | None = None) -> np.ndarray:
        """Samples of the class probabilities, ``(n, n_samples, n_classes)``, once per round.

        From ``model.sample_proba(items, n_samples)`` when the model has it (MC dropout or
        a deep ensemble, see :class:`activelab.models.TorchClassifier`; ``None`` is the
        model's default count); else one sample per member of a fitted ensemble with
        ``estimators_`` (``n_samples`` is then ignored), aligned to ``classes_`` and
        shared with the committee strategies' cache.
        """
        sampler = getattr(self.model, "sample_proba", None)
        if sampler is not None:
            return self._computed(
                f"samples_{n_samples}", lambda rows: sampler(rows, n_samples),
                f"{type(self.model).__name__}.sample_proba", "samples",
            )
        if self.model is None or not hasattr(self.model, "estimators_"):
            raise ActiveLabError(
                f"{type(self.model).__name__} gives no probability samples; use a model with "
                "sample_proba (activelab.models.TorchClassifier: MC dropout) or a fitted "
                "ensemble with estimators_ (BaggingClassifier, RandomForestClassifier)"
            )
        from .models.committee import committee_members

        def stacked() -> np.ndarray:
            members = committee_members(self.model)
            probas = [self.of_items(f"member{i}_proba", m.proba, kind="proba")
                      for i, m in enumerate(members)]
            return np.stack(probas, axis=1)

        return self.derived("samples_members", stacked)

    def features(self, of: str = "candidates") -> np.ndarray | sp.csr_matrix:
        """The items as a float matrix (dense, or CSR for a sparse pool), one row per item.

        float32 items stay float32; other numbers become float64.

        ``of`` is ``"candidates"`` (``self.ids``, in order) or ``"labeled"``
        (``pool.labeled_ids``, in pool order). Raw items (texts, paths) have no features:
        give the model an ``embed`` method, or build the pool from feature vectors.
        """
        return self._of(of, "features", as_float_rows, "items")

    def embeddings(self, of: str = "candidates") -> np.ndarray | sp.csr_matrix:
        """The items in the space the model sees them: the one features rule.

        Every strategy that measures distances or needs feature vectors (core-set,
        k-means, ranked batch, cluster-margin, TypiClust, ProbCover, the density
        strategies, BADGE, ...) reads this, and it is, in order:

        1. ``model.embed(items)`` when the model has it (a network's penultimate layer);
        2. for a scikit-learn ``Pipeline`` (anything with ``steps``), the items passed
           through every fitted step but the last (``model[:-1].transform``): a pool of
           raw texts with a ``TfidfVectorizer`` + classifier pipeline gives TF-IDF rows,
           sparse and a chunk at a time, never densified for the whole pool;
        3. else the items' numeric features (:meth:`features`).

        ``of`` as in :meth:`features`.
        """
        compute = embedding_function(self.model)
        if compute is None:
            return self.features(of)
        return self._of(of, "embeddings", compute, "rows")

    def _of(self, of: str, key: str, compute: Callable[[Any], Any], kind: str) -> Any:
        what = _describe(compute, key)
        if of == "candidates":
            return self._computed(key, compute, what, kind)
        if of != "labeled":
            raise ActiveLabError(f"of must be 'candidates' or 'labeled'; got {of!r}")
        cache_key = f"labeled_{key}"
        if cache_key not in self._cache:
            positions = np.flatnonzero(self.pool._labeled)
            self._cache[cache_key] = self._in_chunks(compute, positions, what=what, kind=kind)
        return self._cache[cache_key]

    def _require(self, method: str) -> None:
        if self.model is None:
            raise ActiveLabError(
                f"this strategy needs a fitted model with {method}; got model=None"
            )
        if not hasattr(self.model, method):
            raise ActiveLabError(
                f"{type(self.model).__name__} has no {method}; use a model that has it, "
                "or a strategy that does not need it"
            )

    def _in_chunks(
        self,
        compute: Callable[[Any], Any],
        positions: np.ndarray | None = None,
        *,
        what: str,
        kind: str,
    ) -> Any:
        """``compute`` over the items at ``positions`` a chunk at a time, checked and stacked.

        ``kind`` says what each chunk must look like (see :meth:`_check_part`). The pool
        checked its items for NaN and infinity when it was built, so scikit-learn is told
        to assume them finite (``assume_finite``) rather than check every chunk again.
        """
        from sklearn import config_context
        from sklearn.exceptions import NotFittedError

        positions = self._positions if positions is None else positions
        n = len(positions)
        parts: list[Any] = []
        out: np.ndarray | None = None
        for start in range(0, n, self.chunk_size):
            chunk = positions[start : start + self.chunk_size]
            try:
                with config_context(assume_finite=True):
                    part = compute(self._items_at(chunk))
                part = part if sp.issparse(part) else np.asarray(part)
            except NotFittedError as err:
                raise ActiveLabError(
                    f"{type(self.model).__name__} is not fitted; fit it on "
                    "pool.labeled_data() first (ActiveLoop does this for you)"
                ) from err
            except ActiveLabError:
                raise
            except ValueError as err:
                raise ActiveLabError(
                    f"{type(self.model).__name__} could not predict on the pool's items "
                    f"({first_line(err)}); check that they look like what it was fit on"
                ) from err
            earlier = parts[0] if parts else out
            self._check_part(part, len(chunk), what, kind, earlier)
            if sp.issparse(part):
                parts.append(part)
                continue
            if out is None:
                out = np.empty((n, *part.shape[1:]), dtype=np.result_type(part.dtype, np.float32))
            out[start : start + len(part)] = part
        if parts:
            return sp.vstack(parts, format="csr")
        if out is None:
            return np.zeros((0,))
        return out

    def _items_at(self, positions: np.ndarray) -> Any:
        """The items at ``positions``: a read-only view of a dense pool when they are a run
        of consecutive rows (no copy), else the pool's own copy."""
        X = self.pool.X
        if (isinstance(X, np.ndarray) and len(positions)
                and positions[-1] - positions[0] == len(positions) - 1
                and (len(positions) == 1 or bool((np.diff(positions) == 1).all()))):
            view = X[positions[0] : positions[-1] + 1]
            view.flags.writeable = False
            return view
        return self.pool._rows(positions)

    def _check_part(self, part: Any, n: int, what: str, kind: str, earlier: Any) -> None:
        """Refuse a chunk of outputs with the wrong rows, shape or values, naming ``what``."""
        shape = getattr(part, "shape", ())
        if len(shape) == 0 or shape[0] != n:
            got = "a single value" if len(shape) == 0 else f"{shape[0]} rows"
            raise ActiveLabError(
                f"{what} returned {got} for {n} items; it must return one row per item, "
                "in the order given (check the model or its wrapper)"
            )
        if earlier is not None and shape[1:] != earlier.shape[1:]:
            raise ActiveLabError(
                f"{what} returned rows of shape {shape[1:]} for one chunk of items and "
                f"{earlier.shape[1:]} for an earlier one; it must give every item the same shape"
            )
        values = part.data if sp.issparse(part) else part
        if kind == "items" or values.dtype.kind not in "fc":
            return
        if kind == "proba" or kind == "samples":
            multilabel = _is_multilabel(self.model)
            classes = None if multilabel else self._n_classes()
            _check_probabilities(values, what, kind, classes, not multilabel)
            if values.ndim >= 2 and values.shape[-1] == 1 and "one class" not in self._warned:
                self._warned.add("one class")
                warnings.warn(
                    f"{what} gives one class only: every item scores the same, so the query "
                    "picks by id; label items of at least two classes first (a cold-start "
                    "or random strategy does)", UserWarning, stacklevel=2,
                )
            return
        if values.size and not (np.isfinite(values.min()) and np.isfinite(values.max())):
            bad = int(np.count_nonzero(~np.isfinite(values)))
            raise ActiveLabError(
                f"{what} returned {bad} NaN or infinite value(s) for {n} items; "
                "check the model and the features"
            )

    def _n_classes(self) -> int | None:
        """``len(model.classes_)`` when the model has a flat ``classes_``, else ``None``."""
        classes = self.classes
        if not isinstance(classes, np.ndarray) or classes.ndim != 1:
            return None
        return len(classes)

    def _what(self, method: str) -> str:
        return f"{type(self.model).__name__}.{method}"


def entropy(proba: np.ndarray, axis: int = -1) -> np.ndarray:
    """Shannon entropy, in nats, of the probability rows of ``proba`` (``0 log 0 = 0``).

    ``-sum_c p(c) log p(c)`` along ``axis`` (the classes). The one definition every
    strategy, training policy and stopping rule uses.

    >>> import numpy as np
    >>> entropy(np.array([[0.5, 0.5], [0.9, 0.1], [0.25, 0.75]])).round(4)
    array([0.6931, 0.3251, 0.5623])
    """
    logs = np.log(np.where(proba > 0, proba, 1.0))
    return -(proba * logs).sum(axis=axis)


def _is_multilabel(model: Any) -> bool:
    """Whether ``model`` was fit on label indicator rows (its probabilities are per label)."""
    binarizer = getattr(model, "_label_binarizer", None)
    classes = getattr(model, "classes_", None)
    return bool(
        getattr(model, "multilabel_", False)
        or getattr(binarizer, "y_type_", "") == "multilabel-indicator"
        or isinstance(classes, list)
        or (isinstance(classes, np.ndarray) and classes.ndim != 1)
    )


def _check_probabilities(
    values: np.ndarray, what: str, kind: str, classes: int | None, distributions: bool
) -> None:
    """Probability rows (the last axis): one column per class, ``>= 0``, summing to one.

    Two passes over the chunk, the smallest value and the row sums (a NaN or an infinity
    spoils either, so both catch it); the thorough look runs only on a bad chunk.
    Multi-label probabilities (``distributions=False``) and other layouts are checked
    for NaN, infinity and their range only.
    """
    want_ndim = 3 if kind == "samples" else 2
    if not distributions or values.ndim != want_ndim:
        if values.size and not (values.min() >= 0 and values.max() <= 1 + PROBA_TOLERANCE):
            raise ActiveLabError(
                f"{what} returned NaN, infinite or out-of-range probabilities (each must "
                "lie in [0, 1]); check the model and its wrapper"
            )
        return
    if classes is not None and values.shape[-1] != classes:
        raise ActiveLabError(
            f"{what} returned {values.shape[-1]} probability columns but the model has "
            f"{classes} classes_; its columns must follow classes_ (check the model or "
            "its wrapper)"
        )
    rows = values.reshape(-1, values.shape[-1])
    if rows.size == 0:
        return
    sums = rows @ np.ones(rows.shape[1], dtype=rows.dtype)  # a BLAS pass: the fastest sum
    smallest = rows.min()
    if smallest >= 0 and sums.min() >= 1 - PROBA_TOLERANCE and sums.max() <= 1 + PROBA_TOLERANCE:
        return
    finite = np.isfinite(rows)
    if not finite.all():
        raise ActiveLabError(
            f"{what} returned {int(np.count_nonzero(~finite))} NaN or infinite "
            f"probabilities for {values.shape[0]} items; check the model and the features"
        )
    if smallest < 0:
        raise ActiveLabError(
            f"{what} returned negative probabilities (as low as {float(smallest):.3g}); "
            "probabilities lie in [0, 1]"
        )
    worst = int(np.argmax(np.abs(sums - 1)))
    raise ActiveLabError(
        f"{what} returned {int(np.count_nonzero(np.abs(sums - 1) > PROBA_TOLERANCE))} "
        f"row(s) that do not sum to one (one sums to {float(sums[worst]):.6g}); each row "
        "must be a distribution over classes_ (check the model or its wrapper)"
    )


def _describe(compute: Callable[[Any], Any], key: str) -> str:
    """``"Model.method"`` for a bound method, else the output's cache key."""
    owner = getattr(compute, "__self__", None)
    name = getattr(compute, "__name__", "")
    if owner is not None and name.isidentifier():
        return f"{type(owner).__name__}.{name}"
    return f"the {key!r} output"


def _sliceable(value: Any, n: int) -> bool:
    return (isinstance(value, np.ndarray) or sp.issparse(value)) and value.shape[0] == n


def _check_candidates(pool: Pool, ids: Any) -> tuple[np.ndarray, np.ndarray]:
    """Candidates must be known, unique and unlabeled: a strategy may return any of them.

    Returns the ids and their positions in the pool.
    """
    ids = np.asarray(ids)
    if ids.ndim != 1:
        raise ActiveLabError(f"candidate ids must be a flat sequence; got shape {ids.shape}")
    positions = pool.positions(ids)
    if len(np.unique(positions)) != len(positions):
        raise ActiveLabError("candidate ids repeat; give each id once")
    labeled = pool._labeled[positions]
    if labeled.any():
        raise ActiveLabError(
            f"{int(labeled.sum())} candidate id(s) are already labeled, e.g. "
            f"{ids[labeled][:3].tolist()}; candidates must come from pool.unlabeled_ids"
        )
    return ids, positions
