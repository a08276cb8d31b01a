"""The models ``activelab bench --model`` knows by name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..errors import ActiveLabError

__all__ = ["MODELS", "make_model"]


def _to_dense(X: Any) -> np.ndarray:
    return X.toarray() if sp.issparse(X) else np.asarray(X)


def _scaled(estimator: Any, sparse: bool) -> Any:
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(with_mean=not sparse), estimator)


def _logreg(seed: int, sparse: bool) -> Any:
    from sklearn.linear_model import LogisticRegression

    return _scaled(LogisticRegression(max_iter=2000, random_state=seed), sparse)


def _svm(seed: int, sparse: bool) -> Any:
    from sklearn.svm import SVC

    return _scaled(SVC(random_state=seed), sparse)


def _rf(seed: int, sparse: bool) -> Any:
    from sklearn.ensemble import RandomForestClassifier

    return RandomForestClassifier(n_estimators=100, random_state=seed, n_jobs=1)


def _knn(seed: int, sparse: bool) -> Any:
    from sklearn.neighbors import KNeighborsClassifier

    return _scaled(KNeighborsClassifier(n_neighbors=3), sparse)  # bench's MIN_LABELS_KNN


def _nb(seed: int, sparse: bool) -> Any:
    from sklearn.naive_bayes import GaussianNB
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    return make_pipeline(FunctionTransformer(_to_dense, accept_sparse=True), GaussianNB())


def _mlp(seed: int, sparse: bool) -> Any:
    from sklearn.neural_network import MLPClassifier

    return _scaled(MLPClassifier(hidden_layer_sizes=(64,), max_iter=300, random_state=seed), sparse)


MODELS: dict[str, tuple[Callable[[int, bool], Any], str]] = {
    "logreg": (_logreg, "standardised logistic regression"),
    "svm": (_svm, "standardised RBF SVC, decision_function only (no probabilities)"),
    "rf": (_rf, "random forest, 100 trees"),
    "knn": (_knn, "standardised 3-nearest neighbours"),
    "nb": (_nb, "Gaussian naive Bayes"),
    "mlp": (_mlp, "standardised MLP, one hidden layer of 64"),
}


def make_model(name: str, seed: int, sparse: bool = False) -> Any:
    """A fresh, unfitted model named ``name``, seeded with ``seed``."""
    if name not in MODELS:
        raise ActiveLabError(f"unknown model {name!r}; choose one of: {', '.join(MODELS)}")
    return MODELS[name][0](seed, sparse)
