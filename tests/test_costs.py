"""Cost-sensitive querying: item costs, utility per cost, knapsack batches, cost curves."""

import itertools

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from activelab import ActiveLabError, ActiveLoop, Pool, SimulatedOracle, strategies
from activelab.oracles.costs import ItemCosts, knapsack_greedy
from activelab.stopping import LabelBudget
from activelab.strategies import MarginSampling
from activelab.strategies.cost_sensitive import CostSensitive


def brute_force(values, costs, budget, max_items=None):
    best = 0.0
    n = len(values)
    for r in range(n + 1):
        if max_items is not None and r > max_items:
            break
        for subset in itertools.combinations(range(n), r):
            if costs[list(subset)].sum() <= budget:
                best = max(best, values[list(subset)].sum())
    return best


@pytest.mark.parametrize("seed", range(40))
def test_greedy_knapsack_is_feasible_and_at_least_half_the_brute_force_optimum(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 9))
    values, costs = rng.random(n) * 10, rng.integers(1, 6, n).astype(float)
    budget = float(rng.integers(0, 15))
    chosen = knapsack_greedy(values, costs, budget)
    assert len(set(chosen.tolist())) == len(chosen)
    assert costs[chosen].sum() <= budget
    assert values[chosen].sum() >= 0.5 * brute_force(values, costs, budget) - 1e-9


@pytest.mark.parametrize("seed", range(10))
def test_greedy_knapsack_is_optimal_when_every_item_costs_the_same(seed):
    rng = np.random.default_rng(100 + seed)
    values, costs = rng.random(8), np.full(8, 2.0)
    chosen = knapsack_greedy(values, costs, budget=7.0, max_items=5)
    assert len(chosen) == 3
    assert values[chosen].sum() == pytest.approx(brute_force(values, costs, 7.0, 5))


def test_greedy_knapsack_takes_the_single_big_item_when_it_is_worth_more():
    chosen = knapsack_greedy(np.array([2.0, 100.0]), np.array([1.0, 10.0]), budget=10)
    assert chosen.tolist() == [1]


def test_item_costs_from_every_source_agree():
    X = np.array([[1.0, 3.0], [2.0, 5.0], [4.0, 1.0]])
    frame = pd.DataFrame(X, columns=["a", "length"])
    ids = ["x", "y", "z"]
    expected = np.array([5.0, 3.0])
    pool = Pool(X, ids=ids)
    assert np.array_equal(ItemCosts([3.0, 5.0, 1.0]).of(pool, ["y", "x"]), expected)
    assert np.array_equal(ItemCosts(by_id={"x": 3.0, "y": 5.0}).of(pool, ["y", "x"]), expected)
    assert np.array_equal(ItemCosts(function=lambda row: row[1]).of(pool, ["y", "x"]), expected)
    assert np.array_equal(ItemCosts(column="length").of(Pool(frame, ids=ids), ["y", "x"]), expected)
    assert np.array_equal(ItemCosts(function=len).of(Pool(["abc", "defgh"]), [1, 0]), [5.0, 3.0])


@pytest.mark.parametrize("make, message", [
    (lambda: ItemCosts(), "exactly one source"),
    (lambda: ItemCosts([1.0], column="a"), "exactly one source"),
])
def test_item_costs_need_one_source(make, message):
    with pytest.raises(ActiveLabError, match=message):
        make()


def test_bad_costs_are_refused():
    pool = Pool(np.eye(3))
    with pytest.raises(ActiveLabError, match="one cost per pool item"):
        ItemCosts([1.0, 2.0]).of(pool, [0])
    with pytest.raises(ActiveLabError, match="positive finite"):
        ItemCosts([1.0, -2.0, 1.0]).of(pool, [0, 1])
    with pytest.raises(ActiveLabError, match="DataFrame pool"):
        ItemCosts(column="length").of(pool, [0])


def fitted(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(80, 3))
    y = (X[:, 0] > 0).astype(int)
    pool = Pool(X)
    pool.add_labels(np.arange(10), y[:10])
    return X, y, pool, LogisticRegression().fit(*pool.labeled_data())


def test_with_equal_costs_it_ranks_exactly_as_the_wrapped_strategy():
    _, _, pool, model = fitted()
    plain = MarginSampling().query(model, pool, 8)
    wrapped = CostSensitive(MarginSampling(), ItemCosts(np.full(80, 3.0))).query(model, pool, 8)
    assert np.array_equal(plain.ids, wrapped.ids)


def test_utility_per_cost_matches_a_naive_ranking_and_prefers_cheap_items():
    from scipy.stats import rankdata

    _, _, pool, model = fitted(1)
    costs = np.random.default_rng(3).integers(1, 10, 80).astype(float)
    query = CostSensitive(costs=ItemCosts(costs), power=1.0).query(model, pool, 6)
    margin = MarginSampling().score(__import__("activelab").ModelOutputs(model, pool), None)
    ratio = rankdata(margin) / len(margin) / costs[pool.unlabeled_ids]
    naive = pool.unlabeled_ids[np.lexsort((pool.unlabeled_ids, -ratio))[:6]]
    assert query.ids.tolist() == naive.tolist()
    assert costs[query.ids].mean() < costs[pool.unlabeled_ids].mean()


def test_a_batch_budget_is_never_exceeded_and_cost_is_recorded_by_the_loop():
    X, y, pool, model = fitted(2)
    costs = ItemCosts(np.random.default_rng(0).integers(1, 5, 80).astype(float))
    strategy = CostSensitive(costs=costs, budget=6.0)
    query = strategy.query(model, pool, 10)
    assert costs.of(pool, query.ids).sum() <= 6.0 and query.info["cost"] <= 6.0

    class PricedOracle(SimulatedOracle):
        def label(self, ids):
            answers = super().label(ids)
            return type(answers)(ids=answers.ids, labels=answers.labels,
                                 costs=costs.of(pool, ids), annotator="sim")

    loop = ActiveLoop(LogisticRegression(), pool, strategy, PricedOracle(y), batch_size=10,
                      stopping=[LabelBudget(40)], eval_set=(X, y), random_state=0)
    history = loop.run()
    paid = sum(e.cost for e in pool.events)
    assert loop.total_cost == pytest.approx(paid)
    assert all(b.cost - a.cost <= 6.0 + 1e-9 for a, b in zip(history, history[1:]))
    assert history.cost_curve()[-1, 0] == pytest.approx(paid)


def test_cost_sensitive_is_registered():
    assert isinstance(strategies.get("cost_sensitive"), CostSensitive)
    with pytest.raises(ActiveLabError, match="power must be at least 0"):
        _, _, pool, model = fitted()
        CostSensitive(power=-1).query(model, pool, 3)


def test_the_bench_records_and_plots_the_metric_against_cumulative_cost(tmp_path):
    from activelab.bench.report import write_outputs
    from activelab.bench.runner import BenchSettings, run_bench
    from activelab.data.datasets import load

    settings = BenchSettings(data="iris", strategies=["margin", "random"], initial=6, budget=26,
                             batch_size=10, repeats=2)
    results = run_bench(load("iris"), settings)
    for entry in results["strategies"].values():
        for labels, costs in zip(entry["curves"], entry["cost_curves"]):
            labels, costs = np.array(labels), np.array(costs)
            assert np.array_equal(costs[:, 0], labels[:, 0] - 6)  # 1 per label, initial free
            assert np.array_equal(costs[:, 1], labels[:, 1])
    paths = write_outputs(results, tmp_path)
    assert paths["cost_plot"].read_bytes().startswith(b"\x89PNG")
