"""``auto``: its bandit's arithmetic checked by hand from what each round records, its
phases, and its seed."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_iris, make_regression
from sklearn.linear_model import LogisticRegression, Ridge

from activelab import ActiveLoop, LabelBudget, Pool, SimulatedOracle, strategies
from activelab.errors import ActiveLabError
from activelab.strategies.autopilot import PORTFOLIO, AutoStrategy


def _run(seed: int = 0, budget: int = 56, **params):
    X, y = load_iris(return_X_y=True)
    pool = Pool(X)
    start = [0, 1, 50, 51, 100, 101]
    pool.add_labels(start, y[start])
    loop = ActiveLoop(LogisticRegression(max_iter=500), pool, strategies.get("auto", **params),
                      oracle=SimulatedOracle(y), batch_size=5,
                      stopping=[LabelBudget(budget)], random_state=seed)
    return [r.info["query"] for r in loop.run()[:-1]]


def _exp3(totals: np.ndarray, gamma: float) -> np.ndarray:
    """Exp3's draw probabilities written out: (1 - gamma) softmax(gamma/m * totals) + gamma/m."""
    m = len(totals)
    weights = np.array([np.exp(gamma / m * t) for t in totals])
    return (1 - gamma) * weights / weights.sum() + gamma / m


def test_the_first_draw_follows_the_prior_by_the_exp3_formula():
    first = _run(budget=11, prior=20.0, gamma=0.3)[0]
    expected = _exp3(np.array([20.0 if a == "cluster_margin" else 0.0 for a in PORTFOLIO]), 0.3)
    got = np.array([first["arm_probabilities"][a] for a in PORTFOLIO])
    np.testing.assert_allclose(got, expected, atol=1e-4)
    assert got.argmax() == PORTFOLIO.index("cluster_margin")


def test_each_reward_is_credited_to_the_arm_that_picked_the_batch():
    rounds = _run()
    assert len(rounds) >= 6
    assert sum(abs(r["last_reward"]) > 1e-4 for r in rounds[1:]) >= 3  # rewards that move
    for before, after in zip(rounds, rounds[1:]):
        arm, p = before["arm"], before["arm_probabilities"][before["arm"]]
        for name in PORTFOLIO:
            change = after["arm_rewards"][name] - before["arm_rewards"][name]
            expected = 100 * after["last_reward"] / p if name == arm else 0.0
            # the record rounds probabilities and totals to 4 decimals, rewards to 6
            assert change == pytest.approx(expected, abs=2e-3 + abs(expected) * 2e-3)
        np.testing.assert_allclose(
            [after["arm_probabilities"][a] for a in PORTFOLIO],
            _exp3(np.array([after["arm_rewards"][a] for a in PORTFOLIO]), AutoStrategy().gamma),
            atol=1e-3)


def test_the_same_seed_makes_the_same_choices_and_another_seed_may_not():
    assert _run(seed=3) == _run(seed=3)
    arms = {seed: [r["arm"] for r in _run(seed=seed)] for seed in range(4)}
    assert len({tuple(a) for a in arms.values()}) > 1


def test_cold_start_until_every_class_has_labels_then_the_bandit():
    X, y = load_iris(return_X_y=True)
    pool = Pool(X)
    pool.add_labels([0, 1], y[[0, 1]])  # one class only
    loop = ActiveLoop(LogisticRegression(max_iter=500), pool, oracle=SimulatedOracle(y),
                      batch_size=10, stopping=[LabelBudget(62)], random_state=0)
    phases = [r.info["query"]["phase"] for r in loop.run()[:-1]]
    assert phases[0] == "cold_start"
    assert "bandit" in phases and phases.index("bandit") > 0
    assert set(phases[phases.index("bandit"):]) == {"bandit"}


def test_a_regressor_gets_k_center_and_says_why():
    X, y = make_regression(n_samples=120, n_features=4, random_state=0)
    pool = Pool(X)
    pool.add_labels(range(5), y[:5])
    query = strategies.get("auto").query(Ridge().fit(X[:5], y[:5]), pool, 4, random_state=0)
    assert query.info["phase"] == "fallback" and query.info["arm"] == "coreset"
    assert "k-center" in query.info["reason"]


def test_an_unknown_prior_arm_is_refused_by_name():
    with pytest.raises(ActiveLabError, match="prior_arm must be one of random, margin"):
        _run(budget=11, prior_arm="entropy")
