"""Committee: bootstrap samples redrawn every fit, per-member starting sets, and seeds."""

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import load_iris
from sklearn.tree import DecisionTreeClassifier

from activelab import ActiveLabError, ActiveLoop, Pool, strategies
from activelab.models.committee import Committee
from activelab.oracles import SimulatedOracle
from activelab.stopping import LabelBudget

X, Y = load_iris(return_X_y=True)


class Recorder(ClassifierMixin, BaseEstimator):
    """Remembers the rows it was fit on; predicts the class shares it saw."""

    def fit(self, X, y):
        self.seen_ = np.asarray(X).copy()
        self.classes_, counts = np.unique(y, return_counts=True)
        self.shares_ = counts / counts.sum()
        return self

    def predict_proba(self, X):
        return np.tile(self.shares_, (len(X), 1))

    def predict(self, X):
        return self.classes_[np.zeros(len(X), dtype=int)]


def seen_rows_in(seen, data):
    """Positions in ``data`` of the rows seen (iris has duplicate rows: the first match)."""
    return [int(np.flatnonzero((data == row).all(axis=1))[0]) for row in seen]


def seen_rows(member):
    return seen_rows_in(member.seen_, X)


def test_bootstrap_gives_each_member_its_own_sample_redrawn_every_fit():
    rows = np.r_[0:20, 50:70, 100:120]
    committee = Committee([Recorder()] * 3, bootstrap=True, random_state=0)
    committee.fit(X[rows], Y[rows])
    first = [m.seen_ for m in committee.estimators_]
    for seen in first:
        assert len(seen) == 60
        own = np.array(seen_rows_in(seen, X[rows]))
        assert len(np.unique(own)) < 60  # drawn with replacement
        assert np.bincount(Y[rows][own]).tolist() == [20, 20, 20]  # every class keeps its count
    assert not np.array_equal(first[0], first[1])
    committee.fit(X[rows], Y[rows])  # re-bagging: new samples
    assert not np.array_equal(first[0], committee.estimators_[0].seen_)
    plain = Committee([Recorder()] * 2).fit(X[rows], Y[rows])
    assert all(np.array_equal(m.seen_, X[rows]) for m in plain.estimators_)


def test_starting_sets_stay_out_and_later_labels_reach_every_member():
    unique = np.unique(X, axis=0, return_index=True)[1]
    start = np.sort(np.r_[unique[Y[unique] == 0][:10], unique[Y[unique] == 1][:10],
                          unique[Y[unique] == 2][:10]])
    committee = Committee([Recorder()] * 3, start_share=0.5, random_state=1)
    committee.fit(X[start], Y[start])
    kept = [set(seen_rows(m)) for m in committee.estimators_]
    for own in kept:
        assert len(own) == 15 and own <= set(start.tolist())
        assert np.bincount(Y[sorted(own)]).tolist() == [5, 5, 5]
    assert kept[0] != kept[1]
    later = np.setdiff1d(unique, start)[:12]
    both = np.random.default_rng(0).permutation(np.r_[start, later])  # any order
    committee.fit(X[both], Y[both])
    for own, member in zip(kept, committee.estimators_):
        assert set(seen_rows(member)) == own | set(later.tolist())


def test_members_are_seeded_from_the_committee_and_the_loop():
    committee = Committee([DecisionTreeClassifier(), DecisionTreeClassifier(random_state=9)],
                          random_state=5).fit(X[::3], Y[::3])
    assert [m.random_state for m in committee.estimators_] == [5, 9]

    def run(seed):
        pool = Pool(X)
        pool.add_labels([0, 50, 100], Y[[0, 50, 100]])
        model = Committee([DecisionTreeClassifier(max_features=2)] * 4, bootstrap=True)
        loop = ActiveLoop(model, pool, strategies.get("vote_entropy"), SimulatedOracle(Y),
                          batch_size=5, stopping=[LabelBudget(30)], random_state=seed)
        loop.run()
        return pool.labeled_ids.tolist(), model.predict_proba(X), model.random_state

    ids_a, proba_a, seed_a = run(3)
    ids_b, proba_b, _ = run(3)
    assert seed_a == 3
    assert ids_a == ids_b
    np.testing.assert_array_equal(proba_a, proba_b)
    ids_c, proba_c, _ = run(4)
    assert ids_c != ids_a or not np.array_equal(proba_c, proba_a)


def test_bad_options_are_refused():
    with pytest.raises(ActiveLabError, match="start_share"):
        Committee([Recorder()], start_share=1.5).fit(X[:10], Y[:10])
    with pytest.raises(ActiveLabError, match="bootstrap"):
        Committee([Recorder()], bootstrap="yes").fit(X[:10], Y[:10])
