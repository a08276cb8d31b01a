"""``auto``: a strategy that chooses, round by round, which strategy to follow.

No strategy wins everywhere: margin is strong on most tabular data, typicality wins with
very few labels, diversity wins where uncertainty sampling piles its batch into one
region, and any of them can lose to random with an ill-suited model. ``auto`` therefore
runs in phases and learns from the run itself:

* **cold start** (no fitted model, a model that knows one class, or fewer than
  ``cold_start_per_class`` labels per class): :class:`~activelab.strategies.TypiClust`,
  the most typical item of the largest unlabeled clusters (Hacohen et al., 2022);
* **bandit**: each round an Exp3 bandit (Auer et al., 2002) draws *one* arm of random,
  margin, cluster-margin (diversity) and BADGE, and that arm picks the whole batch. The
  arm's reward is ALBL's (Hsu & Lin, 2015): the change, once the model is refit on the
  batch, of its importance-weighted accuracy on every item the bandit labeled (with
  ``predict_proba``, the probability of the true label, which a refit model does not
  push to 1 as it does the 0/1 accuracy on its own training items). One arm
  per round lets the reward be credited to it; ``albl``
  (:class:`~activelab.strategies.hybrid.BanditStrategy`) mixes arms inside a batch, so
  every arm gets the same reward and, on digits, its arm probabilities stayed within
  0.2499-0.2502 over 13 rounds. The bandit starts from a prior of ``prior`` reward
  points for ``prior_arm`` (about 80% of the first draws; a reward is ``100 x`` the
  accuracy change over the arm's probability, so 120 points outweigh several rounds of
  contrary evidence) and moves away from it on
  evidence. The default prior arm is cluster-margin: margin's signal, made batch-aware by
  taking the batch across clusters (Citovsky et al., 2021), since top-k margin batches
  pile into one region once batches hold several items.
  A share ``gamma`` of the draws is uniform over the arms, so the random arm keeps at
  least ``gamma / 4`` of the rounds and no arm is ever given up;
* **fallback** for a model without classes (regression, multi-label): k-center greedy
  (:class:`~activelab.strategies.CoreSet`), which needs no class probabilities.
"""

from __future__ import annotations

import weakref
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from ..errors import ActiveLabError
from ..outputs import ModelOutputs
from ..pool import Pool, _same_label
from ..validation import check_int, check_number
from .badge import BADGE
from .base import Query, Strategy
from .cold_start import TypiClust
from .diversity import ClusterMargin, CoreSet
from .embedding_space import ANY_MODEL
from .random_sampling import RandomSampling
from .registry import register
from .uncertainty import MarginSampling

__all__ = ["AutoStrategy"]

#: The bandit's arms, in this order (``Query.info["arms"]`` names them).
PORTFOLIO = ("random", "margin", "cluster_margin", "badge")


@register("auto")
class AutoStrategy(Strategy):
    """Chooses its strategy each round: TypiClust at cold start, then a bandit (Exp3 with
    ALBL's reward) over random, margin, cluster-margin and BADGE (see the module docstring).

    Each query writes why it chose its batch in ``Query.info`` (an
    :class:`~activelab.ActiveLoop` keeps it in the round's ``info["query"]``):
    ``phase`` (``"cold_start"``, ``"bandit"`` or ``"fallback"``), ``reason``, ``arm``
    (the strategy that picked the batch), ``arms`` (the arm of each id), and in the
    bandit phase ``arm_probabilities``, ``arm_rewards`` (each arm's importance-weighted
    sum of rewards, in accuracy points) and ``last_reward`` (``None`` before the first).
    :meth:`update` records the labels of the bandit's picks; the next query turns them
    into the reward. The state belongs to one pool.

    Cost: a round costs one member's query (TypiClust's k-means at cold start) plus
    predicting the items the bandit labeled, so it stays near its costliest member
    (``benchmarks/auto_cost.py`` measures it). Deterministic for a ``random_state``.

    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from activelab import Pool
    >>> from activelab.strategies import get
    >>> X, y = load_iris(return_X_y=True)
    >>> pool = Pool(X)
    >>> pool.add_labels([0, 1, 50, 51, 100, 101], y[[0, 1, 50, 51, 100, 101]])
    >>> model = LogisticRegression().fit(*pool.labeled_data())
    >>> query = get("auto").query(model, pool, 5, random_state=0)
    >>> query.info["phase"], len(query.ids)
    ('bandit', 5)
    """

    #: Needs no model: with none (nothing labeled yet) it starts with TypiClust, so an
    #: ActiveLoop uses ``auto`` itself as its cold-start strategy.
    needs_model: ClassVar[bool] = False
    handles_cold_start: ClassVar[bool] = True
    contract_models = ANY_MODEL

    def __init__(self, cold_start_per_class: int = 2, gamma: float = 0.1,
                 prior_arm: str = "cluster_margin", prior: float = 120.0) -> None:
        self.cold_start_per_class = cold_start_per_class
        self.gamma = gamma
        self.prior_arm = prior_arm
        self.prior = prior

    def _phase(self, outputs: ModelOutputs) -> tuple[str, str]:
        per_class = check_int(self.cold_start_per_class, "cold_start_per_class", minimum=0)
        model = outputs.model
        classes = outputs.classes
        if model is None:
            return "cold_start", "no model is fit yet"
        labels = np.asarray(outputs.pool.labeled_data()[1])
        if classes is None or np.ndim(classes) != 1 or labels.ndim != 1 or (
                not outputs.has_proba and not outputs.has_decision):
            return "fallback", (f"{type(model).__name__} gives no class scores (regression "
                                "or multi-label), so k-center greedy spreads the batch")
        if len(classes) < 2:
            return "cold_start", "the model knows one class only"
        counts = Counter(labels.tolist())
        fewest = min(counts.get(c, 0) for c in np.asarray(classes).tolist())
        if fewest < per_class:
            return "cold_start", (f"a class has {fewest} labels, fewer than "
                                  f"cold_start_per_class={per_class}")
        return "bandit", "enough labels per class for the model's scores to be informative"

    def select_batch(self, outputs: ModelOutputs, k: int, rng: np.random.Generator) -> Query:
        phase, reason = self._phase(outputs)
        if phase != "bandit":
            member: Strategy = TypiClust() if phase == "cold_start" else CoreSet()
            chosen = member.query(outputs.model, outputs.pool, k, random_state=rng,
                                  outputs=outputs)
            name = member.name
            return Query(ids=chosen.ids, scores=chosen.scores, info={
                "phase": phase, "reason": reason, "arm": name, "arms": [name] * len(chosen)})
        state = self._state(outputs.pool)
        if state.told:
            state.learn(outputs.model, outputs.pool)
        gamma = check_number(self.gamma, "gamma", 0, 1)
        p = state.probabilities(gamma)
        arm = int(rng.choice(len(PORTFOLIO), p=p))
        member = _member(PORTFOLIO[arm])
        chosen = member.query(outputs.model, outputs.pool, k, random_state=rng, outputs=outputs)
        state.pending.update({id_: (arm, float(p[arm])) for id_ in chosen.ids.tolist()})
        return Query(ids=chosen.ids, scores=chosen.scores, info={
            "phase": phase, "reason": reason, "arm": PORTFOLIO[arm],
            "arms": [PORTFOLIO[arm]] * len(chosen),
            "arm_probabilities": dict(zip(PORTFOLIO, np.round(p, 4).tolist())),
            "arm_rewards": dict(zip(PORTFOLIO, np.round(state.totals, 4).tolist())),
            "last_reward": state.rewards[-1] if state.rewards else None,
        })

    def _state(self, pool: Pool) -> _Exp3:
        state: _Exp3 | None = getattr(self, "state_", None)
        if state is None or state.pool() is not pool:
            totals = np.zeros(len(PORTFOLIO))
            if self.prior_arm not in PORTFOLIO:
                raise ActiveLabError(f"prior_arm must be one of {', '.join(PORTFOLIO)}; "
                                     f"got {self.prior_arm!r}")
            totals[PORTFOLIO.index(self.prior_arm)] = check_number(self.prior, "prior")
            state = _Exp3(pool=weakref.ref(pool), totals=totals)
            self.state_ = state
        return state

    def update(self, pool: Pool, query: Query, labels: np.ndarray) -> None:
        """Remember the labels of the bandit's picks; the next query turns them into the
        reward of the arm that chose them."""
        state: _Exp3 | None = getattr(self, "state_", None)
        if state is None or state.pool() is not pool:
            return
        for id_, label in zip(np.asarray(query.ids).tolist(), list(labels)):
            pick = state.pending.pop(id_, None)
            if pick is not None:
                state.told.append((id_, label, *pick))


def _member(name: str) -> Strategy:
    return {"random": RandomSampling, "margin": MarginSampling,
            "cluster_margin": ClusterMargin, "badge": BADGE}[name]()


@dataclass
class _Exp3:
    """Exp3 over the portfolio (Auer et al., 2002) with ALBL's reward (Hsu & Lin, 2015).

    The reward of a round's arm is the change, after the model was refit on that arm's
    batch, of the importance-weighted accuracy of the model on every item the bandit had
    labeled (each weighted by ``1 / p`` of the arm that chose it, self-normalised).
    """

    pool: Any
    totals: np.ndarray
    pending: dict[Any, tuple[int, float]] = field(default_factory=dict)
    told: list[tuple[Any, Any, int, float]] = field(default_factory=list)
    ids: list[Any] = field(default_factory=list)
    labels: list[Any] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)
    rewards: list[float] = field(default_factory=list)
    accuracy: float | None = None

    def probabilities(self, gamma: float) -> np.ndarray:
        m = len(self.totals)
        eta = gamma / m
        weights = np.exp(eta * (self.totals - self.totals.max()))
        return (1 - gamma) * weights / weights.sum() + gamma / m

    def learn(self, model: Any, pool: Pool) -> None:
        arms = {}
        for id_, label, arm, p in self.told:
            self.ids.append(id_)
            self.labels.append(label)
            self.weights.append(1.0 / p)
            arms[arm] = p
        self.told.clear()
        correct = _soft_correct(model, pool.items(np.asarray(self.ids)), self.labels)
        accuracy = float(np.dot(self.weights, correct) / np.sum(self.weights))
        reward = 0.0 if self.accuracy is None else accuracy - self.accuracy
        self.accuracy = accuracy
        self.rewards.append(round(reward, 6))
        for arm, p in arms.items():
            self.totals[arm] += 100 * reward / p  # in accuracy points, importance-weighted


def _soft_correct(model: Any, rows: Any, labels: list[Any]) -> np.ndarray:
    """The probability the model gives each true label (0/1 correctness without
    ``predict_proba``): a model fit on the items often gets them all right, and their
    probabilities still show how sure it became."""
    classes = getattr(model, "classes_", None)
    if hasattr(model, "predict_proba") and classes is not None:
        proba = np.asarray(model.predict_proba(rows))
        where = {c: i for i, c in enumerate(np.asarray(classes).tolist())}
        return np.array([proba[r, where[y]] if y in where else 0.0
                         for r, y in enumerate(labels)])
    predicted = np.asarray(model.predict(rows))
    return np.array([float(_same_label(a, b)) for a, b in zip(predicted, labels)])
