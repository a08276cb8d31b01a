import numpy as np
import pytest
from sklearn.datasets import load_digits, load_iris
from sklearn.linear_model import LogisticRegression

from activelab import (
    ActiveLabError,
    ActiveLoop,
    Answers,
    LabelBudget,
    Pool,
    SimulatedOracle,
    TargetScore,
    strategies,
)


def iris_loop(**kwargs):
    X, y = load_iris(return_X_y=True)
    pool = Pool(X)
    pool.add_labels([0, 50, 100], y[[0, 50, 100]])
    params = dict(batch_size=5, stopping=[LabelBudget(33)], eval_set=(X, y), random_state=0)
    params.update(kwargs)
    return ActiveLoop(LogisticRegression(max_iter=500), pool, strategies.get("margin"),
                      SimulatedOracle(y), **params), X, y


def test_run_stops_at_the_budget_with_a_record_per_fit():
    loop, X, y = iris_loop()
    history = loop.run()
    assert [r.n_labeled for r in history] == [3, 8, 13, 18, 23, 28, 33]
    assert loop.pool.n_labeled == 33
    assert history[-1].stop_reason == "label budget of 33 reached"
    assert all(len(r.query_ids) == 5 for r in history[:-1]) and history[-1].query_ids == []
    assert all(0 <= r.metrics["accuracy"] <= 1 and r.fit_time >= 0 for r in history)
    assert history.curve("accuracy").shape == (7, 2)
    # the loop's accuracy is the fitted model's own score on the evaluation set
    assert history[-1].metrics["accuracy"] == pytest.approx(loop.model.score(X, y))
    queried = [i for r in history for i in r.query_ids]
    assert len(set(queried)) == 30 and not {0, 50, 100} & set(queried)


def test_the_last_batch_never_overshoots_the_budget():
    loop, _, _ = iris_loop(batch_size=7, stopping=[LabelBudget(20)])
    history = loop.run()
    assert [r.n_labeled for r in history] == [3, 10, 17, 20]


def test_runs_are_reproducible_under_a_seed():
    a = [r.query_ids for r in iris_loop(random_state=3)[0].run()]
    b = [r.query_ids for r in iris_loop(random_state=3)[0].run()]
    assert a == b


def test_target_score_stops_early():
    loop, _, _ = iris_loop(stopping=[LabelBudget(100), TargetScore(0.9)])
    history = loop.run()
    assert history[-1].metrics["accuracy"] >= 0.9
    assert all(r.metrics["accuracy"] < 0.9 for r in history[:-1])
    assert "reached the target" in loop.stop_reason


def test_target_score_on_an_unmeasured_metric_is_an_error():
    loop, _, _ = iris_loop(stopping=[TargetScore(0.9, metric="f1_macro")])
    with pytest.raises(ActiveLabError, match="does not measure"):
        loop.run()


def test_ask_tell_matches_run():
    by_run = [r.query_ids for r in iris_loop()[0].run()]
    loop, _, y = iris_loop()
    asked = []
    while loop.pool.n_labeled < 33:
        query = loop.ask()
        asked.append(query.ids.tolist())
        loop.tell(query.ids, y[query.ids], annotator="me")
    assert asked == by_run[:-1]
    assert {e.annotator for e in loop.pool.events} == {None, "me"}


def test_cold_start_without_labels_uses_random_until_two_classes_are_seen():
    X, y = load_iris(return_X_y=True)
    pool = Pool(X)
    loop = ActiveLoop(LogisticRegression(max_iter=500), pool, strategies.get("margin"),
                      SimulatedOracle(y), batch_size=2, stopping=[LabelBudget(10)],
                      eval_set=(X, y), random_state=1)
    history = loop.run()
    assert history[0].strategy == "random" and not history[0].model_fitted
    assert history[0].metrics == {}
    fitted = [r for r in history if r.model_fitted]
    assert fitted and all(r.strategy in ("margin", None) for r in fitted)


def test_callbacks_see_every_round_and_can_stop_the_loop():
    seen = []

    def stop_after_two(loop, record):
        seen.append(record.n_labeled)
        if len(seen) == 2:
            loop.request_stop("enough")

    loop, _, _ = iris_loop(callbacks=[stop_after_two])
    loop.run()
    assert seen == [3, 8] and loop.stop_reason == "enough"


def test_skipped_items_are_not_asked_again_and_stop_is_honoured():
    X, y = load_iris(return_X_y=True)

    class SkipsEvens:
        def __init__(self):
            self.asked = []

        def label(self, ids):
            self.asked.extend(ids.tolist())
            keep = np.array([i % 2 == 1 for i in ids])
            return Answers(ids=ids[keep], labels=y[ids[keep]], skipped=ids[~keep],
                           stop=len(self.asked) >= 30)

    pool = Pool(X)
    pool.add_labels([0, 50, 100], y[[0, 50, 100]])
    oracle = SkipsEvens()
    loop = ActiveLoop(LogisticRegression(max_iter=500), pool, strategies.get("margin"), oracle,
                      batch_size=10, random_state=0)
    loop.run()
    assert len(oracle.asked) == len(set(oracle.asked)) == 30
    assert loop.stop_reason == "the oracle asked to stop"
    assert loop.history[-1].n_labeled == pool.n_labeled


def test_the_loop_stops_when_the_pool_runs_out():
    X, y = load_iris(return_X_y=True)
    pool = Pool(X[:20])
    pool.add_labels([0, 1], [0, 1])
    loop = ActiveLoop(LogisticRegression(), pool, strategies.get("entropy"),
                      SimulatedOracle(np.arange(20) % 2), batch_size=8)
    loop.run()
    assert pool.n_unlabeled == 0 and loop.stop_reason == "no unlabeled items left"
    with pytest.raises(ActiveLabError, match="no unlabeled items"):
        loop.ask()


def test_bad_loop_arguments_get_clear_errors():
    X, y = load_iris(return_X_y=True)
    pool = Pool(X)
    with pytest.raises(ActiveLabError, match="Strategy"):
        ActiveLoop(LogisticRegression(), pool, "margin")
    with pytest.raises(ActiveLabError, match="Pool"):
        ActiveLoop(LogisticRegression(), X, strategies.get("margin"))
    with pytest.raises(ActiveLabError, match="unknown metric"):
        ActiveLoop(LogisticRegression(), pool, strategies.get("margin"), metrics=["acuracy"])
    with pytest.raises(ActiveLabError, match="needs an oracle"):
        ActiveLoop(LogisticRegression(), pool, strategies.get("margin")).run()
    with pytest.raises(ActiveLabError, match="max_labels"):
        LabelBudget(0)


def test_budget_used_up_is_an_error_for_ask():
    loop, _, _ = iris_loop(stopping=[LabelBudget(3)])
    with pytest.raises(ActiveLabError, match="budget is used up"):
        loop.ask()


def test_margin_beats_random_on_digits():
    """The point of it all, on a small deterministic run: margin's mean accuracy is higher."""
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    test = np.arange(len(y)) % 4 == 0
    means = {}
    for name in ["margin", "random"]:
        scores = []
        for seed in range(3):
            pool = Pool(X[~test])
            start = np.random.default_rng(seed).choice(pool.n_unlabeled, 10, replace=False)
            pool.add_labels(start, y[~test][start])
            loop = ActiveLoop(LogisticRegression(max_iter=1000), pool, strategies.get(name),
                              SimulatedOracle(y[~test]), batch_size=10,
                              stopping=[LabelBudget(120)], eval_set=(X[test], y[test]),
                              random_state=seed)
            scores.append(loop.run().curve()[:, 1].mean())
        means[name] = np.mean(scores)
    assert means["margin"] > means["random"] + 0.01


def test_target_score_waits_through_cold_start():
    X, y = load_iris(return_X_y=True)
    loop = ActiveLoop(LogisticRegression(max_iter=500), Pool(X), strategies.get("margin"),
                      SimulatedOracle(y), batch_size=4,
                      stopping=[LabelBudget(60), TargetScore(0.9)], eval_set=(X, y),
                      random_state=0)
    history = loop.run()
    assert history[0].metrics == {} and "reached the target" in loop.stop_reason


def test_log_round_logs_every_fit(caplog):
    from activelab import log_round

    loop, _, _ = iris_loop(callbacks=[log_round], stopping=[LabelBudget(13)])
    with caplog.at_level("INFO", logger="activelab"):
        loop.run()
    lines = [r.getMessage() for r in caplog.records if r.name == "activelab"]
    assert len(lines) == 3 and lines[0].startswith("round 0: 3 labels") and "accuracy=" in lines[0]
