"""Uncertainty sampling: ask about the items the model is least sure of (Lewis & Gale, 1994).

All four work with models that have ``predict_proba`` and with models that only have
``decision_function`` (scikit-learn's ``SVC()`` without probability estimates, say):

* **margin** uses the raw decision values there: the item closest to the decision
  boundary comes first (``-|f(x)|`` for two classes; for more, the gap between the two
  largest one-vs-rest scores).
* **least confidence**, **ratio of confidence** and **entropy** turn decision values into
  pseudo-probabilities (a logistic function for two classes, a softmax over the
  one-vs-rest scores for more).
"""

from __future__ import annotations

import numpy as np

from ..outputs import ModelOutputs, entropy
from .base import ScoringStrategy
from .registry import register

__all__ = [
    "EntropySampling",
    "LeastConfidenceSampling",
    "MarginSampling",
    "RatioSampling",
    "class_probabilities",
    "entropy",
    "least_confidence",
    "margin",
    "ratio",
]


def class_probabilities(outputs: ModelOutputs) -> np.ndarray:
    """``predict_proba`` if the model has it, else pseudo-probabilities from decision values."""
    if outputs.has_proba:
        return outputs.proba()
    return outputs.derived("pseudo_proba", lambda: _softmax_decision(outputs.decision()))


def _softmax_decision(decision: np.ndarray) -> np.ndarray:
    if decision.ndim == 1:
        decision = np.column_stack([-decision / 2, decision / 2])
    shifted = decision - decision.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


def _top_two(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if values.shape[1] < 2:
        return values[:, 0], np.zeros(len(values), dtype=values.dtype)
    two = np.partition(values, values.shape[1] - 2, axis=1)[:, -2:]
    return two[:, 1], two[:, 0]


def least_confidence(proba: np.ndarray) -> np.ndarray:
    """``1 - max_c p(c|x)``."""
    return 1.0 - proba.max(axis=1)


def margin(proba: np.ndarray) -> np.ndarray:
    """``-(p(first) - p(second))``: a small gap between the two likeliest classes scores high."""
    first, second = _top_two(proba)
    return -(first - second)


def ratio(proba: np.ndarray) -> np.ndarray:
    """``p(second) / p(first)``: 1 when the two likeliest classes tie, 0 when one class is sure."""
    first, second = _top_two(proba)
    safe = np.where(first > 0, first, 1.0)
    return np.where(first > 0, second / safe, 0.0)


@register("least_confidence")
class LeastConfidenceSampling(ScoringStrategy):
    """Least confidence: ``1 - max_c p(c|x)`` (Lewis & Gale, 1994).

    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from activelab import Pool
    >>> from activelab.strategies import LeastConfidenceSampling
    >>> X, y = load_iris(return_X_y=True)
    >>> pool = Pool(X)
    >>> pool.add_labels([0, 50, 100], y[[0, 50, 100]])
    >>> model = LogisticRegression().fit(*pool.labeled_data())
    >>> len(LeastConfidenceSampling().query(model, pool, 5).ids)
    5
    """

    per_item_scores = True

    def score(self, outputs: ModelOutputs, rng: np.random.Generator) -> np.ndarray:
        return least_confidence(class_probabilities(outputs))


@register("margin")
class MarginSampling(ScoringStrategy):
    """Smallest margin between the two likeliest classes first (Scheffer et al., 2001).

    With a decision-function-only model, the item nearest the decision boundary first.

    >>> from sklearn.datasets import load_iris
    >>> from sklearn.svm import SVC
    >>> from activelab import Pool
    >>> from activelab.strategies import MarginSampling
    >>> X, y = load_iris(return_X_y=True)
    >>> pool = Pool(X)
    >>> pool.add_labels([0, 50, 100], y[[0, 50, 100]])
    >>> model = SVC().fit(*pool.labeled_data())
    >>> len(MarginSampling().query(model, pool, 5).ids)
    5
    """

    per_item_scores = True

    def score(self, outputs: ModelOutputs, rng: np.random.Generator) -> np.ndarray:
        if outputs.has_proba:
            return margin(outputs.proba())
        decision = outputs.decision()
        if decision.ndim == 1:
            return -np.abs(decision)
        return margin(decision)


@register("ratio")
class RatioSampling(ScoringStrategy):
    """Ratio of confidence: ``p(second) / p(first)`` highest first (Monarch, 2021).

    Monarch, *Human-in-the-Loop Machine Learning*, Manning (2021), chapter 3: a
    scale-free variant of the margin of Settles, *Active Learning Literature Survey*,
    University of Wisconsin-Madison technical report 1648 (2009). It ranks like margin
    sampling when the two top probabilities sum to a constant (two classes), and
    separates what the margin ties: 0.4/0.5 ranks above 0.1/0.2. Needs ``predict_proba`` or
    ``decision_function`` (softmax pseudo-probabilities). Costs one pass of the model over
    the candidates and ``O(n * classes)`` time and ``O(n)`` extra memory.

    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from activelab import Pool
    >>> from activelab.strategies.uncertainty import RatioSampling
    >>> X, y = load_iris(return_X_y=True)
    >>> pool = Pool(X)
    >>> pool.add_labels([0, 50, 100], y[[0, 50, 100]])
    >>> model = LogisticRegression().fit(*pool.labeled_data())
    >>> len(RatioSampling().query(model, pool, 5).ids)
    5
    """

    per_item_scores = True

    def score(self, outputs: ModelOutputs, rng: np.random.Generator) -> np.ndarray:
        return ratio(class_probabilities(outputs))


@register("entropy")
class EntropySampling(ScoringStrategy):
    """Highest predictive entropy first (Settles & Craven, 2008).

    >>> from sklearn.datasets import load_iris
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from activelab import Pool
    >>> from activelab.strategies import EntropySampling
    >>> X, y = load_iris(return_X_y=True)
    >>> pool = Pool(X)
    >>> pool.add_labels([0, 50, 100], y[[0, 50, 100]])
    >>> model = GaussianNB().fit(*pool.labeled_data())
    >>> len(EntropySampling().query(model, pool, 5).ids)
    5
    """

    per_item_scores = True

    def score(self, outputs: ModelOutputs, rng: np.random.Generator) -> np.ndarray:
        return entropy(class_probabilities(outputs))
