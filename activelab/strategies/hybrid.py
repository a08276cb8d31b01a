"""Strategies built from other strategies.

* **weighted** mixes the scores of several scorers (on the same round's outputs, so the
  model is asked once).
* **shortlist** lets a cheap scorer shortlist the candidates and an expensive strategy
  choose among them.
* **adaptive_density** tunes the trade-off between uncertainty and density every round
  by expected error reduction (Li & Guo, 2013).
* **albl** learns which strategy to follow with a bandit (Hsu & Lin, 2015).
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import ActiveLabError
from ..outputs import ModelOutputs
from ..pool import Pool
from ..selection.topk import Selector, top_k
from ..validation import check_int
from .base import Query, ScoringStrategy, Strategy
from .combine import COMBINES, NORMALISES, check_choice, normalised
from .density import GraphDensity, InformationDensity, fixed_sample, mean_similarity
from .expected import append_item, fit_clone
from .random_sampling import RandomSampling
from .registry import register
from .uncertainty import (
    EntropySampling,
    LeastConfidenceSampling,
    MarginSampling,
    class_probabilities,
    entropy,
)

__all__ = ["AdaptiveDensityUncertainty", "BanditStrategy", "Shortlist", "WeightedScores"]

@register("weighted")
class WeightedScores(ScoringStrategy):
    """A weighted combination of several scorers' scores.

    Each part is a :class:`~activelab.strategies.base.ScoringStrategy`; its
    :meth:`~activelab.strategies.base.ScoringStrategy.score` runs on the same
    :class:`~activelab.outputs.ModelOutputs`, so model outputs are computed once and
    shared (margin and entropy together call ``predict_proba`` once). Scores live on
    different scales, so each part's scores are first normalised: ``"rank"`` (rank /
    n, in ``(0, 1]``, ties share their mean rank) or ``"minmax"`` (to ``[0, 1]``). Then
    ``combine="sum"`` gives ``sum_i w_i s_i`` and ``combine="product"`` gives
    ``prod_i s_i^w_i``.

    Default parts: margin and information density (entropy times mean cosine similarity,
    :class:`~activelab.strategies.density.InformationDensity`), equal weights, ranks
    summed: uncertainty sampling pulled toward representative items at ``O(n·d)`` extra
    cost. Cost: the sum of the parts' costs plus ``O(n log n)`` for the ranks. Needs
    what its parts need.

    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from activelab import Pool
    >>> from activelab.strategies import EntropySampling, MarginSampling
    >>> from activelab.strategies.hybrid import WeightedScores
    >>> X, y = load_iris(return_X_y=True)
    >>> pool = Pool(X)
    >>> pool.add_labels([0, 50, 100], y[[0, 50, 100]])
    >>> model = LogisticRegression().fit(*pool.labeled_data())
    >>> mix = WeightedScores([MarginSampling(), EntropySampling()], weights=[2, 1])
    >>> len(mix.query(model, pool, 5).ids)
    5
    """

    def __init__(
        self,
        strategies: Sequence[ScoringStrategy] | None = None,
        weights: Sequence[float] | None = None,
        combine: str = "sum",
        normalise: str = "rank",
        selector: Selector | None = None,
    ) -> None:
        self.strategies = strategies
        self.weights = weights
        self.combine = combine
        self.normalise = normalise
        self.selector = selector

    def _parts(self) -> tuple[list[ScoringStrategy], np.ndarray]:
        parts = (
            [MarginSampling(), InformationDensity()]
            if self.strategies is None
            else list(self.strategies)
        )
        if not parts:
            raise ActiveLabError("WeightedScores needs at least one strategy to combine")
        for part in parts:
            if not isinstance(part, ScoringStrategy):
                raise ActiveLabError(
                    f"WeightedScores combines per-item scores, but {part!r} is not a "
                    "ScoringStrategy; use a Shortlist to chain it after a scorer instead"
                )
        weights = np.ones(len(parts)) if self.weights is None else np.asarray(self.weights)
        if weights.shape != (len(parts),) or weights.dtype.kind not in "iuf":
            raise ActiveLabError(
                f"weights must be {len(parts)} numbers, one per strategy; got {self.weights!r}"
            )
        if not np.isfinite(weights).all() or (weights < 0).any():
            raise ActiveLabError(f"weights must be finite and non-negative; got {self.weights!r}")
        return parts, weights.astype(float)

    def score(self, outputs: ModelOutputs, rng: np.random.Generator) -> np.ndarray:
        combine = check_choice(self.combine, "combine", COMBINES)
        normalise = check_choice(self.normalise, "normalise", NORMALISES)
        parts, weights = self._parts()
        total = np.zeros(len(outputs)) if combine == "sum" else np.ones(len(outputs))
        for part, weight in zip(parts, weights):
            scores = np.asarray(part.score(outputs, rng), dtype=float)
            if scores.shape != (len(outputs),) or not np.isfinite(scores).all():
                raise ActiveLabError(
                    f"{type(part).__name__} gave {scores.shape} scores, not one finite score "
                    f"for each of the {len(outputs)} candidates"
                )
            share = normalised(scores, normalise)
            if combine == "sum":
                total += weight * share
            else:
                total *= share**weight
        return total


def _restricted(outputs: ModelOutputs, ids: np.ndarray) -> ModelOutputs:
    return ModelOutputs(outputs.model, outputs.pool, ids=ids, chunk_size=outputs.chunk_size)


@register("shortlist")
class Shortlist(Strategy):
    """A cheap scorer shortlists the candidates, an expensive strategy picks among them.

    The ``size`` best candidates by ``cheap`` (a
    :class:`~activelab.strategies.base.ScoringStrategy`; at least ``batch_size`` of them)
    become the only candidates of ``expensive`` (any
    :class:`~activelab.strategies.base.Strategy`), which gets
    ``ModelOutputs(model, pool, ids=shortlist)``: the ids and scores are the expensive
    strategy's. The expensive strategy sees only the shortlist, so densities and
    distances are measured among the shortlisted items.

    Default: margin shortlists 100 items and
    :class:`~activelab.strategies.density.GraphDensity` picks the batch from the densest
    regions among them, spread over the kNN graph: uncertain, representative and
    diverse, with the ``O(n²)`` neighbour search cut to ``O(size²)``. Cost: the cheap
    scorer over every candidate plus the expensive strategy on ``size`` items (their
    model outputs are computed again, ``size`` rows). Needs what its parts need.

    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from activelab import Pool
    >>> from activelab.strategies.hybrid import Shortlist
    >>> X, y = load_iris(return_X_y=True)
    >>> pool = Pool(X)
    >>> pool.add_labels([0, 50, 100], y[[0, 50, 100]])
    >>> model = LogisticRegression().fit(*pool.labeled_data())
    >>> len(Shortlist(size=30).query(model, pool, 5).ids)
    5
    """

    def __init__(
        self,
        cheap: ScoringStrategy | None = None,
        expensive: Strategy | None = None,
        size: int = 100,
    ) -> None:
        self.cheap = cheap
        self.expensive = expensive
        self.size = size

    def select_batch(self, outputs: ModelOutputs, k: int, rng: np.random.Generator) -> Query:
        model, pool = outputs.model, outputs.pool
        size = check_int(self.size, "size")
        cheap = MarginSampling() if self.cheap is None else self.cheap
        expensive = GraphDensity() if self.expensive is None else self.expensive
        if not isinstance(cheap, ScoringStrategy):
            raise ActiveLabError(
                f"Shortlist's cheap strategy must be a ScoringStrategy (it ranks every "
                f"candidate); got {cheap!r}"
            )
        if not isinstance(expensive, Strategy):
            raise ActiveLabError(
                f"Shortlist's expensive strategy must be a Strategy; got {expensive!r}"
            )
        shortlist, _ = top_k(outputs.ids, cheap.score(outputs, rng), max(size, k))
        chosen = expensive.query(
            model, pool, k, random_state=rng, outputs=_restricted(outputs, shortlist)
        )
        return Query(
            ids=chosen.ids,
            scores=chosen.scores,
            info={"shortlist_size": len(shortlist)},
        )


def expected_error(
    outputs: ModelOutputs, position: int, eval_ids: np.ndarray, proba: np.ndarray, seed: int
) -> float:
    """Expected 0/1 loss over ``eval_ids`` after labeling candidate ``position``.

    ``sum_y p(y|x) · sum_u (1 - max_c p'(c|u))`` where ``p'`` is a clone of the model
    (seeded with ``seed``) refit on the labeled items plus ``(x, y)`` (Roy & McCallum, 2001).
    """
    pool = outputs.pool
    items, labels = pool.labeled_data()
    row = pool.items(outputs.ids[position : position + 1])
    total = 0.0
    for label, p in zip(outputs.classes, proba[position]):
        if p <= 0:
            continue
        refit = fit_clone(outputs.model, *append_item(items, labels, row, label), seed)
        after = class_probabilities(ModelOutputs(refit, pool, ids=eval_ids))
        total += float(p) * float((1.0 - after.max(axis=1)).sum())
    return total


@register("adaptive_density")
class AdaptiveDensityUncertainty(Strategy):
    """Uncertainty and density, their trade-off chosen by expected error (Li & Guo, 2013, CVPR, "Adaptive active learning for image classification").

    For each ``β`` in ``betas`` (default 0, 0.1, ..., 1) the combined score
    ``h_β(x) = u(x)^β · d(x)^(1-β)`` proposes its best candidate, with ``u`` the entropy
    of the model's probabilities and ``d`` the mean similarity to the candidates
    (:func:`~activelab.strategies.density.mean_similarity`, negative means clipped to 0;
    the paper measures density by Gaussian-process mutual information, we use the
    information density of Settles & Craven). Among the distinct proposals the one with
    the smallest expected 0/1 loss over the candidates after it is labeled wins
    (:func:`expected_error`, refitting clones of the model once per proposal and class;
    at most ``max_eval`` candidates, a fixed-seed sample, are evaluated). The proposal
    tie-breaks by smaller id; its smallest ``β`` is the round's trade-off ``β*``.

    Batch extension: the batch is the top ``batch_size`` of ``h_β*`` (so its first item
    is the paper's single query), scored by ``h_β*``. The expected-error step costs at
    most ``len(betas) × classes`` clone refits, whatever the batch size, plus ``O(n·d)``
    for the density. Needs a scikit-learn classifier (cloned, never refit itself) with
    ``predict_proba`` or ``decision_function`` (pseudo-probabilities then).

    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from activelab import Pool
    >>> from activelab.strategies.hybrid import AdaptiveDensityUncertainty
    >>> X, y = load_iris(return_X_y=True)
    >>> pool = Pool(X)
    >>> pool.add_labels([0, 50, 100], y[[0, 50, 100]])
    >>> model = LogisticRegression().fit(*pool.labeled_data())
    >>> query = AdaptiveDensityUncertainty(max_eval=50).query(model, pool, 3)
    >>> len(query.ids), 0 <= query.info["beta"] <= 1
    (3, True)
    """

    def __init__(
        self,
        betas: Sequence[float] | None = None,
        similarity: str = "cosine",
        max_eval: int = 1000,
    ) -> None:
        self.betas = betas
        self.similarity = similarity
        self.max_eval = max_eval

    def _betas(self) -> np.ndarray:
        if self.betas is None:
            return np.round(np.linspace(0.0, 1.0, 11), 10)
        try:
            betas = np.asarray(self.betas, dtype=float).reshape(-1)
        except (TypeError, ValueError):
            betas = np.array([np.nan])
        if len(betas) == 0 or not np.all((betas >= 0) & (betas <= 1)):
            raise ActiveLabError(f"betas must be numbers in [0, 1], at least one; got {self.betas!r}")
        return betas

    def select_batch(self, outputs: ModelOutputs, k: int, rng: np.random.Generator) -> Query:
        model = outputs.model
        max_eval = check_int(self.max_eval, "max_eval")
        betas = self._betas()
        if outputs.classes is None:
            raise ActiveLabError(
                f"adaptive_density needs a classifier with classes_; {type(model).__name__} "
                "has none"
            )
        proba = class_probabilities(outputs)
        uncertainty = entropy(proba)
        density = np.maximum(mean_similarity(outputs, self.similarity), 0.0)

        def combined(beta: float) -> np.ndarray:
            return uncertainty**beta * density ** (1.0 - beta)

        proposers: dict[int, list[float]] = {}
        for beta in betas:
            best, _ = top_k(outputs.ids, combined(beta), 1)
            position = int(np.flatnonzero(outputs.ids == best[0])[0])
            proposers.setdefault(position, []).append(float(beta))
        proposals = np.array(sorted(proposers), dtype=np.intp)
        errors = np.zeros(len(proposals))
        if len(proposals) > 1:
            eval_ids = outputs.ids[fixed_sample(outputs.ids, max_eval)]
            seed = int(rng.integers(2**31))
            errors = np.array(
                [expected_error(outputs, p, eval_ids, proba, seed) for p in proposals]
            )
        winner = proposals[np.lexsort((outputs.ids[proposals], errors))[0]]
        beta_star = min(proposers[int(winner)])
        ids, scores = top_k(outputs.ids, combined(beta_star), k)
        return Query(
            ids=ids,
            scores=scores,
            info={
                "beta": beta_star,
                "expected_errors": dict(
                    zip(outputs.ids[proposals].tolist(), errors.tolist())
                ),
            },
        )


@dataclass
class _Pick:
    """What the bandit knew when it chose one id: who advised it, and how likely it was."""

    advised: np.ndarray
    probability: float
    arm_probabilities: np.ndarray


@dataclass
class _BanditState:
    pool: Any
    log_weights: np.ndarray
    pending: dict[Any, _Pick] = field(default_factory=dict)
    told: list[tuple[Any, Any, _Pick]] = field(default_factory=list)
    history_ids: list[Any] = field(default_factory=list)
    history_labels: list[Any] = field(default_factory=list)
    history_weights: list[float] = field(default_factory=list)
    rewards: list[float] = field(default_factory=list)


@register("albl")
class BanditStrategy(Strategy):
    """Active learning by learning: a bandit learns which strategy to follow (Hsu & Lin, 2015, AAAI).

    The arms are the member strategies (default: random, margin, entropy, least
    confidence); each advises its best candidate, as in ALBL. The bandit is Exp4.P-like,
    with arm probabilities ``p = (1 - M·p_min)·softmax(log w) + p_min``. It differs from
    Exp4.P in two ways. Its exploration floor and confidence bonus count the ``M`` arms
    where Exp4.P counts the actions. The bonus divides by the arm's own probability
    ``p_m`` rather than by the probability of the item that arm advised.

    *Batch mode.* Each of the ``batch_size`` slots draws an arm from ``p`` (with the
    query's ``random_state``) and takes that arm's best candidate not chosen yet; every
    arm whose next candidate is the same item shares the credit, and the item's
    probability ``q`` is the sum of their ``p``. A pick's score is its ``q``, made
    non-increasing with ``np.minimum.accumulate``; ``Query.info["arms"]`` holds the
    index (in ``strategies``) of the arm that drew each id.

    *Learning.* :meth:`update` records the labels of the ids it chose. The reward is
    the paper's importance-weighted accuracy of the model *retrained with those labels*
    on every id the bandit had labeled, ``sum_t [f(x_t) = y_t] / q_t / (n · horizon)``.
    That model exists only at the next round, so the reward is computed and the weights
    move at the start of the next :meth:`query` (ALBL's order: query, label, retrain,
    reward), from the model it is given (``predict`` on the bandit's labeled items only).
    Each told id is one Exp4.P step: ``log w_m += p_min/2 · (r·[m advised it]/q +
    sqrt(ln(M/δ)/(M·horizon)) / p_m)``. :meth:`arm_probabilities` shows ``p``. The state
    belongs to one pool; a query on another pool starts afresh.

    Cost: the members' queries (sharing the round's outputs) plus ``O(batch·M)``; the
    reward predicts on at most the number of labels the bandit asked for. Needs a
    classifier with ``predict`` and what the members need.

    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from activelab import Pool
    >>> from activelab.strategies.hybrid import BanditStrategy
    >>> X, y = load_iris(return_X_y=True)
    >>> pool = Pool(X)
    >>> pool.add_labels([0, 50, 100], y[[0, 50, 100]])
    >>> model = LogisticRegression().fit(*pool.labeled_data())
    >>> bandit = BanditStrategy()
    >>> len(bandit.query(model, pool, 5, random_state=0).ids)
    5
    """

    def __init__(
        self,
        strategies: Sequence[Strategy] | None = None,
        horizon: int = 100,
        delta: float = 0.1,
        p_min: float | None = None,
    ) -> None:
        self.strategies = strategies
        self.horizon = horizon
        self.delta = delta
        self.p_min = p_min

    def _arms(self) -> list[Strategy]:
        arms = (
            [RandomSampling(), MarginSampling(), EntropySampling(), LeastConfidenceSampling()]
            if self.strategies is None
            else list(self.strategies)
        )
        if not arms:
            raise ActiveLabError("albl needs at least one strategy to choose from")
        for arm in arms:
            if not isinstance(arm, Strategy):
                raise ActiveLabError(f"albl's arms must be strategies; got {arm!r}")
        return arms

    def _settings(self, n_arms: int) -> tuple[int, float, float]:
        horizon = check_int(self.horizon, "horizon")
        delta = self.delta
        if isinstance(delta, bool) or not isinstance(delta, (int, float)) or not 0 < delta <= 1:
            raise ActiveLabError(f"delta must be a number in (0, 1]; got {delta!r}")
        if self.p_min is None:
            p_min = np.sqrt(np.log(max(n_arms, 2)) / (n_arms * horizon))
        else:
            p_min = self.p_min
            if isinstance(p_min, bool) or not isinstance(p_min, (int, float)):
                raise ActiveLabError(f"p_min must be a number in [0, 1/arms]; got {p_min!r}")
        if not 0 <= p_min <= 1.0 / n_arms:
            raise ActiveLabError(
                f"p_min must be in [0, 1/{n_arms}] for {n_arms} arms; got {p_min}"
            )
        return horizon, float(delta), float(p_min)

    def _state(self, pool: Pool, n_arms: int) -> _BanditState:
        state: _BanditState | None = getattr(self, "state_", None)
        if state is None or state.pool() is not pool or len(state.log_weights) != n_arms:
            state = _BanditState(pool=weakref.ref(pool), log_weights=np.zeros(n_arms))
            self.state_ = state
        return state

    def arm_probabilities(self) -> np.ndarray:
        """The probability of each arm in the next query (before any reward it applies)."""
        n_arms = len(self._arms())
        _, _, p_min = self._settings(n_arms)
        state = getattr(self, "state_", None)
        log_weights = np.zeros(n_arms) if state is None else state.log_weights
        return _mixed(log_weights, p_min)

    def select_batch(self, outputs: ModelOutputs, k: int, rng: np.random.Generator) -> Query:
        model, pool = outputs.model, outputs.pool
        arms = self._arms()
        horizon, delta, p_min = self._settings(len(arms))
        state = self._state(pool, len(arms))
        if state.told:
            self._learn(state, model, pool, horizon, delta, p_min)
        p = _mixed(state.log_weights, p_min)
        advice = []
        for arm in arms:
            ranked = arm.query(model, pool, k, random_state=rng, outputs=outputs).ids.tolist()
            if len(ranked) < k:
                raise ActiveLabError(
                    f"albl's arm {arm!r} returned {len(ranked)} ids for a batch of "
                    f"{k}; it must return a full batch"
                )
            advice.append(ranked)
        chosen: list[Any] = []
        taken: set[Any] = set()
        cursors = [0] * len(arms)
        drawn, probabilities = [], []
        for _ in range(k):
            nexts = []
            for m, ranked in enumerate(advice):
                while ranked[cursors[m]] in taken:
                    cursors[m] += 1
                nexts.append(ranked[cursors[m]])
            arm = int(rng.choice(len(arms), p=p))
            pick = nexts[arm]
            advised = np.array([candidate == pick for candidate in nexts])
            q = float(p[advised].sum())
            state.pending[pick] = _Pick(advised=advised, probability=q, arm_probabilities=p)
            chosen.append(pick)
            taken.add(pick)
            drawn.append(arm)
            probabilities.append(q)
        return Query(
            ids=np.asarray(chosen, dtype=outputs.ids.dtype),
            scores=np.minimum.accumulate(np.asarray(probabilities, dtype=float)),
            info={
                "arms": drawn,
                "arm_probabilities": p.tolist(),
            },
        )

    def update(self, pool: Pool, query: Query, labels: np.ndarray) -> None:
        """Remember the labels of the ids this bandit chose; they are rewarded next query."""
        state: _BanditState | None = getattr(self, "state_", None)
        if state is None or state.pool() is not pool:
            return
        for id_, label in zip(np.asarray(query.ids).tolist(), list(labels)):
            pick = state.pending.pop(id_, None)
            if pick is not None:
                state.told.append((id_, label, pick))

    def _learn(
        self, state: _BanditState, model: Any, pool: Pool, horizon: int, delta: float,
        p_min: float,
    ) -> None:
        for id_, label, pick in state.told:
            state.history_ids.append(id_)
            state.history_labels.append(label)
            state.history_weights.append(1.0 / pick.probability)
        if not hasattr(model, "predict"):
            raise ActiveLabError(
                f"albl rewards arms by the model's accuracy, but {type(model).__name__} has "
                "no predict"
            )
        predicted = np.asarray(model.predict(pool.items(np.asarray(state.history_ids))))
        truth = np.asarray(state.history_labels)
        correct = np.array([bool(np.all(a == b)) for a, b in zip(predicted, truth)])
        reward = float(np.dot(state.history_weights, correct)) / (len(pool) * horizon)
        n_arms = len(state.log_weights)
        bonus = np.sqrt(np.log(n_arms / delta) / (n_arms * horizon))
        for _, _, pick in state.told:
            estimate = reward * pick.advised / pick.probability
            state.log_weights += p_min / 2.0 * (estimate + bonus / pick.arm_probabilities)
        state.rewards.append(reward)
        state.told.clear()


def _mixed(log_weights: np.ndarray, p_min: float) -> np.ndarray:
    weights = np.exp(log_weights - log_weights.max())
    return (1.0 - len(weights) * p_min) * weights / weights.sum() + p_min
