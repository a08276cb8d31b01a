"""The stream bench and `activelab bench --scenario stream`."""

from __future__ import annotations

import json

import numpy as np
from click.testing import CliRunner

from activelab.bench.stream_bench import StreamBenchSettings, run_stream_bench
from activelab.cli import main
from activelab.scenarios.stream import max_window_spend
from tests.conftest import raises_user_error


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), prog_name="activelab")


def assert_one_line_error(result, *fragments: str) -> None:
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_rules_are_compared_on_the_same_stream_within_the_budget():
    settings = StreamBenchSettings(stream="sea", rules=["random", "variable-uncertainty"],
                                   n_items=2000, budget=0.05, window=400, seeds=2, block=500)
    results = run_stream_bench(settings)
    assert results["window_cap"] == 20
    assert [r["rule"] for r in results["runs"]] == ["random", "variable_uncertainty"] * 2
    for run in results["runs"]:
        assert run["items"] == 2000 and run["max_window_spend"] <= 20
        accuracy = np.array(run["curve"])[:, 1]
        assert len(accuracy) == 4
        assert np.isclose(np.nanmean(accuracy), run["prequential_accuracy"], atol=0.02)
    gain = results["summary"]["variable_uncertainty"]["vs_random"]
    by_seed = {(r["rule"], r["seed"]): r["prequential_accuracy"] for r in results["runs"]}
    expected = np.mean([by_seed["variable_uncertainty", s] - by_seed["random", s] for s in (0, 1)])
    assert np.isclose(gain["mean_gain"], expected)


def test_the_cli_writes_results_a_plot_and_a_summary(tmp_path):
    out = tmp_path / "stream"
    result = invoke("bench", "--scenario", "stream", "--data", "hyperplane", "--items", "3000",
                    "--rules", "random,split", "--repeats", "1", "--out", str(out))
    assert result.exit_code == 0, result.output
    results = json.loads((out / "results.json").read_text())
    assert results["scenario"] == "stream" and set(results["summary"]) == {"random", "split"}
    assert (out / "accuracy_over_time.png").stat().st_size > 0
    assert "| split |" in (out / "summary.md").read_text()


def test_the_cli_streams_a_csv_file(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1, (1500, 2))
    rows = np.column_stack([X, (X[:, 0] > X[:, 1]).astype(int)])
    path = tmp_path / "s.csv"
    np.savetxt(path, rows, delimiter=",", fmt="%.6g")
    out = tmp_path / "out"
    result = invoke("bench", "--scenario", "stream", "--data", str(path), "--rules",
                    "variable_uncertainty", "--label-fraction", "0.1", "--repeats", "1",
                    "--out", str(out))
    assert result.exit_code == 0, result.output
    run = json.loads((out / "results.json").read_text())["runs"][0]
    assert run["items"] == 1500 and run["max_window_spend"] <= 100
    assert run["prequential_accuracy"] > 0.8


def test_bad_stream_bench_input_is_one_line():
    assert_one_line_error(invoke("bench", "--scenario", "stream", "--label-fraction", "1.5"),
                          "--label-fraction must be in (0, 1]")
    assert_one_line_error(invoke("bench", "--scenario", "stream", "--label-fraction", "0"),
                          "--label-fraction must be in (0, 1]")
    assert_one_line_error(invoke("bench", "--scenario", "stream", "--rules", "varible_uncertainty"),
                          "did you mean 'variable_uncertainty'")
    assert_one_line_error(invoke("bench", "--scenario", "stream", "--data", "nope"),
                          "unknown stream 'nope'")
    assert_one_line_error(invoke("bench", "--scenario", "stream", "--model", "rf"),
                          "--model for streams is sgd or logreg")
    assert_one_line_error(invoke("bench", "--scenario", "trees"), "--scenario")
    assert_one_line_error(invoke("bench"), "Missing option '--data'")
    with raises_user_error("listed twice"):
        StreamBenchSettings(rules=["split", "split"]).check()


def test_window_spend_in_results_matches_the_queried_positions():
    settings = StreamBenchSettings(stream="hyperplane", rules=["prefer_uncertain"], n_items=2000,
                                   window=200, seeds=1)
    results = run_stream_bench(settings)
    assert results["runs"][0]["max_window_spend"] <= 10
    assert max_window_spend([], 10) == 0
