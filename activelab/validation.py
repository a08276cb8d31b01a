"""Checks at the boundary, shared by every module that takes input from a user."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from .errors import ActiveLabError

__all__ = ["check_int", "check_random_state", "first_line", "nonfinite_cells"]


def check_int(value: Any, name: str, minimum: int = 1) -> int:
    """``value`` as an int, refusing bools, floats and anything below ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ActiveLabError(f"{name} must be an integer of at least {minimum}; got {value!r}")
    if value < minimum:
        raise ActiveLabError(f"{name} must be at least {minimum}; got {value}")
    return int(value)


def check_number(value: Any, name: str, low: float | None = None,
                 high: float | None = None) -> float:
    """``value`` as a float, or a one-line error if it is not a finite number in bounds.

    >>> check_number(0.5, "penalty", low=0, high=1)
    0.5
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or not (
        np.isfinite(value)
    ):
        raise ActiveLabError(f"{name} must be a finite number; got {value!r}")
    if low is not None and high is not None and not low <= value <= high:
        raise ActiveLabError(f"{name} must be between {low} and {high}; got {value!r}")
    if low is not None and value < low:
        raise ActiveLabError(f"{name} must be at least {low}; got {value!r}")
    if high is not None and value > high:
        raise ActiveLabError(f"{name} must be at most {high}; got {value!r}")
    return float(value)


def check_random_state(random_state: Any) -> np.random.Generator:
    """A NumPy Generator from ``None``, a seed (a non-negative int), a Generator or a RandomState."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(2**32, dtype=np.uint64))
    if random_state is None:
        return np.random.default_rng()
    if isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool):
        if random_state < 0:
            raise ActiveLabError(f"random_state must be a non-negative seed; got {random_state}")
        return np.random.default_rng(int(random_state))
    raise ActiveLabError(
        f"random_state must be None, an int, or a numpy Generator; got {type(random_state).__name__}"
    )


def nonfinite_cells(X: Any) -> tuple[np.ndarray, np.ndarray]:
    """Row and column positions of NaN or infinite numeric values (dense, sparse or DataFrame)."""
    if sp.issparse(X):
        if X.dtype.kind not in "fc":
            return np.zeros(0, int), np.zeros(0, int)
        entries = X.tocoo()
        bad = ~np.isfinite(entries.data)
        return entries.row[bad], entries.col[bad]
    if hasattr(X, "select_dtypes"):
        numeric = X.select_dtypes(include="number")
        columns = np.array([X.columns.get_loc(c) for c in numeric.columns], dtype=int)
        rows, cols = np.nonzero(~np.isfinite(numeric.to_numpy(dtype=float, na_value=np.nan)))
        return rows, columns[cols] if len(columns) else cols
    X = np.asarray(X)
    if X.dtype.kind not in "fc":
        return np.zeros(0, int), np.zeros(0, int)
    rows, cols = np.nonzero(~np.isfinite(X.reshape(X.shape[0], -1)))
    return rows, cols


def first_line(err: BaseException) -> str:
    """The first line of an exception's message, for one-line errors that wrap it."""
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__
