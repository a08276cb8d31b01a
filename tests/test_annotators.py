"""Noisy oracles, the annotator panel and its choosers, and how the loop records their answers."""

import numpy as np
import pytest
from scipy.stats import t as student_t
from sklearn.linear_model import LogisticRegression

from activelab import ActiveLabError, ActiveLoop, Pool, strategies
from activelab.oracles import Answers
from activelab.oracles.noisy import NoisyOracle, noise_near_boundary
from activelab.oracles.panel import (
    UNSURE,
    Annotator,
    AnnotatorPanel,
    AskBest,
    AskRandom,
    CostAwareChoice,
    IEThresh,
    RepeatedLabeling,
)
from activelab.stopping import LabelBudget

N = 20_000


def test_symmetric_noise_rate_and_even_spread_over_other_classes():
    y = np.repeat([0, 1, 2, 3], N // 4)
    answers = NoisyOracle(y, noise=0.2, random_state=0).label(np.arange(N)).labels
    wrong = answers != y
    assert abs(wrong.mean() - 0.2) < 0.015
    shares = np.bincount(answers[wrong & (y == 0)], minlength=4)[1:] / (wrong & (y == 0)).sum()
    assert np.allclose(shares, 1 / 3, atol=0.04)


def test_class_conditional_noise_follows_the_transition_matrix():
    transition = np.array([[0.9, 0.1, 0.0], [0.3, 0.7, 0.0], [0.0, 0.2, 0.8]])
    y = np.repeat(["a", "b", "c"], N // 3)
    answers = NoisyOracle(y, transition=transition, random_state=1).label(np.arange(len(y))).labels
    classes = ["a", "b", "c"]
    for k, cls in enumerate(classes):
        got = np.array([np.mean(answers[y == cls] == other) for other in classes])
        assert np.allclose(got, transition[k], atol=0.02)


def test_instance_dependent_noise_flips_exactly_where_the_rate_says():
    y = np.array([0, 1] * 50)
    rates = np.where(np.arange(100) < 50, 0.0, 1.0)
    answers = NoisyOracle(y, flip_rate=rates, random_state=0).label(np.arange(100)).labels
    assert np.array_equal(answers[:50], y[:50]) and np.all(answers[50:] != y[50:])
    by_function = NoisyOracle(y, flip_rate=lambda ids: (np.asarray(ids) >= 50).astype(float),
                              random_state=0).label(np.arange(100)).labels
    assert np.array_equal(by_function, answers)


def test_noise_near_boundary_is_highest_on_the_boundary():
    X = np.linspace(-4, 4, 81).reshape(-1, 1)
    y = (X[:, 0] > 0).astype(int)
    rates = noise_near_boundary(X, y, max_noise=0.4)
    assert rates.max() <= 0.4 and np.argmax(rates) in (39, 40, 41)
    assert rates[0] < 0.05 and rates[-1] < 0.05


def test_noisy_oracle_is_deterministic_under_a_seed_and_records_who_and_what_it_cost():
    y = np.arange(50) % 3
    a = NoisyOracle(y, noise=0.3, random_state=7, name="crowd", cost_per_label=2.5).label(range(50))
    b = NoisyOracle(y, noise=0.3, random_state=7).label(range(50))
    assert np.array_equal(a.labels, b.labels)
    assert a.total_cost == 125.0 and set(a.annotators) == {"crowd"} and len(a.times) == 50


@pytest.mark.parametrize("kwargs, message", [
    ({}, "exactly one kind of noise"),
    ({"noise": 0.1, "transition": np.eye(2)}, "exactly one kind of noise"),
    ({"noise": 1.5}, "probability"),
    ({"transition": np.ones((2, 2))}, "sum to 1"),
    ({"transition": np.eye(3)}, "2x2"),
    ({"flip_rate": [0.1]}, "one probability"),
])
def test_bad_noise_settings_are_refused(kwargs, message):
    with pytest.raises(ActiveLabError, match=message):
        NoisyOracle([0, 1, 1], **kwargs)


PANEL = [Annotator("expert", 0.95, cost=5), Annotator("mid", 0.8, cost=2),
         Annotator("novice", 0.65, cost=1)]


def panel_for(y, chooser, annotators=PANEL, seed=0, **kwargs):
    return AnnotatorPanel(y, annotators, chooser=chooser, random_state=seed, **kwargs)


def test_ask_best_asks_the_most_accurate_and_every_vote_records_annotator_cost_time():
    y = np.arange(30) % 2
    panel = panel_for(y, AskBest())
    answers = panel.label(np.arange(30))
    assert set(answers.annotators) == {"expert"} and answers.total_cost == 150.0
    assert len(panel.votes) == 30 and set(panel.votes.costs) == {5.0}
    assert all(t > 0 for t in panel.votes.times)


def test_an_unavailable_annotator_is_passed_over_at_no_cost():
    away = [Annotator("expert", 1.0, cost=5, availability=0.0), Annotator("mid", 1.0, cost=2)]
    answers = panel_for(np.arange(10) % 2, AskBest(), away).label(np.arange(10))
    assert set(answers.annotators) == {"mid"} and answers.total_cost == 20.0


def test_ask_random_spreads_requests_over_the_panel():
    answers = panel_for(np.arange(600) % 2, AskRandom()).label(np.arange(600))
    names, counts = np.unique(answers.annotators.astype(str), return_counts=True)
    assert names.tolist() == ["expert", "mid", "novice"] and counts.min() > 150


def test_repeated_labeling_stops_at_agreement_or_at_max_labels():
    y = np.arange(200) % 3
    perfect = [Annotator(f"p{i}", 1.0, cost=1) for i in range(4)]
    panel = panel_for(y, RepeatedLabeling(agree=2, max_labels=4), perfect)
    panel.label(np.arange(200))
    assert len(panel.votes) == 400  # two perfect annotators always agree at once
    noisy = [Annotator(f"n{i}", 0.4, cost=1) for i in range(5)]
    panel = panel_for(y, RepeatedLabeling(agree=3, max_labels=3), noisy)
    answers = panel.label(np.arange(200))
    per_item = np.bincount(np.asarray(panel.votes.items), minlength=200)
    assert per_item.max() == 3 and answers.total_cost == len(panel.votes)
    truth_rate = np.mean(answers.labels == y[answers.ids])
    assert truth_rate > 0.4  # the majority of three beats a single 0.4-accurate vote


def test_iethresh_upper_interval_matches_the_formula_and_drops_a_bad_annotator():
    chooser = IEThresh(epsilon=0.8, alpha=0.05)
    y = np.arange(600) % 3
    team = [Annotator("good1", 0.95), Annotator("good2", 0.9), Annotator("bad", 0.34)]
    panel = panel_for(y, chooser, team)
    panel.label(np.arange(600))
    for a, history in enumerate(panel.state["ie_rewards"]):
        h = np.asarray(history)
        n = len(h)
        expected = h.mean() + student_t.ppf(0.975, n - 1) * h.std(ddof=1) / np.sqrt(n)
        assert chooser.upper_intervals(panel)[a] == pytest.approx(expected)
    asked = {name: panel.votes.annotators.count(name) for name in ("good1", "good2", "bad")}
    assert asked["bad"] < 0.2 * asked["good1"], asked


def test_cost_aware_asks_the_cheap_annotator_when_the_model_is_sure_and_escalates_otherwise():
    y = np.zeros(400, dtype=int)
    y[::2] = 1
    panel = panel_for(y, CostAwareChoice(target=0.9))
    for item in range(200):
        panel.chooser.collect(panel, item, {"confidence": 0.99, "prediction": int(y[item])})
    first = [n for i, n in enumerate(panel.votes.annotators) if panel.votes.items[i] < 200]
    assert first.count("novice") == 200  # one request each ...
    assert len(first) - 200 == sum(  # ... plus one escalation per disagreement
        1 for i, n, v in zip(panel.votes.items, panel.votes.annotators, panel.votes.labels)
        if n == "novice" and v != y[i]
    )
    unsure_model = panel_for(y, CostAwareChoice(target=0.9))
    unsure_model.label(np.arange(50))  # no model: confidence 1/K
    assert set(unsure_model.votes.annotators) == {"expert"}


def test_cost_aware_label_beats_the_cheap_annotator_alone():
    y = np.arange(2000) % 2
    panel = panel_for(y, CostAwareChoice(target=0.9), seed=3)
    for item in range(2000):
        panel.chooser.collect(panel, item, {"confidence": 0.95, "prediction": int(y[item])})
    labels = panel._aggregate().label_of(np.arange(2000))
    assert np.mean(labels == y) > 0.97
    assert panel.total_cost < 0.6 * 2000 * 5  # well under always asking the expert


def test_unsure_answers_are_logged_in_the_pool_and_never_make_the_loop_spin():
    X = np.random.default_rng(0).normal(size=(60, 3))
    y = (X[:, 0] > 0).astype(int)
    shy = [Annotator("shy", 1.0, cost=1, unsure_rate=1.0)]
    pool = Pool(X)
    pool.add_labels([int(np.argmax(y)), int(np.argmin(y))], [1, 0])
    loop = ActiveLoop(LogisticRegression(), pool, strategies.get("margin"),
                      panel_for(y, AskBest(), shy), batch_size=5, stopping=[LabelBudget(10)])
    loop.run(max_rounds=30)
    unsure = [e for e in pool.events if e.kind == "unsure"]
    assert len(unsure) > 0 and pool.n_labeled == 2
    assert pool.unsure_counts(pool.unlabeled_ids).max() <= 2
    assert loop.total_cost == len(unsure)  # unsure answers cost too
    assert loop.stop_reason == "no unlabeled items left"


def test_loop_records_each_answers_annotator_and_cost_and_trains_on_aggregated_labels():
    X = np.random.default_rng(1).normal(size=(120, 4))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    pool = Pool(X)
    pool.add_labels([int(np.argmax(y)), int(np.argmin(y))], [1, 0])
    panel = panel_for(y, RepeatedLabeling(agree=2, max_labels=3))
    loop = ActiveLoop(LogisticRegression(), pool, strategies.get("margin"), panel,
                      batch_size=6, stopping=[LabelBudget(26)], eval_set=(X, y), random_state=0)
    history = loop.run()
    events = [e for e in pool.events if e.kind == "label"][2:]
    assert all(e.annotator and e.cost > 0 for e in events)
    assert loop.total_cost == pytest.approx(panel.total_cost)
    assert sum(e.cost for e in events) == pytest.approx(panel.total_cost)
    for e in events:
        votes = panel.votes.of_items([e.id])
        counts = {v: votes.labels.count(v) for v in votes.labels}
        top = max(counts.values())
        assert e.label == min(v for v, c in counts.items() if c == top)
    curve = history.cost_curve("accuracy")
    assert curve[0, 0] == 0 and np.all(np.diff(curve[:, 0]) > 0)


class Revising:
    """An oracle that answers, then later revises its first answer."""

    def __init__(self, y):
        self.y, self.first = np.asarray(y), None

    def label(self, ids):
        ids = np.asarray(ids)
        revised = np.zeros(0, dtype=int)
        if self.first is None:
            self.first = ids[:1]
        else:
            revised = self.first
        return Answers(ids=ids, labels=self.y[ids], revised_ids=revised,
                       revised_labels=1 - self.y[revised])


def test_revised_aggregates_become_corrections_in_the_label_log():
    X = np.arange(40, dtype=float).reshape(-1, 1)
    y = (X[:, 0] > 19).astype(int)
    pool = Pool(X)
    pool.add_labels([0, 39], [0, 1])
    ActiveLoop(LogisticRegression(), pool, strategies.get("random"), Revising(y),
               batch_size=3, stopping=[LabelBudget(11)], random_state=0).run()
    corrections = [e for e in pool.events if e.kind == "correction"]
    assert corrections and all(e.annotator == "aggregate" for e in corrections)


def test_panel_refuses_bad_annotators():
    with pytest.raises(ActiveLabError, match="unique"):
        AnnotatorPanel([0, 1], [Annotator("a", 0.9), Annotator("a", 0.8)])
    with pytest.raises(ActiveLabError, match="exactly one of accuracy"):
        AnnotatorPanel([0, 1], [Annotator("a")])
    with pytest.raises(ActiveLabError, match="availability"):
        AnnotatorPanel([0, 1], [Annotator("a", 0.9, availability=2)])
    assert UNSURE is not None


def test_unsure_aware_lowers_items_people_were_unsure_about_by_the_formula():
    from scipy.stats import rankdata

    from activelab import ModelOutputs
    from activelab.strategies import MarginSampling, UnsureAware

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    y = (X[:, 0] > 0).astype(int)
    pool = Pool(X)
    pool.add_labels(np.arange(8), y[:8])
    model = LogisticRegression().fit(*pool.labeled_data())
    plain = MarginSampling().query(model, pool, 5)
    assert np.array_equal(UnsureAware().query(model, pool, 5).ids, plain.ids)
    pool.add_unsure(plain.ids[:2], annotator="novice")
    pool.add_unsure(plain.ids[:1], annotator="mid")
    margin = MarginSampling().score(ModelOutputs(model, pool), None)
    expected = rankdata(margin) / len(margin) * 0.5 ** pool.unsure_counts(pool.unlabeled_ids)
    naive = pool.unlabeled_ids[np.lexsort((pool.unlabeled_ids, -expected))[:5]]
    assert UnsureAware(penalty=0.5).query(model, pool, 5).ids.tolist() == naive.tolist()
    assert plain.ids[0] not in UnsureAware(penalty=0.0).query(model, pool, 5).ids
    assert [e.kind for e in pool.events[-3:]] == ["unsure"] * 3


def test_asking_again_about_an_item_charges_only_the_new_votes_and_aggregates_all():
    y = np.array([0, 1])
    team = [Annotator("a", 1.0, cost=2), Annotator("b", 0.0, cost=1)]
    panel = panel_for(y, AskRandom(), team, seed=1)
    costs = [panel.label([1]).total_cost for _ in range(6)]
    assert sorted(set(costs)) == [1.0, 2.0] and sum(costs) == panel.total_cost
    assert len(panel.votes.of_items([1])) == 6


def test_learned_accuracies_expose_an_annotator_who_claims_too_much():
    y = np.arange(400) % 2
    team = [Annotator("good", 0.95), Annotator("fair", 0.85),
            Annotator("claims", 0.55, declared_accuracy=0.95)]
    everyone = RepeatedLabeling(agree=3, max_labels=3, order="best")
    trusting = panel_for(y, everyone, team)
    trusting.label(np.arange(400))
    assert trusting.accuracy_estimates()[2] == 0.95  # declared accuracies, by default
    learning = panel_for(y, everyone, team, learn_accuracies=True)
    learning.label(np.arange(400))
    estimates = learning.accuracy_estimates()
    assert estimates[2] < 0.7 and estimates[2] < min(estimates[:2]) - 0.1
