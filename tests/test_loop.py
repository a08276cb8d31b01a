import numpy as np
import pytest
from sklearn.datasets import load_iris
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


def test_an_oracle_that_answers_nothing_does_not_spin_forever():
    X, y = load_iris(return_X_y=True)

    class Silent:
        calls = 0

        def label(self, ids):
            Silent.calls += 1
            return Answers(ids=np.asarray(ids)[:0], labels=np.array([]))

    pool = Pool(X)
    pool.add_labels([0, 50, 100], y[[0, 50, 100]])
    loop = ActiveLoop(LogisticRegression(max_iter=500), pool, strategies.get("margin"), Silent(),
                      batch_size=50, stopping=[LabelBudget(10)])
    loop.run()
    # the budget allows 7 more labels, so each round asks 7 of the 147 unlabeled: 21 rounds
    assert Silent.calls == 21 and loop.stop_reason == "no unlabeled items left"


def test_an_oracle_that_answers_other_ids_is_refused():
    X, y = load_iris(return_X_y=True)

    class Confused:
        def label(self, ids):
            return Answers(ids=np.array([1, 2, 3]), labels=y[[1, 2, 3]])

    pool = Pool(X)
    pool.add_labels([0, 50, 100], y[[0, 50, 100]])
    loop = ActiveLoop(LogisticRegression(max_iter=500), pool, strategies.get("margin"),
                      Confused(), batch_size=3, random_state=0)
    with pytest.raises(ActiveLabError, match="not asked about"):
        loop.run()
    assert pool.n_labeled == 3


def test_a_strategy_that_ignores_its_candidates_is_caught_by_the_loop():
    class FirstUnlabeled(strategies.ScoringStrategy):
        needs_model = False

        def query(self, model, pool, batch_size, random_state=None, *, outputs=None):
            ids = pool.unlabeled_ids[:batch_size]
            return strategies.Query(ids=ids, scores=np.zeros(len(ids)))

        def score(self, outputs, rng):
            raise NotImplementedError

    X, y = load_iris(return_X_y=True)
    pool = Pool(X)
    pool.add_labels([50, 100], y[[50, 100]])
    loop = ActiveLoop(LogisticRegression(), pool, FirstUnlabeled(), batch_size=2)
    loop.skip([0])
    with pytest.raises(ActiveLabError, match="broke the query contract"):
        loop.ask()


def test_update_gets_exactly_the_told_part_of_each_query():
    X, y = load_iris(return_X_y=True)
    told = []

    class Recording(strategies.MarginSampling):
        def update(self, pool, query, labels):
            told.append((query.ids.tolist(), query.scores.tolist(), labels.tolist()))

    pool = Pool(X)
    pool.add_labels([0, 50, 100], y[[0, 50, 100]])
    loop = ActiveLoop(LogisticRegression(max_iter=500), pool, Recording(), batch_size=3,
                      random_state=0)
    query = loop.ask()
    first, rest = query.ids[:1], query.ids[1:]
    loop.tell(first, y[first])
    loop.tell(rest[::-1], y[rest[::-1]])
    assert told[0] == (first.tolist(), query.scores[:1].tolist(), y[first].tolist())
    assert told[1] == (rest.tolist(), query.scores[1:].tolist(), y[rest].tolist())


def test_asking_twice_before_an_answer_gives_different_items():
    loop, _, y = iris_loop()
    a, b = loop.ask(), loop.ask()
    assert not set(a.ids.tolist()) & set(b.ids.tolist())
    assert loop.history[-1].query_ids == a.ids.tolist() + b.ids.tolist()
    loop.skip(a.ids)
    loop.tell(b.ids, y[b.ids])
    assert not set(a.ids.tolist()) & set(loop.ask().ids.tolist())


def test_bad_tell_records_nothing_and_bad_parts_are_refused_up_front():
    loop, X, y = iris_loop()
    query = loop.ask()
    with pytest.raises(ActiveLabError, match="cost must be a finite number"):
        loop.tell(query.ids, y[query.ids], cost="free")
    assert loop.pool.n_labeled == 3
    pool = Pool(X)
    with pytest.raises(ActiveLabError, match="fit"):
        ActiveLoop(None, pool, strategies.get("margin"))
    with pytest.raises(ActiveLabError, match=r"label\(request\) -> Answers"):
        ActiveLoop(LogisticRegression(), pool, strategies.get("margin"), oracle=y)
    with pytest.raises(ActiveLabError, match="non-negative"):
        ActiveLoop(LogisticRegression(), pool, strategies.get("margin"), random_state=-3)


def test_a_model_that_cannot_predict_gets_a_one_line_error():
    from sklearn.neighbors import KNeighborsClassifier

    X, y = load_iris(return_X_y=True)
    pool = Pool(X)
    pool.add_labels([0, 50], y[[0, 50]])
    loop = ActiveLoop(KNeighborsClassifier(n_neighbors=3), pool, strategies.get("margin"),
                      SimulatedOracle(y), eval_set=(X, y))
    with pytest.raises(ActiveLabError, match="scoring KNeighborsClassifier") as err:
        loop.run()
    assert "\n" not in str(err.value)


def test_run_again_after_a_requested_stop():
    loop, _, _ = iris_loop(stopping=[LabelBudget(18)])
    loop.request_stop("pause")
    loop.run()
    assert loop.pool.n_labeled == 18 and loop.stop_reason == "label budget of 18 reached"


def test_the_last_round_has_no_query_time_and_log_round_allows_for_it(caplog):
    from activelab import log_round
    from activelab.records import format_seconds

    loop, _, _ = iris_loop(callbacks=[log_round], stopping=[LabelBudget(13)])
    with caplog.at_level("INFO", logger="activelab"):
        history = loop.run()
    assert history[-1].query_time is None and history[-1].to_dict()["query_time"] is None
    assert all(r.query_time is not None for r in history[:-1])
    lines = [r.getMessage() for r in caplog.records if r.name == "activelab"]
    assert f"previous query {format_seconds(history[-2].query_time)}" in lines[-1]
    assert format_seconds(None) == "-"


def test_the_default_strategy_is_auto_and_says_what_it_chose():
    X, y = load_iris(return_X_y=True)
    pool = Pool(X)
    pool.add_labels([0, 1, 50, 51, 100, 101], y[[0, 1, 50, 51, 100, 101]])
    loop = ActiveLoop(LogisticRegression(max_iter=500), pool, oracle=SimulatedOracle(y),
                      batch_size=5, stopping=[LabelBudget(21)], random_state=0)
    history = loop.run()
    assert loop.strategy.name == "auto" and loop.cold_start is loop.strategy
    chosen = [r.info["query"] for r in history[:-1]]
    # 6 labels for 3 classes is under auto's 3 per class: cold start, then cluster-margin
    assert [c["phase"] for c in chosen] == ["cold_start", "uncertainty", "uncertainty"]
    assert [c["arm"] for c in chosen] == ["typiclust", "cluster_margin", "cluster_margin"]
