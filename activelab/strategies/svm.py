"""Support vector machine active learning (Tong & Koller, 2001).

Tong & Koller, "Support vector machine active learning with applications to text
classification", JMLR 2 (2001). An SVM's version space (the weight vectors consistent
with the labels) shrinks most when a label halves it; three approximations of that:

* **svm_simple_margin** — the item closest to the hyperplane, smallest ``|f(x)|`` first.
* **svm_maxmin_margin** — retrain with the item labeled each way; keep the item whose
  *smaller* resulting margin is largest (``min(m+, m-)``).
* **svm_ratio_margin** — the item whose two margins are most alike
  (``min(m+/m-, m-/m+)``).

The margin of a fitted binary SVM is ``1 / ||w||``. For a linear model with ``coef_``
(``LinearSVC``, ``SVC(kernel="linear")``, ``SGDClassifier``) ``||w||`` is the norm of
``coef_``. For a kernel SVM (``SVC``, ``NuSVC``) ``w = sum_i a_i phi(s_i)`` over the
support vectors ``s_i`` with ``a = dual_coef_`` (``y_i alpha_i``), so
``||w||^2 = sum_ij a_i a_j K(s_i, s_j) = sum_i a_i (f(s_i) - b)``, read from the retrained
clone's own ``decision_function`` on its support vectors (any kernel, no kernel code
here). Soft-margin SVMs are measured the same way, as in the paper's experiments.

More than two classes: scikit-learn's one-vs-rest view. Simple margin takes the smallest
absolute one-vs-rest decision value (for ``SVC`` these values are derived from its
one-vs-one votes). MaxMin and Ratio retrain, for every class ``k``, a binary clone "k
versus the rest" with the item added as ``+1`` and as ``-1`` (``2 * classes`` refits per
candidate; for ``SVC`` this differs from its internal one-vs-one training). Labeling the
item ``c`` makes it ``+1`` for ``k = c`` and ``-1`` for the others, so the joint version
space under outcome ``c`` is measured by the geometric mean ``G(c)`` of the ``k``
binary margins; MaxMin scores ``min_c G(c)``, Ratio ``min_c G(c) / max_c G(c)``. With
two classes ``G`` is the single SVM's margin and both reduce to the paper's formulas.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from ..errors import ActiveLabError
from ..outputs import ModelOutputs
from ..validation import check_int
from .base import Query, ScoringStrategy, Strategy
from .expected import append_item, fit_clone, shortlisted_ranking
from .registry import register

__all__ = [
    "MaxMinMargin",
    "RatioMargin",
    "SimpleMargin",
    "outcome_margins",
    "simple_margin",
    "svm_margin",
]


def simple_margin(decision: np.ndarray) -> np.ndarray:
    """``-|f(x)|`` for two classes; ``-min_k |f_k(x)|`` over one-vs-rest values for more."""
    decision = np.asarray(decision, dtype=float)
    if decision.ndim == 1:
        return -np.abs(decision)
    return -np.abs(decision).min(axis=1)


def _fitted_svm(model: Any) -> Any:
    """The SVM (the last step of a Pipeline), checked to be one whose margin can be measured."""
    from sklearn.pipeline import Pipeline

    svm = model[-1] if isinstance(model, Pipeline) else model
    if hasattr(svm, "dual_coef_") and hasattr(svm, "support_vectors_"):
        if getattr(svm, "kernel", None) == "precomputed":
            raise ActiveLabError(
                "a precomputed-kernel SVM cannot be retrained with a new item here; "
                "use a named or callable kernel"
            )
        return svm
    if hasattr(svm, "coef_"):
        return svm
    raise ActiveLabError(
        f"{type(svm).__name__} is not an SVM: the margin strategies need coef_ "
        "(LinearSVC, SVC(kernel='linear')) or dual_coef_ and support_vectors_ (SVC)"
    )


def svm_margin(model: Any) -> float:
    """The geometric margin ``1 / ||w||`` of a fitted binary SVM (or a Pipeline ending in one)."""
    svm = _fitted_svm(model)
    if hasattr(svm, "dual_coef_") and hasattr(svm, "support_vectors_"):
        dual = _dense(svm.dual_coef_)
        if dual.shape[0] != 1:
            raise ActiveLabError(
                f"svm_margin measures a binary SVM; this one has {dual.shape[0]} rows of dual_coef_"
            )
        vectors = svm.support_vectors_
        names = getattr(svm, "feature_names_in_", None)
        if names is not None and not sp.issparse(vectors):
            import pandas as pd

            vectors = pd.DataFrame(vectors, columns=names)
        values = np.asarray(svm.decision_function(vectors), dtype=float).ravel()
        squared = float(dual.ravel() @ (values - float(np.ravel(svm.intercept_)[0])))
    else:
        coef = _dense(svm.coef_)
        if coef.shape[0] != 1:
            raise ActiveLabError(
                f"svm_margin measures a binary SVM; this one has {coef.shape[0]} rows of coef_"
            )
        squared = float((coef**2).sum())
    return 1.0 / np.sqrt(max(squared, 1e-300))


def _dense(values: Any) -> np.ndarray:
    return np.asarray(values.toarray() if sp.issparse(values) else values, dtype=float)


def outcome_margins(
    model: Any, X: Any, y: np.ndarray, row: Any, classes: np.ndarray, seed: int = 0
) -> np.ndarray:
    """``G(c)`` for each class ``c``: the margin after refitting a clone with ``row`` labeled ``c``.

    Two classes: the retrained SVM's margin. More: the geometric mean over ``k`` of the
    margins of binary clones "k versus the rest" (see the module docstring).
    """
    if len(classes) == 2:
        return np.array(
            [svm_margin(fit_clone(model, *append_item(X, y, row, c), seed)) for c in classes]
        )
    log_g = np.zeros(len(classes))
    for k, label in enumerate(classes):
        binary = np.where(np.asarray(y) == label, 1, -1)
        plus = svm_margin(fit_clone(model, *append_item(X, binary, row, 1), seed))
        minus = svm_margin(fit_clone(model, *append_item(X, binary, row, -1), seed))
        log_g += np.log(minus)
        log_g[k] += np.log(plus) - np.log(minus)
    return np.exp(log_g / len(classes))


@register("svm_simple_margin")
class SimpleMargin(ScoringStrategy):
    """Simple margin: the item nearest the SVM's hyperplane first (Tong & Koller, 2001).

    ``score = -|f(x)|``; with more than two classes ``-min_k |f_k(x)|``, the distance to
    the nearest one-vs-rest boundary. Needs ``decision_function``; one pass over the
    candidates, ``O(n * classes)`` time, ``O(n)`` extra memory.

    >>> from sklearn.datasets import load_iris
    >>> from sklearn.svm import LinearSVC
    >>> from activelab import Pool
    >>> from activelab.strategies.svm import SimpleMargin
    >>> X, y = load_iris(return_X_y=True)
    >>> pool = Pool(X)
    >>> pool.add_labels([0, 50, 100], y[[0, 50, 100]])
    >>> model = LinearSVC().fit(*pool.labeled_data())
    >>> len(SimpleMargin().query(model, pool, 5).ids)
    5
    """

    contract_models = ("decision",)

    per_item_scores = True

    def score(self, outputs: ModelOutputs, rng: np.random.Generator) -> np.ndarray:
        return simple_margin(outputs.decision())


class _RetrainedMargin(Strategy):
    """Shared query of MaxMin and Ratio margin: a shortlist by simple margin, then refits."""

    contract_models = ("decision",)

    def __init__(self, shortlist: int = 30) -> None:
        self.shortlist = shortlist

    def _combine(self, margins: np.ndarray) -> float:
        raise NotImplementedError

    def select_batch(self, outputs: ModelOutputs, k: int, rng: np.random.Generator) -> Query:
        model, pool = outputs.model, outputs.pool
        shortlist = check_int(self.shortlist, "shortlist")
        _fitted_svm(model)
        cheap = simple_margin(outputs.decision())
        classes = np.asarray(outputs.classes)
        if len(classes) < 2:
            raise ActiveLabError("the margin strategies need labels of at least two classes")
        X_labeled, y_labeled = pool.labeled_data()
        seed = int(rng.integers(2**31))

        def retrained(short_ids: np.ndarray) -> np.ndarray:
            return np.array([
                self._combine(outcome_margins(
                    model, X_labeled, y_labeled, pool.items(short_ids[j : j + 1]), classes, seed
                ))
                for j in range(len(short_ids))
            ])

        ids, scores = shortlisted_ranking(
            outputs.ids, cheap, retrained, shortlist, k
        )
        return Query(ids=ids, scores=scores)


@register("svm_maxmin_margin")
class MaxMinMargin(_RetrainedMargin):
    """MaxMin margin: the largest smaller margin after labeling each way (Tong & Koller, 2001).

    For each of the ``shortlist`` candidates nearest the boundary (simple margin), a
    clone of the SVM is retrained with the candidate labeled each way;
    ``score = min(m+, m-)``, the margins of the two retrained SVMs (multi-class: see the
    module docstring). A batch larger than the shortlist is filled by simple margin below
    them (:func:`~activelab.strategies.expected.shortlisted_ranking`).

    Cost per query: ``2 * shortlist`` refits of a clone (``2 * classes * shortlist`` with
    more than two classes); memory for one clone and the labeled data plus one item.
    Needs an SVM with ``coef_`` or ``dual_coef_`` (see the module docstring); the caller's
    model is never refit, and a clone whose ``random_state`` is ``None`` gets one drawn
    from the query's ``random_state``.

    >>> from sklearn.datasets import make_classification
    >>> from sklearn.svm import SVC
    >>> from activelab import Pool
    >>> from activelab.strategies.svm import MaxMinMargin
    >>> X, y = make_classification(n_samples=60, n_features=4, random_state=0)
    >>> pool = Pool(X)
    >>> pool.add_labels(list(range(10)), y[:10])
    >>> model = SVC(kernel="rbf").fit(*pool.labeled_data())
    >>> len(MaxMinMargin(shortlist=5).query(model, pool, 3, random_state=0).ids)
    3
    """

    def _combine(self, margins: np.ndarray) -> float:
        return float(margins.min())


@register("svm_ratio_margin")
class RatioMargin(_RetrainedMargin):
    """Ratio margin: the two retrained margins most alike (Tong & Koller, 2001).

    As :class:`MaxMinMargin`, with ``score = min(m+/m-, m-/m+)`` (multi-class:
    ``min_c G(c) / max_c G(c)``), which stays meaningful when the version space is
    elongated. The same shortlist, cost and needs.

    >>> from sklearn.datasets import make_classification
    >>> from sklearn.svm import LinearSVC
    >>> from activelab import Pool
    >>> from activelab.strategies.svm import RatioMargin
    >>> X, y = make_classification(n_samples=60, n_features=4, random_state=0)
    >>> pool = Pool(X)
    >>> pool.add_labels(list(range(10)), y[:10])
    >>> model = LinearSVC().fit(*pool.labeled_data())
    >>> len(RatioMargin(shortlist=5).query(model, pool, 3, random_state=0).ids)
    3
    """

    def _combine(self, margins: np.ndarray) -> float:
        return float(margins.min() / margins.max())
