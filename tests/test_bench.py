"""Tests for the bench: learning-curve metrics, the runner, settings checks and the report."""

from __future__ import annotations

import base64
import copy
import html
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import raises_user_error

from activelab import __version__
from activelab.bench.metrics import aulc, labels_to_reach, mean_curve
from activelab.bench.report import columns, headline, summary_rows, write_outputs
from activelab.bench.runner import TARGET_FRACTION, BenchSettings, run_bench
from activelab.data.datasets import Dataset, load

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"




def naive_trapezoid_mean(points: list[list[float]]) -> float:
    """Mean height under a piecewise-linear curve, one segment at a time."""
    area = 0.0
    for (n0, s0), (n1, s1) in zip(points, points[1:]):
        area += (n1 - n0) * (s0 + s1) / 2
    return area / (points[-1][0] - points[0][0])


# --- metrics ----------------------------------------------------------------------------


def test_aulc_matches_hand_computed_trapezoid_on_uneven_grid() -> None:
    curve = np.array([[10, 0.5], [20, 0.7], [40, 0.9]])
    expected = (10 * 0.6 + 20 * 0.8) / 30
    assert aulc(curve) == pytest.approx(expected)
    assert aulc(curve) == pytest.approx(0.7333333333333333)
    # Not the plain mean of the scores (0.7): the wide segment weighs more.
    assert aulc(curve) != pytest.approx(0.7)


def test_aulc_matches_naive_trapezoid_on_random_curves() -> None:
    rng = np.random.default_rng(1)
    for _ in range(20):
        n = np.cumsum(rng.integers(1, 30, size=rng.integers(2, 12))).astype(float)
        scores = rng.uniform(0, 1, size=len(n))
        points = [[float(a), float(b)] for a, b in zip(n, scores)]
        assert aulc(np.array(points)) == pytest.approx(naive_trapezoid_mean(points))


def test_aulc_accepts_a_list_of_lists() -> None:
    assert aulc([[0, 0.0], [10, 1.0]]) == pytest.approx(0.5)


def test_aulc_of_constant_curve_is_the_constant() -> None:
    curve = np.array([[10, 0.8], [20, 0.8], [50, 0.8], [60, 0.8]])
    assert aulc(curve) == pytest.approx(0.8)


def test_aulc_of_single_point_is_its_score() -> None:
    assert aulc(np.array([[10, 0.42]])) == pytest.approx(0.42)


def test_labels_to_reach_first_crossing() -> None:
    curve = np.array([[10, 0.5], [20, 0.7], [30, 0.65], [40, 0.9]])
    assert labels_to_reach(curve, 0.6) == 20
    assert labels_to_reach(curve, 0.8) == 40
    assert labels_to_reach(curve, 0.1) == 10
    assert isinstance(labels_to_reach(curve, 0.6), int)


def test_labels_to_reach_counts_exact_equality() -> None:
    curve = np.array([[10, 0.5], [20, 0.75], [30, 0.9]])
    assert labels_to_reach(curve, 0.75) == 20
    assert labels_to_reach(curve, 0.9) == 30


def test_labels_to_reach_never_is_none() -> None:
    curve = np.array([[10, 0.5], [20, 0.7]])
    assert labels_to_reach(curve, 0.71) is None


def test_mean_curve_equal_grids_matches_numpy() -> None:
    rng = np.random.default_rng(0)
    grid = np.arange(10, 70, 10, dtype=float)
    scores = rng.uniform(size=(4, len(grid)))
    curves = [np.column_stack([grid, s]) for s in scores]
    result = mean_curve(curves)
    assert result.shape == (len(grid), 3)
    np.testing.assert_array_equal(result[:, 0], grid)
    np.testing.assert_allclose(result[:, 1], scores.mean(axis=0))
    np.testing.assert_allclose(result[:, 2], scores.std(axis=0))


def test_mean_curve_interpolates_onto_first_grid() -> None:
    first = np.array([[0, 0.0], [5, 0.5], [10, 1.0]])
    second = np.array([[0, 1.0], [10, 3.0]])  # at n=5 its interpolated value is 2.0
    result = mean_curve([first, second])
    np.testing.assert_array_equal(result[:, 0], [0, 5, 10])
    np.testing.assert_allclose(result[:, 1], [0.5, 1.25, 2.0])
    np.testing.assert_allclose(result[:, 2], [0.5, 0.75, 1.0])


# --- run_bench ----------------------------------------------------------------------------

SMALL = {"data": "iris", "initial": 10, "budget": 60, "batch_size": 10, "repeats": 2, "seed": 0}


@pytest.fixture(scope="module")
def iris() -> Dataset:
    return load("iris")


@pytest.fixture(scope="module")
def small_results(iris: Dataset) -> dict[str, Any]:
    return run_bench(iris, BenchSettings(strategies=["margin", "random"], **SMALL))


def all_curves(results: dict[str, Any]) -> dict[str, list[list[list[float]]]]:
    return {name: entry["curves"] for name, entry in results["strategies"].items()}


def test_results_document_has_documented_keys(small_results: dict[str, Any]) -> None:
    r = small_results
    assert set(r) >= {
        "activelab_version",
        "settings",
        "data",
        "metric",
        "full_data_accuracy",
        "target_fraction",
        "target_accuracy",
        "strategies",
        "elapsed_seconds",
    }
    assert r["activelab_version"] == __version__
    assert r["metric"] == "accuracy"
    assert r["settings"]["data"] == "iris"
    assert r["settings"]["strategies"] == ["margin", "random"]
    assert r["settings"]["budget"] == 60
    assert r["data"]["name"] == "iris"
    assert r["data"]["n_items"] == 150
    assert r["data"]["n_features"] == 4
    assert r["data"]["n_classes"] == 3
    full = r["full_data_accuracy"]
    assert set(full) == {"per_repeat", "mean", "std"}
    assert len(full["per_repeat"]) == 2
    assert full["mean"] == pytest.approx(np.mean(full["per_repeat"]))
    assert full["std"] == pytest.approx(np.std(full["per_repeat"]))
    assert r["target_fraction"] == 0.95
    assert r["elapsed_seconds"] > 0
    assert list(r["strategies"]) == ["margin", "random"]
    for entry in r["strategies"].values():
        assert set(entry) >= {
            "curves",
            "mean_curve",
            "aulc",
            "final_accuracy",
            "labels_to_target",
            "mean_query_time",
            "mean_fit_time",
            "vs_random",
        }
        assert entry["mean_query_time"] >= 0
        assert entry["mean_fit_time"] > 0


def test_curves_run_from_initial_to_budget_in_batch_steps(small_results: dict[str, Any]) -> None:
    for entry in small_results["strategies"].values():
        assert len(entry["curves"]) == 2
        for curve in entry["curves"]:
            n = [point[0] for point in curve]
            assert n == [10, 20, 30, 40, 50, 60]
            assert all(0 <= point[1] <= 1 for point in curve)
        assert [p[0] for p in entry["mean_curve"]] == [10, 20, 30, 40, 50, 60]


def test_curve_ends_exactly_at_budget_when_not_a_multiple_of_batch(iris: Dataset) -> None:
    settings = BenchSettings(strategies=["margin"], **{**SMALL, "budget": 55, "repeats": 1})
    curve = run_bench(iris, settings)["strategies"]["margin"]["curves"][0]
    assert [p[0] for p in curve] == [10, 20, 30, 40, 50, 55]


def test_summaries_are_recomputable_from_stored_curves(small_results: dict[str, Any]) -> None:
    full = small_results["full_data_accuracy"]["per_repeat"]
    for entry in small_results["strategies"].values():
        curves = [np.array(c) for c in entry["curves"]]
        per_repeat = [aulc(c) for c in curves]
        assert entry["aulc"]["per_repeat"] == pytest.approx(per_repeat)
        assert entry["aulc"]["per_repeat"] == pytest.approx(
            [naive_trapezoid_mean(c) for c in entry["curves"]]
        )
        assert entry["aulc"]["mean"] == pytest.approx(np.mean(per_repeat))
        assert entry["aulc"]["std"] == pytest.approx(np.std(per_repeat))
        assert entry["final_accuracy"]["per_repeat"] == pytest.approx([c[-1, 1] for c in curves])
        np.testing.assert_allclose(np.array(entry["mean_curve"]), mean_curve(curves))
        # Each repeat is judged against 95% of its own full-data accuracy.
        expected = [labels_to_reach(c, 0.95 * f) for c, f in zip(curves, full)]
        assert entry["labels_to_target"]["per_repeat"] == expected
        reached = [n for n in expected if n is not None]
        assert entry["labels_to_target"]["reached"] == len(reached)
        # a repeat that never reached the target counts as the budget: a censored mean
        censored = [n if n is not None else c[-1, 0] for n, c in zip(expected, curves)]
        assert entry["labels_to_target"]["mean"] == pytest.approx(np.mean(censored))
        assert entry["labels_to_target"]["mean_is_lower_bound"] == (len(reached) < len(expected))


def test_target_accuracy_is_95_percent_of_mean_full_accuracy(
    small_results: dict[str, Any],
) -> None:
    mean_full = small_results["full_data_accuracy"]["mean"]
    assert TARGET_FRACTION == 0.95
    assert small_results["target_accuracy"] == pytest.approx(0.95 * mean_full)


def test_full_data_accuracy_matches_independent_fit(small_results: dict[str, Any]) -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    dataset = load("iris")
    for repeat, reported in enumerate(small_results["full_data_accuracy"]["per_repeat"]):
        X_train, X_test, y_train, y_test = train_test_split(
            dataset.X, dataset.y, test_size=0.25, random_state=repeat, stratify=dataset.y
        )
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
        model.fit(X_train, y_train)
        assert reported == pytest.approx(model.score(X_test, y_test))


def test_strategies_in_a_repeat_start_from_the_same_point(iris: Dataset) -> None:
    settings = BenchSettings(strategies=["margin", "entropy", "random"], **SMALL)
    results = run_bench(iris, settings)
    for repeat in range(2):
        starts = {
            name: tuple(entry["curves"][repeat][0]) for name, entry in results["strategies"].items()
        }
        assert len(set(starts.values())) == 1, starts
    # The repeats are different experiments: their own split and initial set.
    margin = results["strategies"]["margin"]["curves"]
    assert margin[0] != margin[1]


def test_uncertainty_and_random_choose_differently(small_results: dict[str, Any]) -> None:
    curves = all_curves(small_results)
    assert curves["margin"] != curves["random"]


def test_same_settings_give_identical_curves(iris: Dataset, small_results: dict[str, Any]) -> None:
    again = run_bench(iris, BenchSettings(strategies=["margin", "random"], **SMALL))
    assert all_curves(again) == all_curves(small_results)
    assert again["full_data_accuracy"] == small_results["full_data_accuracy"]


def test_other_seed_gives_other_curves(iris: Dataset, small_results: dict[str, Any]) -> None:
    other = run_bench(iris, BenchSettings(strategies=["margin", "random"], **{**SMALL, "seed": 7}))
    assert all_curves(other) != all_curves(small_results)


def test_parallel_jobs_give_the_same_results_as_serial() -> None:
    wine = load("wine")
    base = {**SMALL, "data": "wine", "repeats": 2}
    serial = run_bench(wine, BenchSettings(strategies=["margin", "random"], jobs=1, **base))
    parallel = run_bench(wine, BenchSettings(strategies=["margin", "random"], jobs=2, **base))
    assert all_curves(parallel) == all_curves(serial)
    assert parallel["full_data_accuracy"] == serial["full_data_accuracy"]
    assert list(parallel["strategies"]) == ["margin", "random"]


def test_vs_random_of_random_is_zero(small_results: dict[str, Any]) -> None:
    vs = small_results["strategies"]["random"]["vs_random"]
    assert vs["aulc_difference"] == 0
    assert vs["labels_saved_at_target"] in (0, None)
    assert vs["labels_to_target_mean_curve"] == vs["random_labels_to_target_mean_curve"]


def test_vs_random_matches_hand_recomputation(small_results: dict[str, Any]) -> None:
    strategies = small_results["strategies"]
    target = small_results["target_accuracy"]
    random_curve = np.array(strategies["random"]["mean_curve"])
    vs = strategies["margin"]["vs_random"]
    assert vs["aulc_difference"] == pytest.approx(
        strategies["margin"]["aulc"]["mean"] - strategies["random"]["aulc"]["mean"]
    )
    mine = labels_to_reach(np.array(strategies["margin"]["mean_curve"]), target)
    theirs = labels_to_reach(random_curve, target)
    assert vs["labels_to_target_mean_curve"] == mine
    assert vs["random_labels_to_target_mean_curve"] == theirs
    if mine is not None and theirs is not None:
        assert vs["labels_saved_at_target"] == theirs - mine
        assert vs["labels_saved_at_target_is_lower_bound"] is False
    elif mine is not None:
        assert vs["labels_saved_at_target"] == int(random_curve[-1, 0]) - mine
        assert vs["labels_saved_at_target_is_lower_bound"] is True


def test_no_vs_random_without_random(iris: Dataset) -> None:
    results = run_bench(iris, BenchSettings(strategies=["margin"], **{**SMALL, "repeats": 1}))
    assert "vs_random" not in results["strategies"]["margin"]
    assert headline(results).startswith("Best mean AULC: margin")


def test_progress_callback_counts_every_task(iris: Dataset) -> None:
    calls: list[tuple[int, int]] = []
    run_bench(
        iris,
        BenchSettings(strategies=["margin", "random"], **SMALL),
        on_task_done=lambda done, total: calls.append((done, total)),
    )
    # 2 full-data fits + 2 repeats x 2 strategies.
    assert calls == [(i, 6) for i in range(1, 7)]


@pytest.mark.parametrize("strategy", ["margin", "entropy"])
def test_svm_without_probabilities_works(iris: Dataset, strategy: str) -> None:
    from activelab.models.catalog import make_model

    assert not hasattr(make_model("svm", 0), "predict_proba")
    results = run_bench(iris, BenchSettings(strategies=[strategy, "random"], model="svm", **SMALL))
    entry = results["strategies"][strategy]
    assert results["settings"]["model"] == "svm"
    for curve in entry["curves"]:
        assert [p[0] for p in curve] == [10, 20, 30, 40, 50, 60]
        assert all(0 <= p[1] <= 1 for p in curve)
    assert entry["final_accuracy"]["mean"] > 0.8
    # It really used the decision values, not a random fallback.
    assert entry["curves"] != results["strategies"]["random"]["curves"]


def test_active_learning_beats_random_on_digits() -> None:
    digits = load("digits")
    settings = BenchSettings(
        data="digits",
        strategies=["margin", "random"],
        model="logreg",
        initial=10,
        budget=200,
        batch_size=10,
        repeats=3,
        seed=0,
    )
    results = run_bench(digits, settings)
    margin, random = results["strategies"]["margin"], results["strategies"]["random"]
    assert margin["aulc"]["mean"] > random["aulc"]["mean"]
    assert margin["vs_random"]["aulc_difference"] > 0
    assert headline(results).startswith("margin has the best mean AULC")


# --- settings checks ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"budget": 200}, r"--budget 200 is larger than the training pool \(112 items"),
        ({"budget": 10}, r"--budget \(10\) must be larger than --initial \(10\)"),
        ({"budget": 5}, r"must be larger than --initial"),
        ({"strategies": ["margn"]}, r"unknown strategy 'margn' \(did you mean 'margin'\?\)"),
        ({"strategies": ["nope"]}, r"unknown strategy 'nope'.*available: .*margin"),
        ({"model": "svc"},
         r"unknown model 'svc' \(did you mean 'svm'\?\); choose one of: .*logreg"),
        ({"strategies": ["margin", "random", "margin"]}, r"listed twice"),
        ({"strategies": []}, r"at least one strategy"),
        ({"test_size": 0.0}, r"--test-size must be between 0 and 1; got 0"),
        ({"test_size": 1.0}, r"--test-size must be between 0 and 1"),
        ({"test_size": 1.5}, r"--test-size must be between 0 and 1"),
        ({"test_size": -0.1}, r"--test-size must be between 0 and 1"),
        ({"repeats": 0}, r"--repeats must be at least 1; got 0"),
        ({"batch_size": 0}, r"--batch-size must be at least 1"),
        ({"jobs": 0}, r"--jobs must be at least 1"),
        ({"initial": -1}, r"--initial must be at least 0"),
        ({"test_size": 0.01, "budget": 20}, r"leaves 2 test items for 3 classes"),
    ],
)
def test_bad_settings_raise_one_line_error(
    iris: Dataset, changes: dict[str, Any], match: str
) -> None:
    params = {**SMALL, "strategies": ["margin", "random"], **changes}
    # Whether BenchSettings refuses it when built or when checked, it never runs.
    with raises_user_error(match):
        BenchSettings(**params).check(iris)
    with raises_user_error(match):
        run_bench(iris, BenchSettings(**params))


def test_budget_equal_to_training_pool_is_accepted(iris: Dataset) -> None:
    # 150 items, ceil(0.25 * 150) = 38 test items: 112 to train on.
    BenchSettings(**{**SMALL, "budget": 112}).check(iris)
    with raises_user_error("larger than the training pool"):
        BenchSettings(**{**SMALL, "budget": 113}).check(iris)


@pytest.mark.parametrize(
    "names", [["margin", "Margin"], ["least_confidence", "least-confidence"], ["random", " random"]]
)
def test_duplicate_strategy_differing_only_in_spelling_is_refused(
    iris: Dataset, names: list[str]
) -> None:
    # strategies.get() accepts any case and '-' for '_', so these name one strategy twice.
    with raises_user_error("listed twice"):
        BenchSettings(**{**SMALL, "strategies": names}).check(iris)


def test_random_baseline_is_found_whatever_its_spelling(iris: Dataset) -> None:
    results = run_bench(iris, BenchSettings(**{**SMALL, "strategies": ["margin", "Random"]}))
    assert len(results["strategies"]) == 2
    assert all("vs_random" in entry for entry in results["strategies"].values())
    assert "No strategy beat random" in headline(results) or "vs random" in headline(results)


# --- report -------------------------------------------------------------------------------


def test_write_outputs_writes_the_three_files(
    small_results: dict[str, Any], tmp_path: Path
) -> None:
    out = tmp_path / "nested" / "out"
    paths = write_outputs(small_results, out)
    assert {"results", "plot", "report"} <= set(paths)
    assert all(path.is_file() and path.parent == out for path in paths.values())
    assert paths["results"] == out / "results.json"
    assert paths["plot"] == out / "learning_curves.png"
    assert paths["report"] == out / "report.html"

    assert json.loads(paths["results"].read_text()) == json.loads(json.dumps(small_results))
    loaded = json.loads(paths["results"].read_text())
    assert (
        loaded["strategies"]["margin"]["curves"] == small_results["strategies"]["margin"]["curves"]
    )

    png = paths["plot"].read_bytes()
    assert png.startswith(PNG_MAGIC)

    report = paths["report"].read_text()
    assert report.startswith("<!doctype html>")
    for name in small_results["strategies"]:
        assert f"<td>{name}</td>" in report
    for column in columns(small_results):
        assert column in report  # none of the column names needs escaping
    # The headline is there, HTML-escaped like everything else.
    assert html.escape(headline(small_results)) in report
    embedded = re.search(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', report)
    assert embedded is not None
    assert base64.b64decode(embedded.group(1)) == png


def test_report_escapes_names(small_results: dict[str, Any], tmp_path: Path) -> None:
    results = copy.deepcopy(small_results)
    results["data"]["name"] = "<b>bold</b>.csv"
    nasty = "<script>alert(1)</script>"
    results["strategies"][nasty] = results["strategies"].pop("margin")
    report = write_outputs(results, tmp_path)["report"].read_text()
    assert "<b>bold</b>" not in report
    assert "&lt;b&gt;bold&lt;/b&gt;.csv" in report
    assert "<script>" not in report
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in report


def test_summary_rows_best_aulc_first(small_results: dict[str, Any]) -> None:
    rows = summary_rows(small_results)
    assert len(rows) == 2
    assert all(len(row) == len(columns(small_results)) for row in rows)
    aulcs = {name: e["aulc"]["mean"] for name, e in small_results["strategies"].items()}
    assert [row[0] for row in rows] == sorted(aulcs, key=lambda n: -aulcs[n])
    random_row = next(row for row in rows if row[0] == "random")
    assert random_row[4] == "baseline"
    margin_row = next(row for row in rows if row[0] == "margin")
    assert margin_row[1].startswith(f"{aulcs['margin']:.4f} ± ")


def synthetic_results(
    aulcs: dict[str, float], to_target: dict[str, int | None], last_n: int = 100
) -> dict[str, Any]:
    """A hand-built results document with just what headline and summary_rows read."""
    strategies: dict[str, Any] = {}
    for name, value in aulcs.items():
        mine, theirs = to_target[name], to_target["random"]
        strategies[name] = {
            "aulc": {"mean": value, "std": 0.01},
            "final_accuracy": {"mean": 0.9},
            "labels_to_target": {"mean": mine, "reached": 1 if mine else 0},
            "mean_query_time": 0.001,
            "mean_curve": [[10, 0.5, 0.0], [last_n, 0.9, 0.0]],
            "vs_random": {
                "aulc_difference": value - aulcs["random"],
                "labels_to_target_mean_curve": mine,
                "random_labels_to_target_mean_curve": theirs,
                "labels_saved_at_target": (
                    None if mine is None or theirs is None else theirs - mine
                ),
                "labels_saved_at_target_is_lower_bound": False,
                "labels_to_match_random_final": None,
                "labels_saved_at_random_final": None,
            },
        }
    return {
        "target_accuracy": 0.9,
        "target_fraction": 0.95,
        "settings": {"repeats": 1},
        "strategies": strategies,
    }


def test_headline_counts_labels_saved_when_both_reach_target() -> None:
    results = synthetic_results({"margin": 0.85, "random": 0.80}, {"margin": 40, "random": 70})
    text = headline(results)
    assert text.startswith("margin has the best mean AULC (0.8500 vs random 0.8000).")
    assert "with 40 labels; random needed 70 (30 labels saved)" in text
    assert "(0.900)" in text


def test_headline_when_only_the_winner_reaches_target() -> None:
    results = synthetic_results(
        {"margin": 0.85, "random": 0.80}, {"margin": 40, "random": None}, last_n=150
    )
    text = headline(results)
    assert "random did not within 150 (more than 110 labels saved)" in text


def test_headline_when_random_is_best() -> None:
    results = synthetic_results(
        {"margin": 0.75, "entropy": 0.70, "random": 0.80},
        {"margin": 60, "entropy": None, "random": 50},
    )
    text = headline(results)
    assert "No strategy beat random" in text
    assert "0.8000" in text
    assert "saved" not in text


def test_summary_rows_saved_column_from_synthetic_results() -> None:
    results = synthetic_results({"margin": 0.85, "random": 0.80}, {"margin": 40, "random": 70})
    rows = {row[0]: row for row in summary_rows(results)}
    assert [row[0] for row in summary_rows(results)] == ["margin", "random"]
    assert rows["margin"][4] == "+30"
    assert rows["random"][4] == "baseline"
    assert rows["margin"][3] == "40 (1/1)"
    assert rows["margin"][5] == "1.0"
