"""One oracle protocol, label(LabelRequest) -> Answers, asked through oracles.ask everywhere."""

import importlib
import io
import sys
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.svm import SVC

from activelab import ActiveLoop, Pool, SimulatedOracle, strategies
from activelab.oracles import (
    Answers,
    ConsoleOracle,
    FunctionOracle,
    LabelRequest,
    NearestItemOracle,
    Oracle,
    as_oracle,
    ask,
)
from activelab.oracles.noisy import NoisyOracle
from activelab.oracles.panel import Annotator, AnnotatorPanel, AskBest
from activelab.oracles.partial_labels import PairOracle
from activelab.oracles.rationales import WithRationales
from activelab.scenarios.stream import StreamLearner
from activelab.scenarios.synthesis import BoundaryBisection, InputSpace, SynthesisLoop
from activelab.stopping import LabelBudget
from tests.conftest import raises_user_error

X_IRIS, Y_IRIS = load_iris(return_X_y=True)


def iris_pool():
    pool = Pool(X_IRIS)
    pool.add_labels([0, 50, 100], Y_IRIS[[0, 50, 100]])
    return pool


# ---- the request ---------------------------------------------------------------------------


def test_a_request_behaves_like_the_array_of_its_ids():
    request = LabelRequest([4, 7, 9], model="m", pool="p")
    assert len(request) == 3 and list(request) == [4, 7, 9] and request.tolist() == [4, 7, 9]
    assert request[1] == 7 and request[[True, False, True]].tolist() == [4, 9]
    np.testing.assert_array_equal(np.asarray(request), [4, 7, 9])
    assert (np.arange(20) * 10)[request].tolist() == [40, 70, 90]
    assert np.isin(request, [7]).tolist() == [False, True, False]
    assert LabelRequest.of(request) is request and LabelRequest.of([1, 2]).ids.tolist() == [1, 2]
    with raises_user_error("one row per id"):
        LabelRequest([0, 1], points=np.zeros((3, 2)))
    with raises_user_error("one label per id"):
        LabelRequest([0, 1], labels=[0])


# ---- every built-in oracle implements it ------------------------------------------------


def _builtin_oracles():
    y = np.array([0, 1, 1, 0, 1, 0])
    X = np.arange(12, dtype=float).reshape(6, 2)
    pool = Pool(X)
    typed = iter(["0", "1"] * 4)
    console = ConsoleOracle(pool, classes=[0, 1], input=lambda _: next(typed),
                            output=io.StringIO())
    panel = AnnotatorPanel(y, [Annotator("a", 1.0), Annotator("b", 0.8)], random_state=0)
    by_ids = LabelRequest([3, 1])
    by_points = LabelRequest.for_points([[2.1, 3.0], [9.0, 9.0]])
    return [
        ("simulated", SimulatedOracle(y), by_ids, [0, 1]),
        ("console", console, by_ids, [0, 1]),
        ("noisy", NoisyOracle(y, noise=0.0, random_state=0), by_ids, [0, 1]),
        ("panel", panel, by_ids, [0, 1]),
        ("rationales", WithRationales(SimulatedOracle(y), X, y, max_features=1), by_ids, [0, 1]),
        ("pairs", PairOracle(np.eye(6, 3, dtype=int)), LabelRequest([1, 1], labels=[0, 1]), [0, 1]),
        ("function", FunctionOracle(lambda x: int(x[0] > 5)), by_points, [0, 1]),
        ("nearest", NearestItemOracle(X, SimulatedOracle(y)), by_points, [1, 1]),
    ]


@pytest.mark.parametrize("name, oracle, request_, labels", _builtin_oracles(),
                         ids=[o[0] for o in _builtin_oracles()])
def test_every_builtin_oracle_answers_a_label_request(name, oracle, request_, labels):
    assert isinstance(oracle, Oracle)
    answers = ask(oracle, request_)
    assert isinstance(answers, Answers)
    assert answers.ids.tolist() == request_.ids.tolist() and answers.labels.tolist() == labels
    if request_.points is not None:
        assert answers.points is not None and len(answers.points) == len(answers.ids)


def test_builtin_pool_oracles_still_take_bare_ids():
    y = np.array(["cat", "dog", "cat"])
    assert SimulatedOracle(y).label([2, 0]).labels.tolist() == ["cat", "cat"]
    assert NoisyOracle(y, noise=0.0, random_state=0).label(range(2)).labels.tolist() == ["cat", "dog"]
    panel = AnnotatorPanel(y, [Annotator("a", 1.0)], random_state=0)
    assert panel.label(np.array([1])).labels.tolist() == ["dog"]
    assert FunctionOracle(lambda x: x[0]).label([[5.0]]).labels.tolist() == [5.0]


# ---- user oracles and clear errors ----------------------------------------------------------


class IdsOnly:
    """A user oracle written against the old shape: label(ids), np.asarray(ids)."""

    def __init__(self, y):
        self.y = y

    def label(self, ids):
        ids = np.asarray(ids)
        return Answers(ids=ids, labels=self.y[ids])


def test_a_user_oracle_written_as_label_ids_works_in_the_loop_unchanged():
    runs = []
    for oracle in (SimulatedOracle(Y_IRIS), IdsOnly(Y_IRIS)):
        pool = iris_pool()
        ActiveLoop(LogisticRegression(max_iter=500), pool, strategies.get("margin"), oracle,
                   batch_size=4, stopping=[LabelBudget(20)], random_state=0).run()
        runs.append(pool.labeled_ids.tolist())
    assert runs[0] == runs[1] and len(runs[0]) == 20


def test_an_object_without_label_is_a_clear_error_in_every_scenario():
    with raises_user_error(r"^the oracle must have label\(request\) -> Answers; got int$"):
        ask(42, LabelRequest([0]))
    learner = StreamLearner(SGDClassifier(loss="log_loss"), budget=1.0, window=5, classes=[0, 1])
    with raises_user_error(r"must have label\(request\) -> Answers, or be a function .* got int"):
        learner.run([np.ones((2, 2))], oracle=42)
    with raises_user_error(r"must have label\(request\) -> Answers, or be a function .* got str"):
        SynthesisLoop(SVC(), BoundaryBisection(), "oracle", InputSpace([0], [1]))
    with raises_user_error(r"must have label\(request\) -> Answers; got function"):
        NearestItemOracle(np.zeros((2, 1)), lambda ids: ids)


def test_ask_checks_the_answer():
    class Tuple:
        def label(self, request):
            return np.asarray(request), np.zeros(len(request))

    class Short:
        def label(self, request):
            return Answers(ids=np.asarray(request), labels=np.zeros(1))

    class Other:
        def label(self, request):
            return Answers(ids=np.array([99]), labels=np.zeros(1))

    with raises_user_error(r"Tuple.label must return Answers\(ids=..., labels=...\); got tuple"):
        ask(Tuple(), LabelRequest([0, 1]))
    with raises_user_error("gave 1 labels for 2 answered ids"):
        ask(Short(), LabelRequest([0, 1]))
    with raises_user_error(r"answered ids it was not asked about, e.g. \[99\]"):
        ask(Other(), LabelRequest([0, 1]))


# ---- the model reaches a panel through the request ----------------------------------------


class Seeing(AskBest):
    """AskBest that records what each item's context says about the model."""

    def __init__(self):
        self.contexts = []

    def collect(self, panel, item, context):
        self.contexts.append(dict(context))
        super().collect(panel, item, context)


def test_a_panel_sees_the_model_through_the_request():
    pool = iris_pool()
    model = LogisticRegression(max_iter=500).fit(*pool.labeled_data())
    panel = AnnotatorPanel(Y_IRIS, [Annotator("a", 1.0)], chooser=Seeing(), random_state=0)
    ask(panel, LabelRequest([10, 60], model=model, pool=pool))
    expected = model.predict_proba(X_IRIS[[10, 60]])
    assert [c["prediction"] for c in panel.chooser.contexts] == model.predict(X_IRIS[[10, 60]]).tolist()
    assert [c["confidence"] for c in panel.chooser.contexts] == pytest.approx(expected.max(axis=1))
    panel.chooser.contexts.clear()
    ask(panel, LabelRequest([11]))                                   # no model: no context
    assert panel.chooser.contexts == [{}]


def test_the_loop_hands_its_fitted_model_to_a_panel_and_through_a_wrapper():
    panel = AnnotatorPanel(Y_IRIS, [Annotator("a", 1.0)], chooser=Seeing(), random_state=0)
    oracle = WithRationales(panel, X_IRIS, Y_IRIS)
    ActiveLoop(LogisticRegression(max_iter=500), iris_pool(), strategies.get("margin"), oracle,
               batch_size=3, stopping=[LabelBudget(9)], random_state=0).run()
    assert len(panel.chooser.contexts) == 6
    assert all(0 < c["confidence"] <= 1 and "prediction" in c for c in panel.chooser.contexts)


# ---- every scenario asks through ask() ------------------------------------------------------


class Recording:
    """Answers pool ids from y and points by the sign of their first feature; keeps requests."""

    def __init__(self, y=None, wrong=False):
        self.y, self.wrong, self.requests = y, wrong, []

    def label(self, request):
        self.requests.append(request)
        ids = request.ids + 1000 if self.wrong else request.ids
        if request.points is not None:
            return Answers(ids=ids, labels=(request.points[:, 0] > 0.4).astype(int))
        return Answers(ids=ids, labels=self.y[request.ids])


def test_the_pool_loop_the_stream_and_synthesis_all_send_label_requests():
    in_pool, in_stream, in_synthesis = Recording(Y_IRIS), Recording(), Recording()
    pool = iris_pool()
    ActiveLoop(LogisticRegression(max_iter=500), pool, strategies.get("margin"), in_pool,
               batch_size=3, stopping=[LabelBudget(9)], random_state=0).run()
    stream = [np.random.default_rng(s).uniform(0, 1, (5, 2)) for s in range(3)]
    learner = StreamLearner(SGDClassifier(loss="log_loss"), budget=1.0, window=5, classes=[0, 1])
    learner.run(stream, oracle=in_stream)
    SynthesisLoop(SVC(), BoundaryBisection(), in_synthesis, InputSpace([0, 0], [1, 1]),
                  initial=4, random_state=0).run(n_queries=2)
    requests = in_pool.requests + in_stream.requests + in_synthesis.requests
    assert all(isinstance(r, LabelRequest) for r in requests)
    assert len(in_pool.requests) == 2
    assert all(r.pool is pool and r.model is not None and r.points is None for r in in_pool.requests)
    asked = [i for r in in_stream.requests for i in r.ids.tolist()]   # by stream position
    assert len(asked) == learner.history.n_queried > 0 and set(asked) <= set(range(15))
    for r in in_stream.requests:
        np.testing.assert_array_equal(r.points, np.vstack(stream)[r.ids])
    assert len(in_synthesis.requests) >= 3
    assert all(r.points.shape[1] == 2 and r.ids.tolist() == list(range(len(r)))
               for r in in_synthesis.requests)


@pytest.mark.parametrize("scenario", ["pool", "stream", "synthesis"])
def test_every_scenario_checks_the_answer_through_ask(scenario):
    oracle = Recording(Y_IRIS, wrong=True)
    with raises_user_error("answered ids it was not asked about"):
        if scenario == "pool":
            ActiveLoop(LogisticRegression(max_iter=500), iris_pool(), strategies.get("margin"),
                       oracle, batch_size=3, random_state=0).run()
        elif scenario == "stream":
            StreamLearner(SGDClassifier(loss="log_loss"), budget=1.0, window=5,
                          classes=[0, 1]).run([np.ones((2, 2))], oracle=oracle)
        else:
            SynthesisLoop(SVC(), BoundaryBisection(), oracle, InputSpace([0], [1]),
                          random_state=0).run(n_queries=1)


def test_the_stream_puts_labels_answered_out_of_order_back_in_order():
    class Backwards:
        def label(self, request):
            ids = request.ids[::-1]
            return Answers(ids=ids, labels=(ids % 2).astype(int))

    learner = StreamLearner(SGDClassifier(loss="log_loss"), budget=1.0, window=5, classes=[0, 1])
    seen = []
    learner.tell = lambda X, labels, **_: seen.append(np.asarray(labels).tolist())
    learner.run([np.ones((4, 2))], oracle=Backwards())
    assert seen == [[0, 1, 0, 1]]


def test_synthesis_learns_the_asked_points_when_an_oracle_gives_no_rows():
    oracle = Recording()
    loop = SynthesisLoop(SVC(), BoundaryBisection(), oracle, InputSpace([0, 0], [1, 1]),
                         initial=4, random_state=0)
    loop.run(n_queries=2)
    asked = np.vstack([r.points for r in oracle.requests])
    np.testing.assert_array_equal(loop.X, asked)


def test_nearest_item_oracle_passes_on_costs_annotators_and_skips():
    class SkipsOdd:
        def label(self, request):
            keep = np.asarray(request) % 2 == 0
            ids = np.asarray(request)[keep]
            return Answers(ids=ids, labels=ids * 10, costs=np.full(len(ids), 3.0),
                           annotator="ann", skipped=np.asarray(request)[~keep])

    items = np.array([[0.0], [1.0], [2.0]])
    answers = ask(NearestItemOracle(items, SkipsOdd()),
                  LabelRequest.for_points([[0.1], [0.9], [2.2]]))
    assert answers.ids.tolist() == [0, 2] and answers.item_ids.tolist() == [0, 2]
    assert answers.labels.tolist() == [0, 20] and answers.skipped.tolist() == [1]
    assert answers.costs.tolist() == [3.0, 3.0] and answers.annotator_of_each() == ["ann", "ann"]


# ---- the previous release's shapes keep working, with a warning ----------------------------


def test_deprecated_point_and_pair_shapes_still_work():
    with pytest.warns(DeprecationWarning, match="label_points"):
        old = FunctionOracle(lambda x: int(x[0] > 0.5)).label_points(np.array([[0.2], [0.7]]))
    assert old.labels.tolist() == [0, 1] and old.X.tolist() == [[0.2], [0.7]] and old.ids is None
    items = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]])
    nearest = NearestItemOracle(items, SimulatedOracle(["a", "b", "c"], ids=[10, 11, 12]),
                                ids=[10, 11, 12])
    with pytest.warns(DeprecationWarning, match="label_points"):
        old = nearest.label_points(np.array([[1.9, 2.1]]))
    assert old.ids.tolist() == [12] and old.X.tolist() == [[2.0, 2.0]] and old.labels.tolist() == ["c"]
    with pytest.warns(DeprecationWarning, match="label_pairs"):
        values, cost = PairOracle(np.eye(3, dtype=int), 2.0, 0.5).label_pairs([1, 1, 2], [0, 1, 2])
    assert values.tolist() == [0, 1, 1] and cost == 2 * 2.0 + 3 * 0.5


def test_deprecated_model_keywords_and_old_import_paths_still_work():
    pool = iris_pool()
    model = LogisticRegression(max_iter=500).fit(*pool.labeled_data())
    panel = AnnotatorPanel(Y_IRIS, [Annotator("a", 1.0)], chooser=Seeing(), random_state=0)
    with pytest.warns(DeprecationWarning, match="model=..., pool=..."):
        panel.label([10], model=model, pool=pool)
    assert "confidence" in panel.chooser.contexts[0]
    import activelab
    from activelab.oracles import function, nearest, noisy
    from activelab.oracles import panel as panel_module
    from activelab.scenarios import synthesis

    assert activelab.FunctionOracle is synthesis.FunctionOracle is function.FunctionOracle
    assert synthesis.NearestItemOracle is nearest.NearestItemOracle
    assert synthesis.nearest_items is nearest.nearest_items
    sys.modules.pop("activelab.annotators", None)  # an earlier test may have imported it
    with pytest.warns(DeprecationWarning, match="activelab.annotators moved"):
        annotators = importlib.import_module("activelab.annotators")
    assert annotators.NoisyOracle is noisy.NoisyOracle
    assert annotators.AnnotatorPanel is panel_module.AnnotatorPanel
    assert annotators._draw is noisy._draw
    with pytest.warns(DeprecationWarning, match="as_point_oracle"):
        assert isinstance(synthesis.as_point_oracle(lambda x: 0), FunctionOracle)


def test_a_previous_release_point_oracle_still_drives_synthesis():
    class OldStyle:
        def label_points(self, X):
            return synthesis.PointAnswers(X=X, labels=(X[:, 0] > 0.4).astype(int))

    from activelab.scenarios import synthesis

    with pytest.warns(DeprecationWarning, match="label_points"):
        loop = SynthesisLoop(SVC(), BoundaryBisection(), OldStyle(), InputSpace([0, 0], [1, 1]),
                             initial=4, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loop.run(n_queries=3)
    assert len(loop.y) == 7


def test_as_oracle_wraps_functions_only_where_allowed():
    assert isinstance(as_oracle(lambda x: 0, functions=True), FunctionOracle)
    batch = as_oracle(lambda X: np.zeros(len(X)), functions=True, vectorized=True)
    assert batch.vectorized
    with raises_user_error(r"must have label\(request\) -> Answers; got function"):
        as_oracle(lambda ids: ids)


def test_active_loop_refuses_an_object_that_is_no_oracle_at_construction():
    from sklearn.linear_model import LogisticRegression

    from activelab import ActiveLoop, Pool, strategies
    from activelab.errors import ActiveLabError

    with pytest.raises(ActiveLabError, match=r"must have label\(request\) -> Answers; got int"):
        ActiveLoop(LogisticRegression(), Pool(np.zeros((3, 2))), strategies.get("margin"), 5)
