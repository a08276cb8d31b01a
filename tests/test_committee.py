"""Committees and query by committee against naive per-item loops written here."""

import math

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from conftest import raises_user_error
from sklearn.datasets import load_iris
from sklearn.ensemble import BaggingClassifier, RandomForestClassifier, VotingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.svm import LinearSVC

from activelab import ModelOutputs, Pool, strategies
from activelab.models.committee import Committee, committee_members
from activelab.strategies.committee import ConsensusEntropy, MaxDisagreement, VoteEntropy
from activelab.testing import check_strategy

X, Y = load_iris(return_X_y=True)
NAMES = np.array(["setosa", "versicolor", "virginica"])[Y]
LABELED = [0, 1, 2, 50, 51, 52, 100, 101, 102]


def _pool(X=X, y=Y, labeled=LABELED):
    pool = Pool(X)
    pool.add_labels(labeled, np.asarray(y)[labeled])
    return pool


def _entropy(shares):
    return -sum(p * math.log(p) for p in shares if p > 0)


def _ranking(ids, scores, k):
    return [i for _, i in sorted(zip(-np.asarray(scores), ids))][:k]


def _by_hand_member_probas(bagging, rows):
    """Each member on its own feature subset, its columns put where its classes say."""
    out = []
    for estimator, features in zip(bagging.estimators_, bagging.estimators_features_):
        full = np.zeros((len(rows), len(bagging.classes_)))
        own = estimator.predict_proba(rows[:, features])
        for j, position in enumerate(estimator.classes_):
            full[:, int(position)] = own[:, j]
        out.append(full)
    return out


def test_committee_fits_clones_and_averages_two_model_types():
    models = [LogisticRegression(max_iter=500), GaussianNB()]
    committee = Committee(models).fit(X[LABELED], NAMES[LABELED])
    assert not hasattr(models[0], "coef_") and not hasattr(models[1], "theta_")
    assert [type(e) for e in committee.estimators_] == [LogisticRegression, GaussianNB]
    assert committee.classes_.tolist() == ["setosa", "versicolor", "virginica"]
    lr = LogisticRegression(max_iter=500).fit(X[LABELED], NAMES[LABELED])
    nb = GaussianNB().fit(X[LABELED], NAMES[LABELED])
    mean = (lr.predict_proba(X) + nb.predict_proba(X)) / 2
    assert np.allclose(committee.predict_proba(X), mean)
    assert committee.predict(X).tolist() == committee.classes_[mean.argmax(axis=1)].tolist()


def test_a_committee_member_without_predict_proba_votes_one_hot():
    committee = Committee([LinearSVC(random_state=0), GaussianNB()]).fit(X[LABELED], Y[LABELED])
    svc = LinearSVC(random_state=0).fit(X[LABELED], Y[LABELED])
    nb = GaussianNB().fit(X[LABELED], Y[LABELED])
    expected = (np.eye(3)[svc.predict(X)] + nb.predict_proba(X)) / 2
    assert np.allclose(committee.predict_proba(X), expected)


def test_committee_refuses_no_models_and_an_unfitted_query():
    with raises_user_error("non-empty list of models"):
        Committee([]).fit(X, Y)
    with raises_user_error("not fitted"):
        ConsensusEntropy().query(Committee([GaussianNB()]), _pool(), 3)


def test_bagging_members_see_their_own_feature_subsets():
    bagging = BaggingClassifier(
        LogisticRegression(max_iter=500), n_estimators=6, max_features=0.5, random_state=3
    ).fit(X[LABELED], Y[LABELED])
    assert any(len(f) < X.shape[1] for f in bagging.estimators_features_)
    pool = _pool()
    outputs = ModelOutputs(bagging, pool)
    rows = X[pool.unlabeled_ids]
    by_hand = _by_hand_member_probas(bagging, rows)
    ConsensusEntropy().query(bagging, pool, 5, outputs=outputs)
    for i, expected in enumerate(by_hand):
        assert np.allclose(outputs.of_items(f"member{i}_proba", None), expected)
    assert np.allclose(np.mean(by_hand, axis=0), bagging.predict_proba(rows))


def test_a_member_that_never_saw_a_class_gets_a_zero_column():
    labels = np.array(["a", "b", "c"])[Y]
    bagging = BaggingClassifier(
        KNeighborsClassifier(n_neighbors=1), n_estimators=8, max_samples=4, random_state=0
    ).fit(X[LABELED], labels[LABELED])
    members = committee_members(bagging)
    short = [m for m in members if len(m.estimator.classes_) < 3]
    assert short, "the fixture must hold a member that missed a class"
    for member in short:
        missing = sorted(set(range(3)) - {int(c) for c in member.estimator.classes_})
        present = [int(c) for c in member.estimator.classes_]
        assert np.all(member.proba(X)[:, missing] == 0)
        assert np.allclose(member.proba(X)[:, present], member.estimator.predict_proba(X))
    consensus = np.mean([m.proba(X) for m in members], axis=0)
    assert np.allclose(consensus, bagging.predict_proba(X))


def test_any_object_with_estimators_works_and_its_members_align_by_label():
    class HandMadeEnsemble:
        pass

    two = [i for i in LABELED if NAMES[i] != "versicolor"]
    ensemble = HandMadeEnsemble()
    ensemble.classes_ = np.array(["setosa", "versicolor", "virginica"])
    ensemble.estimators_ = [
        GaussianNB().fit(X[two], NAMES[two]),
        GaussianNB().fit(X[LABELED], NAMES[LABELED]),
    ]
    first, second = committee_members(ensemble)
    assert np.all(first.proba(X)[:, 1] == 0)
    assert np.allclose(first.proba(X)[:, [0, 2]], ensemble.estimators_[0].predict_proba(X))
    assert np.allclose(second.proba(X), ensemble.estimators_[1].predict_proba(X))
    assert set(first.vote(X).tolist()) <= {0, 2}
    query = MaxDisagreement().query(ensemble, _pool(y=NAMES), 4)
    assert len(query.ids) == 4


def test_voting_and_forest_members_are_aligned_to_the_ensemble_classes():
    voting = VotingClassifier(
        [("lr", LogisticRegression(max_iter=500)), ("nb", GaussianNB())], voting="soft"
    ).fit(X[LABELED], NAMES[LABELED])
    members = committee_members(voting)
    assert np.allclose(np.mean([m.proba(X) for m in members], axis=0), voting.predict_proba(X))
    assert [m.vote(X[:3]).tolist() for m in members] == [[0, 0, 0], [0, 0, 0]]
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(4)])
    pool = Pool(frame)
    pool.add_labels(LABELED, NAMES[LABELED])
    forest = RandomForestClassifier(n_estimators=7, random_state=0).fit(*pool.labeled_data())
    outputs = ModelOutputs(forest, pool)
    ConsensusEntropy().query(forest, pool, 3, outputs=outputs)
    consensus = outputs.derived("committee_consensus", None)
    assert np.allclose(consensus, forest.predict_proba(frame.iloc[pool.positions(outputs.ids)]))


def _bagging_pool():
    pool = _pool()
    bagging = BaggingClassifier(
        LogisticRegression(max_iter=500), n_estimators=7, max_features=0.75, random_state=1
    ).fit(*pool.labeled_data())
    return bagging, pool


def test_vote_entropy_counts_the_votes_by_hand():
    bagging, pool = _bagging_pool()
    unlabeled = pool.unlabeled_ids
    rows = X[unlabeled]
    votes = [
        estimator.predict(rows[:, features])
        for estimator, features in zip(bagging.estimators_, bagging.estimators_features_)
    ]
    expected = []
    for j in range(len(rows)):
        counts = {}
        for vote in votes:
            counts[int(vote[j])] = counts.get(int(vote[j]), 0) + 1
        expected.append(_entropy([c / len(votes) for c in counts.values()]))
    assert max(expected) > 0
    query = VoteEntropy().query(bagging, pool, 12)
    assert query.ids.tolist() == _ranking(unlabeled, expected, 12)
    assert np.allclose(query.scores, np.sort(expected)[::-1][:12])


def test_consensus_entropy_and_kl_disagreement_by_hand():
    bagging, pool = _bagging_pool()
    unlabeled = pool.unlabeled_ids
    probas = _by_hand_member_probas(bagging, X[unlabeled])
    consensus_entropy, disagreement = [], []
    for j in range(len(unlabeled)):
        consensus = [sum(p[j, c] for p in probas) / len(probas) for c in range(3)]
        consensus_entropy.append(_entropy(consensus))
        kl = [
            sum(p[j, c] * math.log(p[j, c] / consensus[c]) for c in range(3) if p[j, c] > 0)
            for p in probas
        ]
        disagreement.append(sum(kl) / len(kl))
    for strategy, expected in [(ConsensusEntropy(), consensus_entropy), (MaxDisagreement(), disagreement)]:
        query = strategy.query(bagging, pool, 12)
        assert query.ids.tolist() == _ranking(unlabeled, expected, 12)
        assert np.allclose(query.scores, np.sort(expected)[::-1][:12])


def test_committee_strategies_compute_each_member_once_per_round():
    bagging, pool = _bagging_pool()
    outputs = ModelOutputs(bagging, pool, chunk_size=16)
    calls = []
    for estimator in bagging.estimators_:
        original = estimator.predict_proba

        def counted(rows, _original=original):
            calls.append(len(rows))
            return _original(rows)

        estimator.predict_proba = counted
    ConsensusEntropy().query(bagging, pool, 5, outputs=outputs)
    MaxDisagreement().query(bagging, pool, 5, outputs=outputs)
    assert sum(calls) == len(bagging.estimators_) * pool.n_unlabeled
    assert max(calls) <= 16


def test_committee_strategies_work_on_sparse_pools_with_string_labels():
    pool = Pool(sp.csr_matrix(X))
    pool.add_labels(LABELED, NAMES[LABELED])
    bagging = BaggingClassifier(
        LogisticRegression(max_iter=500), n_estimators=5, max_features=0.5, random_state=0
    ).fit(*pool.labeled_data())
    dense_pool = _pool(y=NAMES)
    for strategy in (VoteEntropy(), ConsensusEntropy(), MaxDisagreement()):
        assert np.array_equal(
            strategy.query(bagging, pool, 6).ids, strategy.query(bagging, dense_pool, 6).ids
        )


def test_a_model_without_estimators_is_refused():
    model = LogisticRegression(max_iter=500).fit(X[LABELED], Y[LABELED])
    for strategy in (VoteEntropy(), ConsensusEntropy(), MaxDisagreement()):
        with raises_user_error("estimators_"):
            strategy.query(model, _pool(), 3)
    with raises_user_error("not fitted"):
        VoteEntropy().query(BaggingClassifier(LogisticRegression()), _pool(), 3)


@pytest.mark.parametrize("name", ["vote_entropy", "consensus_entropy", "max_disagreement"])
def test_committee_strategies_keep_the_contract(name):
    check_strategy(strategies.get(name))
