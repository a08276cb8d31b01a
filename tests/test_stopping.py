"""Stopping rules on constructed histories, against sklearn's kappa, scipy's entropy and
synthetic learning curves with known parameters."""

import math

import numpy as np
import pytest
from scipy.stats import entropy as scipy_entropy
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import cohen_kappa_score

from activelab import ActiveLabError, ActiveLoop, Pool, RoundRecord, SimulatedOracle, strategies
from activelab.stopping import (
    CostBudget,
    LabelBudget,
    LabelsNeededForecast,
    LoopState,
    MaxUncertainty,
    OverallUncertainty,
    RoundState,
    StabilizingPredictions,
    TargetScore,
    cohen_kappa,
    forecast_labels,
)


class ScriptedModel:
    """A model whose predictions are set by the test before each round."""

    def __init__(self):
        self.predictions = None
        self.proba = None

    def predict(self, X):
        return self.predictions[: len(X)]

    def predict_proba(self, X):
        return self.proba[: len(X)]


class FakeLoop:
    """A LoopState: just what the rules read (a history, a model, a pool, an evaluation set)."""

    def __init__(self, n_items=40):
        self.history = []
        self.model = ScriptedModel()
        self.pool = Pool(np.arange(n_items, dtype=float).reshape(-1, 1))
        self.eval_set = ([[0.0]], [0])
        self.metric_names = ["accuracy"]
        self.total_cost = 0.0

    def new_round(self, n_labeled=0, accuracy=None, fitted=True):
        metrics = {} if accuracy is None else {"accuracy": accuracy}
        self.history.append(RoundRecord(round=len(self.history), n_labeled=n_labeled,
                                        metrics=metrics, fit_time=0.0, model_fitted=fitted))


def iris_loop(stopping, budget=150, batch_size=5, **kwargs):
    X, y = load_iris(return_X_y=True)
    pool = Pool(X)
    pool.add_labels([0, 50, 100], y[[0, 50, 100]])
    return ActiveLoop(LogisticRegression(max_iter=500), pool, strategies.get("margin"),
                      SimulatedOracle(y, **kwargs), batch_size=batch_size,
                      stopping=[LabelBudget(budget), *stopping], eval_set=(X, y),
                      random_state=0)


def _members(protocol):
    return set(protocol.__annotations__) | {
        name for name, value in vars(protocol).items() if isinstance(value, property)}


def test_the_loop_and_its_records_have_what_the_rules_read():
    # The rules see the loop only through LoopState (so stopping.py need not import loop.py):
    # every member it names must exist on a real ActiveLoop and RoundRecord.
    loop = iris_loop([], budget=10)
    loop.run()
    assert _members(LoopState) == {"model", "pool", "eval_set", "total_cost", "history",
                                   "metric_names"}
    assert all(hasattr(loop, name) for name in _members(LoopState))
    assert all(hasattr(loop.history[-1], name) for name in _members(RoundState))


# ---- kappa and stabilizing predictions ---------------------------------------------------------


def test_kappa_matches_sklearn():
    rng = np.random.default_rng(0)
    for k in (2, 3, 7):
        a = rng.integers(0, k, 200)
        b = np.where(rng.random(200) < 0.7, a, rng.integers(0, k, 200))
        assert cohen_kappa(a, b) == pytest.approx(cohen_kappa_score(a, b))
    words = np.array(["cat", "dog", "eel"])
    a, b = words[rng.integers(0, 3, 50)], words[rng.integers(0, 3, 50)]
    assert cohen_kappa(a, b) == pytest.approx(cohen_kappa_score(a, b))
    assert cohen_kappa([1, 1, 1], [1, 1, 1]) == 1.0
    with pytest.raises(ActiveLabError, match="one length"):
        cohen_kappa([1, 2], [1])


def test_stabilizing_predictions_stops_at_the_expected_round():
    rng = np.random.default_rng(1)
    base = rng.integers(0, 3, 40)
    flipped = [0, 12, 5, 1, 0, 0, 0]  # items whose prediction changes from the last round
    loop = FakeLoop()
    rule = StabilizingPredictions(threshold=0.99, window=3)
    stopped_at, predictions = None, base.copy()
    for round_, n_flip in enumerate(flipped):
        predictions = predictions.copy()
        predictions[:n_flip] = (predictions[:n_flip] + 1) % 3
        loop.model.predictions = predictions
        loop.new_round()
        if rule.reason(loop) is not None and stopped_at is None:
            stopped_at = round_
    # kappas: rounds 1..6 -> flips 12, 5, 1, 0, 0, 0; the last three are 1 from round 6
    assert stopped_at == 6
    assert len(rule.kappas_) == 6 and rule.kappas_[-3:] == [1.0, 1.0, 1.0]
    assert rule.kappas_[0] < 0.8
    # the same rule called twice in one round measures once
    rule.reason(loop)
    assert len(rule.kappas_) == 6


def test_stabilizing_predictions_kappas_are_sklearns_on_the_stop_set_in_a_real_loop():
    X, _ = load_iris(return_X_y=True)
    rule = StabilizingPredictions(threshold=0.99, window=2, stop_set=X[::3])
    seen = []
    loop = iris_loop([rule], budget=40)
    loop.callbacks = [lambda lp, rec: seen.append(lp.model.predict(X[::3]))]
    loop.run()
    expected = [cohen_kappa_score(a, b) for a, b in zip(seen, seen[1:])]
    assert rule.kappas_ == pytest.approx(expected)
    if "stabilized" in loop.stop_reason:
        assert np.mean(rule.kappas_[-2:]) >= 0.99
        assert not any(np.mean(rule.kappas_[i - 1:i + 1]) >= 0.99
                       for i in range(1, len(rule.kappas_) - 1))


def test_stabilizing_predictions_skips_rounds_without_a_model_and_resets_for_a_new_loop():
    loop = FakeLoop()
    rule = StabilizingPredictions(window=1)
    loop.new_round(fitted=False)
    assert rule.reason(loop) is None and rule.kappas_ == []
    loop.model.predictions = np.zeros(40, dtype=int)
    loop.new_round()
    loop.new_round()
    assert rule.reason(loop) is None  # first model: nothing to compare with
    other = FakeLoop()
    other.model.predictions = np.ones(40, dtype=int)
    other.new_round()
    rule.reason(other)
    assert rule.kappas_ == []


# ---- uncertainty ----------------------------------------------------------------------------


@pytest.mark.parametrize("rule_class, summary", [(OverallUncertainty, np.mean),
                                                 (MaxUncertainty, np.max)])
def test_uncertainty_rules_stop_when_the_pool_is_certain_enough(rule_class, summary):
    rng = np.random.default_rng(0)
    loop = FakeLoop(n_items=30)
    loop.pool.add_labels(np.arange(10), np.zeros(10))
    rule = rule_class(threshold=0.2)
    stopped_at = None
    for round_, sharpness in enumerate([1.0, 3.0, 10.0, 60.0, 300.0]):
        logits = rng.normal(size=(30, 3)) * sharpness
        proba = np.exp(logits - logits.max(axis=1, keepdims=True))
        proba /= proba.sum(axis=1, keepdims=True)
        loop.model.proba = proba[10:]  # the unlabeled items, in pool order
        loop.new_round()
        reason = rule.reason(loop)
        expected = float(summary(scipy_entropy(proba[10:].T) / math.log(3)))
        assert loop.history[-1].info[rule.summary_name] == pytest.approx(expected)
        if reason is not None and stopped_at is None:
            stopped_at = round_
        if expected <= 0.2:
            assert reason is not None
        else:
            assert reason is None
    assert stopped_at is not None and stopped_at >= 1


def test_uncertainty_rule_on_a_stop_set_and_errors():
    loop = FakeLoop(n_items=4)
    loop.model.proba = np.array([[0.5, 0.5], [1.0, 0.0]])
    loop.new_round()
    rule = OverallUncertainty(0.6, stop_set=np.zeros((2, 1)))
    assert rule.reason(loop) is not None  # mean of 1.0 and 0.0
    assert rule.values_ == [0.5]
    del ScriptedModel.predict_proba
    try:
        loop.new_round()
        with pytest.raises(ActiveLabError, match="predict_proba"):
            MaxUncertainty(0.1).reason(loop)
    finally:
        ScriptedModel.predict_proba = lambda self, X: self.proba[: len(X)]
    with pytest.raises(ActiveLabError, match="threshold"):
        OverallUncertainty(1.5)


# ---- budgets and targets ---------------------------------------------------------------------


def test_cost_budget_stops_once_the_cost_is_spent():
    loop = iris_loop([CostBudget(22.0)], cost_per_label=2.0)
    history = loop.run()
    # 2 per label, 5 labels a round: 10, 20, 30 -> stops after the third batch (a record's
    # cost is the cumulative cost once its own query was answered)
    assert [r.n_labeled for r in history] == [3, 8, 13, 18]
    assert [r.cost for r in history] == [10.0, 20.0, 30.0, 30.0]
    assert "cost budget of 22 reached" in loop.stop_reason
    with pytest.raises(ActiveLabError, match="max_cost"):
        CostBudget(-1)


def test_target_score_on_a_validation_set_scores_the_model_there():
    X, y = load_iris(return_X_y=True)
    validation = (X[1::2], y[1::2])
    rule = TargetScore(0.93, validation=validation)
    scores = []
    loop = iris_loop([rule])
    loop.callbacks = [lambda lp, rec: scores.append(lp.model.score(*validation))]
    loop.run()
    assert scores[-1] >= 0.93 and all(s < 0.93 for s in scores[:-1])
    assert "on the validation set" in loop.stop_reason
    with pytest.raises(ActiveLabError, match="pair"):
        TargetScore(0.9, validation=(X,))


# ---- forecast -------------------------------------------------------------------------------


def test_forecast_recovers_a_power_law_and_the_labels_it_needs():
    a, b, c = 0.93, 1.5, 0.7
    n = np.arange(10, 160, 10, dtype=float)
    noise = np.random.default_rng(0).normal(scale=0.001, size=len(n))
    fit = forecast_labels(np.column_stack([n, a - b * n ** -c + noise]), target=0.9)
    assert fit.method == "power_law"
    assert (fit.a, fit.b, fit.c) == pytest.approx((a, b, c), rel=0.05)
    truth = (b / (a - 0.9)) ** (1 / c)
    assert fit.labels_for_target == pytest.approx(truth, rel=0.1)
    assert fit.predict(truth) == pytest.approx(0.9, abs=0.003)
    # unreachable: above the asymptote
    assert forecast_labels(np.column_stack([n, a - b * n ** -c]), target=0.95).labels_for_target is None


def test_forecast_falls_back_to_log_linear_on_few_points():
    n = np.array([10.0, 20.0, 40.0])
    score = 0.2 + 0.1 * np.log(n)
    fit = forecast_labels(np.column_stack([n, score]), target=0.7)
    assert fit.method == "log_linear"
    assert fit.labels_for_target == pytest.approx(math.exp(5.0))
    assert forecast_labels([[10, 0.5], [10, 0.6]], target=0.7) is None


def test_labels_needed_forecast_writes_the_forecast_into_each_round():
    loop = FakeLoop()
    rule = LabelsNeededForecast(0.9, min_rounds=4)
    a, b, c = 0.95, 2.0, 0.8
    for round_, n in enumerate(range(10, 90, 10)):
        loop.new_round(n_labeled=n, accuracy=a - b * n ** -c)
        assert rule.reason(loop) is None
        info = loop.history[-1].info
        if round_ < 3:
            assert "forecast_total_labels" not in info
            continue
        truth = (b / (a - 0.9)) ** (1 / c)
        assert info["forecast_total_labels"] == pytest.approx(truth, rel=0.05)
        assert info["forecast_labels_needed"] == info["forecast_total_labels"] - n


def test_labels_needed_forecast_gives_up_above_a_cap_and_refuses_unmeasured_metrics():
    loop = FakeLoop()
    rule = LabelsNeededForecast(0.94, give_up_above=500)
    reasons = []
    for n in range(10, 70, 10):
        loop.new_round(n_labeled=n, accuracy=0.95 - 2.0 * n ** -0.8)
        reasons.append(rule.reason(loop))
    # truth: (2 / 0.01) ** 1.25 ~ 752 labels, more than 500
    assert reasons[:3] == [None] * 3 and reasons[-1] is not None
    assert "more than 500" in reasons[-1]
    loop.metric_names = []
    with pytest.raises(ActiveLabError, match="does not measure"):
        rule.reason(loop)


def test_forecast_in_a_real_loop_lands_in_the_round_records(caplog):
    loop = iris_loop([LabelsNeededForecast(0.99)], budget=40)
    with caplog.at_level("INFO", logger="activelab"):
        history = loop.run()
    logged = [r.getMessage() for r in caplog.records if "to reach accuracy 0.99" in r.getMessage()]
    forecast_rounds = [r for r in history if "forecast_total_labels" in r.info
                       and r.metrics["accuracy"] < 0.99]
    assert len(logged) == len(forecast_rounds) > 0
    forecasts = [r.info.get("forecast_labels_needed", "none") for r in history]
    assert forecasts[:3] == ["none"] * 3
    assert all(f is None or (isinstance(f, int) and f >= 0) for f in forecasts[3:])
