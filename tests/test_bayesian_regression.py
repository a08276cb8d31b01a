"""emvr and kl_divergence against refits of the model and direct matrix inverses."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import raises_user_error
from sklearn.base import clone
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF, WhiteKernel
from sklearn.linear_model import BayesianRidge, Ridge

from activelab import Pool
from activelab.models.catalog import make_model
from activelab.strategies.bayesian_regression import (
    ExpectedModelVarianceReduction,
    KLDivergenceMaximization,
)


def one_d_pool(seed: int = 0) -> tuple[Pool, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = np.sort(rng.uniform(-2, 2, 24)).reshape(-1, 1)
    y = np.sin(2 * X[:, 0]) + rng.normal(scale=0.1, size=24)
    pool = Pool(X)
    pool.add_labels([2, 7, 12, 20], y[[2, 7, 12, 20]])
    return pool, X, y


def scores_of(strategy, model, pool):
    query = strategy.query(model, pool, pool.n_unlabeled)
    got = dict(zip(query.ids.tolist(), query.scores.tolist()))
    return np.array([got[i] for i in pool.unlabeled_ids.tolist()])


def evaluation_rows(pool: Pool, X: np.ndarray) -> np.ndarray:
    return np.vstack([X[pool.unlabeled_ids], X[pool.labeled_ids]])


def fixed_gp(pool: Pool) -> GaussianProcessRegressor:
    gp = GaussianProcessRegressor(RBF(0.7) + WhiteKernel(0.05), alpha=1e-6, optimizer=None)
    return gp.fit(*pool.labeled_data())


def refit_with(gp: GaussianProcessRegressor, pool: Pool, x: np.ndarray, label: float):
    """The same GP, hyperparameters frozen, fit with one more labeled point."""
    frozen = clone(gp).set_params(kernel=gp.kernel_, optimizer=None)
    X_lab, y_lab = pool.labeled_data()
    return frozen.fit(np.vstack([X_lab, x[None, :]]), np.append(y_lab, label))


def test_emvr_on_a_gp_is_the_mean_variance_drop_of_a_refit():
    pool, X, _ = one_d_pool()
    gp = fixed_gp(pool)
    E = evaluation_rows(pool, X)
    before = gp.predict(E, return_std=True)[1] ** 2
    expected = [np.mean(before - refit_with(gp, pool, X[i], 0.0).predict(E, return_std=True)[1] ** 2)
                for i in pool.unlabeled_ids]
    got = scores_of(ExpectedModelVarianceReduction(), gp, pool)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-12)


def test_emvr_on_bayesian_ridge_is_the_drop_under_the_updated_posterior_inverse():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(30, 3))
    y = X @ [1.0, -1.0, 0.5] + rng.normal(scale=0.3, size=30)
    pool = Pool(X)
    pool.add_labels(range(8), y[:8])
    model = BayesianRidge().fit(*pool.labeled_data())
    sigma, noise_precision = model.sigma_, model.alpha_
    E = evaluation_rows(pool, X) - model.X_offset_
    expected = []
    for i in pool.unlabeled_ids:
        x = X[i] - model.X_offset_
        updated = np.linalg.inv(np.linalg.inv(sigma) + noise_precision * np.outer(x, x))
        expected.append(np.mean(np.einsum("ij,jk,ik->i", E, sigma - updated, E)))
    got = scores_of(ExpectedModelVarianceReduction(), model, pool)
    np.testing.assert_allclose(got, expected, rtol=1e-8)


def gaussian_kl(m1, v1, m0, v0):
    return 0.5 * np.log(v0 / v1) + (v1 + (m1 - m0) ** 2) / (2 * v0) - 0.5


def test_kl_divergence_with_the_predicted_label_matches_refits():
    pool, X, _ = one_d_pool(2)
    gp = fixed_gp(pool)
    E = evaluation_rows(pool, X)
    m0, s0 = gp.predict(E, return_std=True)
    expected = []
    for i in pool.unlabeled_ids:
        refit = refit_with(gp, pool, X[i], float(gp.predict(X[i : i + 1])[0]))
        m1, s1 = refit.predict(E, return_std=True)
        expected.append(np.mean(gaussian_kl(m1, s1**2, m0, s0**2)))
    got = scores_of(KLDivergenceMaximization(target="prediction"), gp, pool)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-10)


def test_kl_divergence_expected_over_the_label_matches_gauss_hermite_refits():
    pool, X, _ = one_d_pool(3)
    gp = fixed_gp(pool)
    E = evaluation_rows(pool, X)
    m0, s0 = gp.predict(E, return_std=True)
    nodes, weights = np.polynomial.hermite_e.hermegauss(12)
    weights = weights / weights.sum()
    expected = []
    for i in pool.unlabeled_ids[::3]:
        mean, std = gp.predict(X[i : i + 1], return_std=True)
        total = 0.0
        for node, weight in zip(nodes, weights):
            m1, s1 = refit_with(gp, pool, X[i], float(mean[0] + std[0] * node)).predict(
                E, return_std=True)
            total += weight * np.mean(gaussian_kl(m1, s1**2, m0, s0**2))
        expected.append(total)
    got = scores_of(KLDivergenceMaximization(), gp, pool)[::3]
    np.testing.assert_allclose(got, expected, rtol=1e-5)


def test_both_work_through_the_catalog_gp_pipeline_and_prefer_the_unexplored():
    X = np.linspace(-3, 3, 61).reshape(-1, 1)
    pool = Pool(X)
    pool.add_labels(range(20, 41, 4), np.sin(X[20:41:4, 0]))
    model = make_model("gp", 0, task="regression").fit(*pool.labeled_data())
    for strategy in (ExpectedModelVarianceReduction(), KLDivergenceMaximization()):
        picked = strategy.query(model, pool, 2).ids
        assert np.all(np.abs(X[picked, 0]) > 1.0)


def test_models_without_a_gaussian_posterior_are_refused():
    pool, _, _ = one_d_pool()
    ridge = Ridge().fit(*pool.labeled_data())
    with raises_user_error("GaussianProcessRegressor or BayesianRidge"):
        ExpectedModelVarianceReduction().query(ridge, pool, 1)
    with raises_user_error("target"):
        KLDivergenceMaximization(target="mode").query(fixed_gp(pool), pool, 1)


@pytest.mark.parametrize("strategy", [ExpectedModelVarianceReduction(), KLDivergenceMaximization()])
def test_scores_never_go_negative(strategy):
    pool, _, _ = one_d_pool(4)
    assert (scores_of(strategy, fixed_gp(pool), pool) >= -1e-12).all()
