"""Bayesian optimisation: acquisitions against their formulas, and EI against random search."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import raises_user_error
from scipy import integrate
from scipy.stats import norm
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.linear_model import Ridge

from activelab.optimize import (
    ACQUISITIONS,
    BayesianOptimisation,
    expected_improvement,
    maximize,
    minimize,
    probability_of_improvement,
    upper_confidence_bound,
)
from activelab.scenarios.space import InputSpace
from activelab.scenarios.synthesis import SynthesisLoop

MEANS = np.array([0.0, 1.2, -0.5, 2.0, 1.0])
STDS = np.array([1.0, 0.3, 2.0, 0.01, 0.5])
BEST, XI = 1.0, 0.1


def test_probability_of_improvement_is_the_normal_cdf_of_the_standardised_gain():
    by_hand = [norm.cdf((m - BEST - XI) / s) for m, s in zip(MEANS, STDS)]
    np.testing.assert_allclose(probability_of_improvement(MEANS, STDS, BEST, XI), by_hand)


def test_expected_improvement_matches_its_formula_and_an_integral():
    by_hand = [(m - BEST - XI) * norm.cdf((m - BEST - XI) / s)
               + s * norm.pdf((m - BEST - XI) / s) for m, s in zip(MEANS, STDS)]
    got = expected_improvement(MEANS, STDS, BEST, XI)
    np.testing.assert_allclose(got, by_hand, rtol=1e-12)
    for m, s, value in zip(MEANS, STDS, got):
        integral = integrate.quad(lambda y, m=m, s=s: (y - BEST - XI) * norm.pdf(y, m, s),
                                  max(BEST + XI, m - 12 * s), m + 12 * s)[0]
        assert value == pytest.approx(integral, abs=1e-8)


def test_upper_confidence_bound_and_a_certain_prediction():
    np.testing.assert_allclose(upper_confidence_bound(MEANS, STDS, kappa=1.5), MEANS + 1.5 * STDS)
    certain = np.array([0.0, 0.0])
    assert expected_improvement([2.0, 0.5], certain, 1.0, 0.0).tolist() == [1.0, 0.0]
    assert probability_of_improvement([2.0, 0.5], certain, 1.0, 0.0).tolist() == [1.0, 0.0]
    assert set(ACQUISITIONS) == {"ei", "pi", "ucb"}


def forrester(x: np.ndarray) -> float:
    return float((6 * x[0] - 2) ** 2 * np.sin(12 * x[0] - 4))


def calls_to_reach(values: np.ndarray, target: float, cap: int) -> int:
    hits = np.flatnonzero(np.minimum.accumulate(values) < target)
    return int(hits[0]) + 1 if len(hits) else cap + 1


def test_expected_improvement_finds_the_minimum_in_fewer_calls_than_random_search():
    grid = np.linspace(0, 1, 200_001)
    target = min(forrester([x]) for x in grid[::100]) + 0.1  # within 0.1 of the minimum
    space = InputSpace([0.0], [1.0])
    bo_calls, random_calls = [], []
    for seed in range(3):
        result = minimize(forrester, space, n_calls=15, random_state=seed, n_candidates=200,
                          n_restarts=2, maxiter=20)
        bo_calls.append(calls_to_reach(result.values, target, 15))
        points = space.sample(60, np.random.default_rng(seed))
        random_calls.append(calls_to_reach(np.array([forrester(x) for x in points]), target, 60))
    assert np.mean(bo_calls) * 2 <= np.mean(random_calls), (bo_calls, random_calls)


def test_bayesian_optimisation_is_a_synthesiser_for_the_synthesis_loop():
    space = InputSpace([-1.0, -1.0], [1.0, 1.0])
    loop = SynthesisLoop(GaussianProcessRegressor(), BayesianOptimisation("ucb", n_candidates=100,
                                                                          n_restarts=1),
                         lambda x: -float(np.sum((x - 0.5) ** 2)), space, initial=4,
                         random_state=0)
    loop.run(3)
    assert loop.n_calls == 7 and len(loop.y) == 7
    assert np.all(np.abs(loop.X) <= 1.0)


def test_maximize_reports_the_best_point_and_refuses_bad_settings():
    space = InputSpace([0.0], [2.0])
    result = maximize(lambda x: -abs(x[0] - 1.0), space, n_calls=7, initial=3, random_state=1,
                      n_candidates=100, n_restarts=1)
    assert result.value == result.values.max() and len(result.X) == 7
    assert result.value == pytest.approx(-abs(result.x[0] - 1.0))
    with raises_user_error("n_calls"):
        maximize(lambda x: 0.0, space, n_calls=3, initial=3)
    with raises_user_error("return_std"):
        BayesianOptimisation().propose(Ridge().fit([[0.0], [1.0]], [0.0, 1.0]),
                                       np.array([[0.0], [1.0]]), np.array([0.0, 1.0]), space, 1,
                                       np.random.default_rng(0))
