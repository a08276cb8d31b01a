"""One lookup helper for every catalogue, and one definition of entropy, random keys and metric lookup."""

import ast
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from scipy.stats import entropy as scipy_entropy
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

import activelab
from activelab import ActiveLoop, Pool, TargetScore, strategies
from activelab.errors import ActiveLabError
from activelab.registry import Registry, did_you_mean, snake_case

PACKAGE = Path(activelab.__file__).parent


def shapes() -> Registry:
    registry = Registry("shape", normalise=snake_case)
    registry.add("unit_square", "square!", aliases=["square"])
    registry.add("circle", "circle!")
    return registry


# ---- the Registry


def test_lookup_resolves_spelling_and_aliases():
    registry = shapes()
    assert registry.lookup("Unit-Square") == "square!"
    assert registry.lookup(" SQUARE ") == "square!"
    assert registry.canonical("square") == "unit_square"
    assert "square" in registry and "Circle" in registry and "triangle" not in registry
    assert 3 not in registry
    assert registry["square"] == "square!"
    with pytest.raises(KeyError):
        registry["triangle"]


def test_an_unknown_name_suggests_the_closest_and_lists_them_all():
    with pytest.raises(ActiveLabError) as caught:
        shapes().lookup("circel")
    assert str(caught.value) == (
        "unknown shape 'circel' (did you mean 'circle'?); available: circle, unit_square"
    )
    with pytest.raises(ActiveLabError, match=r"^unknown shape 'hexagon'; available: "):
        shapes().lookup("hexagon")


def test_a_close_alias_suggests_the_name_it_stands_for():
    assert shapes().hint("squar") == " (did you mean 'unit_square'?)"


def test_listing_is_sorted_or_in_registration_order_without_aliases():
    assert shapes().available() == ["circle", "unit_square"]
    ordered = Registry("box", sort=False, listing="choose one of", note="the boxes")
    ordered.add("b", 1)
    ordered.add("a", 2)
    assert ordered.available() == ["b", "a"] and list(ordered) == ["b", "a"] and len(ordered) == 2
    with pytest.raises(ActiveLabError, match=r"; choose one of: b, a \(the boxes\)$"):
        ordered.lookup("c")


def test_a_name_or_alias_is_taken_once():
    registry = shapes()
    registry.add("circle", registry["circle"])  # the same object again is fine (a reload)
    with pytest.raises(ActiveLabError, match="shape name 'circle' is already taken"):
        registry.add("circle", "another circle")
    with pytest.raises(ActiveLabError, match="shape name 'square' is already taken"):
        registry.add("box", "box!", aliases=["square"])


def test_register_decorates_and_create_reports_bad_parameters():
    registry = Registry("widget")

    @registry.register("knob", aliases=["dial"])
    class Knob:
        def __init__(self, turns=1):
            self.turns = turns

    assert registry.create("dial", turns=3).turns == 3
    assert registry.name_of(Knob) == "knob" and registry.name_of(object) is None
    with pytest.raises(ActiveLabError, match="widget 'knob' does not take those parameters"):
        registry.create("knob", colour="red")


def test_did_you_mean_is_empty_when_nothing_is_close():
    assert did_you_mean("zzz", ["margin"]) == ""
    assert did_you_mean("margn", ["margin"]) == " (did you mean 'margin'?)"


def test_every_catalogue_is_a_registry():
    from activelab.bench.synthesis_bench import BLACK_BOXES, METHODS
    from activelab.data.datasets import BUNDLED
    from activelab.models.catalog import TASK_MODELS
    from activelab.scenarios.stream_rules import RULES
    from activelab.scenarios.synthesis import GENERATORS
    from activelab.stopping import STOPPING_RULES
    from activelab.strategies.registry import STRATEGIES
    from activelab.training import TRAINING_POLICIES

    catalogues = [STRATEGIES, RULES, BUNDLED, METHODS, BLACK_BOXES, GENERATORS,
                  TRAINING_POLICIES, STOPPING_RULES, *TASK_MODELS.values()]
    assert all(isinstance(catalogue, Registry) for catalogue in catalogues)
    assert set(STRATEGIES.available()) == set(strategies.available())


def test_one_did_you_mean_in_the_package():
    """difflib and the "did you mean" wording live in activelab/registry.py only."""
    places = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            imported = isinstance(node, (ast.Import, ast.ImportFrom)) and any(
                "difflib" in (alias.name or "") for alias in node.names
            ) or (isinstance(node, ast.ImportFrom) and node.module == "difflib")
            worded = isinstance(node, ast.Constant) and isinstance(node.value, str) and (
                "did you mean" in node.value and ">>>" not in node.value  # doctests show it
            )
            if imported or worded:
                places.append(path.relative_to(PACKAGE).as_posix())
    assert set(places) == {"registry.py"}, places


# ---- the catalogues keep their messages


def test_the_catalogues_suggest_names():
    from activelab.data.datasets import load
    from activelab.models.catalog import make_model
    from activelab.scenarios.stream import stream_rule

    with pytest.raises(ActiveLabError, match=r"unknown strategy 'margn' \(did you mean 'margin'\?\)"):
        strategies.get("margn")
    with pytest.raises(ActiveLabError, match=r"did you mean 'randomized_variable_uncertainty'"):
        stream_rule("randomised_variable_uncertanty")
    with pytest.raises(ActiveLabError, match=r"named 'irsi' \(did you mean 'iris'\?\)"):
        load("irsi")
    with pytest.raises(ActiveLabError, match=r"unknown model 'svc' \(did you mean 'svm'\?\)"):
        make_model("svc", 0)


# ---- one random sampling


def test_the_stream_rule_random_draws_the_pool_baselines_keys():
    from activelab.scenarios import stream
    from activelab.scenarios.stream_rules import RandomRule
    from activelab.selection.topk import id_ranks
    from activelab.strategies.random_sampling import RandomSampling, random_keys

    assert stream.RandomSampling is RandomRule and stream.stream_rule("random").__class__ is RandomRule
    assert RandomRule is not RandomSampling
    rule = RandomRule(probability=0.3)
    rule.start(0.3)
    rng = np.random.default_rng(7)
    decided = [rule.decide(None, 0.5, True, rng) for _ in range(200)]
    assert decided == (random_keys(200, np.random.default_rng(7)) < 0.3).tolist()
    pool = Pool(np.zeros((50, 1)), ids=np.arange(50)[::-1])
    scores = RandomSampling().query(None, pool, 50, random_state=3).scores
    keys = random_keys(50, np.random.default_rng(3))[id_ranks(pool.unlabeled_ids)]
    assert sorted(scores.tolist()) == sorted(keys.tolist())


# ---- one entropy


def test_one_entropy_matches_scipy_on_rows_and_samples():
    from activelab import outputs, stopping, training
    from activelab.strategies import deep, uncertainty

    assert uncertainty.entropy is outputs.entropy and training.entropy is outputs.entropy
    assert deep.entropy is outputs.entropy
    assert "def entropy" not in Path(stopping.__file__).read_text()
    proba = np.random.default_rng(0).dirichlet(np.ones(4), size=30)
    proba[0] = [1, 0, 0, 0]
    np.testing.assert_allclose(outputs.entropy(proba), scipy_entropy(proba.T), atol=1e-15)
    samples = np.random.default_rng(1).dirichlet(np.ones(3), size=(10, 5))
    np.testing.assert_allclose(deep.expected_entropy(samples),
                               scipy_entropy(samples, axis=2).mean(axis=1))
    np.testing.assert_allclose(deep.predictive_entropy(samples),
                               scipy_entropy(samples.mean(axis=1), axis=1))


# ---- one metric resolver


def test_the_loop_and_target_score_resolve_metrics_the_same_way():
    from activelab import loop as loop_module
    from activelab import stopping
    from activelab.metrics import resolve_metric

    assert not hasattr(loop_module, "_scorer") and not hasattr(stopping, "_scorer")
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ActiveLabError) as from_loop:
        ActiveLoop(LogisticRegression(max_iter=1000), Pool(X), strategies.get("margin"), metrics=["acuracy"])
    with pytest.raises(ActiveLabError) as from_resolver:
        resolve_metric("acuracy")
    assert str(from_loop.value) == str(from_resolver.value)
    assert str(from_loop.value).startswith("unknown metric 'acuracy' (did you mean 'accuracy'?)")

    fitted_loop = SimpleNamespace(history=[SimpleNamespace(model_fitted=True)],
                                  model=LogisticRegression(max_iter=1000).fit(X, y))
    with pytest.raises(ActiveLabError) as from_rule:
        TargetScore(0.5, metric="acuracy", validation=(X, y)).score(fitted_loop)
    assert str(from_rule.value) == str(from_resolver.value)

    def kappa(model, X, y):
        return 1.0

    assert resolve_metric(kappa) == ("kappa", kappa)
    name, scorer = resolve_metric("accuracy")
    model = LogisticRegression(max_iter=1000).fit(X, y)
    assert name == "accuracy" and scorer(model, X, y) == model.score(X, y)


# ---- one set of combine helpers


def test_wrappers_share_the_public_combine_helpers():
    from activelab.strategies import combine, cost_sensitive, hybrid, unsure

    for module in (hybrid, cost_sensitive, unsure):
        assert module.normalised is combine.normalised
        assert module.check_choice is combine.check_choice
    assert cost_sensitive.wrapped_scorer is combine.wrapped_scorer is unsure.wrapped_scorer
    for module in (hybrid, cost_sensitive, unsure):
        source = Path(module.__file__).read_text()
        assert "def _normalised" not in source and "def _check_choice" not in source


def test_the_bench_and_the_server_name_training_policies_from_one_registry():
    from activelab.bench.runner import BenchSettings
    from activelab.server.project_loop import build_loop
    from activelab.store import ProjectSettings
    from activelab.training import TRAINING_POLICIES, SelfTraining

    with pytest.raises(ActiveLabError, match="unknown training policy 'sef_training' "
                                             r"\(did you mean 'self_training'\?\)"):
        BenchSettings(data="iris", strategies=("margin",), training="sef_training")
    settings = ProjectSettings(labels=("a", "b"), training="self-training")
    loop = build_loop(settings, np.eye(4), np.arange(4))
    assert type(loop.training) is TRAINING_POLICIES.lookup("self_training") is SelfTraining
