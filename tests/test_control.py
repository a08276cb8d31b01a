"""The random control share: its accuracy estimate against the truth on the pool, its gain
estimate against a known zero, and the expected_gain stopping rule built on it."""

import json
import math

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

from activelab import ActiveLoop, Pool, SimulatedOracle, strategies
from activelab.control import wilson_interval
from activelab.errors import ActiveLabError
from activelab.stop_gain import ExpectedGain, expected_gain
from activelab.stopping import STOPPING_RULES, LabelBudget


def _run(seed, strategy="margin", control=0.25, budget=160, n=800, loop_seed=None):
    X, y = make_classification(n_samples=n, n_features=5, n_informative=3, n_redundant=0,
                               n_classes=2, flip_y=0.05, class_sep=0.8, random_state=seed)
    pool = Pool(X)
    start = np.random.default_rng(seed).choice(n, 20, replace=False)
    pool.add_labels(start, y[start])
    truth = {}

    def on_pool(loop, record):  # the model's accuracy on the items it has not seen
        if record.model_fitted:
            unseen = loop.pool.unlabeled_ids
            truth[record.round] = float(np.mean(loop.model.predict(X[unseen]) == y[unseen]))

    loop = ActiveLoop(LogisticRegression(solver="liblinear"), pool, strategies.get(strategy),
                      SimulatedOracle(y),
                      batch_size=20, stopping=[LabelBudget(budget)], control=control,
                      callbacks=[on_pool], random_state=seed if loop_seed is None else loop_seed)
    return loop, loop.run(), truth


def test_wilson_interval_matches_the_formula_by_hand():
    # 8 of 10 at 95%: z = 1.959964; centre (0.8 + z²/20) / (1 + z²/10)
    z = 1.959963984540054
    centre = (0.8 + z * z / 20) / (1 + z * z / 10)
    half = z / (1 + z * z / 10) * math.sqrt(0.8 * 0.2 / 10 + z * z / 400)
    assert wilson_interval(8, 10, 0.95) == pytest.approx((centre - half, centre + half))


def test_the_accuracy_interval_covers_the_truth_on_the_pool_about_90_percent_of_rounds():
    errors, covered, items = [], [], []
    for seed in range(30):
        loop, history, truth = _run(seed)
        items += [(d.correct, truth[d.round]) for d in loop.control.draws]
        for record in history:
            if record.control is None:
                continue
            accuracy = record.control["accuracy"]
            weights = dict(record.control["rounds"])
            target = sum(truth[r] * w for r, w in weights.items()) / sum(weights.values())
            errors.append(accuracy["estimate"] - target)
            covered.append(accuracy["low"] <= target <= accuracy["high"])
    assert len(covered) > 150
    assert 0.82 <= np.mean(covered) <= 0.97, np.mean(covered)
    # unbiased: each control item's 0/1 correctness has its model's accuracy as mean, so
    # the mean error over the items is within 3 standard errors of 0
    correct, truths = np.array(items, dtype=float).T
    standard_error = math.sqrt(np.mean(truths * (1 - truths)) / len(items))
    assert abs(np.mean(correct - truths)) < 3 * standard_error
    assert abs(np.mean(errors)) < 0.03, np.mean(errors)


@pytest.mark.parametrize("strategy", ["auto", "margin"])
def test_control_draws_sample_every_unlabeled_item_including_the_strategys_picks(strategy):
    # Brute force at one fixed state: ask 200 times (withdrawing each query) and pool the
    # control items. They must be a uniform sample of ALL the items unlabeled at the fit,
    # the strategy's picks of the same batch included, so their mean correctness is the
    # model's accuracy on that pool. Drawing them after the strategy, from the pool minus
    # its batch of hard items (2 points more accurate here), fails the second check.
    X, y = make_classification(n_samples=300, n_features=5, n_informative=3, n_redundant=0,
                               n_classes=2, flip_y=0.05, class_sep=0.8, random_state=0)
    pool = Pool(X)
    pool.add_labels(np.arange(30), y[:30])
    loop = ActiveLoop(LogisticRegression(solver="liblinear"), pool, strategies.get(strategy),
                      batch_size=100, control=0.3)
    loop.fit()
    unlabeled = pool.unlabeled_ids
    right = dict(zip(unlabeled.tolist(), loop.model.predict(X[unlabeled]) == y[unlabeled]))
    truth = np.mean(list(right.values()))
    drawn, picked = [], []
    for seed in range(200):
        query = loop.ask(random_state=seed)
        drawn += query.info["control_ids"]
        picked.append(np.setdiff1d(query.ids, query.info["control_ids"]))
        loop.withdraw()
    correct = np.array([right[i] for i in drawn], dtype=float)
    standard_error = math.sqrt(truth * (1 - truth) / len(correct))
    assert abs(correct.mean() - truth) < 3 * standard_error, (correct.mean(), truth)
    # the strategy's batch is drawn as often as its share of the pool
    expected = len(picked[0]) / len(unlabeled)
    in_batch = np.isin(drawn, picked[0]).mean()
    assert abs(in_batch - expected) < 3 * math.sqrt(expected * (1 - expected) / len(drawn))


def test_the_gain_of_random_over_random_is_estimated_near_zero():
    gains, covered = [], []
    for seed in range(20):
        _, history, _ = _run(seed, strategy="random")
        for record in history:
            gain = (record.control or {}).get("gain")
            if gain:
                gains.append(gain["estimate"])
                covered.append(gain["low"] <= 0 <= gain["high"])
    assert len(gains) > 60
    assert abs(np.mean(gains)) < 0.02, np.mean(gains)
    assert np.mean(covered) >= 0.85


def test_control_items_are_in_the_query_with_sorted_scores_and_recorded():
    loop, history, _ = _run(0, budget=100)
    first = history[0]
    assert first.info["control_items"] == 5 and first.control["accuracy"]["items"] == 5
    assert first.query_ids and len(first.query_ids) == 20
    loop.stopping = []
    query = loop.ask()
    assert np.all(np.diff(query.scores) <= 0) and len(query.info["control_ids"]) == 5
    assert set(query.info["control_ids"]) <= set(query.ids.tolist())
    json.dumps(history.to_dicts())  # the estimates are plain numbers


def test_without_a_control_share_nothing_is_drawn_at_random():
    _, history, _ = _run(0, control=0.0, budget=80)
    assert all(r.control is None and "control_items" not in r.info for r in history)


def test_expected_gain_of_a_log_curve_matches_the_slope_by_hand():
    n = np.repeat([10.0, 20.0, 40.0, 80.0], 200)
    z = np.tile(np.r_[np.ones(150), np.zeros(50)], 4)  # flat: 75% at every count
    z[600:] = np.r_[np.ones(170), np.zeros(30)]  # 85% at 80 labels
    gain, upper = expected_gain(np.column_stack([n, z]), 80, 80)
    x = np.log(n)
    slope = np.polyfit(x, z, 1)[0]
    assert gain == pytest.approx(slope * math.log(2))
    assert upper > gain


def test_expected_gain_rule_stops_a_flat_curve_and_needs_a_control_share():
    assert STOPPING_RULES.lookup("expected-gain") is ExpectedGain
    rule = ExpectedGain(0.002, min_items=10)
    loop, history, _ = _run(1, budget=400)
    reason = rule.reason(loop)
    note = history[-1].info["expected_gain"]
    assert note["items"] == len(loop.control.draws) and note["upper"] >= note["gain"]
    assert (reason is not None) == (note["upper_per_cost"] < 0.002)
    assert ExpectedGain(1.0, min_items=10).reason(loop).endswith("stop recommended")
    X, y = make_classification(n_samples=200, random_state=0)
    pool = Pool(X)
    pool.add_labels(np.arange(10), y[:10])
    plain = ActiveLoop(LogisticRegression(), pool, strategies.get("margin"),
                       SimulatedOracle(y), stopping=[ExpectedGain(0.01)])
    with pytest.raises(ActiveLabError, match="control"):
        plain.run()


def test_a_control_share_needs_a_classifier():
    from sklearn.linear_model import Ridge

    X, y = make_classification(n_samples=100, random_state=0)
    pool = Pool(X)
    pool.add_labels(np.arange(10), y[:10].astype(float))
    loop = ActiveLoop(Ridge(), pool, strategies.get("random"), control=0.5, batch_size=4)
    with pytest.raises(ActiveLabError, match="needs a classifier"):
        loop.ask()
