"""Tests for the benchmark suites: their data sets, settings, and ``bench --suite`` end to end."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import raises_user_error
from sklearn.datasets import make_classification

from activelab.bench.compare import paired_test, ranks
from activelab.bench.suites import SUITES, Suite, default_strategies, run_suite, suite_dataset
from activelab.cli import main
from activelab.data import generated
from activelab.data.datasets import BUNDLED, load

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

# --- generated data sets ----------------------------------------------------------------

GENERATORS = [generated.make_checkerboard, generated.make_banana, generated.make_xor,
              generated.make_noisy_labels, generated.make_honeypot, generated.make_heavy_tails]


@pytest.mark.parametrize("make", GENERATORS, ids=lambda f: f.__name__)
def test_generators_are_deterministic_per_seed(make) -> None:
    X, y = make(n_items=200, seed=3)
    X_again, y_again = make(n_items=200, seed=3)
    X_other, _ = make(n_items=200, seed=4)
    assert X.shape[0] == len(y) == 200
    np.testing.assert_array_equal(X, X_again)
    np.testing.assert_array_equal(y, y_again)
    assert not np.array_equal(X, X_other)


def test_checkerboard_and_xor_labels_follow_their_rules() -> None:
    X, y = generated.make_checkerboard(n_items=500, cells=4, seed=0)
    assert X.min() >= 0 and X.max() < 4
    expected = [(int(a) + int(b)) % 2 for a, b in X]  # the colour of each point's square
    np.testing.assert_array_equal(y, expected)
    X, y = generated.make_xor(n_items=2000, spread=0.1, seed=0)  # clusters far apart
    np.testing.assert_array_equal(y, (X[:, 0] * X[:, 1] > 0).astype(int))


def test_noisy_labels_flips_exactly_the_stated_share() -> None:
    X, y = generated.make_noisy_labels(n_items=400, flip=0.25, seed=2)
    X_clean, y_clean = make_classification(n_samples=400, n_features=20, n_informative=6,
                                           n_redundant=2, class_sep=1.2, flip_y=0.0,
                                           random_state=2)
    np.testing.assert_array_equal(X, X_clean)
    assert int(np.sum(y != y_clean)) == 100


def test_honeypot_is_a_dense_ball_of_random_labels_on_the_boundary() -> None:
    X, y = generated.make_honeypot(n_items=1000, share=0.2, n_features=10, seed=0)
    trap, clean = X[800:], X[:800]
    assert np.linalg.norm(trap, axis=1).max() < 0.05 * 10  # std 0.05 in 10 dimensions
    assert np.median(np.linalg.norm(clean, axis=1)) > 2.5
    assert abs(y[800:].mean() - 0.5) < 0.1
    # the clean classes sit on either side of the first axis; the honeypot at its middle
    assert clean[y[:800] == 1, 0].mean() == pytest.approx(1.0, abs=0.15)
    assert clean[y[:800] == 0, 0].mean() == pytest.approx(-1.0, abs=0.15)


def test_fourier_lift_approximates_the_rbf_kernel() -> None:
    X = np.random.default_rng(0).normal(size=(6, 2))
    lifted = generated.fourier_lift(X, gamma=0.5, n_components=40_000, seed=1)
    np.testing.assert_array_equal(lifted[:, :2], X)
    features = lifted[:, 2:]
    squared = ((X[:, None, :] - X[None, :, :]) ** 2).sum(axis=2)
    np.testing.assert_allclose(features @ features.T, np.exp(-0.5 * squared), atol=0.03)


@pytest.mark.parametrize(("name", "shape", "task"), [
    ("checkerboard", (1000, 2 + generated.N_FOURIER), "classification"),
    ("banana", (1000, 2 + generated.N_FOURIER), "classification"),
    ("circles", (1000, 2 + generated.N_FOURIER), "classification"),
    ("xor", (1000, 2 + generated.N_FOURIER), "classification"),
    ("imbalanced", (2000, 20), "classification"),
    ("noisy_labels", (1500, 20), "classification"),
    ("honeypot", (1500, 10), "classification"),
    ("sparse_linear", (1000, 50), "regression"),
    ("heavy_tails", (1000, 10), "regression"),
])
def test_generated_bundled_sets(name: str, shape: tuple[int, int], task: str) -> None:
    dataset = load(name)
    assert dataset.X.shape == shape and dataset.task == task
    np.testing.assert_array_equal(dataset.X, load(name).X)


def test_imbalanced_class_shares() -> None:
    counts = np.bincount(load("imbalanced").y) / 2000
    np.testing.assert_allclose(counts, [0.8, 0.15, 0.05], atol=0.02)


def test_statsmodels_tables() -> None:
    datasets = pytest.importorskip("statsmodels.datasets")
    anes = load("anes96")
    assert anes.X.shape == (944, 10) and anes.task == "classification"
    fair = load("fair")
    raw = datasets.fair.load_pandas().data
    np.testing.assert_array_equal(fair.y, (raw["affairs"] > 0).astype(int))
    star = load("star98")
    raw = datasets.star98.load_pandas().data
    np.testing.assert_allclose(star.y, raw["NABOVE"] / (raw["NABOVE"] + raw["NBELOW"]))
    grunfeld = load("grunfeld")
    assert grunfeld.task == "regression" and grunfeld.X.shape == (220, 14)
    assert (grunfeld.X[:, 3:].sum(axis=1) == 1).all()  # one firm per row


# --- suites -----------------------------------------------------------------------------


def test_suites_meet_the_brief() -> None:
    pytest.importorskip("statsmodels")  # the real tables ship with it
    classification = SUITES["classification"]
    assert len(classification.datasets) >= 12 and classification.repeats >= 20
    low = SUITES["low-budget"]
    assert low.initial >= 10 and low.budget <= 100
    regression = SUITES["regression"]
    assert regression.task == "regression" and "random" in default_strategies(regression)
    for suite in SUITES.values():
        assert set(suite.datasets) <= set(BUNDLED)
    tasks = {name: load(name).task for name in set(classification.datasets) | set(
        regression.datasets)}
    assert {tasks[name] for name in classification.datasets} == {"classification"}
    assert {tasks[name] for name in regression.datasets} == {"regression"}


def test_budget_is_capped_at_half_the_training_split_in_whole_batches() -> None:
    suite = SUITES["classification"]
    for n_items in (150, 178, 569, 2000):
        n_train = n_items - math.ceil(0.25 * n_items)
        budget = suite.budget_for(n_items)
        assert budget <= min(200, n_train / 2) and (budget - 10) % 10 == 0
        assert budget + 10 > min(200, n_train / 2)  # one more batch would pass the cap
    assert suite.budget_for(178) == 60  # wine: 133 to train, half is 66


def test_budget_refuses_a_data_set_too_small_for_one_batch() -> None:
    with raises_user_error("too small"):
        Suite("s", "", "classification", ("iris",), 10, 200, 10, 2, ("random",)).budget_for(30)


def test_default_strategies_keep_only_registered_ones_made_for_the_task() -> None:
    suite = Suite("s", "", "classification", ("iris",), 6, 30, 6, 2,
                  ("no_such_strategy", "margin", "emcm", "random"))
    assert default_strategies(suite) == ["margin", "random"]


def test_subsampling_keeps_class_shares() -> None:
    full = load("imbalanced")
    small = suite_dataset("imbalanced", 500)
    assert small.n_items == 500 and "subsampled to 500 of 2000" in small.description
    np.testing.assert_allclose(np.bincount(small.y) / 500, np.bincount(full.y) / 2000,
                               atol=0.005)
    assert suite_dataset("iris", 500).n_items == 150


def test_run_suite_pairs_seeds_and_compares() -> None:
    results = run_suite(SUITES["tiny"], ["margin", "random"], repeats=3)
    runs = results["runs"]
    assert list(results["datasets"]) == ["iris", "wine"]
    for name, run in runs.items():
        per = {s: run["strategies"][s]["aulc"]["per_repeat"] for s in ("margin", "random")}
        test = results["comparison"]["vs_baseline"]["margin"]["per_dataset"][name]
        assert test == paired_test(per["margin"], per["random"])
    means = np.array([[np.mean(runs[d]["strategies"][s]["aulc"]["per_repeat"])
                       for s in ("margin", "random")] for d in ("iris", "wine")])
    mean_ranks = results["comparison"]["mean_ranks"]
    assert [mean_ranks["margin"], mean_ranks["random"]] == list(ranks(means).mean(axis=0))


# --- the command line -------------------------------------------------------------------


def test_cli_suite_end_to_end(tmp_path) -> None:
    out = tmp_path / "suite"
    result = CliRunner().invoke(main, ["bench", "--suite", "tiny", "--repeats", "3",
                                       "--strategies", "margin,random", "--out",
                                       str(out)], prog_name="activelab")
    assert result.exit_code == 0, result.output
    assert "mean rank" in result.stdout
    document = json.loads((out / "results.json").read_text())
    assert "runs" not in document and document["settings"]["repeats"] == 3
    comparison = document["comparison"]
    # the mean ranks recomputed from the per-seed AULCs in the file
    table = np.array([[np.mean(document["datasets"][d]["aulc"][s]["per_repeat"])
                       for s in comparison["strategies"]] for d in comparison["datasets"]])
    np.testing.assert_allclose(list(comparison["mean_ranks"].values()),
                               ranks(table).mean(axis=0))
    for record in comparison["vs_baseline"].values():
        assert record["win"] + record["tie"] + record["loss"] == 2
    assert (out / "critical_difference.png").read_bytes().startswith(PNG_MAGIC)
    summary = (out / "summary.md").read_text()
    assert "| strategy | mean rank | win/tie/loss vs random |" in summary
    for name in ("iris", "wine"):
        assert (out / "datasets" / name / "results.json").exists()
        assert (out / "datasets" / name / "learning_curves.png").exists()


@pytest.mark.parametrize(("args", "fragment"), [
    (["--suite", "tiy"], "did you mean 'tiny'"),
    (["--suite", "tiny", "--budget", "40"], "--budget does not apply to --suite"),
    (["--suite", "tiny", "--strategies", "margin,nope"], "nope"),
])
def test_cli_suite_refusals_leave_nothing(tmp_path, args: list[str], fragment: str) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["bench", *args, "--out", str(out)], prog_name="activelab")
    assert result.exit_code == 2 and fragment in result.stderr, result.output
    assert not out.exists()
