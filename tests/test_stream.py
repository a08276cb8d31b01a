"""Stream-based selective sampling: the budget, the rules, the learner, the streams."""

from __future__ import annotations

import math
from collections import deque

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression, SGDClassifier

from activelab import SimulatedOracle
from activelab.data.streams import read_csv_chunks, rotating_hyperplane, sea_stream
from activelab.scenarios.stream import (
    BudgetManager,
    DensityBased,
    PreferUncertain,
    Split,
    StreamLearner,
    VariableUncertainty,
    available_rules,
    max_window_spend,
    stream_rule,
)
from tests.conftest import raises_user_error


def naive_max_window_spend(positions, n_items, window):
    """Labels in every window of ``window`` consecutive positions, counted one by one."""
    marks = np.zeros(n_items + window, dtype=int)
    marks[list(positions)] = 1
    return max(marks[s:s + window].sum() for s in range(n_items))


@given(st.lists(st.integers(0, 300), max_size=40, unique=True), st.integers(1, 50))
@settings(max_examples=50, deadline=None)
def test_max_window_spend_matches_counting_every_window(positions, window):
    assert max_window_spend(positions, window) == naive_max_window_spend(positions, 301, window)


# The property the issue asks for: 100k-item streams, a 5% budget, windows of 1,000 items.
# Whatever the rule wants (bursts, always, at random), no window spends more than 50.
wants_patterns = st.tuples(
    st.integers(0, 2**32 - 1),                      # seed
    st.floats(0.0, 1.0),                            # how often the rule wants a label
    st.integers(1, 5000),                           # burst length
    st.booleans(),                                  # pacing on or off
)


@given(wants_patterns)
@settings(max_examples=6, deadline=None)
def test_budget_never_overspends_in_any_window_of_a_100k_stream(pattern):
    seed, p, burst, pace = pattern
    rng = np.random.default_rng(seed)
    n, window = 100_000, 1000
    wants = rng.random(n) < p
    wants[(np.arange(n) // burst) % 2 == 0] = True       # alternate bursts of always-wanting
    manager = BudgetManager(0.05, window=window, pace=pace)
    bought = [i for i in range(n) if manager.step(wants[i])]
    assert max_window_spend(bought, window) <= 50
    assert manager.spent == len(bought)
    if not pace:
        # greedy within the cap: a wanted label is refused only when a window is full
        refused = np.flatnonzero(wants & ~np.isin(np.arange(n), bought))[:50]
        taken = np.asarray(bought)
        for i in refused:
            assert np.sum((taken > i - window) & (taken < i)) == 50


def test_budget_refuses_bad_fractions_and_windows():
    for bad in (0, -0.1, 1.5, math.nan, "5%", True):
        with raises_user_error("budget must be a fraction in"):
            BudgetManager(bad)
    with raises_user_error("allows no label; use a window of at least 100 items"):
        BudgetManager(0.01, window=50)
    with raises_user_error("window must be at least 1"):
        BudgetManager(0.5, window=0)


def test_record_refuses_a_label_the_budget_does_not_allow():
    manager = BudgetManager(0.5, window=2, pace=False)
    manager.record(True)
    with raises_user_error("does not allow a label here"):
        manager.record(True)


def zliobaite_variable_uncertainty(confidences, step, theta=1.0):
    """Algorithm 3 of Žliobaitė et al. (2014), the budget always open."""
    labels = []
    for c in confidences:
        if c < theta:
            labels.append(True)
            theta = theta * (1 - step)
        else:
            labels.append(False)
            theta = theta * (1 + step)
    return labels


def test_variable_uncertainty_follows_the_published_algorithm():
    confidences = np.random.default_rng(0).uniform(0.5, 1.0, 2000)
    rule = VariableUncertainty(step=0.02)
    rule.start(0.1)
    rng = np.random.default_rng(0)
    got = [rule.decide(None, c, True, rng) for c in confidences]
    assert got == zliobaite_variable_uncertainty(confidences, 0.02)


def test_split_is_variable_uncertainty_or_random_by_its_share():
    confidences = np.random.default_rng(1).uniform(0.5, 1.0, 500)
    rng = np.random.default_rng(0)
    none_random = Split(random_share=0.0, step=0.02)
    none_random.start(0.1)
    assert [none_random.decide(None, c, True, rng) for c in confidences] == \
        zliobaite_variable_uncertainty(confidences, 0.02)
    all_random = Split(random_share=1.0)
    all_random.start(0.1)
    assert all(all_random.decide(None, c, True, rng) for c in confidences)
    assert not any(all_random.decide(None, c, False, rng) for c in confidences)


def test_prefer_uncertain_compares_with_the_mean_and_spread_of_recent_scores():
    scores = np.random.default_rng(2).beta(2, 5, 3000)
    memory, z = 200, 1.5
    rule = PreferUncertain(memory=memory, z=z, step=0.0)
    rule.start(0.05)
    rng = np.random.default_rng(0)
    recent: deque[float] = deque(maxlen=memory)
    for s in scores:
        if len(recent) >= 2:
            expected = s >= np.mean(recent) + z * np.std(recent) - 1e-9
            got = rule.decide(None, 1 - s, True, rng)
            if abs(s - (np.mean(recent) + z * np.std(recent))) > 1e-9:
                assert got == expected
        else:
            rule.decide(None, 1 - s, True, rng)
        recent.append(s)


def test_density_rule_only_labels_items_that_become_someones_nearest_neighbour():
    rng = np.random.default_rng(3)
    points = rng.normal(size=(400, 2))
    memory = 30
    rule = DensityBased(memory=memory, step=0.0)       # threshold stays 1: every item uncertain
    rule.start(0.1)
    distance = np.linalg.norm(points[:, None] - points[None], axis=2)
    for t, x in enumerate(points):
        # DBALStream: a remembered item g knows its nearest neighbour among the items that
        # were in memory when it arrived and every item that arrived after it.
        remembered = range(max(0, t - memory), t)
        nearest = [min((distance[g, j] for j in range(max(0, g - memory), t) if j != g),
                       default=np.inf) for g in remembered]
        dense = t == 0 or any(distance[t, g] < n for g, n in zip(remembered, nearest))
        assert rule.decide(x, 0.5, True, rng) == dense


def test_rules_by_name_with_a_did_you_mean():
    assert set(available_rules()) == {"random", "fixed_uncertainty", "variable_uncertainty",
                                      "randomized_variable_uncertainty", "split", "density",
                                      "prefer_uncertain", "periodic", "cogdqs", "pal"}
    assert type(stream_rule("Randomised-Variable-Uncertainty")).__name__ == \
        "RandomizedVariableUncertainty"
    with raises_user_error("did you mean 'variable_uncertainty'"):
        stream_rule("varable_uncertainty")
    with raises_user_error("does not take those parameters"):
        stream_rule("split", colour="red")


class LastLabel:
    """Predicts the last label it learned: makes test-then-train visible."""

    classes_ = np.array([0, 1])

    def partial_fit(self, X, y, classes=None):
        self.last = int(y[-1])
        return self

    def predict(self, X):
        return np.full(len(X), self.last)

    def predict_proba(self, X):
        proba = np.zeros((len(X), 2))
        proba[:, self.last] = 1.0
        return proba


def test_prequential_evaluation_tests_each_item_before_training_on_it():
    y = np.random.default_rng(4).integers(0, 2, 300)
    stream = ((np.array([[float(i)]]), y[i:i + 1]) for i in range(300))
    learner = StreamLearner(LastLabel(), stream_rule("random", probability=1.0), budget=1.0,
                            window=1, classes=[0, 1],
                            pace=False, random_state=0)
    history = learner.run(stream)
    assert history.n_queried == 300                  # a budget of 1: every label bought
    assert np.isnan(history.correct[0])              # nothing to predict with yet
    np.testing.assert_array_equal(history.correct[1:], (y[1:] == y[:-1]).astype(float))


@pytest.mark.parametrize("rule", sorted(["random", "fixed_uncertainty", "variable_uncertainty",
                                         "randomized_variable_uncertainty", "split", "density",
                                         "prefer_uncertain", "periodic", "cogdqs", "pal"]))
def test_every_rule_keeps_every_window_within_budget_and_spends_it(rule):
    learner = StreamLearner(SGDClassifier(loss="log_loss", random_state=0), rule, budget=0.05,
                            window=500, classes=[0, 1], random_state=0)
    history = learner.run(sea_stream(8_000, chunk_size=50, random_state=1))
    assert history.n_seen == 8_000
    assert naive_max_window_spend(history.queried, 8_000, 500) <= 25
    if rule != "fixed_uncertainty":                   # a fixed threshold does not adapt
        assert history.n_queried >= 0.6 * 0.05 * 8_000  # the adaptive rules use their budget
    assert 0.5 < history.accuracy() <= 1.0


def test_same_seed_same_queries_and_mini_batches_do_not_change_the_budget_guarantee():
    def run(chunk):
        learner = StreamLearner(SGDClassifier(loss="log_loss", random_state=0), "split",
                                budget=0.1, window=200, classes=[0, 1], random_state=7)
        return learner.run(rotating_hyperplane(1500, chunk_size=chunk, random_state=3)).queried

    assert run(100) == run(100)
    assert max_window_spend(run(1), 200) <= 20 and max_window_spend(run(250), 200) <= 20


def test_an_unlabeled_stream_uses_the_oracle_callable_or_protocol_alike():
    batches = list(sea_stream(2000, random_state=5))
    X_all = np.vstack([b[0] for b in batches])
    y_all = np.concatenate([b[1] for b in batches])

    def learner():
        return StreamLearner(SGDClassifier(loss="log_loss", random_state=0), "split",
                             budget=0.1, classes=[0, 1], random_state=1)

    labeled = learner()
    labeled.run(batches)
    asked = []

    def by_items(X):
        asked.append(len(X))
        return (X[:, 0] + X[:, 1] <= 8).astype(int)   # the first SEA concept, noise-free

    with_oracle = learner()
    with_oracle.run((X for X, _ in batches), oracle=SimulatedOracle(y_all))
    assert with_oracle.history.queried == labeled.history.queried
    np.testing.assert_array_equal(with_oracle.model.coef_, labeled.model.coef_)
    by_callable = learner()
    by_callable.run(iter(X_all[i] for i in range(500)), oracle=by_items)  # single items
    assert sum(asked) == by_callable.history.n_queried > 0


def test_the_oracle_failing_or_missing_is_a_clear_error():
    learner = StreamLearner(SGDClassifier(loss="log_loss"), budget=0.5, window=10, classes=[0, 1])

    def broken(X):
        raise RuntimeError("sensor offline")

    with raises_user_error("the oracle raised on 3 points: RuntimeError: sensor offline"):
        learner.run([np.ones((3, 2))], oracle=broken)
    with raises_user_error("pass an oracle"):
        learner.reset()
        learner.run([np.ones((3, 2))])


def test_bad_learner_settings_are_refused():
    with raises_user_error("has no partial_fit; use training='window'"):
        StreamLearner(LogisticRegression(), classes=[0, 1])
    with raises_user_error("needs classes"):
        StreamLearner(SGDClassifier())
    with raises_user_error("training must be"):
        StreamLearner(SGDClassifier(), classes=[0, 1], training="daily")
    with raises_user_error("rule must be a name"):
        StreamLearner(SGDClassifier(), rule=42, classes=[0, 1])
    learner = StreamLearner(SGDClassifier(), classes=[0, 1])
    with raises_user_error("NaN or infinite"):
        learner.ask(np.array([[np.nan, 1.0]]))
    with raises_user_error("not one of classes"):
        learner.tell(np.ones((1, 2)), [7])
    with raises_user_error("has not learned from any label"):
        learner.predict(np.ones((1, 2)))


def test_window_training_refits_on_the_most_recent_labels():
    batches = list(rotating_hyperplane(3000, n_features=4, drift=0.003, random_state=2))
    X_all = np.vstack([b[0] for b in batches])
    y_all = np.concatenate([b[1] for b in batches])
    learner = StreamLearner(LogisticRegression(), "variable_uncertainty", budget=0.1,
                            training="window", window_labels=60, refit_every=1, random_state=0)
    history = learner.run(batches)
    last = np.asarray(history.queried[-60:])
    reference = LogisticRegression().fit(X_all[last], y_all[last])
    np.testing.assert_allclose(learner.model.coef_, reference.coef_)


def test_sea_concepts_jump_at_each_quarter():
    batches = list(sea_stream(4000, noise=0.0, chunk_size=128, random_state=0))
    X = np.vstack([b[0] for b in batches])
    y = np.concatenate([b[1] for b in batches])
    thresholds = np.repeat([8.0, 9.0, 7.0, 9.5], 1000)
    np.testing.assert_array_equal(y, (X[:, 0] + X[:, 1] <= thresholds).astype(int))
    again = np.vstack([b[0] for b in sea_stream(4000, noise=0.0, chunk_size=128, random_state=0)])
    np.testing.assert_array_equal(X, again)


def test_rotating_hyperplane_without_drift_is_one_linear_concept():
    batches = list(rotating_hyperplane(3000, n_features=5, drift=0.0, noise=0.0, random_state=0))
    X = np.vstack([b[0] for b in batches])
    y = np.concatenate([b[1] for b in batches])
    assert LogisticRegression(C=1e6, max_iter=5000).fit(X, y).score(X, y) >= 0.99
    drifting = list(rotating_hyperplane(20_000, n_features=5, drift=0.01, noise=0.0,
                                        random_state=0))
    X = np.vstack([b[0] for b in drifting])
    y = np.concatenate([b[1] for b in drifting])
    assert LogisticRegression(C=1e6, max_iter=5000).fit(X, y).score(X, y) < 0.95


def test_a_csv_file_streams_in_chunks(tmp_path):
    batches = list(sea_stream(1050, random_state=4))
    X = np.vstack([b[0] for b in batches])
    y = np.concatenate([b[1] for b in batches])
    path = tmp_path / "stream.csv"
    rows = "\n".join(",".join([f"{v:.17g}" for v in x] + [str(label)]) for x, label in zip(X, y))
    path.write_text("a,b,c,label\n" + rows + "\n")
    chunks = list(read_csv_chunks(path, chunk_size=400, target="label"))
    assert [len(c[0]) for c in chunks] == [400, 400, 250]
    np.testing.assert_array_equal(np.vstack([c[0] for c in chunks]), X)
    np.testing.assert_array_equal(np.concatenate([c[1] for c in chunks]), y)

    def learner():
        return StreamLearner(SGDClassifier(loss="log_loss", random_state=0), "split",
                             budget=0.1, classes=[0, 1], random_state=0)

    from_file, from_memory = learner(), learner()
    from_file.run(read_csv_chunks(path, chunk_size=100, target=-1))
    from_memory.run(batches)
    assert from_file.history.queried == from_memory.history.queried
    unlabeled = list(read_csv_chunks(path, chunk_size=500))
    assert unlabeled[0].shape == (500, 4)
    with raises_user_error("no column 'y'"):
        list(read_csv_chunks(path, target="y"))
    with raises_user_error("no such file"):
        list(read_csv_chunks(tmp_path / "missing.csv"))
    (tmp_path / "bad.csv").write_text("1,2,3\n4,x,6\n")
    with raises_user_error("not all numeric"):
        list(read_csv_chunks(tmp_path / "bad.csv"))
