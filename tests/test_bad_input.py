"""Bad input is refused before anything is created or written (issue 17): the bench's
options, the server commands, CSV typing, and ActiveLoop's arguments."""

from __future__ import annotations

import logging
import socket
import warnings
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner, Result
from conftest import raises_user_error
from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression

from activelab import ActiveLoop, Pool, SimulatedOracle, strategies
from activelab.bench import BenchSettings
from activelab.bench.report import output_folder
from activelab.cli import main
from activelab.data.datasets import load
from activelab.errors import ActiveLabError
from activelab.stopping import LabelBudget
from activelab.validation import (
    MAX_SEED,
    check_instances,
    check_options_apply,
    check_out_folder,
    check_seed,
    stray_non_numbers,
)


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), prog_name="activelab")


def refused(result: Result, *fragments: str) -> str:
    """Exit status 2, one stderr line, no traceback, every fragment in it."""
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def listing(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


# --- the bench's options ------------------------------------------------------------------


BAD_NUMBERS = [
    (["--seed", "-1"], "--seed must be between 0 and 4294967295"),
    (["--seed", str(2**32)], "--seed must be between 0 and 4294967295"),
    (["--seed", str(MAX_SEED), "--repeats", "2"], "runs up to 4294967296"),
    (["--repeats", "1001"], "--repeats must be at most 1000"),
]


@pytest.mark.parametrize(
    ("scenario", "args", "fragment"),
    [(scenario, *case) for scenario in ("pool", "stream", "synthesis") for case in BAD_NUMBERS]
    + [("pool", ["--jobs", "5000"], "--jobs must be at most 1024")],
)
def test_bench_refuses_bad_seeds_and_counts_before_running(
    tmp_path: Path, scenario: str, args: list[str], fragment: str
) -> None:
    data = ["--data", "iris"] if scenario == "pool" else []
    result = invoke("bench", "--scenario", scenario, *data, *args, "--out", str(tmp_path / "o"))
    refused(result, fragment)
    assert listing(tmp_path) == set()


def test_bench_refuses_too_many_stream_items(tmp_path: Path) -> None:
    result = invoke("bench", "--scenario", "stream", "--items", str(10**8 + 1),
                    "--out", str(tmp_path / "o"))
    refused(result, "--items must be at most 100,000,000")
    assert listing(tmp_path) == set()


@pytest.mark.parametrize(
    ("scenario", "option", "value"),
    [
        ("pool", "--rules", "random"),
        ("pool", "--label-fraction", "0.1"),
        ("pool", "--items", "500"),
        ("stream", "--strategies", "margin"),
        ("stream", "--budget", "50"),
        ("stream", "--test-size", "0.3"),
        ("stream", "--categorical", "a"),
        ("synthesis", "--model", "logreg"),
        ("synthesis", "--label-fraction", "0.1"),
        ("synthesis", "--jobs", "2"),
    ],
)
def test_bench_refuses_options_of_another_scenario(
    tmp_path: Path, scenario: str, option: str, value: str
) -> None:
    data = ["--data", "iris"] if scenario == "pool" else []
    result = invoke("bench", "--scenario", scenario, *data, option, value,
                    "--out", str(tmp_path / "o"))
    refused(result, option, f"--scenario {scenario}")
    assert listing(tmp_path) == set()


@pytest.mark.parametrize(
    "args",
    [
        ["--scenario", "stream", "--label-fraction", "2"],
        ["--scenario", "stream", "--rules", "nope"],
        ["--scenario", "synthesis", "--rules", "nope"],
        ["--scenario", "synthesis", "--initial", "20", "--budget", "10"],
        ["--data", "iris", "--strategies", "margn"],
    ],
)
def test_a_refused_bench_leaves_no_out_folder(tmp_path: Path, args: list[str]) -> None:
    result = invoke("bench", *args, "--out", str(tmp_path / "deep" / "o"))
    assert result.exit_code == 2, result.output
    assert listing(tmp_path) == set()


def test_bench_refuses_an_empty_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for scenario in ("pool", "stream"):
        data = ["--data", "iris"] if scenario == "pool" else []
        refused(invoke("bench", "--scenario", scenario, *data, "--out", ""), "--out is empty")
    assert listing(tmp_path) == set()


def test_output_folder_removes_what_it_made_when_the_writing_fails(tmp_path: Path) -> None:
    with pytest.raises(OSError), output_folder(tmp_path / "a" / "b") as folder:
        (folder / "results.json").write_text("{}")
        raise OSError("disk full")
    assert listing(tmp_path) == set()
    (tmp_path / "kept").mkdir()
    with pytest.raises(OSError), output_folder(tmp_path / "kept"):
        raise OSError("disk full")
    assert listing(tmp_path) == {"kept"}


def test_bench_settings_refuse_seeds_numpy_cannot_take() -> None:
    with raises_user_error("--seed must be between 0 and 4294967295"):
        BenchSettings(data="iris", seed=-1)
    with raises_user_error(r"--repeats must be at most 1000; got 5000"):
        BenchSettings(data="iris", repeats=5000)
    with raises_user_error("strategies must be a list of names"):
        BenchSettings(data="iris", strategies="margin")  # type: ignore[arg-type]


def test_shared_checks() -> None:
    assert check_seed(MAX_SEED) == MAX_SEED
    with raises_user_error("got True"):
        check_seed(True)
    with raises_user_error("--rules does not apply to --scenario pool"):
        check_options_apply(["--seed", "--rules"], "--scenario pool", ["--seed"])
    with raises_user_error("is a file"):
        check_out_folder(__file__)
    assert check_out_folder("some/new/folder") == Path("some/new/folder")


# --- CSV typing -----------------------------------------------------------------------------


def _sizes_csv(tmp_path: Path, bad: dict[int, str]) -> Path:
    rows = ["size,colour,target"]
    for i in range(30):
        rows.append(f"{bad.get(i, 5 + i / 10)},{'red' if i % 3 else 'blue'},{i % 2}")
    path = tmp_path / "sizes.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def test_a_mostly_numeric_column_with_a_typo_is_refused_with_its_rows(tmp_path: Path) -> None:
    path = _sizes_csv(tmp_path, {3: "5.1cm", 7: "five"})
    with raises_user_error(
        r"column 'size' holds numbers except in 2 rows \(data row 4: '5.1cm', "
        r"data row 8: 'five'\); fix those cells, or pass --categorical size"
    ):
        load(str(path))
    result = invoke("bench", "--data", str(path), "--out", str(tmp_path / "o"))
    refused(result, "data row 4: '5.1cm'")
    assert not (tmp_path / "o").exists()


def test_categorical_names_a_column_to_one_hot_encode(tmp_path: Path) -> None:
    path = _sizes_csv(tmp_path, {3: "5.1cm"})
    dataset = load(str(path), categorical=["size"])
    assert "size=5.1cm" in dataset.feature_names
    plain = load(str(_sizes_csv(tmp_path, {})))
    assert "size" in plain.feature_names  # numbers stay one column
    assert "size=5.0" in load(str(_sizes_csv(tmp_path, {})), categorical="size").feature_names
    assert "colour=red" in plain.feature_names  # real categories are still one-hot encoded


@pytest.mark.parametrize(
    ("name", "categorical", "message"),
    [
        ("sizes.csv", ["width"], "has no column 'width' \\(from --categorical\\)"),
        ("sizes.csv", ["target"], "--categorical 'target' is the label column"),
        ("iris", ["a"], "do not pass --categorical"),
    ],
)
def test_categorical_refuses_what_it_cannot_name(
    tmp_path: Path, name: str, categorical: list[str], message: str
) -> None:
    source = str(_sizes_csv(tmp_path, {})) if name.endswith(".csv") else name
    with raises_user_error(message):
        load(source, categorical=categorical)


def test_categorical_needs_a_table(tmp_path: Path) -> None:
    path = tmp_path / "d.npz"
    np.savez(path, X=np.eye(4), y=np.array([0, 1, 0, 1]))
    with raises_user_error("--categorical names columns of a table"):
        load(str(path), categorical=["x0"])


def test_stray_non_numbers_counts_only_filled_cells() -> None:
    assert stray_non_numbers([1, 2.0, None, float("nan"), " ", "3"] * 3 + ["x"]).tolist() == [18]
    assert stray_non_numbers(["a", "b", "1"]) is None  # categories with a number among them
    assert stray_non_numbers(["1", "2"]) is None  # all numbers


# --- the server commands ------------------------------------------------------------------


def _items(tmp_path: Path) -> Path:
    path = tmp_path / "items.csv"
    path.write_text("id,text\n1,a cat\n2,a dog\n3,a bird\n")
    return path


def test_serve_refuses_a_bad_port_before_writing(tmp_path: Path) -> None:
    pytest.importorskip("fastapi")
    data = _items(tmp_path)
    base = ["serve", "--data", str(data), "--text-column", "text", "--labels", "a,b"]
    refused(invoke(*base, "--port", "70000"), "--port must be at most 65535; got 70000")
    refused(invoke(*base, "--seed", "-3"), "--seed must be between 0")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        refused(invoke(*base, "--port", str(port)), f"cannot listen on --host 127.0.0.1 --port {port}")
    refused(invoke(*base, "--db", f"sqlite:///{tmp_path}/nowhere/x.db"), "does not exist")
    assert listing(tmp_path) == {"items.csv"}


@pytest.mark.parametrize(
    "args",
    [
        ["users", "add", "ann", "--role", "annotator", "--data", "{tmp}/items.csv"],
        ["users", "add", "ann", "--role", "annotator", "--data", "{tmp}/missing.csv"],
        ["users", "add", "ann", "--role", "annotator", "--data", "{tmp}/no/such/items.csv"],
        ["users", "add", "ann", "--role", "annotator", "--db", "sqlite:///{tmp}/other.db"],
        ["users", "list", "--data", "{tmp}/items.csv"],
        ["export", "--data", "{tmp}/items.csv"],
        ["export", "--db", "sqlite:///{tmp}/no/such/x.db"],
        ["export", "--data", "{tmp}/items.csv", "--out", "{tmp}/no/such/labels.csv"],
    ],
)
def test_server_commands_never_create_a_database(tmp_path: Path, args: list[str]) -> None:
    pytest.importorskip("sqlalchemy")
    _items(tmp_path)
    result = invoke(*[a.format(tmp=tmp_path) for a in args])
    refused(result)
    assert listing(tmp_path) == {"items.csv"}


# --- ActiveLoop -----------------------------------------------------------------------------


def _loop(**kwargs: object) -> ActiveLoop:
    X = np.random.default_rng(0).normal(size=(40, 2))
    y = (X[:, 0] > 0).astype(int)
    pool = Pool(X)
    pool.add_labels([0, 1, 2, 3], y[:4])
    return ActiveLoop(LogisticRegression(), pool, strategies.get("margin"), SimulatedOracle(y),
                      batch_size=2, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"stopping": [100]}, r"stopping\[0\] is 100 \(a int\), not a StoppingRule"),
        ({"stopping": [LabelBudget]}, r"stopping\[0\] is the class LabelBudget, not an instance"),
        ({"stopping": LabelBudget(10)}, "stopping must be a list of StoppingRule objects"),
        ({"metrics": [lambda y_true, y_pred: 0.0]}, r"cannot be called as metric\(model, X, y\)"),
        ({"callbacks": [lambda: None]}, r"callback\(loop, record\)"),
        ({"training": LabelBudget(3)}, "training must be a TrainingPolicy object"),
        ({"cold_start": "random"}, "cold_start must be an activelab Strategy"),
    ],
)
def test_active_loop_refuses_bad_parts_when_built(kwargs: dict, message: str) -> None:
    with raises_user_error(message):
        _loop(**kwargs)


def test_active_loop_accepts_duck_typed_stopping_rules_and_scorers() -> None:
    class Never:
        def reason(self, loop: object) -> None:
            return None

        def remaining(self, loop: object) -> None:
            return None

    loop = _loop(stopping=[Never(), LabelBudget(8)], metrics=["accuracy", lambda m, X, y: 1.0])
    assert loop.run()[-1].n_labeled == 8


def test_told_ids_that_were_never_asked_are_counted(caplog: pytest.LogCaptureFixture) -> None:
    loop = _loop()
    asked = loop.ask()
    with caplog.at_level(logging.INFO, logger="activelab"):
        loop.tell(asked.ids, [0, 1])
        assert loop.n_told_unasked == 0
        others = [i for i in range(4, 40) if i not in asked.ids][:3]
        loop.tell(np.array(others, dtype=np.int64), [0, 1, 0])
    assert loop.n_told_unasked == 3
    assert f"e.g. {others}" in caplog.text  # plain ids, not np.int64(...)
    with raises_user_error(r"1 id\(s\) are not in the pool, e.g. \[999\]"):
        loop.tell([999], [1])


def test_a_one_class_model_warns_once() -> None:
    class Scorer(BaseEstimator):  # no ClassifierMixin: the loop cannot tell it needs 2 classes
        def fit(self, X: np.ndarray, y: np.ndarray) -> Scorer:
            self.classes_ = np.unique(y)
            return self

        def decision_function(self, X: np.ndarray) -> np.ndarray:
            return np.zeros(len(X))

    pool = Pool(np.arange(20.0).reshape(10, 2))
    pool.add_labels([0, 1], [1, 1])
    loop = ActiveLoop(Scorer(), pool, strategies.get("margin"), batch_size=1)
    with pytest.warns(UserWarning, match=r"fit on labels of one class only \(1\)"):
        loop.ask()
    loop.tell([5], [1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loop.ask()


def test_messages_show_ids_and_values_as_written() -> None:
    pool = Pool(np.eye(3))
    pool.add_labels(np.array([0]), np.array([1]))
    with pytest.raises(ActiveLabError) as excinfo:
        pool.add_labels(np.array([0], dtype=np.int64), np.array([2]))
    assert "id 0 is already labeled 1" in str(excinfo.value)
    assert "np." not in str(excinfo.value)
    with pytest.raises(ActiveLabError) as excinfo:
        _loop().tell([5], [1], cost=np.float64(-1.0))
    assert "got -1.0" in str(excinfo.value) and "np." not in str(excinfo.value)
    with raises_user_error(r"stopping\[0\] is 3 \(a int64\)"):
        check_instances([np.int64(3)], LabelBudget, "stopping", "stopping=[LabelBudget(9)]")
