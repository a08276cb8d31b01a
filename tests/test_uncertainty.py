"""Uncertainty scores against the textbook formulas, written out naively here."""

import math

import numpy as np
import pytest
from sklearn.datasets import load_iris, make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.svm import SVC

from activelab import ActiveLabError, ModelOutputs, Pool, strategies
from activelab.strategies.uncertainty import entropy, least_confidence, margin

P = np.array([[0.7, 0.2, 0.1], [0.4, 0.35, 0.25], [1.0, 0.0, 0.0], [0.5, 0.5, 0.0]])


def test_least_confidence_margin_entropy_match_their_definitions():
    for row, lc, mg, ent in zip(P, least_confidence(P), margin(P), entropy(P)):
        top = sorted(row, reverse=True)
        assert lc == pytest.approx(1 - top[0])
        assert mg == pytest.approx(-(top[0] - top[1]))
        assert ent == pytest.approx(-sum(p * math.log(p) for p in row if p > 0))


def _fitted(model, X, y, labeled):
    pool = Pool(X)
    pool.add_labels(labeled, y[labeled])
    model.fit(*pool.labeled_data())
    return model, pool


def brute_force_ranking(ids, scores, k):
    return [i for _, i in sorted(zip(-scores, ids))][:k]


@pytest.mark.parametrize(
    ("name", "formula"),
    [("least_confidence", least_confidence), ("margin", margin), ("entropy", entropy)],
)
def test_probability_strategies_rank_by_their_formula(name, formula):
    X, y = load_iris(return_X_y=True)
    model, pool = _fitted(LogisticRegression(max_iter=500), X, y, [0, 1, 50, 51, 100, 101])
    unlabeled = pool.unlabeled_ids
    expected = brute_force_ranking(unlabeled, formula(model.predict_proba(X[unlabeled])), 10)
    assert strategies.get(name).query(model, pool, 10).ids.tolist() == expected


def test_margin_with_a_binary_svc_picks_the_items_nearest_the_boundary():
    X, y = make_classification(n_samples=300, n_features=5, random_state=1)
    model, pool = _fitted(SVC(), X, y, np.arange(20))
    assert not hasattr(model, "predict_proba")
    unlabeled = pool.unlabeled_ids
    distance = np.abs(model.decision_function(X[unlabeled]))
    expected = [i for _, i in sorted(zip(distance, unlabeled))][:15]
    query = strategies.get("margin").query(model, pool, 15)
    assert query.ids.tolist() == expected
    assert np.allclose(query.scores, -np.sort(distance)[:15])


def test_margin_with_a_multiclass_svc_uses_the_gap_between_one_vs_rest_scores():
    X, y = load_iris(return_X_y=True)
    model, pool = _fitted(SVC(), X, y, [0, 1, 50, 51, 100, 101])
    unlabeled = pool.unlabeled_ids
    ovr = model.decision_function(X[unlabeled])
    assert ovr.shape[1] == 3
    gap = np.array([sorted(row)[-1] - sorted(row)[-2] for row in ovr])
    expected = [i for _, i in sorted(zip(gap, unlabeled))][:10]
    assert strategies.get("margin").query(model, pool, 10).ids.tolist() == expected


@pytest.mark.parametrize("name", ["least_confidence", "entropy"])
def test_decision_only_models_use_a_softmax_of_one_vs_rest_scores(name):
    X, y = load_iris(return_X_y=True)
    model, pool = _fitted(SVC(), X, y, [0, 1, 50, 51, 100, 101])
    unlabeled = pool.unlabeled_ids
    ovr = model.decision_function(X[unlabeled])
    softmax = np.exp(ovr) / np.exp(ovr).sum(axis=1, keepdims=True)
    formula = least_confidence if name == "least_confidence" else entropy
    expected = brute_force_ranking(unlabeled, formula(softmax), 10)
    assert strategies.get(name).query(model, pool, 10).ids.tolist() == expected


def test_binary_decision_values_become_logistic_pseudo_probabilities():
    X, y = make_classification(n_samples=200, n_features=4, random_state=3)
    model, pool = _fitted(SVC(), X, y, np.arange(20))
    f = model.decision_function(X[pool.unlabeled_ids])
    p = 1 / (1 + np.exp(-f))
    outputs = ModelOutputs(model, pool)
    scores = strategies.get("least_confidence").score(outputs, np.random.default_rng(0))
    assert np.allclose(scores, 1 - np.maximum(p, 1 - p))


def test_outputs_are_computed_once_per_round_in_chunks():
    X, y = load_iris(return_X_y=True)

    class Counting(LogisticRegression):
        def predict_proba(self, X):
            self.calls.append(len(X))
            return super().predict_proba(X)

    model = Counting(max_iter=500)
    model.calls = []
    model, pool = _fitted(model, X, y, [0, 50, 100])
    outputs = ModelOutputs(model, pool, chunk_size=40)
    for name in ["margin", "entropy", "least_confidence"]:
        strategies.get(name).query(model, pool, 5, outputs=outputs)
    assert model.calls == [40, 40, 40, 27]


def test_stale_or_foreign_outputs_are_refused():
    X, y = load_iris(return_X_y=True)
    model, pool = _fitted(LogisticRegression(max_iter=500), X, y, [0, 50, 100])
    outputs = ModelOutputs(model, pool)
    pool.add_labels([1], [y[1]])
    with pytest.raises(ActiveLabError, match="labels changed"):
        strategies.get("margin").query(model, pool, 5, outputs=outputs)
    with pytest.raises(ActiveLabError, match="another model"):
        strategies.get("margin").query(LogisticRegression(), pool, 5, outputs=ModelOutputs(model, pool))


def test_unfitted_or_unsuitable_models_get_clear_errors():
    X, y = load_iris(return_X_y=True)
    pool = Pool(X)
    with pytest.raises(ActiveLabError, match="not fitted"):
        strategies.get("margin").query(LogisticRegression(), pool, 5)
    with pytest.raises(ActiveLabError, match="needs a fitted model"):
        strategies.get("entropy").query(None, pool, 5)

    class NoOutputs:
        def fit(self, X, y):
            return self

    with pytest.raises(ActiveLabError, match="has no decision_function"):
        strategies.get("margin").query(NoOutputs(), pool, 5)


@pytest.mark.parametrize("bad", [0, -1, 2.5, "3", True])
def test_bad_batch_sizes_are_refused(bad):
    pool = Pool(np.eye(3))
    with pytest.raises(ActiveLabError, match="batch_size"):
        strategies.get("random").query(None, pool, bad)


def test_exhausted_pool_is_an_error():
    pool = Pool(np.eye(2))
    pool.add_labels([0, 1], [0, 1])
    with pytest.raises(ActiveLabError, match="nothing left"):
        strategies.get("random").query(None, pool, 1)


def test_unknown_strategy_name_suggests_the_closest():
    with pytest.raises(ActiveLabError, match="did you mean 'margin'"):
        strategies.get("margn")


def test_features_and_embeddings_of_candidates_and_labeled_items():
    import pandas as pd
    import scipy.sparse as sp

    X = np.arange(20.0).reshape(10, 2)
    for items in (X, sp.csr_matrix(X), pd.DataFrame(X)):
        pool = Pool(items, ids=[f"i{k}" for k in range(10)])
        pool.add_labels(["i0", "i9"], [0, 1])
        model = LogisticRegression().fit(*pool.labeled_data())
        outputs = ModelOutputs(model, pool, chunk_size=3)
        dense = lambda a: a.toarray() if sp.issparse(a) else a  # noqa: E731
        assert np.array_equal(dense(outputs.features()), X[1:9])
        assert np.array_equal(dense(outputs.features("labeled")), X[[0, 9]])
        assert np.array_equal(dense(outputs.embeddings()), X[1:9])

    class Embeds(LogisticRegression):
        def embed(self, rows):
            return np.asarray(rows)[:, :1] * 10

    pool = Pool(X)
    pool.add_labels([0, 9], [0, 1])
    outputs = ModelOutputs(Embeds().fit(*pool.labeled_data()), pool)
    assert outputs.embeddings("labeled").ravel().tolist() == [0.0, 180.0]
    with pytest.raises(ActiveLabError, match="numeric features"):
        ModelOutputs(None, Pool(["a text", "another"])).features()
