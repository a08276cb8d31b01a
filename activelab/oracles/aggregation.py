"""Label aggregation: one label per item from several annotators' noisy votes.

A vote is ``(item, annotator, label)``. An aggregator is fit on the votes and gives, for
every item that has at least one vote, a probability for each class (``proba_``) and the
most probable label (``labels_``); ties go to the smallest class, so results never depend
on the order of the votes.

* :class:`MajorityVote` — the most frequent label.
* :class:`WeightedVote` — each annotator's vote counts with a weight (for example
  :func:`log_odds_weights` of known accuracies, the optimal weights for symmetric noise).
* :class:`DawidSkene` — Dawid & Skene (1979): EM over the true labels and one confusion
  matrix per annotator, so it learns whom to trust without being told.

>>> from activelab.oracles.aggregation import DawidSkene, MajorityVote
>>> items      = [0, 0, 0, 1, 1, 1]
>>> annotators = ["ann", "bob", "cy", "ann", "bob", "cy"]
>>> labels     = ["cat", "cat", "dog", "dog", "dog", "dog"]
>>> MajorityVote().fit(items, annotators, labels).labels_.tolist()
['cat', 'dog']
>>> DawidSkene().fit(items, annotators, labels).labels_.tolist()
['cat', 'dog']

crowd-kit (``pip install crowd-kit``) implements the same models and more (GLAD, MACE);
:func:`to_crowdkit` gives the votes in its ``task, worker, label`` table layout.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import ActiveLabError
from ..validation import check_int

__all__ = [
    "Aggregator",
    "DawidSkene",
    "MajorityVote",
    "Votes",
    "WeightedVote",
    "log_odds_weights",
    "to_crowdkit",
]


@dataclass
class Votes:
    """An append-only log of annotations: who said what about which item, at what cost.

    >>> votes = Votes()
    >>> votes.add(7, "ann", "cat", cost=2.0)
    >>> votes.add(7, "bob", "dog", cost=1.0)
    >>> len(votes), votes.total_cost
    (2, 3.0)
    """

    items: list[Any] = field(default_factory=list)
    annotators: list[str] = field(default_factory=list)
    labels: list[Any] = field(default_factory=list)
    costs: list[float] = field(default_factory=list)
    times: list[float] = field(default_factory=list)

    def add(self, item: Any, annotator: str, label: Any, cost: float = 0.0,
            at: float | None = None) -> None:
        """Record one vote."""
        self.items.append(item)
        self.annotators.append(str(annotator))
        self.labels.append(label)
        self.costs.append(float(cost))
        self.times.append(time.time() if at is None else float(at))

    def __len__(self) -> int:
        return len(self.items)

    @property
    def total_cost(self) -> float:
        return float(sum(self.costs))

    def of_items(self, items: Sequence[Any] | np.ndarray) -> Votes:
        """The votes about ``items`` only."""
        wanted = set(np.asarray(items).tolist())
        keep = [i for i, item in enumerate(self.items) if item in wanted]
        return Votes(*([column[i] for i in keep] for column in self._columns()))

    def _columns(self) -> tuple[list[Any], ...]:
        return self.items, self.annotators, self.labels, self.costs, self.times


def to_crowdkit(items: Any, annotators: Any = None, labels: Any = None) -> Any:
    """The votes as a pandas DataFrame with crowd-kit's columns ``task, worker, label``."""
    import pandas as pd

    items, annotators, labels = _vote_arrays(items, annotators, labels)
    return pd.DataFrame({"task": items, "worker": annotators, "label": labels})


def _vote_arrays(items: Any, annotators: Any, labels: Any) -> tuple[np.ndarray, ...]:
    if isinstance(items, Votes):
        items, annotators, labels = items.items, items.annotators, items.labels
    if annotators is None or labels is None:
        raise ActiveLabError("give the votes as Votes, or as three sequences: items, annotators, labels")
    arrays = [np.asarray(items), np.asarray(annotators).astype(str), np.asarray(labels)]
    if any(a.ndim != 1 for a in arrays) or len({len(a) for a in arrays}) != 1:
        raise ActiveLabError(
            "items, annotators and labels must be flat sequences of one length, one entry per vote; "
            f"got lengths {[len(np.atleast_1d(a)) for a in arrays]}"
        )
    if len(arrays[0]) == 0:
        raise ActiveLabError("there are no votes to aggregate; collect at least one label first")
    return tuple(arrays)


def log_odds_weights(accuracy: Mapping[str, float], n_classes: int) -> dict[str, float]:
    """Vote weights ``log(a (K - 1) / (1 - a))``: optimal for symmetric noise of accuracy ``a``.

    >>> round(log_odds_weights({"ann": 0.9}, 2)["ann"], 3)
    2.197
    """
    if n_classes < 2:
        raise ActiveLabError(f"n_classes must be at least 2; got {n_classes}")
    weights = {}
    for name, a in accuracy.items():
        if not 0 < a < 1:
            raise ActiveLabError(f"accuracy of {name!r} must lie strictly between 0 and 1; got {a}")
        weights[name] = math.log(a * (n_classes - 1) / (1 - a))
    return weights


class Aggregator:
    """Base class: :meth:`fit` on votes, then read ``ids_``, ``classes_``, ``proba_``, ``labels_``.

    ``ids_`` are the items with at least one vote, sorted; ``proba_[i, k]`` is the
    probability that item ``ids_[i]`` has label ``classes_[k]`` (sorted classes);
    ``labels_`` is the most probable label, ties going to the smallest class.
    """

    ids_: np.ndarray
    classes_: np.ndarray
    annotators_: np.ndarray
    proba_: np.ndarray
    labels_: np.ndarray

    def fit(self, items: Any, annotators: Any = None, labels: Any = None) -> Aggregator:
        """Aggregate the votes (a :class:`Votes`, or three equal-length sequences)."""
        items, annotators, labels = _vote_arrays(items, annotators, labels)
        try:
            self.ids_, item_index = np.unique(items, return_inverse=True)
            self.classes_, label_index = np.unique(labels, return_inverse=True)
        except TypeError as err:
            raise ActiveLabError(
                "items and labels must each be of one comparable type (all numbers or all "
                "strings)"
            ) from err
        self.annotators_, annotator_index = np.unique(annotators, return_inverse=True)
        self.proba_ = self._proba(item_index.ravel(), annotator_index.ravel(), label_index.ravel())
        self.labels_ = self.classes_[np.argmax(self.proba_, axis=1)]
        return self

    def label_of(self, ids: Sequence[Any] | np.ndarray) -> np.ndarray:
        """The aggregated label of each of ``ids`` (each must have a vote)."""
        ids = np.asarray(ids)
        where = np.searchsorted(self.ids_, ids)
        where = np.minimum(where, len(self.ids_) - 1)
        if not np.array_equal(self.ids_[where], ids):
            raise ActiveLabError("some ids have no vote; aggregate only ids that were labeled")
        return self.labels_[where]

    def _counts(self, item: np.ndarray, annotator: np.ndarray, label: np.ndarray,
                weights: np.ndarray) -> np.ndarray:
        counts = np.zeros((len(self.ids_), len(self.classes_)))
        np.add.at(counts, (item, label), weights[annotator])
        return counts

    def _proba(self, item: np.ndarray, annotator: np.ndarray, label: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.endswith("_"))
        return f"{type(self).__name__}({params})"


def _normalise_rows(counts: np.ndarray) -> np.ndarray:
    totals = counts.sum(axis=1, keepdims=True)
    uniform = np.full_like(counts, 1.0 / counts.shape[1])
    return np.divide(counts, totals, out=uniform, where=totals > 0)


class MajorityVote(Aggregator):
    """The most frequent label of each item; ``proba_`` holds the vote shares.

    >>> MajorityVote().fit([1, 1, 1], ["a", "b", "c"], [0, 2, 2]).proba_.round(2).tolist()
    [[0.33, 0.67]]
    """

    def _proba(self, item: np.ndarray, annotator: np.ndarray, label: np.ndarray) -> np.ndarray:
        return _normalise_rows(self._counts(item, annotator, label, np.ones(len(self.annotators_))))


class WeightedVote(Aggregator):
    """Each annotator's vote counts ``weights[annotator]`` (default 1); ``proba_`` is the share.

    Parameters
    ----------
    weights : mapping of annotator name to a non-negative weight
        Annotators left out weigh ``default_weight``.

    >>> vote = WeightedVote({"expert": 3.0})
    >>> vote.fit([0, 0, 0], ["expert", "a", "b"], ["yes", "no", "no"]).labels_.tolist()
    ['yes']
    """

    def __init__(self, weights: Mapping[str, float] | None = None, default_weight: float = 1.0) -> None:
        self.weights = weights
        self.default_weight = default_weight

    def _proba(self, item: np.ndarray, annotator: np.ndarray, label: np.ndarray) -> np.ndarray:
        given = dict(self.weights or {})
        w = np.array([float(given.get(a, self.default_weight)) for a in self.annotators_])
        if not np.isfinite(w).all() or (w < 0).any():
            raise ActiveLabError(f"vote weights must be finite and non-negative; got {given!r}")
        return _normalise_rows(self._counts(item, annotator, label, w))


class DawidSkene(Aggregator):
    """Dawid & Skene's EM: true-label posteriors and one confusion matrix per annotator.

    Starts from the majority-vote shares, then alternates an M-step (class priors
    ``priors_`` and confusions ``confusions_[a, k, l] = P(a says l | truth k)``) and an
    E-step (posteriors ``proba_``) until the posteriors move less than ``tol`` or
    ``max_iter`` rounds are done. ``accuracy_`` is each annotator's estimated accuracy,
    ``sum_k priors_[k] * confusions_[a, k, k]``. ``smoothing`` pseudo-counts are added to
    every confusion cell so an annotator never gets probability zero for an answer.

    Parameters
    ----------
    max_iter : int
    tol : float
    smoothing : float

    >>> ds = DawidSkene().fit([0, 0, 0, 1, 1, 1], ["a", "b", "c"] * 2, [1, 1, 0, 0, 0, 0])
    >>> ds.labels_.tolist(), sorted(ds.accuracy_)
    ([1, 0], ['a', 'b', 'c'])
    """

    def __init__(self, max_iter: int = 100, tol: float = 1e-6, smoothing: float = 0.01) -> None:
        self.max_iter = max_iter
        self.tol = tol
        self.smoothing = smoothing

    priors_: np.ndarray
    confusions_: np.ndarray
    accuracy_: dict[str, float]
    n_iter_: int

    def _proba(self, item: np.ndarray, annotator: np.ndarray, label: np.ndarray) -> np.ndarray:
        max_iter = check_int(self.max_iter, "max_iter")
        if not (self.smoothing >= 0 and self.tol > 0):
            raise ActiveLabError("smoothing must be >= 0 and tol > 0")
        n_classes = len(self.classes_)
        ones = np.ones(len(self.annotators_))
        posterior = _normalise_rows(self._counts(item, annotator, label, ones))
        self.n_iter_ = 0
        for _ in range(max_iter):
            self.n_iter_ += 1
            priors = posterior.mean(axis=0)
            confusions = np.full((len(self.annotators_), n_classes, n_classes), float(self.smoothing))
            np.add.at(confusions, (annotator[:, None], np.arange(n_classes)[None, :], label[:, None]),
                      posterior[item])
            confusions /= np.maximum(confusions.sum(axis=2, keepdims=True), 1e-300)
            log_post = np.tile(np.log(np.maximum(priors, 1e-300)), (len(self.ids_), 1))
            np.add.at(log_post, item, np.log(np.maximum(confusions[annotator, :, label], 1e-300)))
            log_post -= log_post.max(axis=1, keepdims=True)
            updated = np.exp(log_post)
            updated /= updated.sum(axis=1, keepdims=True)
            change = float(np.abs(updated - posterior).max())
            posterior = updated
            if change < self.tol:
                break
        self.priors_ = posterior.mean(axis=0)
        self.confusions_ = confusions
        diagonal = np.einsum("akk->ak", confusions)
        self.accuracy_ = {
            str(name): float(diagonal[a] @ priors) for a, name in enumerate(self.annotators_)
        }
        return posterior
