"""Multi-label partial annotation: pairs, per-label models on known cells, pair costs."""

import numpy as np
import pytest
from sklearn.datasets import make_multilabel_classification
from sklearn.linear_model import LogisticRegression

from activelab import ActiveLabError, Pool
from activelab.oracles import LabelRequest, ask
from activelab.oracles.partial_labels import (
    PairOracle,
    PartialBinaryRelevance,
    PartialLabels,
    query_pairs,
)


@pytest.fixture
def setting():
    X, Y = make_multilabel_classification(n_samples=120, n_features=6, n_classes=4,
                                          random_state=0, allow_unlabeled=False)
    ids = np.array([f"doc{i:03d}" for i in range(120)])[::-1].copy()
    pool = Pool(X, ids=ids)
    known = PartialLabels(pool, 4)
    oracle = PairOracle(Y, cost_per_item=2.0, cost_per_label=0.5, ids=ids)
    first = np.repeat(ids[:15], 4), np.tile(np.arange(4), 15)
    answers = ask(oracle, LabelRequest(first[0], labels=first[1]))
    known.add(*first, answers.labels, cost=answers.total_cost, annotator="sim")
    return X, Y, ids, pool, known, oracle


def test_pair_cost_grows_with_how_much_is_asked(setting):
    *_, ids, pool, known, oracle = setting
    def cost(ids, labels):
        return ask(oracle, LabelRequest(ids, labels=labels)).total_cost

    one_pair = cost(ids[[20]], [1])
    vector = cost(np.repeat(ids[20], 4), np.arange(4))
    spread = cost(ids[20:24], [0, 1, 2, 3])
    assert (one_pair, vector, spread) == (2.5, 4.0, 10.0)
    assert len(known.events) == 60 and sum(e[4] for e in known.events) == pytest.approx(15 * 4.0)


def test_model_fits_each_label_on_its_known_cells_only(setting):
    X, Y, ids, pool, known, oracle = setting
    extra = ids[15:40]
    values = ask(oracle, LabelRequest(extra, labels=np.full(len(extra), 2))).labels
    known.add(extra, np.full(len(extra), 2), values)
    model = PartialBinaryRelevance().fit(*known.training_data())
    for label in range(4):
        rows = np.flatnonzero(known.known[:, label])
        reference = LogisticRegression(max_iter=1000).fit(X[rows], Y[rows, label])
        assert np.allclose(model.predict_proba(X)[:, label], reference.predict_proba(X)[:, 1])


def test_query_pairs_returns_the_most_uncertain_unknown_pairs_by_brute_force(setting):
    X, Y, ids, pool, known, oracle = setting
    model = PartialBinaryRelevance().fit(*known.training_data())
    got_ids, got_labels, scores = query_pairs(model, known, 9, chunk_size=17)
    proba = model.predict_proba(X)
    candidates = [(1 - abs(2 * proba[i, lab] - 1), ids[i], lab)
                  for i in range(len(X)) for lab in range(4) if not known.known[i, lab]]
    candidates.sort(key=lambda c: (-c[0], c[1], c[2]))
    assert list(zip(got_ids.tolist(), got_labels.tolist())) == [(c[1], c[2]) for c in candidates[:9]]
    assert np.allclose(scores, [c[0] for c in candidates[:9]])
    known.add(got_ids, got_labels, ask(oracle, LabelRequest(got_ids, labels=got_labels)).labels)
    again, again_labels, _ = query_pairs(model, known, 9)
    assert not set(zip(again.tolist(), again_labels.tolist())) & set(
        zip(got_ids.tolist(), got_labels.tolist()))


def test_a_label_seen_on_one_class_only_predicts_its_share(setting):
    X, Y, ids, pool, _, _ = setting
    known = PartialLabels(pool, 2)
    known.add(ids[:3], [0, 0, 0], [1, 1, 1])
    known.add(ids[:2], [1, 1], [0, 1])
    known.add(ids[2:3], [1], [0])
    model = PartialBinaryRelevance().fit(*known.training_data())
    assert np.allclose(model.predict_proba(X)[:, 0], 1.0)


def test_bad_pairs_are_refused(setting):
    *_, ids, pool, known, _ = setting
    with pytest.raises(ActiveLabError, match="0 .label off. or 1"):
        known.add(ids[:1], [0], [2])
    with pytest.raises(ActiveLabError, match="label indices"):
        known.add(ids[:1], [7], [1])
    with pytest.raises(ActiveLabError, match="not in the pool"):
        known.add(["nope"], [0], [1])
