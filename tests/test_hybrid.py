"""Hybrid strategies against combinations, refits and bandit updates done by hand here."""

import math

import numpy as np
import pytest
from conftest import raises_user_error
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression, Ridge

from activelab import ActiveLoop, ModelOutputs, Pool, SimulatedOracle, strategies
from activelab.strategies import EntropySampling, MarginSampling, RandomSampling, ScoringStrategy
from activelab.strategies.badge import BADGE
from activelab.strategies.density import GraphDensity
from activelab.strategies.hybrid import (
    AdaptiveDensityUncertainty,
    BanditStrategy,
    Shortlist,
    WeightedScores,
)
from activelab.testing import check_strategy


@pytest.fixture
def iris():
    X, y = load_iris(return_X_y=True)
    ids = np.arange(len(X))[::-1] + 500
    pool = Pool(X, ids=ids)
    labeled = [0, 1, 50, 51, 100, 101]
    pool.add_labels(ids[labeled], y[labeled])
    model = LogisticRegression(max_iter=500).fit(*pool.labeled_data())
    return X, y, ids, pool, model


def rows_of(X, ids, wanted):
    position = {i: p for p, i in enumerate(ids.tolist())}
    return X[[position[i] for i in np.asarray(wanted).tolist()]]


def hand_margin(P):
    return np.array([-(sorted(r)[-1] - sorted(r)[-2]) for r in P])


def hand_entropy(P):
    return np.array([-sum(p * math.log(p) for p in r if p > 0) for r in P])


def hand_rank(s):
    return np.array([(np.sum(s < v) + (np.sum(s == v) + 1) / 2) / len(s) for v in s])


def ranking(ids, scores, k):
    return [i for _, i in sorted(zip(-np.asarray(scores), ids.tolist()))][:k]


def test_weighted_scores_equal_the_combination_by_hand(iris):
    X, _, ids, pool, model = iris
    unlabeled = pool.unlabeled_ids
    P = model.predict_proba(rows_of(X, ids, unlabeled))
    mg, en = hand_margin(P), hand_entropy(P)
    outputs = ModelOutputs(model, pool)
    parts = [MarginSampling(), EntropySampling()]

    summed = WeightedScores(parts, weights=[2, 1]).score(outputs, np.random.default_rng(0))
    assert np.allclose(summed, 2 * hand_rank(mg) + hand_rank(en))

    minmax = (mg - mg.min()) / (mg.max() - mg.min()), (en - en.min()) / (en.max() - en.min())
    product = WeightedScores(parts, weights=[1, 3], combine="product", normalise="minmax")
    expected = minmax[0] * minmax[1] ** 3
    assert np.allclose(product.score(outputs, np.random.default_rng(0)), expected)
    assert product.query(model, pool, 6).ids.tolist() == ranking(unlabeled, expected, 6)


def test_a_margin_entropy_hybrid_calls_predict_proba_once(iris):
    _, _, _, pool, model = iris
    calls = []
    original = model.predict_proba

    def counted(X):
        calls.append(len(X))
        return original(X)

    model.predict_proba = counted
    WeightedScores([MarginSampling(), EntropySampling()]).query(model, pool, 5)
    assert calls == [pool.n_unlabeled]


def test_weighted_scores_refuse_parts_that_are_not_scorers(iris):
    _, _, _, pool, model = iris
    with raises_user_error("not a ScoringStrategy"):
        WeightedScores([MarginSampling(), Shortlist()]).query(model, pool, 3)
    with raises_user_error("weights must be 2 numbers"):
        WeightedScores([MarginSampling(), EntropySampling()], weights=[1]).query(model, pool, 3)
    with raises_user_error("combine must be one of"):
        WeightedScores(combine="max").query(model, pool, 3)


def test_shortlist_equals_the_expensive_strategy_run_on_the_shortlist_by_hand(iris):
    X, _, ids, pool, model = iris
    unlabeled = pool.unlabeled_ids
    margin = hand_margin(model.predict_proba(rows_of(X, ids, unlabeled)))
    shortlist = ranking(unlabeled, margin, 30)
    for expensive in (GraphDensity(n_neighbors=5), BADGE()):
        query = Shortlist(MarginSampling(), expensive, size=30).query(
            model, pool, 6, random_state=7
        )
        assert set(query.ids.tolist()) <= set(shortlist)
        by_hand = expensive.query(
            model, pool, 6, random_state=7, outputs=ModelOutputs(model, pool, ids=shortlist)
        )
        assert query.ids.tolist() == by_hand.ids.tolist()
        assert np.allclose(query.scores, by_hand.scores)


def test_shortlist_grows_to_the_batch_size_and_checks_its_parts(iris):
    _, _, _, pool, model = iris
    query = Shortlist(size=3).query(model, pool, 8)
    assert len(query.ids) == 8 and query.info["shortlist_size"] == 8
    with raises_user_error("cheap strategy must be a ScoringStrategy"):
        Shortlist(cheap=Shortlist()).query(model, pool, 3)


def hand_mean_cosine(X):
    unit = X / np.linalg.norm(X, axis=1, keepdims=True)
    return np.array([np.mean([a @ b for b in unit]) for a in unit])


def test_adaptive_density_chooses_beta_by_expected_error_like_a_refit_by_hand(iris):
    X, y, ids, pool, model = iris
    unlabeled = pool.unlabeled_ids
    Xu = rows_of(X, ids, unlabeled)
    P = model.predict_proba(Xu)
    u, d = hand_entropy(P), np.maximum(hand_mean_cosine(Xu), 0)
    betas = np.linspace(0, 1, 11)
    proposals = {}
    for beta in betas:
        best = ranking(unlabeled, u**beta * d ** (1 - beta), 1)[0]
        proposals.setdefault(best, []).append(beta)
    assert len(proposals) > 1
    X_lab, y_lab = pool.labeled_data()
    errors = {}
    for candidate in proposals:
        position = unlabeled.tolist().index(candidate)
        errors[candidate] = 0.0
        for label, p in zip(model.classes_, P[position]):
            refit = clone(model).fit(np.vstack([X_lab, Xu[position]]), np.append(y_lab, label))
            errors[candidate] += p * np.sum(1 - refit.predict_proba(Xu).max(axis=1))
    winner = min(errors, key=lambda c: (errors[c], c))
    beta_star = min(proposals[winner])

    query = AdaptiveDensityUncertainty().query(model, pool, 5)
    assert query.info["beta"] == pytest.approx(beta_star)
    assert query.ids[0] == winner
    assert query.ids.tolist() == ranking(unlabeled, u**beta_star * d ** (1 - beta_star), 5)
    assert query.info["expected_errors"] == pytest.approx(errors)


def test_adaptive_density_needs_a_classifier(iris):
    X, y, _, pool, _ = iris
    with raises_user_error("needs a classifier with classes_"):
        AdaptiveDensityUncertainty().query(Ridge().fit(*pool.labeled_data()), pool, 3)
    with raises_user_error("betas must be numbers in"):
        AdaptiveDensityUncertainty(betas=[0.5, 2]).query(None, pool, 3)


class Prefers(ScoringStrategy):
    """Rigged arm: the items with the largest (sign * first feature) first."""

    def __init__(self, sign=1.0):
        self.sign = sign
        self.selector = None

    def score(self, outputs, rng):
        return self.sign * outputs.features()[:, 0]


class Constant(ClassifierMixin, BaseEstimator):
    """Rigged model: always predicts class 0."""

    def fit(self, X, y):
        self.classes_ = np.array([0, 1])
        return self

    def predict(self, X):
        return np.zeros(len(X), dtype=int)

    def predict_proba(self, X):
        return np.tile([0.6, 0.4], (len(X), 1))


def _rigged_rounds(label, rounds, seed=3):
    """Batches of one; every told label is ``label``; the model always says 0."""
    X = np.arange(20, dtype=float).reshape(-1, 1)
    pool = Pool(X)
    pool.add_labels([0, 19], [0, 1])
    model = Constant().fit(X, None)
    bandit = BanditStrategy([Prefers(1.0), Prefers(-1.0)], horizon=10)
    queries = []
    for _ in range(rounds):
        query = bandit.query(model, pool, 1, random_state=seed)
        queries.append(query)
        pool.add_labels(query.ids, [label])
        bandit.update(pool, query, np.array([label]))
    bandit.query(model, pool, 1, random_state=seed)
    return bandit, queries


def exp4p_by_hand(queries, correct, n=20, horizon=10, delta=0.1):
    """The arm probabilities after Exp4.P steps, one per query, written from the paper."""
    n_arms = 2
    p_min = math.sqrt(math.log(n_arms) / (n_arms * horizon))
    log_w = np.zeros(n_arms)
    importance = []
    for query in queries:
        w = np.exp(log_w) / np.exp(log_w).sum()
        p = (1 - n_arms * p_min) * w + p_min
        assert query.info["arm_probabilities"] == pytest.approx(p.tolist())
        arm = query.info["arms"][0]
        assert arm == (0 if query.ids[0] >= 10 else 1)
        q = p[arm]
        assert query.scores[0] == pytest.approx(q)
        importance.append(1 / q)
        reward = sum(importance) * correct / (n * horizon)
        advised = np.arange(n_arms) == arm
        bonus = math.sqrt(math.log(n_arms / delta) / (n_arms * horizon)) / p
        log_w = log_w + p_min / 2 * (reward * advised / q + bonus)
    w = np.exp(log_w) / np.exp(log_w).sum()
    return (1 - n_arms * p_min) * w + p_min


def test_albl_moves_probability_toward_the_arm_whose_pick_the_model_gets_right():
    before = BanditStrategy([Prefers(1.0), Prefers(-1.0)], horizon=10).arm_probabilities()
    assert np.allclose(before, [0.5, 0.5])
    right, right_queries = _rigged_rounds(label=0, rounds=1)
    wrong, wrong_queries = _rigged_rounds(label=1, rounds=1)
    arm = right_queries[0].info["arms"][0]
    assert right_queries[0].ids.tolist() == wrong_queries[0].ids.tolist() == [[18, 1][arm]]
    assert right.arm_probabilities()[arm] > 0.5
    assert wrong.arm_probabilities()[arm] == pytest.approx(0.5)
    assert right.arm_probabilities() == pytest.approx(exp4p_by_hand(right_queries, 1))


def test_albl_weights_follow_exp4p_over_several_rounds():
    for label, correct in ((0, 1), (1, 0)):
        bandit, queries = _rigged_rounds(label=label, rounds=4)
        assert bandit.arm_probabilities() == pytest.approx(exp4p_by_hand(queries, correct))


def test_albl_is_deterministic_under_a_seed_and_learns_in_a_loop():
    X, y = load_iris(return_X_y=True)
    runs = []
    for _ in range(2):
        pool = Pool(X)
        pool.add_labels([0, 50, 100], y[[0, 50, 100]])
        bandit = BanditStrategy()
        loop = ActiveLoop(LogisticRegression(max_iter=300), pool, bandit, SimulatedOracle(y),
                          batch_size=4, random_state=11)
        history = loop.run(max_rounds=4)
        runs.append(([r.query_ids for r in history], bandit.arm_probabilities()))
        assert len(bandit.state_.rewards) == 3
    assert runs[0][0] == runs[1][0]
    assert np.array_equal(runs[0][1], runs[1][1])
    assert not np.allclose(runs[0][1], 0.25)


def test_albl_batch_picks_come_from_the_arms_advice(iris):
    _, _, _, pool, model = iris
    arms = [MarginSampling(), EntropySampling(), RandomSampling()]
    query = BanditStrategy(arms).query(model, pool, 6, random_state=0)
    assert len(set(query.ids.tolist())) == 6
    assert set(query.info["arms"]) <= {0, 1, 2}
    for arm, strategy in enumerate(arms[:2]):
        top = strategy.query(model, pool, 6).ids.tolist()
        picked = [i for i, a in zip(query.ids.tolist(), query.info["arms"]) if a == arm]
        assert set(picked) <= set(top)


def test_albl_refuses_bad_arms_and_settings(iris):
    _, _, _, pool, model = iris
    with raises_user_error("arms must be strategies"):
        BanditStrategy([MarginSampling(), "entropy"]).query(model, pool, 3)
    with raises_user_error("p_min must be in"):
        BanditStrategy([MarginSampling(), EntropySampling()], p_min=0.9).query(model, pool, 3)


@pytest.mark.parametrize("name", ["weighted", "shortlist", "adaptive_density", "albl"])
def test_registered_hybrids_keep_the_contract(name):
    check_strategy(strategies.get(name))
