"""The stream and synthesis learners train and stop through the pool loop's own pieces."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.naive_bayes import GaussianNB
from sklearn.svm import SVC

from activelab import ActiveLoop, Pool, SimulatedOracle, strategies
from activelab.data.streams import rotating_hyperplane
from activelab.scenarios.stream import StreamLearner
from activelab.scenarios.synthesis import BoundaryBisection, InputSpace, SynthesisLoop
from activelab.stopping import (
    LabelBudget,
    OverallUncertainty,
    StabilizingPredictions,
    TargetScore,
)
from activelab.training import FullRefit, Incremental, SelfTraining, TrainingContext
from tests.conftest import raises_user_error


class Recording(FullRefit):
    """A full refit that notes what each fit was given."""

    def __init__(self) -> None:
        self.calls: list[dict] = []

    def train(self, model, X, y, context):
        new_X, new_y = context.new_labels()
        self.calls.append({"n": len(y), "new_y": new_y.tolist(), "new_X": np.asarray(new_X),
                           "n_fits": context.n_fits, "X": np.asarray(X),
                           "y": np.asarray(y)})
        return super().train(model, X, y, context)


def line(x):
    return int(x[0] > 0.3)


def test_a_stream_learner_trains_through_the_policy_it_is_given():
    policy = Recording()
    learner = StreamLearner(LogisticRegression(), "variable_uncertainty", budget=0.1,
                            training=policy, window_labels=30, refit_every=4, random_state=0)
    batches = list(rotating_hyperplane(3000, n_features=3, random_state=2))
    learner.run(batches)
    assert learner.policy is policy and len(policy.calls) > 5
    assert [c["n_fits"] for c in policy.calls] == list(range(len(policy.calls)))
    assert all(c["n"] <= 30 for c in policy.calls)                # the labels it keeps
    assert all(len(c["new_y"]) >= 4 for c in policy.calls[1:])    # refit_every new labels
    last = policy.calls[-1]
    np.testing.assert_array_equal(last["new_X"], last["X"][-len(last["new_y"]):])
    reference = LogisticRegression().fit(last["X"], last["y"])
    np.testing.assert_allclose(learner.model.coef_, reference.coef_)


def test_training_partial_fit_is_incremental_with_the_classes_known_up_front():
    learner = StreamLearner(SGDClassifier(random_state=0), classes=[0, 1])
    assert isinstance(learner.policy, Incremental)
    assert learner.policy.classes.tolist() == [0, 1]
    learner.tell(np.ones((1, 2)), [1])            # one label of one class is enough to start
    assert learner.fitted and learner.model.classes_.tolist() == [0, 1]
    window = StreamLearner(LogisticRegression(), training="window")
    assert type(window.policy) is FullRefit


def test_incremental_with_classes_starts_a_pool_loop_from_one_label():
    X = np.random.default_rng(0).normal(size=(60, 2))
    y = (X[:, 0] > 0).astype(int)
    pool = Pool(X)
    pool.add_labels([0], y[[0]])
    loop = ActiveLoop(SGDClassifier(loss="log_loss", random_state=0), pool,
                      strategies.get("entropy"), SimulatedOracle(y),
                      batch_size=4, stopping=[LabelBudget(9)],
                      training=Incremental("partial_fit", classes=[0, 1]), random_state=0)
    history = loop.run()
    assert history[0].model_fitted                 # can_fit alone would wait for two classes
    assert [r.info["training"] for r in history] == ["partial_fit"] * 3
    with raises_user_error("label 5 is not one of classes=\\[0, 1\\]"):
        loop.tell([50], [5])
        loop.ask()


class Broken(SVC):
    def fit(self, X, y):
        raise ValueError("the solver diverged")


def test_every_learner_reports_a_failed_fit_the_same_way():
    X = np.array([[0.0, 0.0], [1.0, 1.0], [0.2, 0.1], [0.9, 0.8]])
    y = np.array([0, 1, 0, 1])
    pool = Pool(X)
    pool.add_labels([0, 1], y[:2])
    with raises_user_error("fitting Broken on 2 labels failed: the solver diverged"):
        ActiveLoop(Broken(), pool, strategies.get("margin")).ask()
    stream = StreamLearner(Broken(), training="window")
    with raises_user_error("fitting Broken on 2 labels failed: the solver diverged"):
        stream.tell(X[:2], y[:2])
    assert stream._kept_y is None                   # a tell whose fit failed leaves no trace
    synthesis = SynthesisLoop(Broken(), BoundaryBisection(), line, InputSpace([0, 0], [1, 1]))
    with raises_user_error("fitting Broken on 2 labels failed: the solver diverged"):
        synthesis.tell(X[:2], y[:2])


def test_a_synthesis_loop_trains_through_the_policy_it_is_given():
    policy = Recording()
    loop = SynthesisLoop(SVC(C=10), BoundaryBisection(), line, InputSpace([0, 0], [1, 1]),
                         initial=4, training=policy, random_state=0)
    loop.run(n_queries=6)
    assert loop.training is policy
    first = next(i for i, c in enumerate(policy.calls) if c["n_fits"] == 0)
    assert policy.calls[first]["n"] == len(policy.calls[first]["new_y"])  # all labels, first fit
    assert all(len(c["new_y"]) == 1 for c in policy.calls[first + 1:])     # then each new point
    np.testing.assert_array_equal(policy.calls[-1]["new_X"], loop.X[-1:])
    incremental = SynthesisLoop(GaussianNB(), BoundaryBisection(), line,
                                InputSpace([0, 0], [1, 1]), initial=4,
                                training=Incremental("partial_fit"), random_state=0)
    incremental.run(n_queries=10)
    counts = incremental.model.class_count_.sum()
    assert counts == len(incremental.y)              # every point learned once, by updates


def test_a_synthesis_loop_stops_through_stopping_rules():
    space = InputSpace([0, 0], [1, 1])
    loop = SynthesisLoop(SVC(C=10), BoundaryBisection(), line, space, initial=4, batch_size=4,
                         stopping=[LabelBudget(10)], random_state=0)
    history = loop.run(n_queries=50)
    assert [r.n_labeled for r in history] == [4, 8, 10]       # the budget caps the last batch
    assert loop.stop_reason == "label budget of 10 reached"
    rng = np.random.default_rng(1)
    X_val = rng.uniform(0, 1, (300, 2))
    y_val = (X_val[:, 0] > 0.3).astype(int)
    stable = StabilizingPredictions(threshold=0.9, window=2, stop_set=X_val)
    loop = SynthesisLoop(SVC(C=10), BoundaryBisection(), line, space, initial=4,
                         stopping=[TargetScore(0.99, validation=(X_val, y_val)), stable],
                         random_state=0)
    loop.run(n_queries=60)
    assert loop.n_calls < 64 and len(stable.kappas_) >= 1
    assert "reached the target" in loop.stop_reason or "stabilized" in loop.stop_reason
    with raises_user_error("reads 'pool', which a SynthesisLoop does not have"):
        SynthesisLoop(LogisticRegression(C=100), BoundaryBisection(), line, space, initial=4,
                      stopping=[OverallUncertainty(0.1)], random_state=0).run(n_queries=4)
    with raises_user_error("stopping must hold activelab StoppingRules"):
        SynthesisLoop(SVC(), BoundaryBisection(), line, space, stopping=[10])


def test_a_training_context_without_a_pool_needs_the_new_labels():
    context = TrainingContext(pool=None, new_ids=np.arange(2))
    with raises_user_error("give the TrainingContext a pool or new_X and new_y"):
        context.new_labels()
    learner = StreamLearner(LogisticRegression(), training=SelfTraining())
    with raises_user_error("SelfTraining pseudo-labels items of an unlabeled pool"):
        learner.tell(np.array([[0.0, 1.0], [1.0, 0.0]]), [0, 1])


@pytest.mark.parametrize("training", ["partial_fit", "window"])
def test_the_string_trainings_are_what_they_were(training):
    """The library policies reproduce the learner's own former fit code, label for label."""
    batches = list(rotating_hyperplane(2000, n_features=3, chunk_size=25, random_state=4))
    model = SGDClassifier(loss="log_loss", random_state=0) if training == "partial_fit" \
        else LogisticRegression()
    learner = StreamLearner(model, "split", budget=0.1, window=200, classes=[0, 1],
                            training=training, window_labels=40, refit_every=3, random_state=5)
    learner.run(batches)
    X_all = np.vstack([b[0] for b in batches])
    y_all = np.concatenate([b[1] for b in batches])
    queried = np.asarray(learner.history.queried)
    if training == "partial_fit":
        by_hand = SGDClassifier(loss="log_loss", random_state=0)
        for batch in np.unique(queried // 25):       # one tell per batch of 25 items
            told = queried[queried // 25 == batch]
            by_hand.partial_fit(X_all[told], y_all[told], classes=[0, 1])
    else:
        last = queried[-40:]
        by_hand = LogisticRegression().fit(X_all[last], y_all[last])
    if training == "window" and learner._since_fit:
        pytest.skip("the last labels came after the last scheduled refit")
    np.testing.assert_allclose(learner.model.coef_, by_hand.coef_)
