"""Label aggregation: majority, weighted vote and Dawid-Skene, against crowd-kit and brute force."""

import numpy as np
import pytest

from activelab import ActiveLabError
from activelab.oracles.aggregation import (
    DawidSkene,
    MajorityVote,
    Votes,
    WeightedVote,
    log_odds_weights,
    to_crowdkit,
)


def simulate(accuracies, n_items=1000, n_classes=3, per_item=None, seed=0):
    """Votes of annotators with symmetric noise; each item labeled by ``per_item`` of them."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, n_classes, n_items)
    items, annotators, labels = [], [], []
    n_ann = len(accuracies)
    for i in range(n_items):
        who = np.arange(n_ann) if per_item is None else rng.choice(n_ann, per_item, replace=False)
        for a in who:
            right = rng.random() < accuracies[a]
            wrong = (truth[i] + rng.integers(1, n_classes)) % n_classes
            items.append(i)
            annotators.append(f"a{a}")
            labels.append(truth[i] if right else wrong)
    return truth, np.array(items), np.array(annotators), np.array(labels)


def naive_majority(items, labels):
    """Counting in plain Python; ties to the smallest label."""
    out = {}
    for item in sorted(set(items.tolist())):
        votes = labels[items == item].tolist()
        best = max(votes.count(v) for v in set(votes))
        out[item] = min(v for v in set(votes) if votes.count(v) == best)
    return out


def test_majority_vote_matches_a_plain_count_with_ties_to_the_smallest_label():
    _, items, annotators, labels = simulate([0.6, 0.5, 0.55, 0.5], n_items=300, seed=3)
    vote = MajorityVote().fit(items, annotators, labels)
    expected = naive_majority(items, labels)
    assert vote.ids_.tolist() == sorted(expected)
    assert vote.labels_.tolist() == [expected[i] for i in vote.ids_.tolist()]
    assert np.allclose(vote.proba_.sum(axis=1), 1.0)


def test_vote_order_does_not_change_the_result():
    _, items, annotators, labels = simulate([0.7, 0.6, 0.8], n_items=200, seed=1)
    order = np.random.default_rng(0).permutation(len(items))
    for agg in (MajorityVote(), DawidSkene()):
        a = agg.fit(items, annotators, labels).proba_.copy()
        b = type(agg)().fit(items[order], annotators[order], labels[order]).proba_
        assert np.allclose(a, b, atol=1e-6)


def test_weighted_vote_equals_majority_with_equal_weights_and_follows_a_heavy_annotator():
    _, items, annotators, labels = simulate([0.7, 0.6, 0.65], n_items=200, seed=2)
    plain = MajorityVote().fit(items, annotators, labels)
    equal = WeightedVote({"a0": 2.0, "a1": 2.0, "a2": 2.0}).fit(items, annotators, labels)
    assert np.array_equal(plain.labels_, equal.labels_)
    heavy = WeightedVote({"a0": 10.0}).fit(items, annotators, labels)
    assert np.array_equal(heavy.labels_, labels[annotators == "a0"])


def test_log_odds_weights_formula():
    w = log_odds_weights({"x": 0.8, "y": 1 / 3}, n_classes=3)
    assert w["x"] == pytest.approx(np.log(0.8 * 2 / 0.2))
    assert w["y"] == pytest.approx(0.0)
    with pytest.raises(ActiveLabError, match="strictly between 0 and 1"):
        log_odds_weights({"z": 1.0}, 2)


def test_dawid_skene_recovers_each_annotators_accuracy_within_005():
    """5 labels per item on 1,000 items, 8 annotators of different skill."""
    accuracies = [0.95, 0.9, 0.8, 0.75, 0.7, 0.65, 0.6, 0.55]
    truth, items, annotators, labels = simulate(accuracies, n_items=1000, per_item=5, seed=0)
    ds = DawidSkene().fit(items, annotators, labels)
    for a, acc in enumerate(accuracies):
        assert abs(ds.accuracy_[f"a{a}"] - acc) <= 0.05, (a, ds.accuracy_[f"a{a}"], acc)


def test_dawid_skene_beats_majority_vote_when_annotators_differ():
    truth, items, annotators, labels = simulate([0.95, 0.6, 0.55, 0.55, 0.5], n_items=1000, seed=4)
    ds = DawidSkene().fit(items, annotators, labels)
    mv = MajorityVote().fit(items, annotators, labels)
    ds_acc = np.mean(ds.labels_ == truth[ds.ids_])
    mv_acc = np.mean(mv.labels_ == truth[mv.ids_])
    assert ds_acc > mv_acc + 0.05, (ds_acc, mv_acc)


def test_dawid_skene_confusions_are_row_stochastic_and_votes_object_works():
    votes = Votes()
    for item, who, label in [(1, "a", "x"), (1, "b", "x"), (2, "a", "y"), (2, "b", "x")]:
        votes.add(item, who, label, cost=1.5)
    ds = DawidSkene().fit(votes)
    assert np.allclose(ds.confusions_.sum(axis=2), 1.0)
    assert ds.label_of([1]).tolist() == ["x"] and votes.total_cost == 6.0
    assert len(votes.of_items([2])) == 2


@pytest.mark.parametrize("bad", [
    ([], [], []),
    ([1, 2], ["a"], [0, 1]),
])
def test_bad_votes_are_refused_with_a_clear_message(bad):
    with pytest.raises(ActiveLabError):
        MajorityVote().fit(*bad)


@pytest.mark.filterwarnings("ignore")  # crowd-kit warns about pandas 3 deprecations
def test_against_crowdkit_majority_vote_and_dawid_skene():
    crowdkit = pytest.importorskip("crowdkit.aggregation")
    truth, items, annotators, labels = simulate([0.9, 0.75, 0.6, 0.55, 0.7], n_items=400,
                                                 per_item=3, seed=5)
    frame = to_crowdkit(items, annotators, labels)
    ck_mv = crowdkit.MajorityVote().fit_predict(frame)
    ours_mv = MajorityVote().fit(items, annotators, labels)
    mv_share = ck_mv.reindex(ours_mv.ids_).to_numpy() == ours_mv.labels_
    # crowd-kit breaks exact ties its own way; everything else must match
    counts = ours_mv.proba_
    tied = (np.sort(counts, axis=1)[:, -1] == np.sort(counts, axis=1)[:, -2])
    assert mv_share[~tied].all()

    ck_ds = crowdkit.DawidSkene(n_iter=100).fit(frame)
    ours_ds = DawidSkene(smoothing=0.0).fit(items, annotators, labels)
    ck_labels = ck_ds.labels_.reindex(ours_ds.ids_).to_numpy()
    assert np.mean(ck_labels == ours_ds.labels_) >= 0.99
    for a in ours_ds.annotators_:
        classes = ours_ds.classes_.tolist()
        # crowd-kit's errors_: rows (worker, answer), columns the true label
        errors = ck_ds.errors_.xs(a, level="worker").reindex(index=classes, columns=classes)
        errors = errors.fillna(0.0).to_numpy()
        ours = ours_ds.confusions_[list(ours_ds.annotators_).index(a)].T
        assert np.allclose(errors, ours, atol=0.03), a
