"""Ratio of confidence against its definition, p(second) / p(first), written out here."""

import numpy as np
import pytest
from sklearn.datasets import load_iris, make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.svm import SVC

from activelab import Pool, strategies
from activelab.strategies.uncertainty import RatioSampling, margin, ratio
from activelab.testing import check_strategy

P = np.array([[0.7, 0.2, 0.1], [0.4, 0.35, 0.25], [1.0, 0.0, 0.0], [0.5, 0.5, 0.0], [0.1, 0.3, 0.6]])


def test_ratio_matches_its_definition():
    for row, value in zip(P, ratio(P)):
        top = sorted(row, reverse=True)
        assert value == pytest.approx(top[1] / top[0])
    assert ratio(P).tolist()[2:4] == [0.0, 1.0]


def test_ratio_separates_what_margin_ties():
    spread = np.array([[0.45, 0.35, 0.2] + [0.0] * 6, [0.2] + [0.1] * 8])
    assert margin(spread)[0] == pytest.approx(margin(spread)[1])
    assert ratio(spread).tolist() == pytest.approx([0.35 / 0.45, 0.5])


def _by_hand(proba):
    return np.array([sorted(r)[-2] / sorted(r)[-1] for r in proba])


def test_ratio_strategy_ranks_by_the_formula():
    X, y = load_iris(return_X_y=True)
    labeled = [0, 1, 50, 51, 100, 101]
    pool = Pool(X)
    pool.add_labels(labeled, y[labeled])
    model = LogisticRegression(max_iter=500).fit(*pool.labeled_data())
    unlabeled = pool.unlabeled_ids
    expected = _by_hand(model.predict_proba(X[unlabeled]))
    brute = [i for _, i in sorted(zip(-expected, unlabeled))][:10]
    query = strategies.get("ratio").query(model, pool, 10)
    assert query.ids.tolist() == brute
    assert np.allclose(query.scores, np.sort(expected)[::-1][:10])
    assert query.strategy == "ratio"


def test_a_decision_only_model_uses_the_logistic_of_its_decision_values():
    X, y = make_classification(n_samples=200, n_features=5, random_state=2)
    pool = Pool(X)
    pool.add_labels(np.arange(20), y[:20])
    model = SVC().fit(*pool.labeled_data())
    unlabeled = pool.unlabeled_ids
    f = model.decision_function(X[unlabeled])
    p1 = 1 / (1 + np.exp(-f))
    expected = np.minimum(p1, 1 - p1) / np.maximum(p1, 1 - p1)
    query = RatioSampling().query(model, pool, 12)
    assert query.ids.tolist() == [i for _, i in sorted(zip(-expected, unlabeled))][:12]
    assert np.allclose(query.scores, np.sort(expected)[::-1][:12])


def test_ratio_keeps_the_contract():
    check_strategy(RatioSampling())
