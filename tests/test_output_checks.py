"""ModelOutputs trusts no model: every output is checked, a chunk at a time, and a bad one
is refused with the model's class name and the method."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression

from activelab import ModelOutputs, Pool, strategies
from activelab.data.sources import NpyRows
from activelab.errors import ActiveLabError
from activelab.outputs import PROBA_TOLERANCE


def make_data(n=100):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 4))
    y = np.arange(n) % 3
    X[:, 0] += y  # learnable
    return X, y


def fitted():
    X, y = make_data()
    return LogisticRegression().fit(X, y)


class Wrapper:
    """A wrapper around a fitted model that spoils its outputs in one way."""

    def __init__(self, model, spoil):
        self.model, self.spoil = model, spoil
        self.classes_ = model.classes_

    def predict_proba(self, X):
        return self.spoil(self.model.predict_proba(X))


class FewerRows(Wrapper):
    pass


def pools(tmp_path):
    """The same items dense, sparse and on disk (read a chunk at a time)."""
    X, _ = make_data()
    path = tmp_path / "pool.npy"
    np.save(path, X)
    return {"dense": Pool(X), "sparse": Pool(sp.csr_matrix(X)), "streamed": Pool(NpyRows(path))}


SPOILED = {
    "too few rows": (lambda p: p[:-1], r"FewerRows\.predict_proba returned \d+ rows for \d+ items"),
    "NaN": (lambda p: np.where(np.arange(len(p))[:, None] == 3, np.nan, p), "NaN or infinite"),
    "rows not summing to one": (lambda p: p * 1.5, "do not sum to one"),
    "wrong class count": (lambda p: p[:, :2], "2 probability columns but the model has 3"),
    "negative": (lambda p: p - 0.1 * (np.arange(p.shape[1]) == 0) + 0.1 * (np.arange(p.shape[1]) == 1),
                 "negative probabilities"),
}


@pytest.mark.parametrize("kind", ["dense", "sparse", "streamed"])
@pytest.mark.parametrize("case", sorted(SPOILED))
@pytest.mark.parametrize("chunk", [None, 16])
def test_spoiled_probabilities_are_refused_naming_the_model_and_method(tmp_path, kind, case, chunk):
    spoil, message = SPOILED[case]
    model = FewerRows(fitted(), spoil)
    pool = pools(tmp_path)[kind]
    outputs = ModelOutputs(model, pool, chunk_size=chunk)
    with pytest.raises(ActiveLabError, match=message) as caught:
        outputs.proba()
    assert "FewerRows.predict_proba" in str(caught.value)
    for streaming in (False, True):  # the query's own, and streamed, chunk by chunk
        with pytest.raises(ActiveLabError, match=message):
            strategies.get("margin").query(
                model, pool, 5,
                outputs=ModelOutputs(model, pool, chunk_size=chunk, streaming=streaming),
            )
    with pytest.raises(ActiveLabError, match=message):
        strategies.get("entropy").query(model, pool, 5)


def test_the_message_counts_rows_and_items():
    model = FewerRows(fitted(), lambda p: p[:-1])
    with pytest.raises(ActiveLabError, match="returned 99 rows for 100 items; it must return one"):
        ModelOutputs(model, Pool(make_data()[0])).proba()


def test_a_chunk_with_another_shape_than_the_first_is_refused():
    class Drifting:
        calls = 0

        def decision_function(self, X):
            Drifting.calls += 1
            return np.zeros((len(X), 3 if Drifting.calls == 1 else 1))

    outputs = ModelOutputs(Drifting(), Pool(np.zeros((40, 2))), chunk_size=16)
    with pytest.raises(ActiveLabError, match=r"Drifting\.decision_function returned rows of shape"):
        outputs.decision()


@pytest.mark.parametrize("method", ["decision", "predict", "embeddings"])
def test_decision_values_predictions_and_embeddings_are_checked(method):
    class Bad:
        classes_ = np.array([0, 1])

        def decision_function(self, X):
            return np.full(len(X), np.inf)

        def predict(self, X):
            return np.zeros(len(X) + 1)

        def embed(self, X):
            return np.zeros((1, 3))

    outputs = ModelOutputs(Bad(), Pool(np.zeros((10, 2))))
    names = {"decision": "Bad.decision_function returned 10 NaN or infinite",
             "predict": "Bad.predict returned 11 rows for 10 items",
             "embeddings": "Bad.embed returned 1 rows for 10 items"}
    with pytest.raises(ActiveLabError, match=names[method]):
        getattr(outputs, method)()


def test_probability_samples_are_checked():
    class Sampler:
        classes_ = np.array([0, 1])

        def predict_proba(self, X):
            return np.full((len(X), 2), 0.5)

        def sample_proba(self, X, n_samples):
            return np.full((len(X), 4, 2), 0.7)

    with pytest.raises(ActiveLabError, match=r"Sampler\.sample_proba .* do not sum to one"):
        ModelOutputs(Sampler(), Pool(np.zeros((10, 2)))).samples()


def test_a_user_computation_through_of_items_is_checked_too():
    outputs = ModelOutputs(None, Pool(np.zeros((10, 2))))
    with pytest.raises(ActiveLabError, match="'mine' output returned 9 rows for 10 items"):
        outputs.of_items("mine", lambda rows: np.zeros(len(rows) - 1))
    with pytest.raises(ActiveLabError, match="do not sum to one"):
        outputs.of_items("mine_proba", lambda rows: np.full((len(rows), 2), 0.2), kind="proba")
    with pytest.raises(ActiveLabError, match="kind must be"):
        outputs.of_items("other", lambda rows: np.zeros(len(rows)), kind="scores")


def test_multilabel_probabilities_need_not_sum_to_one():
    class MultiLabel:
        multilabel_ = True
        classes_ = np.array([0, 1, 2])

        def predict_proba(self, X):
            return np.full((len(X), 3), 0.9)

    assert ModelOutputs(MultiLabel(), Pool(np.zeros((5, 2)))).proba().shape == (5, 3)


def test_probabilities_within_the_tolerance_pass():
    model = Wrapper(fitted(), lambda p: (p * (1 + PROBA_TOLERANCE / 2)).astype(np.float32))
    proba = ModelOutputs(model, Pool(make_data()[0])).proba()
    assert proba.shape == (100, 3)


def test_a_one_class_model_warns_once_per_round():
    class OneClass:
        classes_ = np.array(["only"])

        def predict_proba(self, X):
            return np.ones((len(X), 1))

    pool, model = Pool(np.zeros((50, 2))), OneClass()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        query = strategies.get("margin").query(
            model, pool, 5, outputs=ModelOutputs(model, pool, chunk_size=8, streaming=True)
        )
    messages = [str(w.message) for w in caught if "one class" in str(w.message)]
    assert len(messages) == 1, messages
    assert "OneClass.predict_proba gives one class only" in messages[0]
    assert query.ids.tolist() == [0, 1, 2, 3, 4]  # every score ties: by id


def test_a_model_that_writes_into_its_input_cannot_spoil_the_pool():
    class Scribbler:
        classes_ = np.array([0, 1])

        def predict_proba(self, X):
            X[:] = 0.0
            return np.full((len(X), 2), 0.5)

    X = np.arange(20.0).reshape(10, 2)
    pool = Pool(X)
    with pytest.raises(ActiveLabError):
        ModelOutputs(Scribbler(), pool).proba()
    np.testing.assert_array_equal(pool.X, np.arange(20.0).reshape(10, 2))


class QuantisedProba:
    """Probabilities in coarse steps of one feature: many exact ties."""

    classes_ = np.array([0, 1, 2])

    def predict_proba(self, X):
        level = np.floor(np.asarray(X)[:, 0] * 4) % 4 / 10
        return np.column_stack([0.5 - level, 0.3 + level / 2, 0.2 + level / 2])


@pytest.mark.parametrize("name", ["margin", "entropy", "least_confidence", "ratio"])
@pytest.mark.parametrize("chunk", [1, 7, 1000])
def test_a_query_scoring_its_own_outputs_chunk_by_chunk_matches_the_shared_path(name, chunk):
    rng = np.random.default_rng(5)
    pool = Pool(rng.random((300, 2)), ids=rng.permutation(3000)[:300])
    pool.add_labels(pool.ids[:10], np.zeros(10, dtype=int))
    strategy, model = strategies.get(name), QuantisedProba()
    shared = ModelOutputs(model, pool, chunk_size=chunk)
    own = ModelOutputs(model, pool, chunk_size=chunk, shared=False)
    want = strategy.query(model, pool, 30, outputs=shared)
    got = strategy.query(model, pool, 30, outputs=own)
    np.testing.assert_array_equal(got.ids, want.ids)
    np.testing.assert_array_equal(got.scores, want.scores)
    assert "proba" in shared._cache and "proba" not in own._cache
    np.testing.assert_array_equal(strategy.query(model, pool, 30).ids, want.ids)


def test_shared_flag_is_checked():
    with pytest.raises(ActiveLabError, match="shared"):
        ModelOutputs(None, Pool(np.zeros((3, 1))), shared="no")
