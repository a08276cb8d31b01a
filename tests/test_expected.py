"""Expected error reduction against explicit refits, EGL against numerical gradients."""

import copy
import math

import numpy as np
import pytest
from conftest import raises_user_error
from sklearn.datasets import load_iris, make_blobs, make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from activelab import Pool, strategies
from activelab.strategies.expected import (
    ExpectedErrorReduction,
    ExpectedGradientLength,
    ExpectedLogLossReduction,
)
from activelab.testing import check_strategy


def _tiny():
    X, y = make_blobs(n_samples=30, centers=3, cluster_std=2.5, random_state=4)
    labeled = [int(np.flatnonzero(y == c)[i]) for c in range(3) for i in range(2)]
    pool = Pool(X)
    pool.add_labels(labeled, y[labeled])
    model = LogisticRegression(C=0.5).fit(*pool.labeled_data())
    return X, y, labeled, pool, model


def _brute_force_eer(X, y, labeled, model, loss):
    """For every unlabeled x and every class: refit on L + (x, class), sum the loss on U."""
    unlabeled = [i for i in range(len(X)) if i not in labeled]
    proba = model.predict_proba(X[unlabeled])
    scores = []
    for j, i in enumerate(unlabeled):
        expected = 0.0
        for c, label in enumerate(model.classes_):
            refit = LogisticRegression(C=0.5).fit(
                np.vstack([X[labeled], X[i]]), np.append(y[labeled], label)
            )
            future = refit.predict_proba(X[unlabeled])
            if loss == "log":
                total = sum(-sum(p * math.log(p) for p in row if p > 0) for row in future)
            else:
                total = sum(1 - max(row) for row in future)
            expected += proba[j, c] * total
        scores.append(-expected)
    return np.array(unlabeled), np.array(scores)


@pytest.mark.parametrize("loss", ["zero_one", "log"])
def test_eer_matches_an_explicit_refit_loop(loss):
    X, y, labeled, pool, model = _tiny()
    ids, expected = _brute_force_eer(X, y, labeled, model, loss)
    query = ExpectedErrorReduction(
        loss=loss, shortlist=100, eval_sample=100, update="refit"
    ).query(model, pool, 8, random_state=0)
    ranking = [i for _, i in sorted(zip(-expected, ids))][:8]
    assert query.ids.tolist() == ranking
    assert np.allclose(query.scores, np.sort(expected)[::-1][:8])
    assert query.strategy == ("eer_log" if loss == "log" else "eer_01")


def test_eer_only_returns_the_shortlist_until_the_batch_outgrows_it():
    X, y, labeled, pool, model = _tiny()
    unlabeled = pool.unlabeled_ids
    proba = model.predict_proba(X[unlabeled])
    entropy = -(proba * np.log(proba)).sum(axis=1)
    by_entropy = [i for _, i in sorted(zip(-entropy, unlabeled))]
    eer = ExpectedErrorReduction(shortlist=5, eval_sample=100, update="refit")
    small = eer.query(model, pool, 4, random_state=0)
    assert set(small.ids.tolist()) <= set(by_entropy[:5])
    _, everything = _brute_force_eer(X, y, labeled, model, "zero_one")
    on_shortlist = {i: s for i, s in zip(unlabeled, everything) if i in by_entropy[:5]}
    assert small.ids.tolist() == sorted(on_shortlist, key=lambda i: (-on_shortlist[i], i))[:4]
    large = eer.query(model, pool, 9, random_state=0)
    assert sorted(large.ids[:5].tolist()) == sorted(by_entropy[:5])
    assert large.ids[5:].tolist() == by_entropy[5:9]
    assert np.all(np.diff(large.scores) <= 0) and np.isfinite(large.scores).all()
    fast = ExpectedErrorReduction(shortlist=5, eval_sample=100).query(model, pool, 9, random_state=0)
    assert sorted(fast.ids[:5].tolist()) == sorted(by_entropy[:5])
    assert fast.ids[5:].tolist() == by_entropy[5:9]


def test_eer_eval_sample_is_seeded_and_the_model_is_left_alone():
    X, y, labeled, pool, model = _tiny()
    coef = model.coef_.copy()
    eer = ExpectedLogLossReduction(shortlist=6, eval_sample=7)
    first = eer.query(model, pool, 4, random_state=11)
    assert np.array_equal(first.ids, eer.query(model, pool, 4, random_state=11).ids)
    assert np.array_equal(coef, model.coef_)


def test_eer_refuses_an_unknown_loss_or_update():
    _, _, _, pool, model = _tiny()
    with raises_user_error("loss must be one of"):
        ExpectedErrorReduction(loss="hinge").query(model, pool, 2)
    with raises_user_error("update must be one of"):
        ExpectedErrorReduction(update="newton").query(model, pool, 2)


def _log_loss(model, x, c):
    return -math.log(model.predict_proba(x[None, :])[0, c])


def _numerical_egl(model, x, step=1e-6):
    """sum_y p(y|x) ||d(-log p_y(x)) / d(coef_, intercept_)|| by central differences."""
    final = model[-1] if hasattr(model, "steps") else model
    p = model.predict_proba(x[None, :])[0]
    total = 0.0
    for c in range(len(p)):
        squared = 0.0
        for name in ("coef_", "intercept_") if final.fit_intercept else ("coef_",):
            values = getattr(final, name)
            for index in np.ndindex(values.shape):
                plus, minus = copy.deepcopy(model), copy.deepcopy(model)
                for shifted, sign in ((plus, 1), (minus, -1)):
                    target = shifted[-1] if hasattr(shifted, "steps") else shifted
                    getattr(target, name)[index] += sign * step
                derivative = (_log_loss(plus, x, c) - _log_loss(minus, x, c)) / (2 * step)
                squared += derivative**2
        total += p[c] * math.sqrt(squared)
    return total


@pytest.mark.parametrize(
    "case", ["multinomial", "binary", "pipeline", "no_intercept"]
)
def test_egl_matches_the_numerical_gradient_of_the_log_loss(case):
    if case == "binary":
        X, y = make_classification(n_samples=60, n_features=4, random_state=0)
    else:
        X, y = load_iris(return_X_y=True)
        X = X[::3]
        y = y[::3]
    labeled = [int(i) for c in np.unique(y) for i in np.flatnonzero(y == c)[:4]]
    pool = Pool(X)
    pool.add_labels(labeled, y[labeled])
    if case == "pipeline":
        model = make_pipeline(StandardScaler(), LogisticRegression(C=3.0))
    else:
        model = LogisticRegression(C=3.0, fit_intercept=case != "no_intercept")
    model.fit(*pool.labeled_data())
    unlabeled = pool.unlabeled_ids
    expected = np.array([_numerical_egl(model, X[i]) for i in unlabeled[:20]])
    query = ExpectedGradientLength().query(model, Pool(X[unlabeled[:20]]), 20)
    got = dict(zip(query.ids.tolist(), query.scores))
    assert np.allclose([got[j] for j in range(20)], expected, rtol=1e-5)


def test_egl_refuses_a_model_without_a_logistic_gradient():
    X, y = load_iris(return_X_y=True)
    pool = Pool(X)
    pool.add_labels([0, 50, 100], y[[0, 50, 100]])
    forest = RandomForestClassifier(n_estimators=3, random_state=0).fit(*pool.labeled_data())
    with raises_user_error("LogisticRegression"):
        ExpectedGradientLength().query(forest, pool, 3)


@pytest.mark.parametrize("name", ["eer_01", "eer_log"])
def test_eer_keeps_the_contract_with_and_beyond_its_shortlist(name):
    # batch_size 7 < shortlist 10 < the 141 items the contract also asks for
    check_strategy(strategies.get(name, shortlist=10))


def test_egl_keeps_the_contract():
    check_strategy(strategies.get("egl"))
