"""Multi-label partial annotation: ask about (item, label) pairs, not whole label vectors.

With ``L`` labels per item, asking for a whole vector pays for ``L`` decisions, most of
which the model is already sure about. Here the unit of work is a pair: "does item *i*
have label *l*?". :class:`PartialLabels` holds what is known (1, 0 or unknown),
:class:`PartialBinaryRelevance` fits one model per label on the items where that label is
known, :func:`query_pairs` picks the most uncertain unknown pairs, and :class:`PairOracle`
answers them at a cost of ``cost_per_item`` for every distinct item shown (reading it)
plus ``cost_per_label`` for every pair asked — so cost grows with how much is asked.
A pair request is a :class:`~activelab.oracles.LabelRequest` with ``labels``: the label
asked about for each id.

>>> import numpy as np
>>> from sklearn.datasets import make_multilabel_classification
>>> from activelab import Pool
>>> from activelab.oracles import LabelRequest, ask
>>> from activelab.oracles.partial_labels import (PairOracle, PartialBinaryRelevance, PartialLabels,
...                                       query_pairs)
>>> X, Y = make_multilabel_classification(n_samples=100, n_classes=4, random_state=0)
>>> pool, oracle = Pool(X), PairOracle(Y, cost_per_item=1.0, cost_per_label=0.5)
>>> known = PartialLabels(pool, n_labels=4)
>>> ids = np.repeat(np.arange(10), 4); labels = np.tile(np.arange(4), 10)
>>> known.add_answers(ask(oracle, LabelRequest(ids, labels=labels)))
>>> model = PartialBinaryRelevance().fit(*known.training_data())
>>> pair_ids, pair_labels, scores = query_pairs(model, known, 6)
>>> answers = ask(oracle, LabelRequest(pair_ids, labels=pair_labels))
>>> answers.total_cost == len(set(pair_ids.tolist())) * 1.0 + 6 * 0.5
True
"""

from __future__ import annotations

import time
import warnings
from typing import Any

import numpy as np

from ..errors import ActiveLabError
from ..pool import IdIndex, Pool, to_python
from ..validation import check_int
from .base import Answers, LabelRequest

__all__ = ["PairOracle", "PartialBinaryRelevance", "PartialLabels", "query_pairs"]


class PartialLabels:
    """What is known of a multi-label matrix: ``matrix[i, l]`` is 1, 0, or NaN (unknown).

    Every answer is also appended to ``events`` as ``(id, label, value, annotator, cost,
    time)``; a later answer about the same pair replaces the value (and is logged).
    """

    def __init__(self, pool: Pool, n_labels: int) -> None:
        self.pool = pool
        self.n_labels = check_int(n_labels, "n_labels")
        self.matrix = np.full((len(pool), self.n_labels), np.nan)
        self.events: list[tuple[Any, int, int, str | None, float, float]] = []

    def add(self, ids: Any, labels: Any, values: Any, cost: float = 0.0,
            annotator: str | None = None) -> None:
        """Record answers ``values[j]`` (0/1) for the pairs ``(ids[j], labels[j])``.

        ``cost`` is what the whole batch cost; it is spread evenly over its pairs in the log.
        """
        ids, labels, values = (np.asarray(a).reshape(-1) for a in (ids, labels, values))
        if not len(ids) == len(labels) == len(values):
            raise ActiveLabError("give one label index and one value per id")
        if labels.dtype.kind not in "iu" or ((labels < 0) | (labels >= self.n_labels)).any():
            raise ActiveLabError(f"label indices must be integers in 0..{self.n_labels - 1}")
        if not np.isin(values, (0, 1)).all():
            raise ActiveLabError("answers about a pair must be 0 (label off) or 1 (label on)")
        pos = self.pool.positions(ids)
        self.matrix[pos, labels] = values
        now = time.time()
        share = float(cost) / max(len(ids), 1)
        for i, lab, v in zip(ids, labels, values):
            self.events.append((to_python(i), int(lab), int(v), annotator, share, now))

    def add_answers(self, answers: Answers) -> None:
        """Record a pair oracle's :class:`~activelab.oracles.Answers` (see :meth:`add`)."""
        if answers.asked_labels is None:
            raise ActiveLabError(
                "these answers say nothing about which label each is about (asked_labels); "
                "ask a pair oracle with LabelRequest(ids, labels=label_indices)"
            )
        self.add(answers.ids, answers.asked_labels, answers.labels, cost=answers.total_cost,
                 annotator=answers.annotator)

    @property
    def known(self) -> np.ndarray:
        """``(n_items, n_labels)`` mask of the known pairs."""
        return ~np.isnan(self.matrix)

    @property
    def n_known(self) -> int:
        return int(self.known.sum())

    def training_data(self) -> tuple[Any, np.ndarray]:
        """``(items, Y)`` of every item with at least one known pair; unknown cells NaN."""
        rows = np.flatnonzero(self.known.any(axis=1))
        return self.pool.items(self.pool.ids[rows]), self.matrix[rows]


class PartialBinaryRelevance:
    """One binary model per label, each fit on the items where that label is known.

    ``fit(X, Y)`` takes ``Y`` with NaN for unknown cells; a label known on a single class
    only (or on no item) predicts the share of 1s seen so far (0.5 when none).
    ``predict_proba(X)`` gives ``(n, L)`` probabilities that each label is on.

    Parameters
    ----------
    estimator : classifier, optional
        Cloned per label; default ``LogisticRegression(max_iter=1000)``.
    """

    def __init__(self, estimator: Any = None) -> None:
        self.estimator = estimator

    def fit(self, X: Any, Y: Any) -> PartialBinaryRelevance:
        from sklearn.base import clone
        from sklearn.linear_model import LogisticRegression

        Y = np.asarray(Y, dtype=float)
        if Y.ndim != 2:
            raise ActiveLabError("Y must be a 2-D matrix: one column per label, NaN where unknown")
        base = self.estimator if self.estimator is not None else LogisticRegression(max_iter=1000)
        self.models_: list[Any] = []
        self.constants_ = np.full(Y.shape[1], np.nan)
        for label in range(Y.shape[1]):
            rows = np.flatnonzero(~np.isnan(Y[:, label]))
            y = Y[rows, label].astype(int)
            if len(np.unique(y)) < 2:
                self.models_.append(None)
                self.constants_[label] = float(y.mean()) if len(y) else 0.5
                continue
            part = X.iloc[rows] if hasattr(X, "iloc") else X[rows]
            self.models_.append(clone(base).fit(part, y))
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        n = X.shape[0] if hasattr(X, "shape") else len(X)
        out = np.empty((n, len(self.models_)))
        for label, model in enumerate(self.models_):
            if model is None:
                out[:, label] = self.constants_[label]
            else:
                proba = model.predict_proba(X)
                out[:, label] = proba[:, list(model.classes_).index(1)]
        return out

    def predict(self, X: Any) -> np.ndarray:
        return (self.predict_proba(X) >= 0.5).astype(int)


def query_pairs(model: Any, known: PartialLabels, n_pairs: int,
                chunk_size: int = 8192) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ``n_pairs`` most uncertain unknown ``(id, label)`` pairs, best first.

    A pair's score is ``1 - |2p - 1|`` with ``p`` the model's probability that the label
    is on (1 at ``p = 0.5``). Ties go to the smaller id, then the smaller label index.
    Items are scored in chunks; memory is ``O(chunk_size · L + n_pairs)``.
    Returns ``(ids, label_indices, scores)``.
    """
    n_pairs = check_int(n_pairs, "n_pairs")
    pool = known.pool
    order_of_ids = np.argsort(np.argsort(pool.ids, kind="stable"), kind="stable")
    best_scores = np.zeros(0)
    best_rows = np.zeros(0, dtype=np.intp)
    best_labels = np.zeros(0, dtype=np.intp)
    unknown = ~known.known
    for start in range(0, len(pool), chunk_size):
        rows = np.arange(start, min(start + chunk_size, len(pool)))
        proba = np.asarray(model.predict_proba(pool.items(pool.ids[rows])), dtype=float)
        score = 1.0 - np.abs(2.0 * proba - 1.0)
        r, lab = np.nonzero(unknown[rows])
        best_scores = np.concatenate([best_scores, score[r, lab]])
        best_rows = np.concatenate([best_rows, rows[r]])
        best_labels = np.concatenate([best_labels, lab])
        keep = np.lexsort((best_labels, order_of_ids[best_rows], -best_scores))[:n_pairs]
        best_scores, best_rows, best_labels = best_scores[keep], best_rows[keep], best_labels[keep]
    return pool.ids[best_rows], best_labels, best_scores


class PairOracle:
    """Answers (item, label) questions from a known 0/1 label matrix, and prices them.

    A request asks about the pairs ``(request.ids[j], request.labels[j])``; the answers'
    ``labels`` are 0 or 1 and ``asked_labels`` the label index of each. The cost of one
    call is ``cost_per_item`` times the number of distinct items asked about plus
    ``cost_per_label`` times the number of pairs: a whole vector of ``L`` labels costs
    ``cost_per_item + L · cost_per_label``. Each pair costs ``cost_per_label``, and the
    first pair of each item also ``cost_per_item``.
    """

    def __init__(self, Y: Any, cost_per_item: float = 1.0, cost_per_label: float = 1.0,
                 ids: Any = None) -> None:
        self.Y = np.asarray(Y)
        if self.Y.ndim != 2:
            raise ActiveLabError("PairOracle needs a 0/1 label matrix, one column per label")
        self.cost_per_item = float(cost_per_item)
        self.cost_per_label = float(cost_per_label)
        self._index = IdIndex(ids, len(self.Y), owner="oracle's labels")

    def label(self, request: LabelRequest) -> Answers:
        if not isinstance(request, LabelRequest) or request.labels is None:
            raise ActiveLabError(
                "PairOracle answers (item, label) pairs: ask with "
                "LabelRequest(ids, labels=label_indices)"
            )
        ids, labels = request.ids, request.labels
        values = self.Y[self._index.positions(ids), labels].astype(int)
        first = np.zeros(len(ids), dtype=bool)
        first[np.unique(ids, return_index=True)[1]] = True
        costs = self.cost_per_label + self.cost_per_item * first
        return Answers(ids=ids, labels=values, costs=costs, asked_labels=labels)

    def label_pairs(self, ids: Any, labels: Any) -> tuple[np.ndarray, float]:
        """Deprecated: ``label(LabelRequest(ids, labels=labels))`` gives Answers."""
        warnings.warn(
            "PairOracle.label_pairs(ids, labels) is deprecated and goes away in the next "
            "release; use label(LabelRequest(ids, labels=labels)), which returns Answers",
            DeprecationWarning, stacklevel=2)
        answers = self.label(LabelRequest(ids, labels=labels))
        return answers.labels, answers.total_cost
