"""Streaming top-k: exact against one global top-k, whatever the chunking."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression

from activelab import ModelOutputs, Pool, strategies
from activelab.errors import ActiveLabError
from activelab.outputs import chunk_rows, parse_bytes
from activelab.selection import TopKAccumulator, merge_top_k


def brute_force_top_k(ids: np.ndarray, scores: np.ndarray, k: int):
    """Sort every (score desc, id asc) pair in Python: the reference order."""
    order = sorted(range(len(ids)), key=lambda i: (-scores[i], ids[i]))[:k]
    return ids[order], scores[order]


def split_at(n: int, cuts: list[int]) -> list[slice]:
    edges = [0, *sorted({c % (n + 1) for c in cuts}), n]
    return [slice(a, b) for a, b in zip(edges[:-1], edges[1:])]


@settings(max_examples=60, deadline=None)
@given(
    scores=st.lists(st.integers(0, 5), min_size=1, max_size=80),
    k=st.integers(1, 90),
    cuts=st.lists(st.integers(0, 200), max_size=8),
    seed=st.integers(0, 2**16),
)
def test_streamed_top_k_never_depends_on_chunking(scores, k, cuts, seed):
    """Heavy ties (scores 0..5), shuffled ids, random chunk edges and chunk order."""
    rng = np.random.default_rng(seed)
    values = np.asarray(scores, dtype=float)
    ids = rng.permutation(10 * len(values))[: len(values)]
    best = TopKAccumulator(k)
    chunks = split_at(len(values), cuts)
    for part in rng.permutation(len(chunks)):
        best.push(ids[chunks[part]], values[chunks[part]])
    got_ids, got_scores = best.result()
    want_ids, want_scores = brute_force_top_k(ids, values, k)
    np.testing.assert_array_equal(got_ids, want_ids)
    np.testing.assert_array_equal(got_scores, want_scores)


def test_tree_merge_of_partial_results_equals_one_top_k():
    rng = np.random.default_rng(1)
    scores = rng.integers(0, 3, size=1000).astype(float)
    ids = np.array([f"item-{i:04d}" for i in rng.permutation(1000)])
    leaves = [merge_top_k([(ids[s], scores[s])], 7) for s in split_at(1000, [100, 350, 351, 900])]
    root = merge_top_k([merge_top_k(leaves[:2], 7), merge_top_k(leaves[2:], 7)], 7)
    want = brute_force_top_k(ids, scores, 7)
    np.testing.assert_array_equal(root[0], want[0])


def test_accumulator_refuses_nan_and_mismatched_lengths():
    best = TopKAccumulator(2)
    with pytest.raises(ActiveLabError, match="NaN"):
        best.push(np.array([1, 2]), np.array([0.1, np.nan]))
    with pytest.raises(ActiveLabError, match="one score per id"):
        best.push(np.array([1, 2]), np.array([0.1]))
    assert len(TopKAccumulator(3).result()[0]) == 0


def test_chunk_size_in_rows_or_bytes():
    X = np.zeros((10, 25), dtype=np.float32)  # 100 bytes a row
    assert chunk_rows(7, X) == 7
    assert chunk_rows("1KB", X) == 10
    assert chunk_rows("1KiB", X) == 10
    assert chunk_rows("1 MB", X, max_rows=500) == 500
    assert parse_bytes("2GiB") == 2 * 2**30
    for bad in ["lots", "-5MB", "3 parsecs"]:
        with pytest.raises(ActiveLabError, match="64MiB"):
            chunk_rows(bad, X)
    with pytest.raises(ActiveLabError, match="chunk_size"):
        chunk_rows(0, X)


def test_default_chunk_caps_wide_rows_by_bytes():
    wide = Pool(np.zeros((20, 4096)))  # 32 KiB a row: 2,048 rows make 64 MiB
    assert ModelOutputs(None, wide).chunk_size == 2048
    assert ModelOutputs(None, Pool(np.zeros((20, 3)))).chunk_size == 8192
    assert ModelOutputs(None, wide, chunk_size="1MiB").chunk_size == 32


class QuantisedProba:
    """A fitted 'model' whose probabilities depend on one feature only, in coarse steps:
    many exact ties, and the same value for a row whatever chunk it comes in."""

    classes_ = np.array([0, 1, 2])

    def predict_proba(self, X):
        level = np.floor(np.asarray(X)[:, 0] * 4) % 4 / 10
        return np.column_stack([0.5 - level, 0.3 + level / 2, 0.2 + level / 2])


@pytest.mark.parametrize("name", ["margin", "entropy", "least_confidence", "ratio"])
@pytest.mark.parametrize("chunk", [1, 7, 64, 1000])
def test_streamed_query_equals_materialised_query_with_ties(name, chunk):
    rng = np.random.default_rng(2)
    X = rng.random((600, 2))
    pool = Pool(X, ids=rng.permutation(5000)[:600])
    pool.add_labels(pool.ids[:20], np.zeros(20, dtype=int))
    strategy, model = strategies.get(name), QuantisedProba()
    whole = strategy.query(model, pool, 40, outputs=ModelOutputs(model, pool, streaming=False))
    streamed = ModelOutputs(model, pool, chunk_size=chunk, streaming=True)
    assert streamed.streams
    got = strategy.query(model, pool, 40, outputs=streamed)
    np.testing.assert_array_equal(got.ids, whole.ids)
    np.testing.assert_array_equal(got.scores, whole.scores)
    assert "proba" not in streamed._cache  # nothing of pool size was kept


def test_streamed_query_with_a_real_model_matches_and_reuses_cached_outputs():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(3000, 4))
    y = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 1)
    pool = Pool(X)
    pool.add_labels(np.arange(60), y[:60])
    model = LogisticRegression().fit(*pool.labeled_data())
    reference = strategies.get("entropy").query(model, pool, 25)
    outputs = ModelOutputs(model, pool, chunk_size=500, streaming=True)
    calls = []
    original = model.predict_proba
    model.predict_proba = lambda rows: calls.append(len(rows)) or original(rows)
    first = strategies.get("entropy").query(model, pool, 25, outputs=outputs)
    assert calls == [500] * 5 + [440]  # chunk by chunk, every row once
    np.testing.assert_array_equal(first.ids, reference.ids)
    calls.clear()
    outputs.proba()  # once the round's probabilities are cached (computed once here) ...
    assert calls == [500] * 5 + [440]
    calls.clear()
    again = strategies.get("margin").query(model, pool, 25, outputs=outputs)
    assert calls == []  # ... the views slice the cache instead of predicting again
    np.testing.assert_array_equal(again.ids, strategies.get("margin").query(model, pool, 25).ids)


def test_strategies_without_per_item_scores_never_stream():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(300, 3))
    pool = Pool(X)
    pool.add_labels([0, 1, 2], [0, 1, 0])
    model = LogisticRegression().fit(*pool.labeled_data())
    strategy = strategies.get("information_density")
    assert not strategy.per_item_scores
    streamed = strategy.query(model, pool, 10, random_state=0,
                              outputs=ModelOutputs(model, pool, chunk_size=16, streaming=True))
    whole = strategy.query(model, pool, 10, random_state=0)
    np.testing.assert_array_equal(streamed.ids, whole.ids)


def test_streaming_flag_is_checked():
    with pytest.raises(ActiveLabError, match="streaming"):
        ModelOutputs(None, Pool(np.zeros((3, 1))), streaming="yes")


@pytest.mark.parametrize("backend", ["faiss", "auto"])
def test_faiss_nearest_distances_match_the_numpy_path(backend):
    pytest.importorskip("faiss")
    from activelab.selection import nearest_distances

    rng = np.random.default_rng(6)
    reference = rng.normal(loc=50.0, size=(900, 8))
    X = np.vstack([reference[:100], rng.normal(loc=50.0, size=(200, 8))])
    exact = nearest_distances(X, reference, 5)
    fast = nearest_distances(X, reference, 5, backend=backend)
    np.testing.assert_allclose(fast, exact, rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(fast[:100, 0], 0.0, atol=1e-2)  # each finds itself


def test_nearest_distances_backend_is_checked():
    from activelab.selection import nearest_distances

    with pytest.raises(ActiveLabError, match="backend"):
        nearest_distances(np.zeros((2, 1)), np.zeros((2, 1)), 1, backend="annoy")
