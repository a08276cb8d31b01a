"""How the model is (re)trained between rounds."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["FullRefit", "TrainingPolicy", "can_fit"]


def can_fit(model: Any, y: np.ndarray) -> bool:
    """Whether ``y`` is enough to fit ``model``: two classes for a classifier, two labels otherwise."""
    from sklearn.base import is_classifier

    if len(y) == 0:
        return False
    if is_classifier(model) or hasattr(model, "predict_proba"):
        return len(np.unique(y)) >= 2
    return len(y) >= 2


class TrainingPolicy:
    """Fits the model on the labeled items. Subclasses override :meth:`fit`."""

    def fit(self, model: Any, X: Any, y: np.ndarray) -> Any:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class FullRefit(TrainingPolicy):
    """Refit from scratch on every labeled item, every round (``model.fit(X, y)``)."""

    def fit(self, model: Any, X: Any, y: np.ndarray) -> Any:
        model.fit(X, y)
        return model
