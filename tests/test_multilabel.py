"""Multi-label strategies against hand-computed values, a naive MMC, and the loop."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from conftest import raises_user_error
from sklearn.datasets import make_multilabel_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier

from activelab import ActiveLoop, Pool, SimulatedOracle, strategies
from activelab.outputs import ModelOutputs
from activelab.stopping import LabelBudget
from activelab.strategies.multilabel import (
    BinaryRelevanceUncertainty,
    LabelCardinalityInconsistency,
    MaximumLossReduction,
    MaxLoss,
    label_probabilities,
)
from activelab.testing import check_strategy

ALL = [BinaryRelevanceUncertainty, MaxLoss, MaximumLossReduction, LabelCardinalityInconsistency]

# Four unlabeled items (ids 0-3) with these label probabilities, and labeled items 4-7.
PROBA = np.array([
    [0.9, 0.5, 0.2],
    [0.6, 0.4, 0.1],
    [0.3, 0.3, 0.3],
    [0.95, 0.85, 0.05],
    [0.8, 0.2, 0.1],
    [0.7, 0.6, 0.2],
    [0.9, 0.8, 0.7],
    [0.1, 0.9, 0.3],
])


class FixedProba:
    """A 'fitted model' whose label probabilities are looked up by the item's first feature."""

    def __init__(self, table: np.ndarray) -> None:
        self.table = table

    def fit(self, X: Any, y: Any) -> FixedProba:
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        return self.table[np.asarray(X)[:, 0].astype(int)]


def tiny_pool(label_rows: list[list[int]]) -> Pool:
    X = np.column_stack([np.arange(8.0), np.zeros(8)])
    pool = Pool(X)
    pool.add_labels([4, 5, 6, 7], np.array(label_rows))
    return pool


CARDINALITY_VARIED = [[1, 0, 0], [1, 1, 0], [1, 1, 1], [0, 1, 0]]  # mean cardinality 1.75
CARDINALITY_TWO = [[1, 1, 0], [1, 0, 1], [0, 1, 1], [1, 1, 0]]  # every item has 2 labels


def scores_of(strategy: Any, pool: Pool, model: Any) -> list[float]:
    query = strategy.query(model, pool, pool.n_unlabeled, random_state=0)
    by_id = dict(zip(query.ids.tolist(), query.scores.tolist()))
    return [by_id[i] for i in sorted(by_id)]


@pytest.mark.parametrize("cls", ALL)
def test_contract(cls: type) -> None:
    check_strategy(cls())


def test_registered_names() -> None:
    assert isinstance(strategies.get("br_uncertainty"), BinaryRelevanceUncertainty)
    assert isinstance(strategies.get("max_loss"), MaxLoss)
    assert isinstance(strategies.get("mmc"), MaximumLossReduction)
    assert isinstance(strategies.get("lci"), LabelCardinalityInconsistency)


def test_pool_keeps_indicator_rows_as_a_2d_label_matrix() -> None:
    pool = tiny_pool(CARDINALITY_VARIED)
    _, labels = pool.labeled_data()
    assert labels.shape == (4, 3)
    np.testing.assert_array_equal(labels, CARDINALITY_VARIED)
    np.testing.assert_array_equal(pool.labels_of([6]), [[1, 1, 1]])


# Per-label uncertainty 1 - |2p - 1|, by hand:
#   item 0: 0.2, 1.0, 0.4    item 1: 0.8, 0.8, 0.2
#   item 2: 0.6, 0.6, 0.6    item 3: 0.1, 0.3, 0.1
@pytest.mark.parametrize(
    ("aggregate", "expected"),
    [
        ("mean", [1.6 / 3, 1.8 / 3, 0.6, 0.5 / 3]),
        ("max", [1.0, 0.8, 0.6, 0.3]),
        ("min", [0.2, 0.2, 0.6, 0.1]),
    ],
)
def test_binary_relevance_uncertainty_by_hand(aggregate: str, expected: list[float]) -> None:
    got = scores_of(BinaryRelevanceUncertainty(aggregate=aggregate), tiny_pool(CARDINALITY_VARIED),
                    FixedProba(PROBA))
    np.testing.assert_allclose(got, expected)


# Loss (1 - y f) / 2 with f = 2p - 1 and y = sign(f) (p = 0.5 counts as off, y = -1):
#   item 0: 0.1, 0.5, 0.2    item 1: 0.4, 0.4, 0.1
#   item 2: 0.3, 0.3, 0.3    item 3: 0.05, 0.15, 0.05
@pytest.mark.parametrize(
    ("aggregate", "expected"),
    [("max", [0.5, 0.4, 0.3, 0.15]), ("mean", [0.8 / 3, 0.9 / 3, 0.3, 0.25 / 3])],
)
def test_max_loss_by_hand(aggregate: str, expected: list[float]) -> None:
    got = scores_of(MaxLoss(aggregate=aggregate), tiny_pool(CARDINALITY_VARIED), FixedProba(PROBA))
    np.testing.assert_allclose(got, expected)


def test_mmc_by_hand_when_every_labeled_item_has_two_labels() -> None:
    # m = 2: the two most probable labels are on (+1), the third off (-1).
    #   item 0: y = (+, +, -), f = (0.8, 0, -0.6)  -> 0.1 + 0.5 + 0.2 = 0.8
    #   item 1: y = (+, +, -), f = (0.2, -0.2, -0.8) -> 0.4 + 0.6 + 0.1 = 1.1
    #   item 2: a three-way tie: labels 0 and 1 on, f = -0.4 -> 0.7 + 0.7 + 0.3 = 1.7
    #   item 3: y = (+, +, -), f = (0.9, 0.7, -0.9) -> 0.05 + 0.15 + 0.05 = 0.25
    got = scores_of(MaximumLossReduction(), tiny_pool(CARDINALITY_TWO), FixedProba(PROBA))
    np.testing.assert_allclose(got, [0.8, 1.1, 1.7, 0.25])


def naive_mmc(proba_pool: np.ndarray, proba_labeled: np.ndarray, Y: np.ndarray) -> list[float]:
    """Yang et al.'s MMC written out item by item and label by label."""
    features = [sorted(row, reverse=True) for row in proba_labeled.tolist()]
    counts = [int(sum(row)) for row in Y.tolist()]
    counter = LogisticRegression(max_iter=1000).fit(np.array(features), np.array(counts))
    scores = []
    for row in proba_pool.tolist():
        m = int(counter.predict(np.array([sorted(row, reverse=True)]))[0])
        ranked = sorted(range(len(row)), key=lambda label: (-row[label], label))
        on = set(ranked[:m])
        total = 0.0
        for label, p in enumerate(row):
            y = 1.0 if label in on else -1.0
            total += (1.0 - y * (2.0 * p - 1.0)) / 2.0
        scores.append(total)
    return scores


def test_mmc_matches_a_naive_implementation_on_real_data() -> None:
    X, Y = make_multilabel_classification(n_samples=120, n_features=6, n_classes=4,
                                          random_state=3, allow_unlabeled=False)
    pool = Pool(X)
    pool.add_labels(np.arange(30), Y[:30])
    assert len(np.unique(Y[:30].sum(axis=1))) > 2  # the cardinality model has work to do
    model = OneVsRestClassifier(LogisticRegression()).fit(*pool.labeled_data())
    got = scores_of(MaximumLossReduction(), pool, model)
    expected = naive_mmc(model.predict_proba(X[30:]), model.predict_proba(X[:30]), Y[:30])
    np.testing.assert_allclose(got, expected)


def test_label_cardinality_inconsistency_by_hand() -> None:
    # mean label cardinality of the labeled items: (1 + 2 + 3 + 1) / 4 = 1.75
    # labels with p > 0.5: item 0: 1, item 1: 1, item 2: 0, item 3: 2
    got = scores_of(LabelCardinalityInconsistency(), tiny_pool(CARDINALITY_VARIED),
                    FixedProba(PROBA))
    np.testing.assert_allclose(got, [0.75, 0.75, 1.75, 0.25])


def test_label_probabilities_of_a_native_multi_output_forest() -> None:
    X, Y = make_multilabel_classification(n_samples=80, n_classes=3, random_state=0)
    Y[:20, 2] = 0  # label 2 is never on among the labeled items
    pool = Pool(X)
    pool.add_labels(np.arange(20), Y[:20])
    model = RandomForestClassifier(n_estimators=5, random_state=0).fit(*pool.labeled_data())
    raw = model.predict_proba(X[20:])
    assert isinstance(raw, list) and raw[2].shape == (60, 1)
    expected = np.column_stack([raw[0][:, 1], raw[1][:, 1], np.zeros(60)])
    np.testing.assert_allclose(label_probabilities(ModelOutputs(model, pool)), expected)
    for cls in ALL:
        assert len(cls().query(model, pool, 5).ids) == 5


@pytest.mark.parametrize("cls", ALL)
def test_runs_in_the_loop_with_a_multilabel_model(cls: type) -> None:
    X, Y = make_multilabel_classification(n_samples=200, n_features=8, n_classes=4,
                                          random_state=0)
    pool = Pool(X[:150])
    pool.add_labels(np.arange(10), Y[:10])
    loop = ActiveLoop(OneVsRestClassifier(LogisticRegression()), pool, cls(),
                      SimulatedOracle(Y[:150]), batch_size=10, stopping=[LabelBudget(40)],
                      eval_set=(X[150:], Y[150:]), metrics=["f1_micro"], random_state=0)
    history = loop.run()
    curve = history.curve("f1_micro")
    assert curve[:, 0].tolist() == [10, 20, 30, 40]
    assert np.all((curve[:, 1] >= 0) & (curve[:, 1] <= 1))
    asked = [i for record in history for i in record.query_ids]
    assert len(asked) == len(set(asked)) == 30
    assert all(record.strategy == cls().name for record in history[:-1])
    np.testing.assert_array_equal(pool.labels_of(asked), Y[asked])


def test_a_single_label_model_is_refused() -> None:
    X = np.random.default_rng(0).normal(size=(30, 3))
    pool = Pool(X)
    pool.add_labels(np.arange(10), np.arange(10) % 3)
    model = OneVsRestClassifier(LogisticRegression()).fit(*pool.labeled_data())
    with raises_user_error("fit on single labels"):
        MaxLoss().query(model, pool, 3)
    with raises_user_error("needs 0/1 indicator rows as labels"):
        LabelCardinalityInconsistency().query(LogisticRegression().fit(*pool.labeled_data()),
                                              pool, 3)


def test_bad_aggregates_are_refused() -> None:
    pool, model = tiny_pool(CARDINALITY_VARIED), FixedProba(PROBA)
    with raises_user_error("aggregate must be one of mean, max, min; got 'median'"):
        BinaryRelevanceUncertainty(aggregate="median").query(model, pool, 2)
    with raises_user_error("aggregate must be 'max' or 'mean'; got 'min'"):
        MaxLoss(aggregate="min").query(model, pool, 2)
