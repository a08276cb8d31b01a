"""Tests for the ``activelab`` command line: bench, strategies, datasets, and its errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner, Result

from activelab import Pool, __version__, strategies
from activelab.cli import main
from activelab.errors import ActiveLabError

SMALL_BENCH = ["--initial", "10", "--budget", "40", "--batch-size", "10", "--repeats", "2"]


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), prog_name="activelab")


def assert_one_line_error(result: Result, *fragments: str) -> str:
    """Exit status 2, exactly one stderr line starting with 'error:', no traceback."""
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    line = lines[0]
    assert line.startswith("error: ")
    for fragment in fragments:
        assert fragment in line, line
    assert "Traceback" not in result.output
    assert result.stdout == ""
    return line


def write_csv(tmp_path: Path, frame: pd.DataFrame, name: str = "data.csv") -> Path:
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def labelled_frame(n: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "width": rng.normal(size=n),
            "height": rng.normal(size=n),
            "kind": np.arange(n) % 2,
        }
    )


# --- bench --------------------------------------------------------------------------------


def test_bench_writes_outputs_and_prints_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # a short relative --out, so no line of output wraps
    out = tmp_path / "out"
    result = invoke(
        "bench",
        "--data",
        "iris",
        "--strategies",
        "margin,random",
        *SMALL_BENCH,
        "--seed",
        "3",
        "--out",
        "out",
    )
    assert result.exit_code == 0, result.output
    for name in ("results.json", "learning_curves.png", "report.html"):
        assert (out / name).is_file()
    assert (out / "learning_curves.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")

    results = json.loads((out / "results.json").read_text())
    settings = results["settings"]
    assert settings["strategies"] == ["margin", "random"]
    assert (settings["budget"], settings["initial"], settings["batch_size"]) == (40, 10, 10)
    assert (settings["repeats"], settings["seed"], settings["model"]) == (2, 3, "logreg")
    assert [p[0] for p in results["strategies"]["margin"]["curves"][0]] == [10, 20, 30, 40]

    stdout = result.stdout
    assert "iris" in stdout
    for column in ("strategy", "AULC", "final acc", "query ms"):
        assert column in stdout
    table_lines = [line for line in stdout.splitlines() if "margin" in line or "random" in line]
    assert any(line.lstrip("│┃| ").startswith("margin") for line in table_lines)
    assert any(line.lstrip("│┃| ").startswith("random") for line in table_lines)
    assert f"{results['strategies']['margin']['aulc']['mean']:.4f}" in stdout
    report_lines = [line for line in stdout.splitlines() if line.startswith("Report:")]
    assert len(report_lines) == 1
    assert report_lines[0].startswith(f"Report: {Path('out', 'report.html')}")
    assert result.stderr == ""


def test_bench_reads_a_csv_with_target(tmp_path: Path) -> None:
    path = write_csv(tmp_path, labelled_frame())
    out = tmp_path / "out"
    result = invoke(
        "bench",
        "--data",
        str(path),
        "--target",
        "kind",
        "--strategies",
        "entropy,random",
        "--initial",
        "4",
        "--budget",
        "20",
        "--batch-size",
        "4",
        "--repeats",
        "2",
        "--out",
        str(out),
    )
    assert result.exit_code == 0, result.output
    results = json.loads((out / "results.json").read_text())
    assert results["data"]["name"] == "data.csv"
    assert results["data"]["n_items"] == 60
    assert results["data"]["n_classes"] == 2
    assert [p[0] for p in results["strategies"]["entropy"]["curves"][0]] == [4, 8, 12, 16, 20]


def test_bench_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.csv"
    assert_one_line_error(invoke("bench", "--data", str(missing)), "nope.csv", "does not exist")


def test_bench_unknown_bundled_name_suggests_one() -> None:
    assert_one_line_error(invoke("bench", "--data", "irsi"), "'irsi'", "did you mean 'iris'")


def test_bench_unknown_strategy(tmp_path: Path) -> None:
    result = invoke(
        "bench", "--data", "iris", "--strategies", "margin,margn", "--out", str(tmp_path / "out")
    )
    assert_one_line_error(result, "unknown strategy 'margn'", "did you mean 'margin'")
    assert not (tmp_path / "out").exists()


def test_bench_unknown_model(tmp_path: Path) -> None:
    result = invoke("bench", "--data", "iris", "--model", "svc", "--out", str(tmp_path / "o"))
    assert_one_line_error(result, "unknown model 'svc'", "logreg")
    assert not (tmp_path / "o").exists()


def test_bench_target_column_does_not_exist(tmp_path: Path) -> None:
    path = write_csv(tmp_path, labelled_frame())
    result = invoke("bench", "--data", str(path), "--target", "colour")
    assert_one_line_error(result, "no column 'colour'", "width", "height", "kind")


def test_bench_target_on_bundled_data_set() -> None:
    assert_one_line_error(
        invoke("bench", "--data", "iris", "--target", "x"), "do not pass --target"
    )


@pytest.mark.parametrize(("row", "column", "bad"), [(5, "height", np.nan), (7, "width", np.inf)])
def test_bench_non_finite_features(tmp_path: Path, row: int, column: str, bad: float) -> None:
    frame = labelled_frame()
    frame.loc[row, column] = bad
    path = write_csv(tmp_path, frame)
    result = invoke("bench", "--data", str(path), "--target", "kind")
    assert_one_line_error(result, "NaN or infinite", "1 row", column)


def test_bench_budget_larger_than_pool(tmp_path: Path) -> None:
    result = invoke("bench", "--data", "iris", "--budget", "500", "--out", str(tmp_path / "o"))
    assert_one_line_error(result, "--budget 500 is larger than the training pool", "112")
    assert not (tmp_path / "o").exists()


def test_bench_budget_not_above_initial() -> None:
    result = invoke("bench", "--data", "iris", "--initial", "20", "--budget", "20")
    assert_one_line_error(result, "--budget (20) must be larger than --initial (20)")


def test_bench_duplicated_strategy() -> None:
    result = invoke("bench", "--data", "iris", "--strategies", "margin,random,margin")
    assert_one_line_error(result, "listed twice")


@pytest.mark.parametrize(
    ("option", "value", "fragment"),
    [
        ("--repeats", "0", "--repeats must be at least 1"),
        ("--test-size", "1.5", "--test-size must be between 0 and 1"),
        ("--jobs", "0", "--jobs must be at least 1"),
        ("--batch-size", "0", "--batch-size must be at least 1"),
    ],
)
def test_bench_bad_numbers(option: str, value: str, fragment: str) -> None:
    assert_one_line_error(invoke("bench", "--data", "iris", option, value), fragment)


def test_bench_single_class_label(tmp_path: Path) -> None:
    frame = labelled_frame()
    frame["kind"] = 1
    path = write_csv(tmp_path, frame)
    result = invoke("bench", "--data", str(path), "--target", "kind")
    assert_one_line_error(result, "one class", "'kind'")


def test_add_labels_for_unknown_id_names_it() -> None:
    pool = Pool(np.eye(4))
    with pytest.raises(ActiveLabError) as excinfo:
        pool.add_labels([999], [1])
    message = str(excinfo.value)
    assert "\n" not in message
    assert "999" in message
    assert pool.n_labeled == 0


def test_real_process_exit_status_and_one_line_stderr(tmp_path: Path) -> None:
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "activelab.cli",
            "bench",
            "--data",
            "iris",
            "--strategies",
            "margn",
            "--out",
            str(tmp_path / "o"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert completed.returncode == 2
    lines = completed.stderr.splitlines()
    assert len(lines) == 1, completed.stderr
    assert lines[0].startswith("error: unknown strategy 'margn'")
    assert "Traceback" not in completed.stderr
    assert completed.stdout == ""
    assert not (tmp_path / "o").exists()


# --- listings and --version --------------------------------------------------------------


def test_strategies_lists_registered_names() -> None:
    result = invoke("strategies")
    assert result.exit_code == 0
    names = [line.split()[0] for line in result.stdout.splitlines() if line.strip()]
    assert names == strategies.available()
    assert {"entropy", "least_confidence", "margin", "random"} <= set(names)
    assert all(len(line.split(maxsplit=1)) == 2 for line in result.stdout.splitlines())


def test_datasets_lists_bundled_names() -> None:
    result = invoke("datasets")
    assert result.exit_code == 0
    lines = {line.split()[0]: line for line in result.stdout.splitlines() if line.strip()}
    for name in ("digits", "iris", "wine", "breast_cancer"):
        assert name in lines
    assert "150 items, 4 features, 3 classes" in lines["iris"]
    assert "1797 items, 64 features, 10 classes" in lines["digits"]


def test_version() -> None:
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"activelab, version {__version__}"


def test_click_usage_errors_are_one_line_with_status_2():
    import subprocess
    import sys

    for args in (["bench", "--data", "iris", "--budget", "abc"], ["nope"], ["bench"]):
        done = subprocess.run([sys.executable, "-m", "activelab.cli", *args],
                              capture_output=True, text=True)
        assert done.returncode == 2, args
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and "--help" in lines[0], lines
    shown = subprocess.run([sys.executable, "-m", "activelab.cli"], capture_output=True, text=True)
    assert shown.returncode == 0 and "Commands:" in shown.stdout


def test_a_bad_out_folder_fails_before_the_simulation(tmp_path):
    from click.testing import CliRunner

    from activelab.cli import main

    blocker = tmp_path / "taken"
    blocker.write_text("a file")
    result = CliRunner().invoke(main, ["bench", "--data", "iris", "--budget", "30", "--out", str(blocker)])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [f"error: --out {blocker} is a file; give a folder name"]


def test_knn_needs_three_initial_labels():
    from click.testing import CliRunner

    from activelab.cli import main

    result = CliRunner().invoke(
        main, ["bench", "--data", "iris", "--model", "knn", "--initial", "2", "--budget", "12"]
    )
    assert result.exit_code == 2 and "--initial 3 or more" in result.stderr


def test_bench_leaves_the_callers_warning_filters_alone():
    import warnings

    from activelab.bench import BenchSettings, run_bench
    from activelab.data.datasets import load

    before = list(warnings.filters)
    run_bench(load("iris"), BenchSettings(data="iris", strategies=["margin"], model="mlp",
                                          initial=6, budget=14, batch_size=8, repeats=1))
    assert warnings.filters == before


def test_rich_markup_in_a_file_name_is_printed_as_is(tmp_path, monkeypatch):
    import numpy as np
    import pandas as pd
    from click.testing import CliRunner

    from activelab.cli import main

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(80, 3)), columns=["a", "b", "c"])
    frame["label"] = (frame.a > 0).astype(int)
    frame.to_csv(tmp_path / "data[v2].csv", index=False)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["bench", "--data", "data[v2].csv", "--initial", "4",
                                       "--budget", "20", "--repeats", "1", "--out", "o"])
    assert result.exit_code == 0, result.output
    assert "data[v2].csv" in result.output


# --- --task (active once activelab.cli has the option) ---------------------------------------

needs_task_option = pytest.mark.skipif(
    "task" not in {param.name for param in main.commands["bench"].params},
    reason="activelab bench has no --task option yet",
)


@needs_task_option
def test_bench_regression_gets_the_regression_default_model(tmp_path: Path) -> None:
    import activelab.strategies.regression  # noqa: F401  (registers emcm)

    result = invoke("bench", "--data", "friedman", "--strategies", "emcm,random",
                    "--initial", "10", "--budget", "30", "--repeats", "1", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    results = json.loads((tmp_path / "results.json").read_text())
    assert (results["task"], results["metric"], results["settings"]["model"]) == (
        "regression", "r2", "ridge")
    assert "final R²" in result.stdout and "regression · ridge" in result.stdout


@needs_task_option
def test_bench_task_option_forces_the_task(tmp_path: Path) -> None:
    result = invoke("bench", "--data", "iris", "--task", "Regression", "--strategies", "random",
                    "--initial", "10", "--budget", "30", "--repeats", "1", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "regression target" in result.stdout
    assert json.loads((tmp_path / "results.json").read_text())["metric"] == "r2"


@needs_task_option
def test_bench_unknown_task_and_model_of_another_task() -> None:
    assert_one_line_error(invoke("bench", "--data", "iris", "--task", "clustering"),
                          "'clustering'")
    assert_one_line_error(invoke("bench", "--data", "friedman", "--model", "svm"),
                          "unknown model 'svm'", "(the regression models)")
