"""Rationales: simulated highlights, the Sharma et al. re-weighting, and the label log."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression

from activelab import ActiveLabError, ActiveLoop, Pool, SimulatedOracle, strategies
from activelab.oracles.rationales import RationaleWeighting, WithRationales
from activelab.stopping import LabelBudget


def text_like(seed, n=600, d=100):
    rng = np.random.default_rng(seed)
    X = rng.random((n, d)) * (rng.random((n, d)) < 0.2)
    w = np.zeros(d)
    w[:5] = [3, 3, -3, -3, 2]
    y = (X @ w + 0.1 * rng.normal(size=n) > 0).astype(int)
    return X, y


def naive_reweight(X, rationales, r, o):
    out = np.array(X, dtype=float)
    for i, reason in enumerate(rationales):
        if reason:
            for j in range(out.shape[1]):
                out[i, j] = X[i, j] * (r if j in reason else o)
    return out


def test_reweighting_matches_the_formula_on_dense_sparse_and_dataframe_input():
    X = np.arange(12, dtype=float).reshape(3, 4) + 1
    reasons = [[1, 3], None, [0]]
    pool = Pool(X)
    policy = RationaleWeighting(pool, rationale_weight=2.0, other_weight=0.1)
    expected = naive_reweight(X, reasons, 2.0, 0.1)
    assert np.allclose(policy.reweight(X, reasons), expected)
    assert np.allclose(policy.reweight(sp.csr_matrix(X), reasons).toarray(), expected)
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    named = [["b", "d"], None, ["a"]]
    assert np.allclose(policy.reweight(frame, named).to_numpy(), expected)


def test_rationales_improve_accuracy_with_few_labels():
    """Sharma et al.'s finding, on text-like data: 20 labels, 100 features, 5 that matter."""
    gains = []
    for seed in range(10):
        X, y = text_like(seed)
        labeled, test = np.arange(20), np.arange(200, 600)
        if len(set(y[labeled])) < 2:
            continue
        answers = WithRationales(SimulatedOracle(y), X, y, max_features=2).label(labeled)
        pool = Pool(X)
        pool.add_labels(answers.ids, answers.labels, rationales=answers.rationales)
        plain = LogisticRegression().fit(X[labeled], y[labeled]).score(X[test], y[test])
        weighted = RationaleWeighting(pool).fit(LogisticRegression(), X[labeled], y[labeled])
        gains.append(weighted.score(X[test], y[test]) - plain)
    assert np.mean(gains) > 0.03 and np.mean(np.array(gains) > 0) >= 0.8, gains


def test_simulated_rationales_point_at_features_that_push_toward_the_label():
    X, y = text_like(0)
    oracle = WithRationales(SimulatedOracle(y), X, y, max_features=3)
    answers = oracle.label(np.arange(50))
    informative = total = 0
    for item, reason in zip(answers.ids, answers.rationales):
        assert reason is None or (1 <= len(reason) <= 3 and all(X[item, f] > 0 for f in reason))
        informative += sum(f < 5 for f in reason or [])
        total += len(reason or [])
    assert informative / total > 0.25  # 5 of the 100 features decide: chance would be 0.05


def test_the_loop_keeps_rationales_in_the_label_log_and_trains_on_them():
    X, y = text_like(1, n=200)
    pool = Pool(X)
    pool.add_labels([int(np.argmax(y)), int(np.argmin(y))], [1, 0])
    policy = RationaleWeighting(pool)
    loop = ActiveLoop(LogisticRegression(), pool, strategies.get("margin"),
                      WithRationales(SimulatedOracle(y), X, y), training=policy,
                      stopping=[LabelBudget(22)], batch_size=10, random_state=0)
    loop.run()
    asked = pool.labeled_ids[~np.isin(pool.labeled_ids, [int(np.argmax(y)), int(np.argmin(y))])]
    logged = [e.rationale for e in pool.events if e.kind == "label" and e.id in set(asked)]
    assert len(logged) == 20 and all(r is not None for r in logged)
    assert pool.rationales_of(asked) == logged or sorted(map(str, pool.rationales_of(asked))) \
        == sorted(map(str, logged))


def test_bad_rationales_are_refused():
    pool = Pool(np.eye(3))
    policy = RationaleWeighting(pool)
    with pytest.raises(ActiveLabError, match="not a feature index"):
        policy.reweight(np.eye(3), [["word"], None, None])
    pool.add_labels([0], [1])
    with pytest.raises(ActiveLabError, match="labeled items"):
        policy.fit(LogisticRegression(), np.eye(3), np.array([0, 1, 0]))
