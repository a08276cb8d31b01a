"""The Parzen window classifier: class frequencies from a kernel over the labeled items.

``k_c(x) = sum_{i: y_i = c} K(x, x_i)`` is the kernel frequency estimate of class ``c``
at ``x`` (Chapelle, 2005, "Active learning for Parzen window classifier", AISTATS). It is
the "how many labels of each class are near ``x``" that the probabilistic active
learning strategies (:mod:`activelab.strategies.probabilistic`: ``mcpal``, ``xpal``)
reason with, and, normalised, a classifier's probabilities.

>>> import numpy as np
>>> clf = ParzenWindowClassifier(gamma=1.0).fit([[0.0], [1.0], [5.0]], [0, 0, 1])
>>> np.round(clf.predict_freq([[0.5]]), 3).tolist()
[[1.558, 0.0]]
>>> clf.predict([[0.2], [4.0]]).tolist()
[0, 1]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin

from ..errors import ActiveLabError
from ..kernels import mean_bandwidth_gamma, rbf_kernel_matrix

__all__ = ["ParzenWindowClassifier"]

class ParzenWindowClassifier(ClassifierMixin, BaseEstimator):
    """Class frequencies from an RBF kernel over the labeled items; probabilities from them.

    ``predict_freq(x)[c] = sum_{i: y_i = c} exp(-gamma ||x - x_i||^2)`` and
    ``predict_proba(x) = (freq + class_prior) / sum(freq + class_prior)`` (uniform where
    that sum is zero). ``gamma="mean"`` picks the bandwidth by the mean criterion on the
    training items (:func:`activelab.kernels.mean_bandwidth_gamma`). The same classifier as
    scikit-activeml's ``ParzenWindowClassifier(metric="rbf")``.

    Parameters
    ----------
    gamma : float or "mean"
        The RBF kernel's inverse width.
    class_prior : float
        Pseudo-count added to every class before normalising (``>= 0``).
    classes : array-like, optional
        Every class, known up front (a class with no labeled item then gets frequency 0).
    random_state : ignored
        Kept for the catalog's seeded construction; the classifier is deterministic.

    Cost: ``predict_freq`` is ``O(n m d)`` for ``n`` items and ``m`` training items.
    """

    def __init__(
        self, gamma: float | str = "mean", class_prior: float = 0.0, classes: Any = None,
        random_state: Any = None,
    ) -> None:
        self.gamma = gamma
        self.class_prior = class_prior
        self.classes = classes
        self.random_state = random_state

    def fit(self, X: Any, y: Any) -> ParzenWindowClassifier:
        X = _as_matrix(X)
        y = np.asarray(y)
        if y.ndim != 1 or len(y) != X.shape[0]:
            raise ActiveLabError(f"fit got {X.shape[0]} items but labels of shape {y.shape}")
        if isinstance(self.class_prior, bool) or not (
            isinstance(self.class_prior, (int, float)) and self.class_prior >= 0
        ):
            raise ActiveLabError(f"class_prior must be a number >= 0; got {self.class_prior!r}")
        self.classes_ = np.unique(y) if self.classes is None else np.asarray(self.classes)
        unknown = ~np.isin(y, self.classes_)
        if unknown.any():
            raise ActiveLabError(
                f"label {y[unknown][0]!r} is not one of classes={self.classes_.tolist()}"
            )
        if isinstance(self.gamma, str):
            if self.gamma != "mean":
                raise ActiveLabError(f"gamma must be a positive number or 'mean'; got {self.gamma!r}")
            self.gamma_ = mean_bandwidth_gamma(X)
        else:
            if not (isinstance(self.gamma, (int, float)) and self.gamma > 0):
                raise ActiveLabError(f"gamma must be a positive number or 'mean'; got {self.gamma!r}")
            self.gamma_ = float(self.gamma)
        self.X_ = X
        self.votes_ = (y[:, None] == self.classes_[None, :]).astype(float)
        self.n_features_in_ = X.shape[1]
        return self

    def predict_freq(self, X: Any) -> np.ndarray:
        """The kernel frequency of each class at each row: ``(n, n_classes)``."""
        self._check_fitted()
        X = _as_matrix(X)
        if X.shape[1] != self.n_features_in_:
            raise ActiveLabError(
                f"the classifier was fit on {self.n_features_in_} features; got {X.shape[1]}"
            )
        return rbf_kernel_matrix(X, self.X_, self.gamma_) @ self.votes_

    def predict_proba(self, X: Any) -> np.ndarray:
        counts = self.predict_freq(X) + float(self.class_prior)
        totals = counts.sum(axis=1, keepdims=True)
        uniform = np.full_like(counts, 1.0 / counts.shape[1])
        return np.divide(counts, totals, out=uniform, where=totals > 0)

    def predict(self, X: Any) -> np.ndarray:
        return self.classes_[self.predict_proba(X).argmax(axis=1)]

    def _check_fitted(self) -> None:
        if not hasattr(self, "X_"):
            raise ActiveLabError("this ParzenWindowClassifier is not fitted yet; call fit(X, y)")


def _as_matrix(X: Any) -> Any:
    if sp.issparse(X):
        return sp.csr_matrix(X, dtype=np.float64)
    if hasattr(X, "to_numpy"):
        X = X.to_numpy()
    X = np.asarray(X, dtype=float)
    if X.ndim != 2:
        raise ActiveLabError(f"items must be a 2-D array of features; got shape {X.shape}")
    return X
