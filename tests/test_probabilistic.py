"""Parzen window classifier, McPAL and xPAL against references computed in the test."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import raises_user_error
from scipy import integrate, stats
from sklearn.linear_model import LogisticRegression

from activelab import Pool
from activelab.kernels import mean_bandwidth_gamma
from activelab.models.catalog import make_model
from activelab.models.parzen import ParzenWindowClassifier
from activelab.strategies.probabilistic import (
    ExpectedProbabilisticGain,
    ProbabilisticAL,
    expected_error_reduction_mcpal,
)


def test_parzen_frequencies_and_probabilities_are_kernel_sums():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(12, 3)), rng.integers(0, 3, 12)
    Z = rng.normal(size=(5, 3))
    clf = ParzenWindowClassifier(gamma=0.7, class_prior=0.5).fit(X, y)
    by_hand = np.zeros((5, 3))
    for i, z in enumerate(Z):
        for x, label in zip(X, y):
            by_hand[i, label] += math.exp(-0.7 * float(np.sum((z - x) ** 2)))
    np.testing.assert_allclose(clf.predict_freq(Z), by_hand, rtol=1e-12)
    np.testing.assert_allclose(clf.predict_proba(Z),
                               (by_hand + 0.5) / (by_hand + 0.5).sum(1, keepdims=True))


def test_mean_bandwidth_follows_the_mean_criterion():
    X = np.array([[0.0, 1.0], [2.0, 1.0], [4.0, 3.0]])
    n, total_variance, delta = 3, X.var(axis=0).sum(), math.sqrt(2) * 1e-6
    s_squared = 2 * n * total_variance / ((n - 1) * math.log((n - 1) / delta**2))
    assert mean_bandwidth_gamma(X) == pytest.approx(1 / (2 * s_squared))


def test_parzen_is_in_the_catalog_and_refuses_bad_gamma():
    model = make_model("parzen", 0).fit([[0.0], [1.0], [3.0]], [0, 0, 1])
    assert model.predict([[0.1], [2.9]]).tolist() == [0, 1]
    with raises_user_error("gamma"):
        ParzenWindowClassifier(gamma="median").fit([[0.0], [1.0]], [0, 1])


def expected_error_by_integration(k1: float, k0: float, prior: float, m: int) -> float:
    """Binary case: the expected error after m labels, integrating over p(class 0) ~ Beta."""
    def integrand(p: float) -> float:
        total = 0.0
        for l1 in range(m + 1):
            decide_one = (k1 + l1) > (k0 + m - l1)  # ties go to class 0, the first
            chance = math.comb(m, l1) * (1 - p) ** l1 * p ** (m - l1)
            total += chance * (p if decide_one else 1 - p)
        return total * stats.beta.pdf(p, k0 + prior, k1 + prior)

    return integrate.quad(integrand, 0, 1, epsabs=1e-12)[0]


@pytest.mark.parametrize(("k0", "k1", "prior", "m_max"),
                         [(0.0, 0.0, 1.0, 1), (2.0, 1.0, 1.0, 1), (0.3, 2.5, 1.0, 3),
                          (1.2, 1.0, 0.5, 2), (4.0, 0.0, 1.0, 2)])
def test_mcpal_gain_matches_integration_over_the_beta_posterior(k0, k1, prior, m_max):
    # p is the probability of class 0 here, so Beta(k0 + prior, k1 + prior)
    now = expected_error_by_integration(k1, k0, prior, 0)
    expected = max((now - expected_error_by_integration(k1, k0, prior, m)) / m
                   for m in range(1, m_max + 1))
    got = expected_error_reduction_mcpal(np.array([[k0, k1]]), prior, m_max)[0]
    assert got == pytest.approx(expected, abs=1e-9)


def test_mcpal_gain_for_three_classes_matches_monte_carlo():
    rng = np.random.default_rng(1)
    k, prior = np.array([1.5, 0.5, 1.0]), 1.0
    p = rng.dirichlet(k + prior, size=400_000)
    error_now = (1 - p[:, k.argmax()]).mean()
    error_one, error_two = np.zeros(len(p)), np.zeros(len(p))
    for first in range(3):
        once = k + np.eye(3)[first]
        error_one += p[:, first] * (1 - p[:, once.argmax()])
        for second in range(3):
            twice = once + np.eye(3)[second]
            error_two += p[:, first] * p[:, second] * (1 - p[:, twice.argmax()])
    gain_one = error_now - error_one.mean()
    gain_two = max(gain_one, (error_now - error_two.mean()) / 2)
    assert expected_error_reduction_mcpal(k[None, :], prior, 1)[0] == pytest.approx(gain_one, abs=2e-3)
    assert expected_error_reduction_mcpal(k[None, :], prior, 2)[0] == pytest.approx(gain_two, abs=2e-3)


def xpal_by_brute_force(X_lab, y_lab, X_cand, X_eval, gamma, prior_c, prior_e):
    """Refit a Parzen window with each candidate under each label; risks by loops."""
    classes = np.unique(y_lab)

    def freq(X_train, y_train, z):
        return np.array([sum(math.exp(-gamma * float(np.sum((z - x) ** 2)))
                             for x, label in zip(X_train, y_train) if label == c)
                         for c in classes])

    gains = []
    for x in X_cand:
        k_x = freq(X_lab, y_lab, x) + prior_c
        gain = 0.0
        for j, label in enumerate(classes):
            X_new, y_new = np.vstack([X_lab, x]), np.append(y_lab, label)
            drop = 0.0
            for z in X_eval:
                old, new = freq(X_lab, y_lab, z), freq(X_new, y_new, z)
                posterior = (new + prior_e) / (new + prior_e).sum()
                risk_old = 1 - posterior[old.argmax()]
                risk_new = 1 - posterior[new.argmax()]
                drop += risk_old - risk_new
            gain += k_x[j] / k_x.sum() * drop / len(X_eval)
        gains.append(gain)
    return np.array(gains)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_xpal_scores_match_refitting_a_parzen_window_by_brute_force(n_classes):
    rng = np.random.default_rng(3)
    centres = np.array([[-1.0, 0.0], [1.0, 0.0], [0.0, 1.5]])[:n_classes]
    X = np.vstack([rng.normal(c, 0.6, (8, 2)) for c in centres])
    labeled = np.concatenate([np.arange(c * 8, c * 8 + 2) for c in range(n_classes)] + [[8 + 2]])
    labels = np.concatenate([[c, c] for c in range(n_classes)] + [[1]])
    pool = Pool(X)
    pool.add_labels(labeled, labels)
    model = ParzenWindowClassifier(gamma=0.8).fit(*pool.labeled_data())
    query = ExpectedProbabilisticGain(prior_candidate=1.0, prior_eval=0.5).query(
        model, pool, pool.n_unlabeled)
    unlabeled = pool.unlabeled_ids
    in_pool_order = np.sort(labeled)
    evaluation = np.vstack([X[unlabeled], X[in_pool_order]])
    expected = xpal_by_brute_force(X[labeled], labels, X[unlabeled], evaluation, 0.8, 1.0, 0.5)
    got = dict(zip(query.ids.tolist(), query.scores.tolist()))
    np.testing.assert_allclose([got[i] for i in unlabeled.tolist()], expected, atol=1e-12)


def test_mcpal_scores_are_gain_times_density_for_a_parzen_model():
    X = np.linspace(0, 1, 25).reshape(-1, 1)
    pool = Pool(X)
    pool.add_labels([0, 3, 24], [0, 0, 1])
    model = ParzenWindowClassifier(gamma=10.0).fit(*pool.labeled_data())
    query = ProbabilisticAL(prior=1.0, m_max=2).query(model, pool, pool.n_unlabeled)
    unlabeled = pool.unlabeled_ids
    k = model.predict_freq(X[unlabeled])
    density = np.exp(-10.0 * (X[unlabeled] - X.T) ** 2).mean(axis=1)
    expected = expected_error_reduction_mcpal(k, 1.0, 2) * density
    got = dict(zip(query.ids.tolist(), query.scores.tolist()))
    np.testing.assert_allclose([got[i] for i in unlabeled.tolist()], expected, rtol=1e-10)


def test_mcpal_with_another_model_scales_its_probabilities_by_the_labels_nearby():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    pool = Pool(X)
    pool.add_labels(range(6), [0, 1, 0, 1, 0, 1])
    model = LogisticRegression().fit(*pool.labeled_data())
    query = ProbabilisticAL(density=False).query(model, pool, pool.n_unlabeled)
    unlabeled = pool.unlabeled_ids
    gamma = mean_bandwidth_gamma(np.vstack([X[unlabeled], X[:6]]), n_labeled=6)
    near = np.exp(-gamma * ((X[unlabeled, None, :] - X[None, :6, :]) ** 2).sum(2)).sum(1)
    k = near[:, None] * model.predict_proba(X[unlabeled])
    got = dict(zip(query.ids.tolist(), query.scores.tolist()))
    np.testing.assert_allclose([got[i] for i in unlabeled.tolist()],
                               expected_error_reduction_mcpal(k, 1.0, 1), rtol=1e-10)


def test_bad_priors_get_a_clear_error():
    pool = Pool(np.arange(6.0).reshape(-1, 1))
    pool.add_labels([0, 5], [0, 1])
    model = ParzenWindowClassifier(gamma=1.0).fit(*pool.labeled_data())
    with raises_user_error("prior"):
        ProbabilisticAL(prior=0).query(model, pool, 1)
    with raises_user_error("prior_eval"):
        ExpectedProbabilisticGain(prior_eval=-1).query(model, pool, 1)
