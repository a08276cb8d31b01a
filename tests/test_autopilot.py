"""``auto``: its phases worked out by hand from each round's labels, its batches against
the member it names, and its seed."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_iris, make_regression
from sklearn.linear_model import LogisticRegression, Ridge

from activelab import ActiveLoop, LabelBudget, Pool, SimulatedOracle, strategies
from activelab.errors import ActiveLabError


def _loop(start, seed: int = 0, budget: int = 31, **params):
    X, y = load_iris(return_X_y=True)
    pool = Pool(X)
    pool.add_labels(start, y[start])
    return ActiveLoop(LogisticRegression(max_iter=500), pool, strategies.get("auto", **params),
                      oracle=SimulatedOracle(y), batch_size=5,
                      stopping=[LabelBudget(budget)], random_state=seed)


def test_cold_start_until_three_labels_per_class_then_cluster_margin():
    history = _loop([0, 50, 100]).run()[:-1]
    # by hand: 3 classes; 3 and 8 labels are under 3 per class, 13 and more are not
    assert [r.n_labeled for r in history] == [3, 8, 13, 18, 23, 28]
    expected = ["cold_start", "cold_start"] + ["uncertainty"] * 4
    assert [r.info["query"]["phase"] for r in history] == expected
    for record in history:
        chosen = record.info["query"]
        assert chosen["labels_per_class"] == pytest.approx(record.n_labeled / 3, abs=1e-4)
        arm = "typiclust" if chosen["phase"] == "cold_start" else "cluster_margin"
        assert chosen["arm"] == arm and chosen["arms"] == [arm] * len(record.query_ids)
        assert f"{record.n_labeled} labels for 3 classes" in chosen["reason"]


def test_cold_start_per_class_moves_the_switch():
    history = _loop([0, 50, 100], cold_start_per_class=1).run()[:-1]
    assert {r.info["query"]["phase"] for r in history} == {"uncertainty"}
    history = _loop([0, 50, 100], cold_start_per_class=5).run()[:-1]
    # by hand: under 15 labels (3, 8, 13) cold start, then 18, 23, 28
    assert [r.info["query"]["phase"] for r in history] == ["cold_start"] * 3 + ["uncertainty"] * 3


@pytest.mark.parametrize("start, member", [([0, 1, 50, 100], "typiclust"),
                                           ([0, 1, 2, 50, 51, 52, 100, 101, 102],
                                            "cluster_margin")])
def test_the_batch_is_the_named_members_batch_for_the_same_seed(start, member):
    X, y = load_iris(return_X_y=True)
    pool = Pool(X)
    pool.add_labels(start, y[start])
    model = LogisticRegression(max_iter=500).fit(*pool.labeled_data())
    query = strategies.get("auto").query(model, pool, 7, random_state=4)
    alone = strategies.get(member).query(model, pool, 7, random_state=4)
    assert query.info["arm"] == member
    np.testing.assert_array_equal(query.ids, alone.ids)
    np.testing.assert_allclose(query.scores, alone.scores)


def test_a_model_that_knows_one_class_gets_a_cold_start_and_says_so():
    X, y = load_iris(return_X_y=True)
    pool = Pool(X)
    pool.add_labels([0, 1], y[[0, 1]])
    loop = ActiveLoop(LogisticRegression(max_iter=500), pool, oracle=SimulatedOracle(y),
                      batch_size=10, stopping=[LabelBudget(62)], random_state=0)
    chosen = [r.info["query"] for r in loop.run()[:-1]]
    assert chosen[0]["phase"] == "cold_start" and chosen[0]["arm"] == "typiclust"
    phases = [c["phase"] for c in chosen]
    assert "uncertainty" in phases
    assert set(phases[phases.index("uncertainty"):]) == {"uncertainty"}


def test_the_same_seed_makes_the_same_choices():
    runs = [[(r.info["query"]["phase"], list(r.query_ids)) for r in _loop([0, 50, 100], seed=3).run()[:-1]]
            for _ in range(2)]
    assert runs[0] == runs[1]


def test_a_regressor_gets_k_center_and_says_why():
    X, y = make_regression(n_samples=120, n_features=4, random_state=0)
    pool = Pool(X)
    pool.add_labels(range(5), y[:5])
    query = strategies.get("auto").query(Ridge().fit(X[:5], y[:5]), pool, 4, random_state=0)
    assert query.info["phase"] == "fallback" and query.info["arm"] == "coreset"
    assert "k-center" in query.info["reason"] and query.info["labels_per_class"] is None


def test_a_negative_cold_start_per_class_is_refused_by_name():
    with pytest.raises(ActiveLabError, match="cold_start_per_class"):
        _loop([0, 50, 100], budget=8, cold_start_per_class=-1).run()
