"""A panel of simulated annotators: who they are, whom to ask, and the aggregated answer.

* :class:`Annotator` — one simulated person: accuracy (or a confusion matrix), cost per
  label, availability, how often they answer "unsure".
* :class:`AnnotatorPanel` — an oracle made of annotators. A *chooser* decides whom to ask
  about each item (:class:`AskBest`, :class:`AskRandom`, :class:`CostAwareChoice`,
  :class:`RepeatedLabeling`, :class:`IEThresh`); every vote is kept in ``panel.votes``
  (annotator, label, cost, time) and the answer for each item is the aggregate of its
  votes (:mod:`activelab.oracles.aggregation`), revised when later votes change it.

>>> import numpy as np
>>> from activelab.oracles.panel import Annotator, AnnotatorPanel, AskBest
>>> y = np.array([0, 1, 1, 0])
>>> panel = AnnotatorPanel(y, [Annotator("expert", 1.0, cost=5), Annotator("novice", 0.6, cost=1)],
...                        chooser=AskBest(), random_state=0)
>>> answers = panel.label([1, 2])
>>> answers.labels.tolist(), answers.annotators.tolist(), answers.total_cost
([1, 1], ['expert', 'expert'], 10.0)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ActiveLabError
from ..pool import IdIndex, Pool, to_python
from ..validation import check_int, check_random_state
from .aggregation import Aggregator, MajorityVote, Votes, WeightedVote, log_odds_weights
from .base import Answers, LabelRequest, with_context
from .noisy import _check_probability, _check_transition, _draw, _symmetric

__all__ = [
    "Annotator",
    "AnnotatorPanel",
    "AskBest",
    "AskRandom",
    "Chooser",
    "CostAwareChoice",
    "IEThresh",
    "RepeatedLabeling",
    "UNSURE",
    "accuracy_table",
]

UNSURE = object()
"""What :meth:`AnnotatorPanel.ask` returns when the annotator answered "unsure"."""


@dataclass(frozen=True)
class Annotator:
    """One simulated annotator.

    Parameters
    ----------
    name : str
    accuracy : float, optional
        Probability of the right label (errors spread evenly over the other classes).
    confusion : array, optional
        ``confusion[k, l] = P(says l | truth k)`` over the panel's sorted classes; give
        this or ``accuracy``.
    cost : float
        What one answer costs (an "unsure" answer costs the same: the time was spent).
    availability : float
        Probability that the annotator answers a request at all; an unanswered request
        costs nothing.
    unsure_rate : float
        Probability of answering "unsure" instead of a label.
    declared_accuracy : float, optional
        What the panel believes the accuracy to be before seeing any votes (defaults to
        the true accuracy); the panel's estimates start here and follow the agreement
        with the aggregated labels.
    """

    name: str
    accuracy: float | None = None
    cost: float = 1.0
    availability: float = 1.0
    unsure_rate: float = 0.0
    confusion: Any = None
    declared_accuracy: float | None = None

    def transition(self, n_classes: int) -> np.ndarray:
        """The annotator's confusion matrix over ``n_classes`` classes."""
        if (self.accuracy is None) == (self.confusion is None):
            raise ActiveLabError(
                f"annotator {self.name!r} needs exactly one of accuracy=... or confusion=..."
            )
        if self.confusion is not None:
            return _check_transition(self.confusion, n_classes, f"confusion of {self.name!r}")
        return _symmetric(_check_probability(self.accuracy, f"accuracy of {self.name!r}"), n_classes)

    def prior_accuracy(self, n_classes: int) -> float:
        if self.declared_accuracy is not None:
            return _check_probability(self.declared_accuracy, f"declared_accuracy of {self.name!r}")
        return float(np.mean(np.diag(self.transition(n_classes))))


class Chooser:
    """Decides whom the panel asks about one item, and when it has asked enough.

    :meth:`collect` calls ``panel.ask(annotator, item)`` as often as it likes; each call
    is one request (a label, :data:`UNSURE`, or ``None`` when the annotator is not
    available), recorded and paid for by the panel.
    """

    def collect(self, panel: AnnotatorPanel, item: int, context: dict[str, Any]) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in vars(self).items())})"


def _ask_in_order(panel: AnnotatorPanel, item: int, order: Sequence[int]) -> Any:
    """Ask down ``order`` until someone gives a label (unsure or absent: the next one)."""
    for a in order:
        answer = panel.ask(a, item)
        if answer is not None and answer is not UNSURE:
            return answer
    return None


class AskBest(Chooser):
    """The annotator with the highest estimated accuracy; the next best when unsure or away."""

    def collect(self, panel: AnnotatorPanel, item: int, context: dict[str, Any]) -> None:
        _ask_in_order(panel, item, np.argsort(-panel.accuracy_estimates(), kind="stable"))


class AskRandom(Chooser):
    """One annotator drawn at random; when unsure or away, another one at random."""

    def collect(self, panel: AnnotatorPanel, item: int, context: dict[str, Any]) -> None:
        _ask_in_order(panel, item, panel.rng.permutation(len(panel.annotators)))


class CostAwareChoice(Chooser):
    """The cheapest annotator good enough for this item, given the model's confidence.

    With the model predicting class ``ŷ`` with probability ``c`` for an item, an
    annotator of (estimated) accuracy ``a`` who *agrees* with ``ŷ`` makes the label right
    with probability ``c·a / (c·a + (1 - c)(1 - a)/(K - 1))``. The chooser asks the
    cheapest annotator for whom that is at least ``target``; if the answer disagrees with
    the model (or is unsure), it asks the cheapest annotator whose accuracy alone reaches
    ``target`` (the most accurate one if none does), and the votes are combined with
    log-odds weights of the estimated accuracies, so the better annotator decides. Before
    the model can be fit (no confidence), ``c = 1/K``, which makes it ask the cheapest
    annotator reaching ``target`` on their own.

    Parameters
    ----------
    target : float
        The wanted probability that a label is right.

    So cheap annotators label what the model already believes, and experts settle the
    items where the model is unsure or contradicted — with uncertainty sampling most
    queried items are uncertain, so the savings are smallest there (docs/annotators.md
    has the measurement).
    """

    def __init__(self, target: float = 0.9) -> None:
        self.target = target

    def collect(self, panel: AnnotatorPanel, item: int, context: dict[str, Any]) -> None:
        target = _check_probability(self.target, "target")
        acc = np.clip(panel.accuracy_estimates(), 1e-6, 1 - 1e-6)
        k = max(len(panel.classes_), 2)
        c = context.get("confidence", 1.0 / k)
        predicted = context.get("prediction")
        by_cost = [int(a) for a in np.lexsort((-acc, panel.costs))]
        agree = c * acc / (c * acc + (1 - c) * (1 - acc) / (k - 1))
        strong = [a for a in by_cost if acc[a] >= target] or [int(np.argmax(acc))]
        first = next((a for a in by_cost if agree[a] >= target), strong[0])
        answer = panel.ask(first, item)
        labeled = answer is not None and answer is not UNSURE
        if labeled and (acc[first] >= acc[strong[0]] or answer == predicted):
            return
        # escalate: cheapest annotator reaching the target first, then the more accurate ones
        better = [a for a in strong if acc[a] > acc[first]] + [
            int(a) for a in np.argsort(-acc, kind="stable") if acc[a] > acc[first] and a not in strong
        ]
        if not labeled:
            better += [a for a in by_cost if a != first and a not in better]
        _ask_in_order(panel, item, better)


class RepeatedLabeling(Chooser):
    """Ask one annotator after another until ``agree`` of them give the same label.

    Stops after ``max_labels`` requests. Annotators are asked cheapest first
    (``order="cheapest"``), most accurate first (``"best"``), or in random order
    (``"random"``), each at most once per item.
    """

    def __init__(self, agree: int = 2, max_labels: int = 5, order: str = "cheapest") -> None:
        self.agree = agree
        self.max_labels = max_labels
        self.order = order

    def collect(self, panel: AnnotatorPanel, item: int, context: dict[str, Any]) -> None:
        agree = check_int(self.agree, "agree")
        max_labels = check_int(self.max_labels, "max_labels")
        if self.order == "cheapest":
            order = np.lexsort((-panel.accuracy_estimates(), panel.costs))
        elif self.order == "best":
            order = np.argsort(-panel.accuracy_estimates(), kind="stable")
        elif self.order == "random":
            order = panel.rng.permutation(len(panel.annotators))
        else:
            raise ActiveLabError(f"order must be cheapest, best or random; got {self.order!r}")
        counts: dict[Any, int] = {}
        for n_asked, a in enumerate(order, start=1):
            answer = panel.ask(int(a), item)
            if answer is not None and answer is not UNSURE:
                counts[answer] = counts.get(answer, 0) + 1
                if counts[answer] >= agree:
                    return
            if n_asked >= max_labels:
                return


class IEThresh(Chooser):
    """Interval-estimate threshold (Donmez, Carbonell & Schneider, KDD 2009).

    Each annotator keeps a history of rewards: 1 when their label agreed with the majority
    of the labels collected for an item, 0 otherwise. The upper end of a confidence
    interval of the mean reward, ``UI = mean + t(alpha/2, n - 1) · std / sqrt(n)``, is
    optimistic for annotators seen little; the panel asks every annotator whose ``UI`` is
    at least ``epsilon`` times the highest ``UI``. Histories start with two
    pseudo-rewards (one 1, one 0), so at first every interval is wide and everyone is
    asked; as evidence accumulates the unreliable ones drop out.
    """

    def __init__(self, epsilon: float = 0.8, alpha: float = 0.05) -> None:
        self.epsilon = epsilon
        self.alpha = alpha

    def upper_intervals(self, panel: AnnotatorPanel) -> np.ndarray:
        from scipy.stats import t

        rewards = panel.state.setdefault("ie_rewards", [[1.0, 0.0] for _ in panel.annotators])
        ui = np.empty(len(rewards))
        for a, history in enumerate(rewards):
            values = np.asarray(history)
            n = len(values)
            ui[a] = values.mean() + t.ppf(1 - self.alpha / 2, n - 1) * values.std(ddof=1) / np.sqrt(n)
        return ui

    def collect(self, panel: AnnotatorPanel, item: int, context: dict[str, Any]) -> None:
        _check_probability(self.epsilon, "epsilon")
        ui = self.upper_intervals(panel)
        chosen = np.flatnonzero(ui >= self.epsilon * ui.max())
        answers = {int(a): panel.ask(int(a), item) for a in chosen}
        given = {a: v for a, v in answers.items() if v is not None and v is not UNSURE}
        if not given:
            return
        values, counts = np.unique(np.array(list(given.values())), return_counts=True)
        majority = values[np.argmax(counts)]
        for a, v in given.items():
            panel.state["ie_rewards"][a].append(float(v == majority))


class AnnotatorPanel:
    """An oracle made of several annotators, a chooser, and an aggregator.

    For every asked id the ``chooser`` sends requests to annotators
    (:meth:`ask`); every answer is recorded in ``votes`` (item, annotator, label, cost,
    time), "unsure" answers in ``unsure``. The label returned for an id is the
    ``aggregator``'s over all its votes so far (majority vote by default; a weighted vote of
    estimated accuracies for :class:`CostAwareChoice`); when later votes change the
    aggregate of an id answered before, :class:`~activelab.oracles.Answers` carries the
    revision, and :class:`~activelab.loop.ActiveLoop` records it as a correction.

    When the :class:`~activelab.oracles.LabelRequest` carries the round's ``model`` and
    ``pool`` (the loop's requests do), the chooser sees the model's predicted class and
    its probability for each item.

    Parameters
    ----------
    labels : array-like
        The true labels (it is a simulation).
    annotators : sequence of Annotator
    chooser : Chooser, optional
        Default :class:`AskBest`.
    aggregator : Aggregator, optional
        Default: majority vote, or accuracy-weighted vote under :class:`CostAwareChoice`.
    ids : array-like, optional
        The ids of ``labels``; default ``0..n-1``.
    random_state : int, Generator or None
    learn_accuracies : bool
        Whether :meth:`accuracy_estimates` follow the agreement between annotators
        (default: the declared accuracies are trusted).
    prior_strength : float
        How many votes the declared accuracy weighs when learning.
    """

    def __init__(
        self,
        labels: Sequence[Any] | np.ndarray,
        annotators: Sequence[Annotator],
        chooser: Chooser | None = None,
        aggregator: Aggregator | None = None,
        ids: Sequence[Any] | np.ndarray | None = None,
        random_state: Any = None,
        learn_accuracies: bool = False,
        prior_strength: float = 10.0,
    ) -> None:
        self.labels = np.asarray(labels)
        self.annotators = list(annotators)
        self.chooser = chooser if chooser is not None else AskBest()
        self.aggregator = aggregator
        self.random_state = random_state
        self.learn_accuracies = learn_accuracies
        self.prior_strength = prior_strength
        if not self.annotators or not all(isinstance(a, Annotator) for a in self.annotators):
            raise ActiveLabError("AnnotatorPanel needs a non-empty list of Annotator objects")
        names = [a.name for a in self.annotators]
        if len(set(names)) != len(names):
            raise ActiveLabError(f"annotator names must be unique; got {names}")
        if self.labels.ndim != 1:
            raise ActiveLabError("AnnotatorPanel needs one class label per item (a flat sequence)")
        self.classes_, self._true = np.unique(self.labels, return_inverse=True)
        k = len(self.classes_)
        self._transitions = [a.transition(k) for a in self.annotators]
        for a in self.annotators:
            _check_probability(a.availability, f"availability of {a.name!r}")
            _check_probability(a.unsure_rate, f"unsure_rate of {a.name!r}")
            if not np.isfinite(a.cost) or a.cost < 0:
                raise ActiveLabError(f"cost of {a.name!r} must be a non-negative number; got {a.cost}")
        self.costs = np.array([float(a.cost) for a in self.annotators])
        self._priors = np.array([a.prior_accuracy(k) for a in self.annotators])
        self._index = IdIndex(ids, len(self.labels), owner="panel's labels")
        self.rng = check_random_state(random_state)
        self.votes = Votes()
        self.unsure = Votes()
        self.state: dict[str, Any] = {}
        self._answered: dict[Any, Any] = {}
        self._spent = 0.0

    # ---- what choosers use ------------------------------------------------------------

    def ask(self, annotator: int, item: int) -> Any:
        """One request to annotator number ``annotator`` about the item at position ``item``.

        Returns the label, :data:`UNSURE`, or ``None`` if the annotator was not available.
        """
        who = self.annotators[annotator]
        if self.rng.random() >= who.availability:
            return None
        item_id = to_python(self._index.ids[item])
        self._spent += who.cost
        if self.rng.random() < who.unsure_rate:
            self.unsure.add(item_id, who.name, None, cost=who.cost)
            return UNSURE
        answer = _draw(self._true[[item]], self._transitions[annotator], self.rng)[0]
        label = to_python(self.classes_[answer])
        self.votes.add(item_id, who.name, label, cost=who.cost)
        return label

    def accuracy_estimates(self) -> np.ndarray:
        """Each annotator's estimated accuracy, in panel order.

        The declared accuracies (:attr:`Annotator.declared_accuracy`, else the true
        ones). With ``learn_accuracies=True`` they are updated by leave-one-out
        agreement: each vote on an item with other votes is compared with the majority
        of those others (ties left out), with ``prior_strength`` pseudo-votes at the
        declared accuracy. Beware that choosers which ask a second annotator *because*
        of a disagreement bias that agreement downwards; so it is off by default.
        """
        if not self.learn_accuracies or len(self.votes) == 0:
            return self._priors.copy()
        names = {a.name: i for i, a in enumerate(self.annotators)}
        by_item: dict[Any, list[tuple[int, Any]]] = {}
        for item, name, label in zip(self.votes.items, self.votes.annotators, self.votes.labels):
            by_item.setdefault(item, []).append((names[name], label))
        agree = np.zeros(len(self.annotators))
        seen = np.zeros(len(self.annotators))
        for votes in by_item.values():
            for i, (a, label) in enumerate(votes):
                others = [v for j, (_, v) in enumerate(votes) if j != i]
                if not others:
                    continue
                values, counts = np.unique(np.array(others), return_counts=True)
                if (counts == counts.max()).sum() > 1:
                    continue
                seen[a] += 1
                agree[a] += float(values[np.argmax(counts)] == label)
        s = float(self.prior_strength)
        return (s * self._priors + agree) / (s + seen)

    # ---- the oracle protocol ----------------------------------------------------------

    def label(self, request: LabelRequest | Sequence[Any] | np.ndarray, model: Any = None,
              pool: Pool | None = None) -> Answers:
        """Collect votes on every id of ``request``; answer with their aggregates.

        ``model`` and ``pool`` as arguments are deprecated: put them in the request.
        """
        request = with_context(request, model, pool, type(self).__name__)
        ids = request.ids
        positions = self._index.positions(ids)
        contexts = self._contexts(ids, request.model, request.pool)
        spent_before = self._spent
        unsure_before = len(self.unsure)
        votes_before = len(self.votes)
        for item, context in zip(positions, contexts):
            self.chooser.collect(self, int(item), context)
        aggregate = self._aggregate()
        voted = set(aggregate.ids_.tolist()) if aggregate is not None else set()
        unsure = self.unsure.items[unsure_before:]
        unsure_who = self.unsure.annotators[unsure_before:]
        got, labels, who, times, costs = [], [], [], [], []
        skipped = []
        votes = Votes(*(column[votes_before:] for column in self.votes._columns()))
        for item_id in ids.tolist():
            mine = [i for i, v in enumerate(votes.items) if v == item_id]
            if item_id in voted and mine:
                got.append(item_id)
                labels.append(aggregate.label_of([item_id])[0])
                who.append("+".join(dict.fromkeys(votes.annotators[i] for i in mine)))
                times.append(max(votes.times[i] for i in mine))
                costs.append(sum(votes.costs[i] for i in mine))
            elif item_id not in unsure:
                skipped.append(item_id)
        revised_ids, revised_labels = self._revisions(aggregate, set(ids.tolist()))
        for item_id, label in zip(got, labels):
            self._answered[item_id] = to_python(label)
        label_cost = float(sum(costs))
        return Answers(
            ids=np.array(got, dtype=ids.dtype),
            labels=np.array(labels) if labels else np.array([], dtype=self.labels.dtype),
            annotator=who[0] if len(set(who)) == 1 else None,
            costs=np.array(costs, dtype=float),
            skipped=np.array(skipped, dtype=ids.dtype),
            annotators=np.array(who, dtype=object),
            times=np.array(times, dtype=float),
            unsure=np.array(unsure, dtype=ids.dtype),
            unsure_annotators=np.array(unsure_who, dtype=object),
            unsure_cost=max(self._spent - spent_before - label_cost, 0.0),
            votes=votes,
            revised_ids=np.array(revised_ids, dtype=ids.dtype),
            revised_labels=np.array(revised_labels, dtype=self.labels.dtype),
        )

    @property
    def total_cost(self) -> float:
        """Everything paid so far, "unsure" answers included."""
        return self._spent

    def _contexts(self, ids: np.ndarray, model: Any, pool: Pool | None) -> list[dict[str, Any]]:
        if model is None or pool is None or not hasattr(model, "predict_proba"):
            return [{} for _ in ids]
        proba = np.asarray(model.predict_proba(pool.items(ids)))
        classes = np.asarray(getattr(model, "classes_", np.arange(proba.shape[1])))
        best = np.argmax(proba, axis=1)
        return [
            {"confidence": float(proba[i, b]), "prediction": to_python(classes[b])}
            for i, b in enumerate(best)
        ]

    def _aggregator(self) -> Aggregator:
        if self.aggregator is not None:
            return self.aggregator
        if isinstance(self.chooser, CostAwareChoice):
            estimates = np.clip(self.accuracy_estimates(), 1 / max(len(self.classes_), 2) + 1e-3, 1 - 1e-6)
            names = [a.name for a in self.annotators]
            return WeightedVote(log_odds_weights(dict(zip(names, estimates)),
                                                 max(len(self.classes_), 2)))
        return MajorityVote()

    def _aggregate(self) -> Aggregator | None:
        if len(self.votes) == 0:
            return None
        return self._aggregator().fit(self.votes)

    def _revisions(self, aggregate: Aggregator | None, asked: set[Any]) -> tuple[list, list]:
        if aggregate is None:
            return [], []
        ids, labels = [], []
        for item_id, before in self._answered.items():
            if item_id in asked:
                continue
            now = to_python(aggregate.label_of([item_id])[0])
            if now != before:
                ids.append(item_id)
                labels.append(now)
                self._answered[item_id] = now
        return ids, labels

    def __repr__(self) -> str:
        return (f"AnnotatorPanel(annotators={[a.name for a in self.annotators]}, "
                f"chooser={self.chooser!r})")


def accuracy_table(panel: AnnotatorPanel) -> dict[str, float]:
    """Each annotator's true accuracy on the votes they gave (a simulation check)."""
    out: dict[str, float] = {}
    truth = dict(zip(panel._index.ids.tolist(), panel.labels.tolist()))
    for a in panel.annotators:
        mine = [(i, v) for i, n, v in zip(panel.votes.items, panel.votes.annotators,
                                          panel.votes.labels) if n == a.name]
        if mine:
            out[a.name] = float(np.mean([truth[i] == v for i, v in mine]))
    return out
