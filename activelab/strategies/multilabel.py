"""Strategies for multi-label classification: each item may carry any subset of L labels.

Labels are 0/1 indicator rows (``pool.add_labels(ids, Y_rows)``) and the model gives one
probability per label: ``predict_proba`` of shape ``(n, L)`` (``OneVsRestClassifier``,
``MLPClassifier``) or a list of ``L`` arrays of shape ``(n, 2)`` (natively multi-output
models such as ``RandomForestClassifier``). Every strategy here reads that as
``p[:, l] = P(label l is on | x)``, cached once per round as ``label_proba``.

* **br_uncertainty** — per-label uncertainty ``1 - |2p - 1|``, averaged (or max, min).
* **max_loss** — Li, Wang & Sung's max loss and mean max loss.
* **mmc** — Yang et al.'s maximum loss reduction with maximal confidence.
* **lci** — Li & Guo's label cardinality inconsistency.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ActiveLabError
from ..outputs import ModelOutputs
from .base import ScoringStrategy
from .registry import register

__all__ = [
    "BinaryRelevanceUncertainty",
    "LabelCardinalityInconsistency",
    "MaxLoss",
    "MaximumLossReduction",
    "label_probabilities",
]

_AGGREGATES = ("mean", "max", "min")


def _positive_columns(model: Any, proba: Any) -> np.ndarray:
    """``(n, L)`` probabilities that each label is on, from either predict_proba layout."""
    if isinstance(proba, list):
        classes = getattr(model, "classes_", None)
        columns = []
        for label, part in enumerate(proba):
            part = np.asarray(part, dtype=float)
            known = list(classes[label]) if isinstance(classes, list) else list(range(part.shape[1]))
            if 1 in known:
                columns.append(part[:, known.index(1)])
            else:  # the label was never on in training
                columns.append(np.zeros(len(part)))
        return np.column_stack(columns) if columns else np.zeros((0, 0))
    values = np.asarray(proba, dtype=float)
    if values.ndim != 2:
        raise ActiveLabError(
            f"a multi-label model must give one probability per label, shape (n, L); "
            f"{type(model).__name__}.predict_proba gave shape {values.shape}"
        )
    return values


def _check_multilabel(outputs: ModelOutputs, who: str) -> np.ndarray:
    """The labeled indicator rows, after checking that the model and the pool are multi-label."""
    model = outputs.model
    if model is None or not hasattr(model, "predict_proba"):
        name = "None" if model is None else type(model).__name__
        raise ActiveLabError(
            f"{who} needs a fitted multi-label model with predict_proba, e.g. "
            f"OneVsRestClassifier(LogisticRegression()); got {name}"
        )
    final = model.steps[-1][1] if isinstance(getattr(model, "steps", None), list) else model
    if getattr(final, "multilabel_", True) is False:
        raise ActiveLabError(
            f"{who} is for multi-label data, but {type(final).__name__} was fit on single labels; "
            "label the pool with 0/1 indicator rows and refit"
        )
    pool = outputs.pool
    labels = pool.labels_of(pool.labeled_ids)
    if labels.ndim != 2 or labels.dtype == object:
        raise ActiveLabError(
            f"{who} needs 0/1 indicator rows as labels (one column per label); the pool's labels "
            f"have shape {labels.shape}: use a classification strategy for single labels"
        )
    return labels.astype(float)


def label_probabilities(outputs: ModelOutputs) -> np.ndarray:
    """``(n, L)``: the probability that each label is on, per candidate, cached per round."""
    model = outputs.model
    return outputs.of_items(
        "label_proba", lambda rows: _positive_columns(model, model.predict_proba(rows))
    )


def _checked_probabilities(outputs: ModelOutputs, who: str) -> tuple[np.ndarray, np.ndarray]:
    labels = _check_multilabel(outputs, who)
    proba = label_probabilities(outputs)
    if proba.shape[1] != labels.shape[1]:
        raise ActiveLabError(
            f"the model gives {proba.shape[1]} label probabilities but the pool's label rows have "
            f"{labels.shape[1]} columns; fit the model on pool.labeled_data()"
        )
    return labels, proba


def _aggregate(values: np.ndarray, how: str, who: str) -> np.ndarray:
    if how not in _AGGREGATES:
        raise ActiveLabError(f"{who}: aggregate must be one of {', '.join(_AGGREGATES)}; got {how!r}")
    return getattr(np, how)(values, axis=1)


@register("br_uncertainty")
class BinaryRelevanceUncertainty(ScoringStrategy):
    """Binary-relevance uncertainty: ``1 - |2 p_l - 1|`` per label, aggregated over labels.

    Each label is a binary problem (binary relevance); an item is informative when its labels
    sit near ``p = 0.5``. ``aggregate`` is ``"mean"`` (the average over labels; Esuli &
    Sebastiani, 2009, ECIR, AvgConfidence), ``"max"`` (the most uncertain label, which is
    the label of least confidence: Brinker, 2006, "On active learning in multi-label
    classification"; Esuli & Sebastiani's MinConfidence) or ``"min"`` (the least uncertain
    label: an item counts as informative only when all its labels are). Scores lie in
    ``[0, 1]``.

    Needs a fitted multi-label model with ``predict_proba``. Cost per query: one
    ``predict_proba`` over the candidates, ``O(n L)`` time and memory.

    >>> from sklearn.datasets import make_multilabel_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.multiclass import OneVsRestClassifier
    >>> from activelab import Pool
    >>> from activelab.strategies.multilabel import BinaryRelevanceUncertainty
    >>> X, Y = make_multilabel_classification(n_samples=60, n_classes=3, random_state=0)
    >>> pool = Pool(X)
    >>> pool.add_labels(range(15), Y[:15])
    >>> model = OneVsRestClassifier(LogisticRegression()).fit(*pool.labeled_data())
    >>> len(BinaryRelevanceUncertainty(aggregate="max").query(model, pool, 4).ids)
    4
    """

    contract_models = ("multilabel",)

    def __init__(self, aggregate: str = "mean", selector: Any = None) -> None:
        super().__init__(selector)
        self.aggregate = aggregate

    def score(self, outputs: ModelOutputs, rng: np.random.Generator) -> np.ndarray:
        _, proba = _checked_probabilities(outputs, "br_uncertainty")
        return _aggregate(1.0 - np.abs(2.0 * proba - 1.0), self.aggregate, "br_uncertainty")


@register("max_loss")
class MaxLoss(ScoringStrategy):
    """Max loss and mean max loss over the labels (Li, Wang & Sung, 2004).

    From "Multilabel SVM active learning for image classification", ICIP 2004. Each
    label's classifier output is taken in ``[-1, 1]`` as ``f_l(x) = 2 p_l - 1`` and its
    predicted label is ``y_l = sign(f_l(x))`` (``+1`` when ``p_l > 0.5``). The loss
    reduction labeling ``x`` brings on label ``l`` is estimated as ``(1 - y_l f_l(x)) / 2``;
    ``aggregate="max"`` scores an item by its largest (Max Loss), ``"mean"`` by their mean
    (Mean Max Loss). With ``y_l = sign(f_l)`` this equals ``(1 - |2 p_l - 1|) / 2``: half
    the binary-relevance uncertainty, aggregated the same way.

    Needs a fitted multi-label model with ``predict_proba``. Cost per query: one
    ``predict_proba`` over the candidates, ``O(n L)`` time and memory.

    >>> from sklearn.datasets import make_multilabel_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.multiclass import OneVsRestClassifier
    >>> from activelab import Pool
    >>> from activelab.strategies.multilabel import MaxLoss
    >>> X, Y = make_multilabel_classification(n_samples=60, n_classes=3, random_state=0)
    >>> pool = Pool(X)
    >>> pool.add_labels(range(15), Y[:15])
    >>> model = OneVsRestClassifier(LogisticRegression()).fit(*pool.labeled_data())
    >>> q = MaxLoss(aggregate="mean").query(model, pool, 4)
    >>> bool(0 <= q.scores.min() and q.scores.max() <= 0.5)
    True
    """

    contract_models = ("multilabel",)

    def __init__(self, aggregate: str = "max", selector: Any = None) -> None:
        super().__init__(selector)
        self.aggregate = aggregate

    def score(self, outputs: ModelOutputs, rng: np.random.Generator) -> np.ndarray:
        if self.aggregate not in ("max", "mean"):
            raise ActiveLabError(f"max_loss: aggregate must be 'max' or 'mean'; got {self.aggregate!r}")
        _, proba = _checked_probabilities(outputs, "max_loss")
        f = 2.0 * proba - 1.0
        predicted = np.where(proba > 0.5, 1.0, -1.0)
        return _aggregate((1.0 - predicted * f) / 2.0, self.aggregate, "max_loss")


def _sorted_desc(proba: np.ndarray) -> np.ndarray:
    return -np.sort(-proba, axis=1)


@register("mmc")
class MaximumLossReduction(ScoringStrategy):
    """Maximum loss reduction with maximal confidence, MMC (Yang et al., 2009).

    Yang, Sun, Wang & Chen, "Effective multi-label active learning for text
    classification", KDD 2009. The loss reduction of labeling ``x`` is estimated over all
    labels at once, against the label vector the model believes in most:

    ``score(x) = sum_l (1 - y_l f_l(x)) / 2``, with ``f_l(x) = 2 p_l - 1`` in ``[-1, 1]``.

    The predicted label vector ``y`` switches on the ``m`` most probable labels (``+1``) and
    the rest off (``-1``), ``m`` being the number of labels the item is predicted to carry.
    As in the paper, ``m`` comes from a logistic regression that maps an item's label
    probabilities, sorted from high to low, to its number of labels; it is trained inside
    the query on the labeled items (their sorted probabilities from the caller's model,
    their true label counts). It is a new small ``LogisticRegression``, not a clone of the
    caller's model, which is never refit. When every labeled item has the same number of
    labels, that number is ``m`` for every candidate. Ties between equal probabilities
    switch on the label with the smaller index.

    Needs a fitted multi-label model with ``predict_proba``. Cost per query: one
    ``predict_proba`` over the candidates and over the labeled items, one small logistic
    regression fit on ``(labeled, L)`` features, and an ``O(n L log L)`` sort.

    >>> from sklearn.datasets import make_multilabel_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.multiclass import OneVsRestClassifier
    >>> from activelab import Pool
    >>> from activelab.strategies.multilabel import MaximumLossReduction
    >>> X, Y = make_multilabel_classification(n_samples=60, n_classes=3, random_state=0)
    >>> pool = Pool(X)
    >>> pool.add_labels(range(15), Y[:15])
    >>> model = OneVsRestClassifier(LogisticRegression()).fit(*pool.labeled_data())
    >>> len(MaximumLossReduction().query(model, pool, 4).ids)
    4
    """

    contract_models = ("multilabel",)

    def score(self, outputs: ModelOutputs, rng: np.random.Generator) -> np.ndarray:
        labels, proba = _checked_probabilities(outputs, "mmc")
        counts = self._predicted_counts(outputs, labels, proba)
        order = np.argsort(-proba, axis=1, kind="stable")
        ranks = np.empty_like(order)
        np.put_along_axis(ranks, order, np.arange(proba.shape[1])[None, :], axis=1)
        predicted = np.where(ranks < counts[:, None], 1.0, -1.0)
        return ((1.0 - predicted * (2.0 * proba - 1.0)) / 2.0).sum(axis=1)

    @staticmethod
    def _predicted_counts(
        outputs: ModelOutputs, labels: np.ndarray, proba: np.ndarray
    ) -> np.ndarray:
        true_counts = labels.sum(axis=1).astype(int)
        if len(np.unique(true_counts)) < 2:
            return np.full(len(proba), true_counts[0] if len(true_counts) else 0)
        from sklearn.linear_model import LogisticRegression

        model = outputs.model
        items = outputs.pool.labeled_data()[0]
        labeled_proba = _positive_columns(model, model.predict_proba(items))
        counter = LogisticRegression(max_iter=1000).fit(_sorted_desc(labeled_proba), true_counts)
        return np.asarray(counter.predict(_sorted_desc(proba)), dtype=int)


@register("lci")
class LabelCardinalityInconsistency(ScoringStrategy):
    """Label cardinality inconsistency: an unusual predicted label count (Li & Guo, 2013).

    From "Active learning with multi-label SVM classification", IJCAI 2013.
    ``score(x) = || sum_l 1[p_l(x) > 0.5] - (1/m) sum_i sum_l y_il ||_2``: how far the
    number of labels the model predicts for ``x`` is from the mean number of labels per
    labeled item (the label cardinality of the ``m`` labeled items). Both are scalars, so
    the paper's L2 norm is an absolute difference. An item whose predicted label count is
    unusual is one the model has not understood yet.

    Needs a fitted multi-label model with ``predict_proba``. Cost per query: one
    ``predict_proba`` over the candidates, ``O(n L)`` time and memory.

    >>> from sklearn.datasets import make_multilabel_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.multiclass import OneVsRestClassifier
    >>> from activelab import Pool
    >>> from activelab.strategies.multilabel import LabelCardinalityInconsistency
    >>> X, Y = make_multilabel_classification(n_samples=60, n_classes=3, random_state=0)
    >>> pool = Pool(X)
    >>> pool.add_labels(range(15), Y[:15])
    >>> model = OneVsRestClassifier(LogisticRegression()).fit(*pool.labeled_data())
    >>> len(LabelCardinalityInconsistency().query(model, pool, 4).ids)
    4
    """

    contract_models = ("multilabel",)

    def score(self, outputs: ModelOutputs, rng: np.random.Generator) -> np.ndarray:
        labels, proba = _checked_probabilities(outputs, "lci")
        cardinality = labels.sum(axis=1).mean()
        return np.abs((proba > 0.5).sum(axis=1) - cardinality)
