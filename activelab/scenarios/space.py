"""Where synthesised points may lie: bounds, integer and categorical features, validity.

>>> from activelab.scenarios.space import InputSpace
>>> InputSpace([0, 0], [1, 1]).project([[1.5, -0.2]]).tolist()
[[1.0, 0.0]]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from ..errors import ActiveLabError
from ..validation import first_line

__all__ = ["InputSpace"]



class InputSpace:
    """Where synthesised points may lie.

    Parameters
    ----------
    lower, upper : array-like
        Bounds per feature; ``lower <= upper`` everywhere.
    integer : iterable of int
        Features that take whole numbers only.
    categorical : mapping of int to values
        Features that take one of a few numeric values (a category code, a dose level).
    valid : callable, optional
        ``valid(x) -> bool`` for one point: whether it is a meaningful input. Points it
        rejects are never proposed.

    >>> space = InputSpace([0, 0, 0], [10, 1, 1], integer=[0], categorical={2: [0, 0.5, 1]})
    >>> space.project([[3.6, 2.0, 0.4]]).tolist()
    [[4.0, 1.0, 0.5]]
    >>> InputSpace([1], [0])
    Traceback (most recent call last):
    ...
    activelab.errors.ActiveLabError: bounds of feature 0: lower 1.0 is above upper 0.0; swap them
    """

    def __init__(
        self,
        lower: Sequence[float] | np.ndarray,
        upper: Sequence[float] | np.ndarray,
        integer: Iterable[int] = (),
        categorical: Mapping[int, Sequence[float]] | None = None,
        valid: Callable[[np.ndarray], bool] | None = None,
    ) -> None:
        self.lower = np.atleast_1d(np.asarray(lower, dtype=float))
        self.upper = np.atleast_1d(np.asarray(upper, dtype=float))
        if self.lower.ndim != 1 or self.lower.shape != self.upper.shape:
            raise ActiveLabError(
                f"lower and upper need one bound per feature; got shapes {self.lower.shape} "
                f"and {self.upper.shape}"
            )
        if not (np.all(np.isfinite(self.lower)) and np.all(np.isfinite(self.upper))):
            raise ActiveLabError("bounds must be finite numbers; give every feature a lower and upper")
        inverted = np.flatnonzero(self.lower > self.upper)
        if len(inverted):
            j = int(inverted[0])
            raise ActiveLabError(
                f"bounds of feature {j}: lower {self.lower[j]} is above upper {self.upper[j]}; "
                "swap them"
            )
        d = len(self.lower)
        self.integer = sorted({self._feature(j, "integer") for j in integer})
        self.categorical = {}
        for j, values in (categorical or {}).items():
            levels = np.unique(np.asarray(values, dtype=float))
            if len(levels) == 0:
                raise ActiveLabError(f"categorical feature {j} has no allowed values")
            self.categorical[self._feature(j, "categorical")] = levels
        for j in self.integer:
            if np.ceil(self.lower[j]) > np.floor(self.upper[j]):
                raise ActiveLabError(
                    f"integer feature {j} has no whole number between {self.lower[j]} and "
                    f"{self.upper[j]}"
                )
        if valid is not None and not callable(valid):
            raise ActiveLabError("valid must be a function valid(x) -> bool")
        self.valid = valid
        self.n_features = d

    def _feature(self, j: Any, kind: str) -> int:
        if isinstance(j, bool) or not isinstance(j, (int, np.integer)) or not 0 <= j < len(self.lower):
            raise ActiveLabError(
                f"{kind} feature {j!r} is not a feature position 0..{len(self.lower) - 1}"
            )
        return int(j)

    def check(self, X: Any) -> np.ndarray:
        """``X`` as a float matrix with this space's number of features, or a one-line error."""
        X = np.asarray(X, dtype=float)
        if X.ndim == 1:
            X = X.reshape(1, -1)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ActiveLabError(
                f"points must have {self.n_features} features; got shape {X.shape}"
            )
        return X

    def project(self, X: Any) -> np.ndarray:
        """The nearest points that respect the bounds, integer and categorical features."""
        X = np.clip(self.check(X), self.lower, self.upper)
        for j in self.integer:
            X[:, j] = np.clip(np.round(X[:, j]), np.ceil(self.lower[j]), np.floor(self.upper[j]))
        for j, levels in self.categorical.items():
            nearest = np.abs(X[:, j][:, None] - levels[None, :]).argmin(axis=1)
            X[:, j] = levels[nearest]
        return X

    def is_valid(self, X: Any) -> np.ndarray:
        """Whether each point passes the validity check (all do without one)."""
        X = self.check(X)
        if self.valid is None:
            return np.ones(len(X), dtype=bool)
        try:
            return np.array([bool(self.valid(x)) for x in X], dtype=bool)
        except Exception as err:
            raise ActiveLabError(f"the validity check failed: {first_line(err)}") from err

    def sample(self, n: int, rng: np.random.Generator, max_tries: int = 100) -> np.ndarray:
        """``n`` valid points drawn uniformly within the bounds (then projected)."""
        kept: list[np.ndarray] = []
        found = 0
        for _ in range(max_tries):
            X = self.project(rng.uniform(self.lower, self.upper, (max(n, 16), self.n_features)))
            X = X[self.is_valid(X)]
            kept.append(X)
            found += len(X)
            if found >= n:
                return np.vstack(kept)[:n]
        raise ActiveLabError(
            f"only {found} of {max_tries * max(n, 16)} random points passed the validity check; "
            "loosen it or narrow the bounds around the valid region"
        )

    def filter(self, X: np.ndarray) -> np.ndarray:
        """``X`` projected, without the points the validity check rejects."""
        X = self.project(X)
        return X[self.is_valid(X)]
