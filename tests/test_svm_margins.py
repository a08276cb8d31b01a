"""SVM margin strategies (Tong & Koller, 2001) against explicit retraining written here."""

import itertools

import numpy as np
import pytest
from conftest import raises_user_error
from sklearn.datasets import load_iris, make_classification
from sklearn.discriminant_analysis import QuadraticDiscriminantAnalysis
from sklearn.metrics.pairwise import rbf_kernel
from sklearn.svm import SVC, LinearSVC

from activelab import Pool, strategies
from activelab.strategies.svm import MaxMinMargin, RatioMargin, SimpleMargin
from activelab.testing import check_strategy


def _binary():
    X, y = make_classification(
        n_samples=40, n_features=3, n_informative=2, n_redundant=0, random_state=5
    )
    labeled = list(range(8))
    pool = Pool(X)
    pool.add_labels(labeled, y[labeled])
    return X, y, labeled, pool


def _linear_margin(X, y):
    """1 / ||coef_|| of a linear SVC: the weight vector in the primal."""
    return 1 / np.linalg.norm(SVC(kernel="linear", C=1.0).fit(X, y).coef_)


def _rbf_margin(X, y, gamma=0.5):
    """1 / sqrt(a^T K a) with the RBF kernel matrix of the support vectors built here."""
    svc = SVC(kernel="rbf", gamma=gamma, C=1.0).fit(X, y)
    a = svc.dual_coef_.ravel()
    K = rbf_kernel(svc.support_vectors_, svc.support_vectors_, gamma=gamma)
    return 1 / np.sqrt(a @ K @ a)


def _retrained(X, y, labeled, measure, classes=(0, 1)):
    """(m-, m+) for every unlabeled item: retrain with it labeled each way."""
    unlabeled = [i for i in range(len(X)) if i not in labeled]
    margins = []
    for i in unlabeled:
        X_new = np.vstack([X[labeled], X[i]])
        margins.append([measure(X_new, np.append(y[labeled], c)) for c in classes])
    return np.array(unlabeled), np.array(margins)


def _ranking(ids, scores, k):
    return [i for _, i in sorted(zip(-np.asarray(scores), ids))][:k]


@pytest.mark.parametrize(
    ("model", "measure"),
    [(SVC(kernel="linear", C=1.0), _linear_margin), (SVC(kernel="rbf", gamma=0.5, C=1.0), _rbf_margin)],
)
def test_maxmin_and_ratio_match_explicit_retraining(model, measure):
    X, y, labeled, pool = _binary()
    model.fit(*pool.labeled_data())
    ids, margins = _retrained(X, y, labeled, measure)
    maxmin = margins.min(axis=1)
    ratio = np.minimum(margins[:, 0] / margins[:, 1], margins[:, 1] / margins[:, 0])
    for strategy, expected in [(MaxMinMargin(shortlist=100), maxmin), (RatioMargin(shortlist=100), ratio)]:
        query = strategy.query(model, pool, 10, random_state=0)
        assert query.ids.tolist() == _ranking(ids, expected, 10)
        assert np.allclose(query.scores, np.sort(expected)[::-1][:10])


def test_the_shortlist_is_the_items_nearest_the_boundary():
    X, y, labeled, pool = _binary()
    model = SVC(kernel="linear").fit(*pool.labeled_data())
    unlabeled = pool.unlabeled_ids
    nearest = _ranking(unlabeled, -np.abs(model.decision_function(X[unlabeled])), 6)
    query = MaxMinMargin(shortlist=6).query(model, pool, 10, random_state=0)
    assert sorted(query.ids[:6].tolist()) == sorted(nearest)
    assert set(query.ids[6:].tolist()).isdisjoint(nearest)
    assert np.all(np.diff(query.scores) <= 0)
    assert set(MaxMinMargin(shortlist=6).query(model, pool, 4).ids.tolist()) <= set(nearest)


def test_multiclass_maxmin_and_ratio_use_one_vs_rest_retraining():
    X, y = load_iris(return_X_y=True)
    X, y = X[::5], y[::5]
    labeled = [int(i) for c in range(3) for i in np.flatnonzero(y == c)[:3]]
    pool = Pool(X)
    pool.add_labels(labeled, y[labeled])
    model = LinearSVC(random_state=0).fit(*pool.labeled_data())
    unlabeled = [i for i in range(len(X)) if i not in labeled]

    def margin(X_fit, y_fit):
        return 1 / np.linalg.norm(LinearSVC(random_state=0).fit(X_fit, y_fit).coef_)

    maxmin, ratio = [], []
    for i in unlabeled:
        X_new = np.vstack([X[labeled], X[i]])
        g = []
        for c in range(3):
            product = 1.0
            for k in range(3):
                binary = np.append(np.where(y[labeled] == k, 1, -1), 1 if k == c else -1)
                product *= margin(X_new, binary)
            g.append(product ** (1 / 3))
        maxmin.append(min(g))
        ratio.append(min(a / b for a, b in itertools.permutations(g, 2)))
    for strategy, expected in [(MaxMinMargin(shortlist=100), maxmin), (RatioMargin(shortlist=100), ratio)]:
        query = strategy.query(model, pool, 6, random_state=0)
        assert query.ids.tolist() == _ranking(unlabeled, expected, 6)
        assert np.allclose(query.scores, np.sort(expected)[::-1][:6])


def test_simple_margin_binary_and_one_vs_rest():
    X, y, labeled, pool = _binary()
    model = SVC().fit(*pool.labeled_data())
    unlabeled = pool.unlabeled_ids
    distance = np.abs(model.decision_function(X[unlabeled]))
    query = SimpleMargin().query(model, pool, 7)
    assert query.ids.tolist() == _ranking(unlabeled, -distance, 7)
    X, y = load_iris(return_X_y=True)
    pool = Pool(X)
    pool.add_labels([0, 50, 100], y[[0, 50, 100]])
    model = LinearSVC(random_state=0).fit(*pool.labeled_data())
    unlabeled = pool.unlabeled_ids
    nearest = np.array([min(abs(v) for v in row) for row in model.decision_function(X[unlabeled])])
    query = SimpleMargin().query(model, pool, 7)
    assert query.ids.tolist() == _ranking(unlabeled, -nearest, 7)
    assert np.allclose(query.scores, -np.sort(nearest)[:7])


def test_retrained_margins_refuse_a_model_that_is_no_svm():
    X, y, labeled, pool = _binary()
    model = QuadraticDiscriminantAnalysis().fit(X, y)
    with raises_user_error("not an SVM"):
        MaxMinMargin(shortlist=3).query(model, pool, 2)


@pytest.mark.parametrize("name", ["svm_simple_margin", "svm_maxmin_margin", "svm_ratio_margin"])
def test_svm_strategies_keep_the_contract(name):
    check_strategy(strategies.get(name))
