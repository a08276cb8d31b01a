"""The stream rules periodic, CogDQS and stream PAL, against hand-worked sequences."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import raises_user_error
from sklearn.linear_model import SGDClassifier

from activelab.data.streams import sea_stream
from activelab.scenarios.stream import StreamLearner
from activelab.scenarios.stream_rules import (
    CognitiveDualQuery,
    Periodic,
    StreamPAL,
    available_rules,
    stream_rule,
)
from activelab.strategies.probabilistic import expected_error_reduction_mcpal


def decisions(rule, items, open_at=None, confidence=0.0):
    rng = np.random.default_rng(0)
    return [rule.decide(np.atleast_1d(x), confidence, True if open_at is None else open_at[i], rng)
            for i, x in enumerate(items)]


def test_the_new_rules_are_reachable_by_name():
    assert {"periodic", "cogdqs", "pal"} <= set(available_rules())
    assert isinstance(stream_rule("stream-pal"), StreamPAL)
    assert isinstance(stream_rule("cognitive_dual_query"), CognitiveDualQuery)


def test_periodic_asks_every_kth_item_from_the_budget_or_the_period():
    rule = Periodic()
    rule.start(0.25)
    assert np.flatnonzero(decisions(rule, range(12))).tolist() == [3, 7, 11]
    rule = Periodic(period=3)
    rule.start(0.9)
    assert np.flatnonzero(decisions(rule, range(9))).tolist() == [2, 5, 8]


def test_periodic_catches_up_after_the_budget_refused_an_item():
    rule = Periodic(period=4)
    rule.start(0.25)
    open_at = [True] * 3 + [False] + [True] * 4
    # item 3 was wanted but refused, so item 4 is wanted; the next comes 4 after item 3
    assert np.flatnonzero(decisions(rule, range(8), open_at)).tolist() == [3, 4, 7]


def test_cogdqs_density_factor_and_forgetting_worked_by_hand():
    rule = CognitiveDualQuery(memory=3, density_threshold=1, delta=0.0)
    rule.start(0.5)
    factors = [rule.density_factor(np.array([x])) for x in (0.0, 10.0, 1.0, 11.0, 0.5, 11.2)]
    # t=3: the window is full; strengths exp(-(3 - t_a) / (a + 1)): item 0 -> e^-1/3,
    # item 10 -> 1, item 1 -> e^-1, so 1 is forgotten. t=4: item 11 (a=0, t_a=3) is the
    # weakest, so 11.2 at t=5 activates nothing (it would have activated 11); then 0.5
    # (a=0, t_a=4: e^-1) is weaker than 0 (e^-1/4) and 10 (e^-2/3) and makes room.
    assert factors == [0, 1, 2, 1, 1, 0]
    assert sorted(float(x[0]) for x in rule._items) == [0.0, 10.0, 11.2]


def test_cogdqs_asks_only_in_dense_regions_and_when_uncertain():
    rule = CognitiveDualQuery(memory=3, density_threshold=2, delta=0.0)
    rule.start(0.5)
    wanted = decisions(rule, (0.0, 10.0, 1.0, 11.0), confidence=0.0)
    assert wanted == [False, False, True, False]
    rule.start(0.5)
    assert decisions(rule, (0.0, 10.0, 1.0), confidence=2.0) == [False, False, False]


def test_stream_pal_gain_is_mcpal_on_the_kernel_frequencies_of_the_labels_learned():
    rule = StreamPAL(gamma=0.5, prior=1.0, m_max=2)
    rule.start(0.1)
    X, y = np.array([[0.0, 0.0], [1.0, 0.0], [3.0, 1.0]]), np.array([0, 1, 1])
    rule.learn(X[:2], y[:2])
    rule.learn(X[2:], y[2:])
    x = np.array([0.5, 0.5])
    k = np.zeros(2)
    for row, label in zip(X, y):
        k[label] += math.exp(-0.5 * float(np.sum((x - row) ** 2)))
    assert rule.gain(x) == pytest.approx(expected_error_reduction_mcpal(k[None], 1.0, 2)[0])


def test_stream_pal_balanced_quantile_filter_worked_by_hand():
    gains = iter([0.2, 0.1, 0.3, 0.05])

    class Fixed(StreamPAL):
        def gain(self, x):
            return next(gains)

    rule = Fixed(w=3, w_tol=1.0)
    rule.start(0.5)
    # thresholds: 0.2; 0.15; 0.2 - 0.2 * (1.5 - 1) = 0.1; 0.1 (window 0.1, 0.3, 0.05)
    assert decisions(rule, range(4)) == [True, False, True, False]


def test_stream_pal_learns_what_the_learner_is_told_and_keeps_the_budget():
    learner = StreamLearner(SGDClassifier(loss="log_loss", random_state=0),
                            rule=StreamPAL(memory=50), budget=0.05, window=500,
                            classes=[0, 1], random_state=0)
    history = learner.run(sea_stream(2000, random_state=0))
    assert 0.03 * 2000 <= history.n_queried <= 0.05 * 2000
    assert len(learner.rule._y) == min(50, history.n_queried)
    assert history.max_window_spend(500) <= 25


def test_stream_pal_refuses_a_bad_tolerance():
    with raises_user_error("w_tol"):
        StreamPAL(w_tol=0).start(0.1)
