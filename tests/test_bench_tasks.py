"""The bench on regression and multi-label data: tasks, models, metrics and the report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import raises_user_error
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, f1_score, mean_squared_error, r2_score
from sklearn.model_selection import train_test_split
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import activelab.strategies.multilabel  # noqa: F401  (registers br_uncertainty, mmc, ...)
import activelab.strategies.regression  # noqa: F401  (registers emcm, qbc_variance, ...)
from activelab.bench.metrics import aulc, mean_curve
from activelab.bench.report import columns, headline, markdown_summary, write_outputs
from activelab.bench.runner import TARGET_FRACTION, BenchSettings, run_bench
from activelab.cli import main
from activelab.data.datasets import Dataset, detect_task, load
from activelab.models.catalog import TASK_MODELS, make_model

SMALL = {"initial": 10, "budget": 40, "batch_size": 10, "repeats": 2, "seed": 0}


def check_schema(results: dict[str, Any], task: str, metric: str, secondary: list[str]) -> None:
    """The documented results.json keys for ``metric``, each summary recomputable."""
    assert results["task"] == task == results["settings"]["task"]
    assert results["metric"] == metric
    assert results["secondary_metrics"] == secondary
    repeats = results["settings"]["repeats"]
    for name in [metric, *secondary]:
        full = results[f"full_data_{name}"]
        assert set(full) == {"per_repeat", "mean", "std"} and len(full["per_repeat"]) == repeats
    assert results[f"target_{metric}"] == pytest.approx(
        TARGET_FRACTION * results[f"full_data_{metric}"]["mean"]
    )
    grid = list(range(results["settings"]["initial"], results["settings"]["budget"] + 1,
                      results["settings"]["batch_size"]))
    for entry in results["strategies"].values():
        curves = [np.array(c) for c in entry["curves"]]
        assert all(c[:, 0].tolist() == grid for c in curves)
        assert entry["aulc"]["per_repeat"] == pytest.approx([aulc(c) for c in curves])
        assert entry[f"final_{metric}"]["per_repeat"] == pytest.approx([c[-1, 1] for c in curves])
        np.testing.assert_allclose(entry["mean_curve"], mean_curve(curves))
        if not secondary:
            assert "secondary_curves" not in entry
        for name in secondary:
            others = [np.array(c) for c in entry["secondary_curves"][name]]
            assert all(c[:, 0].tolist() == grid for c in others)
            assert entry[f"final_{name}"]["per_repeat"] == pytest.approx(
                [c[-1, 1] for c in others]
            )
    json.loads(json.dumps(results))  # plain JSON


def plain_split(dataset: Dataset, repeat: int) -> tuple[Any, ...]:
    return train_test_split(dataset.X, dataset.y, test_size=0.25, random_state=repeat)


# --- regression -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def friedman_results() -> dict[str, Any]:
    return run_bench(load("friedman"),
                     BenchSettings(data="friedman", strategies=["emcm", "random"], **SMALL))


def test_regression_bench_records_r2_and_rmse(friedman_results: dict[str, Any]) -> None:
    check_schema(friedman_results, "regression", "r2", ["rmse"])
    assert friedman_results["settings"]["model"] == "ridge"  # the regression default
    assert friedman_results["data"]["n_classes"] is None
    for entry in friedman_results["strategies"].values():
        assert all(p[1] > 0 for c in entry["secondary_curves"]["rmse"] for p in c)
        assert all(p[1] <= 1 for c in entry["curves"] for p in c)


def test_regression_full_data_scores_match_an_independent_plain_split_fit(
    friedman_results: dict[str, Any],
) -> None:
    dataset = load("friedman")
    for repeat in range(2):
        X_train, X_test, y_train, y_test = plain_split(dataset, repeat)
        predicted = make_pipeline(StandardScaler(), Ridge()).fit(X_train, y_train).predict(X_test)
        assert friedman_results["full_data_r2"]["per_repeat"][repeat] == pytest.approx(
            r2_score(y_test, predicted))
        assert friedman_results["full_data_rmse"]["per_repeat"][repeat] == pytest.approx(
            np.sqrt(mean_squared_error(y_test, predicted)))


def test_regression_first_curve_point_is_the_initial_fit(friedman_results: dict[str, Any]) -> None:
    dataset = load("friedman")
    X_train, X_test, y_train, y_test = plain_split(dataset, 0)
    initial = np.sort(np.random.default_rng(0).choice(len(y_train), 10, replace=False))
    model = make_pipeline(StandardScaler(), Ridge()).fit(X_train[initial], y_train[initial])
    predicted = model.predict(X_test)
    for entry in friedman_results["strategies"].values():
        assert entry["curves"][0][0] == [10, pytest.approx(r2_score(y_test, predicted))]
        assert entry["secondary_curves"]["rmse"][0][0][1] == pytest.approx(
            np.sqrt(mean_squared_error(y_test, predicted)))


def test_regression_report_names_r2(friedman_results: dict[str, Any], tmp_path: Path) -> None:
    assert columns(friedman_results)[2] == "final R²"
    summary = markdown_summary(friedman_results)
    assert "Full-data R²" in summary and "final RMSE" in summary
    assert "accuracy" not in summary + headline(friedman_results)
    report = write_outputs(friedman_results, tmp_path)["report"].read_text()
    assert "mean test R²" in report and "R² is negative" in report
    assert "accuracy" not in report


@pytest.mark.parametrize(("model", "strategy"), [("rf", "qbc_variance"), ("gp", "predictive_std")])
def test_regression_models_with_their_strategies(model: str, strategy: str) -> None:
    friedman = load("friedman")
    small = Dataset("friedman_200", friedman.X[:200], friedman.y[:200], friedman.feature_names,
                    "the first 200 items of friedman", "regression")
    settings = BenchSettings(data="friedman_200", strategies=[strategy], model=model,
                             **{**SMALL, "budget": 30, "repeats": 1})
    results = run_bench(small, settings)
    check_schema(results, "regression", "r2", ["rmse"])
    assert results["strategies"][strategy]["final_r2"]["mean"] > 0


# --- multi-label ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def multilabel_results() -> dict[str, Any]:
    settings = BenchSettings(data="multilabel_synth", strategies=["br_uncertainty", "random"],
                             **{**SMALL, "budget": 30})
    return run_bench(load("multilabel_synth"), settings)


def test_multilabel_bench_records_micro_f1(multilabel_results: dict[str, Any]) -> None:
    check_schema(multilabel_results, "multilabel", "f1_micro", ["f1_macro", "subset_accuracy"])
    assert multilabel_results["settings"]["model"] == "logreg"
    assert multilabel_results["data"]["n_classes"] == 5  # the number of labels
    assert columns(multilabel_results)[2] == "final micro-F1"
    assert "Full-data micro-F1" in markdown_summary(multilabel_results)


def test_multilabel_full_data_scores_match_an_independent_fit(
    multilabel_results: dict[str, Any],
) -> None:
    dataset = load("multilabel_synth")
    for repeat in range(2):
        X_train, X_test, y_train, y_test = plain_split(dataset, repeat)
        model = make_pipeline(StandardScaler(), OneVsRestClassifier(
            LogisticRegression(max_iter=2000, random_state=repeat)))
        predicted = model.fit(X_train, y_train).predict(X_test)
        expected = {
            "f1_micro": f1_score(y_test, predicted, average="micro"),
            "f1_macro": f1_score(y_test, predicted, average="macro"),
            "subset_accuracy": accuracy_score(y_test, predicted),
        }
        for name, value in expected.items():
            assert multilabel_results[f"full_data_{name}"]["per_repeat"][repeat] == pytest.approx(
                value)


def test_multilabel_forest_runs_with_mmc() -> None:
    settings = BenchSettings(data="multilabel_synth", strategies=["mmc"], model="rf",
                             **{**SMALL, "budget": 30, "repeats": 1})
    results = run_bench(load("multilabel_synth"), settings)
    check_schema(results, "multilabel", "f1_micro", ["f1_macro", "subset_accuracy"])


# --- tasks, models and settings -------------------------------------------------------------


def test_classification_results_keep_their_shape() -> None:
    settings = BenchSettings(data="iris", strategies=["margin", "random"], **SMALL)
    results = run_bench(load("iris"), settings)
    check_schema(results, "classification", "accuracy", [])
    assert results["settings"]["model"] == "logreg"
    assert set(results) >= {"full_data_accuracy", "target_accuracy"}
    assert columns(results)[2] == "final acc"


@pytest.mark.parametrize(
    ("y", "task"),
    [
        (np.array([[0, 1], [1, 0], [1, 1]]), "multilabel"),
        (np.array([[0.0, 1.0], [1.0, 0.0]]), "multilabel"),
        (np.linspace(0.05, 3.0, 21), "regression"),
        (np.linspace(0.05, 3.0, 20), "classification"),  # 20 distinct values: still classes
        (np.arange(100.0), "classification"),  # integral: class labels
        (np.array([0.5, 1.5, 0.5, 2.5]), "classification"),
        (np.array(["a", "b"]), "classification"),
        (np.array([[0, 2], [1, 0]]), "classification"),  # not 0/1
    ],
)
def test_detect_task(y: np.ndarray, task: str) -> None:
    assert detect_task(y) == task


@pytest.mark.parametrize(
    ("name", "task"), [("iris", "classification"), ("friedman", "regression"),
                       ("diabetes", "regression"), ("multilabel_synth", "multilabel")],
)
def test_auto_task_follows_the_data_set(name: str, task: str) -> None:
    dataset = load(name)
    assert dataset.task == task
    resolved = BenchSettings(data=name, strategies=["random"]).resolved(dataset)
    assert (resolved.task, resolved.model) == (task, "ridge" if task == "regression" else "logreg")


def test_a_forced_task_converts_the_labels() -> None:
    iris = load("iris")
    as_regression = iris.for_task("regression")
    assert as_regression.task == "regression" and as_regression.y.dtype == np.float64
    assert as_regression.description.endswith("regression target")
    results = run_bench(iris, BenchSettings(data="iris", strategies=["random"], task="Regression",
                                            **{**SMALL, "repeats": 1}))
    assert (results["task"], results["metric"], results["settings"]["model"]) == (
        "regression", "r2", "ridge")
    friedman = load("friedman").for_task("classification")
    assert friedman.y.dtype.kind == "U" and friedman.task == "classification"


@pytest.mark.parametrize(
    ("name", "changes", "match"),
    [
        ("friedman", {"model": "svm"},
         r"unknown model 'svm'; choose one of: ridge, rf, gp, knn \(the regression models\)"),
        ("multilabel_synth", {"model": "nb"},
         r"unknown model 'nb'; choose one of: logreg, rf \(the multilabel models\)"),
        ("iris", {"task": "multilabel"}, "one label column; multi-label data needs several 0/1"),
        ("multilabel_synth", {"task": "classification"}, "it is multi-label data"),
        ("iris", {"task": "clustering"}, "--task must be auto, classification, regression"),
        ("friedman", {"model": "knn", "initial": 2}, "needs --initial 3 or more"),
        ("friedman", {"strategies": ["emcm", "margin"]},
         r"strategy 'margin' is not made for regression data \(see its contract_models\); "
         r"for regression use: .*emcm"),
        ("iris", {"strategies": ["mmc"]},
         r"strategy 'mmc' is not made for classification data.*for classification use: .*margin"),
    ],
)
def test_bad_task_settings_are_refused(name: str, changes: dict[str, Any], match: str) -> None:
    with raises_user_error(match):
        BenchSettings(data=name, **{"strategies": ["random"], **SMALL, **changes}).check(load(name))


def test_every_task_has_models_that_build() -> None:
    for task, models in TASK_MODELS.items():
        for name in models:
            assert hasattr(make_model(name, 0, task=task), "fit")


def test_string_labels_cannot_be_a_regression_target(tmp_path: Path) -> None:
    path = tmp_path / "pets.csv"
    pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "label": ["cat", "dog"] * 2}).to_csv(path,
                                                                               index=False)
    with raises_user_error("regression needs a numeric target"):
        BenchSettings(data=str(path), strategies=["random"], task="regression", initial=1,
                      budget=2, batch_size=1, repeats=1).check(load(path))


# --- a multi-label table through the command line ------------------------------------------


def test_cli_bench_on_a_multilabel_csv(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    frame = pd.DataFrame(X, columns=["f0", "f1", "f2"])
    frame["sports"] = (X[:, 0] > 0).astype(int)
    frame["politics"] = (X[:, 1] > 0.3).astype(int)
    frame["tech"] = X[:, 2] > -0.2  # a bool column counts as 0/1
    path = tmp_path / "docs.csv"
    frame.to_csv(path, index=False)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, [
        "bench", "--data", str(path), "--target", "sports,politics,tech",
        "--strategies", "lci,random", "--initial", "10", "--budget", "30",
        "--batch-size", "10", "--repeats", "1", "--out", str(out),
    ], prog_name="activelab")
    assert result.exit_code == 0, result.output
    results = json.loads((out / "results.json").read_text())
    check_schema(results, "multilabel", "f1_micro", ["f1_macro", "subset_accuracy"])
    assert results["data"]["n_features"] == 3 and results["data"]["n_classes"] == 3
    assert "final micro-F1" in result.stdout


@pytest.mark.parametrize(
    ("data", "strategy", "model", "hint"),
    [
        ("iris", "vote_entropy", "logreg", "use --model rf"),
        ("friedman", "predictive_std", "ridge", "use --model gp"),
        ("friedman", "qbc_variance", "ridge", "use --model rf"),
    ],
)
def test_a_strategy_the_model_cannot_serve_is_refused_before_simulating(data, strategy, model, hint):
    from activelab import ActiveLabError
    from activelab.bench import BenchSettings, run_bench
    from activelab.data.datasets import load

    settings = BenchSettings(data=data, strategies=[strategy, "random"], model=model,
                             initial=6, budget=20, repeats=1)
    started = []
    with pytest.raises(ActiveLabError, match=f"needs a model of kind .*{hint}"):
        run_bench(load(data), settings, on_task_done=lambda *a: started.append(a))
    assert started == []


def test_model_kinds_follow_the_models_structure():
    from activelab.bench.runner import model_kinds
    from activelab.models.catalog import make_model

    assert model_kinds(make_model("logreg", 0), "classification") == {"proba", "decision"}
    assert model_kinds(make_model("svm", 0), "classification") == {"decision"}
    assert model_kinds(make_model("rf", 0), "classification") == {"proba", "ensemble"}
    assert model_kinds(make_model("gp", 0, task="regression"), "regression") == {
        "regressor", "regressor_std"}
    assert model_kinds(make_model("rf", 0, task="regression"), "regression") == {
        "regressor", "ensemble_regressor"}
