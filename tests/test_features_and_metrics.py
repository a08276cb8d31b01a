"""One features rule for every strategy that needs features, and ``metric=`` on the
distance-based selectors, checked against brute force with SciPy's ``cdist``."""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.spatial.distance import cdist
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from activelab import ActiveLabError, ModelOutputs, Pool, strategies
from activelab.selection import (
    ClusterMarginSelector,
    KCenterGreedy,
    KMeansSelector,
    RankedBatch,
    RunningMinDistance,
    nearest_distances,
)

METRICS = ["euclidean", "cosine", "manhattan"]
SCIPY = {"euclidean": "euclidean", "cosine": "cosine", "manhattan": "cityblock"}


def rows(seed=0, n=60, d=5):
    return np.random.default_rng(seed).normal(size=(n, d)) + 0.5


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("metric", METRICS)
def test_running_min_distance_is_the_brute_force_minimum(metric, sparse):
    X, C = rows(0), rows(1, n=4)
    given = sp.csr_matrix(X) if sparse else X
    running = RunningMinDistance(given, C, chunk_size=3, metric=metric)
    expected = cdist(X, C, SCIPY[metric]).min(axis=1)
    np.testing.assert_allclose(running.distances(), expected, rtol=1e-4, atol=1e-5)
    running.add(7)
    expected = np.minimum(expected, cdist(X, X[7:8], SCIPY[metric]).ravel())
    np.testing.assert_allclose(running.distances(), expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("metric", METRICS)
def test_nearest_distances_are_the_brute_force_neighbours(metric, sparse):
    X, R = rows(2, n=30), rows(3, n=25)
    given = (sp.csr_matrix(X), sp.csr_matrix(R)) if sparse else (X, R)
    got = nearest_distances(*given, 4, chunk_size=7, metric=metric)
    expected = np.sort(cdist(X, R, SCIPY[metric]), axis=1)[:, :4]
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-9)


def brute_farthest_first(X, labeled, k, metric):
    D = cdist(X, X, SCIPY[metric])
    candidates = [i for i in range(len(X)) if i not in labeled]
    centres, picks, values = list(labeled), [], []
    for _ in range(k):
        nearest = {i: D[i, centres].min() for i in candidates if i not in picks}
        pick = max(nearest, key=lambda i: (nearest[i], -i))
        picks.append(pick)
        values.append(nearest[pick])
        centres.append(pick)
    return picks, values


@pytest.mark.parametrize("metric", METRICS)
def test_kcenter_is_brute_force_farthest_first_in_each_metric(metric):
    X = rows(4)
    pool = Pool(X)
    pool.add_labels([0, 1, 2], [0, 1, 0])
    ids, scores = KCenterGreedy(metric=metric).select(
        ModelOutputs(None, pool), np.zeros(57), 8, np.random.default_rng(0)
    )
    picks, values = brute_farthest_first(X, [0, 1, 2], 8, metric)
    assert ids.tolist() == picks
    np.testing.assert_allclose(scores, values, rtol=1e-4)
    strategy_ids = strategies.get("coreset", metric=metric).query(None, pool, 8).ids
    assert strategy_ids.tolist() == picks


@pytest.mark.parametrize("metric", METRICS)
def test_ranked_batch_is_the_brute_force_ranking_in_each_metric(metric):
    X = rows(5)
    pool = Pool(X)
    labeled = [0, 1]
    pool.add_labels(labeled, [0, 1])
    uncertainty = np.random.default_rng(6).random(58)
    ids, _ = RankedBatch(alpha=0.7, metric=metric).select(
        ModelOutputs(None, pool), uncertainty, 6, np.random.default_rng(0)
    )
    D = cdist(X, X, SCIPY[metric])
    u = (uncertainty - uncertainty.min()) / np.ptp(uncertainty)
    centres, expected = list(labeled), []
    for _ in range(6):
        value = {i: 0.7 * (1 - 1 / (1 + D[i, centres].min())) + 0.3 * u[i - 2]
                 for i in range(2, 60) if i not in expected}
        pick = max(value, key=lambda i: (value[i], -i))
        expected.append(pick)
        centres.append(pick)
    assert ids.tolist() == expected


def rays():
    """Two directions, each at many scales: cosine groups by direction, Euclid by scale."""
    scales = np.array([1.0, 1.5, 2.0, 20.0, 30.0, 40.0])
    return np.vstack([np.outer(scales, [1.0, 0.1]), np.outer(scales, [0.1, 1.0])])


@pytest.mark.parametrize(
    "selector", [KMeansSelector(metric="cosine"), ClusterMarginSelector(metric="cosine")]
)
def test_cosine_clusters_group_by_direction(selector):
    X = rays()
    outputs = ModelOutputs(None, Pool(X))
    ids, _ = selector.select(outputs, np.zeros(len(X)), 2, np.random.default_rng(0))
    assert sorted(int(i) // 6 for i in ids) == [0, 1]  # one from each direction
    euclid = type(selector)(metric="euclidean")
    ids, _ = euclid.select(outputs, np.zeros(len(X)), 2, np.random.default_rng(0))
    assert sorted(int(i) % 6 >= 3 for i in ids) == [False, True]  # one small, one large


def test_kmeans_refuses_manhattan_and_every_selector_an_unknown_metric():
    outputs = ModelOutputs(None, Pool(rows(0)))
    with pytest.raises(ActiveLabError, match="euclidean, cosine"):
        KMeansSelector(metric="manhattan").select(outputs, np.zeros(60), 3, np.random.default_rng(0))
    with pytest.raises(ActiveLabError, match="metric must be one of"):
        strategies.get("coreset", metric="hamming").query(None, Pool(rows(0)), 3)


TEXTS = (
    [f"the cat sat on mat number {i} happily" for i in range(15)]
    + [f"stocks fell sharply in market trading day {i}" for i in range(15)]
    + [f"a cat and a dog played in the park {i}" for i in range(15)]
    + [f"bond yields rose as the market closed {i}" for i in range(15)]
)
TOPICS = np.array([0] * 15 + [1] * 15 + [0] * 15 + [1] * 15)


def text_pool_and_model():
    pool = Pool(np.array(TEXTS, dtype=object))
    pool.add_labels([0, 15, 30, 45], TOPICS[[0, 15, 30, 45]])
    model = make_pipeline(TfidfVectorizer(), LogisticRegression())
    model.fit(*pool.labeled_data())
    return pool, model


CLASSIFIER_STRATEGIES = [
    name for name in strategies.available()
    if "proba" in type(strategies.get(name)).contract_models
]


@pytest.mark.parametrize("name", CLASSIFIER_STRATEGIES)
def test_every_classifier_strategy_queries_a_raw_text_pool_with_a_tfidf_pipeline(name):
    pool, model = text_pool_and_model()
    query = strategies.get(name).query(model, pool, 5, random_state=0)
    assert len(set(query.ids.tolist())) == 5
    assert not pool.is_labeled(query.ids).any()


def test_a_tfidf_pipeline_gives_sparse_features_a_chunk_at_a_time():
    pool, model = text_pool_and_model()
    seen = []
    vectorizer = model[0]
    original = vectorizer.transform

    def counting(texts):
        seen.append(len(texts))
        return original(texts)

    vectorizer.transform = counting
    embeddings = ModelOutputs(model, pool, chunk_size=10).embeddings()
    assert sp.issparse(embeddings) and embeddings.shape[0] == 56
    assert max(seen) <= 10  # never the whole pool at once
    vectorizer.transform = original
    unlabeled = [i for i in range(60) if i not in (0, 15, 30, 45)]
    expected = model[0].transform(np.array(TEXTS, dtype=object)[unlabeled]).toarray()
    np.testing.assert_allclose(embeddings.toarray(), expected)


def test_cosine_coreset_on_texts_is_brute_force_farthest_first_on_the_tfidf_rows():
    pool, model = text_pool_and_model()
    X = model[0].transform(np.array(TEXTS, dtype=object)).toarray()
    query = strategies.get("coreset", metric="cosine").query(model, pool, 4, random_state=0)
    picks, values = brute_farthest_first(X, [0, 15, 30, 45], 4, "cosine")
    assert query.ids.tolist() == picks
    np.testing.assert_allclose(query.scores, values, rtol=1e-4)
