"""``activelab query``: the rows to label next from a partly labeled table, in any of the
table formats, checked against a brute-force margin query and refusing bad input whole."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from sklearn.model_selection import StratifiedKFold

from activelab.cli import main
from activelab.models.catalog import make_model
from activelab.table_query import query_table, wilson_interval


def _table(n: int = 300, n_labeled: int = 40, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    colour = rng.choice(["red", "green", "blue"], size=n)
    y = np.where(X[:, 0] + 0.5 * X[:, 1] + (colour == "red") > 0.3, "yes", "no")
    label = np.where(np.arange(n) < n_labeled, y, None)
    return pd.DataFrame({"id": [f"r{i}" for i in range(n)], "a": X[:, 0], "b": X[:, 1],
                         "c": X[:, 2], "colour": colour, "label": label})


def _write(frame: pd.DataFrame, path: Path) -> Path:
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
    elif path.suffix == ".jsonl":
        frame.to_json(path, orient="records", lines=True)
    elif path.suffix == ".parquet":
        frame.to_parquet(path, row_group_size=64)
    else:
        datasets = pytest.importorskip("datasets")
        datasets.Dataset.from_pandas(frame, preserve_index=False).save_to_disk(str(path))
    return path


def _run(*args: str):
    return CliRunner().invoke(main, ["query", *args])


def test_margin_query_matches_brute_force(tmp_path: Path) -> None:
    frame = _table()
    path = _write(frame, tmp_path / "rows.csv")
    result = query_table(path, batch_size=7, seed=3, strategy="margin")
    # by hand: the same features (numbers as they are, colour one-hot in sorted order),
    # the catalog's logreg fit on the labeled rows, the smallest top-two gap first
    X = np.column_stack([frame[["a", "b", "c"]].to_numpy(),
                         *[(frame["colour"] == c).to_numpy(float) for c in ("blue", "green", "red")]])
    labeled = frame["label"].notna().to_numpy()
    model = make_model("logreg", 3).fit(X[labeled], frame["label"][labeled].to_numpy())
    proba = np.sort(model.predict_proba(X[~labeled]), axis=1)
    gap = proba[:, -1] - proba[:, -2]
    ids = frame["id"].to_numpy()[~labeled]
    order = np.lexsort((ids, gap))[:7]
    assert [row["id"] for row in result.rows] == ids[order].tolist()
    assert [row["score"] for row in result.rows] == pytest.approx((-gap[order]).tolist())
    guesses = model.predict(X[~labeled][order])
    assert [row["guess"] for row in result.rows] == guesses.tolist()
    assert [row["confidence"] for row in result.rows] == pytest.approx(
        proba[order, -1].tolist(), abs=1e-6)


@pytest.mark.parametrize("name", ["rows.jsonl", "rows.parquet", "rows_hf"])
def test_every_table_format_gives_the_csv_answer(tmp_path: Path, name: str) -> None:
    frame = _table()
    expected = query_table(_write(frame, tmp_path / "rows.csv"), batch_size=5, seed=1).rows
    got = query_table(_write(frame, tmp_path / name), batch_size=5, seed=1, batch_rows=50).rows
    assert [r["id"] for r in got] == [r["id"] for r in expected]
    assert [r["score"] for r in got] == pytest.approx([r["score"] for r in expected])


def test_features_on_disk_give_the_in_memory_answer(tmp_path: Path) -> None:
    path = _write(_table(), tmp_path / "rows.parquet")
    in_memory = query_table(path, batch_size=6, seed=2, strategy="entropy")
    on_disk = query_table(path, batch_size=6, seed=2, strategy="entropy", memory_budget=0,
                          batch_rows=37)
    assert on_disk.rows == in_memory.rows


def test_same_seed_same_rows_and_the_file_is_whole(tmp_path: Path) -> None:
    path = _write(_table(), tmp_path / "rows.csv")
    outs = []
    for name in ("a.jsonl", "b.jsonl"):
        result = _run("--data", str(path), "--strategy", "random", "--seed", "5",
                      "--batch-size", "8", "--out", str(tmp_path / name))
        assert result.exit_code == 0, result.output
        outs.append((tmp_path / name).read_text())
    assert outs[0] == outs[1]
    rows = [json.loads(line) for line in outs[0].splitlines()]
    assert [r["rank"] for r in rows] == list(range(1, 9))
    assert "labels so far: 40 of 300 rows" in result.output


def test_summary_reports_counts_and_a_cross_validated_accuracy(tmp_path: Path) -> None:
    frame = _table()
    path = _write(frame, tmp_path / "rows.csv")
    result = query_table(path, batch_size=3, seed=4)
    labeled = frame[frame["label"].notna()]
    assert result.facts["per_class"] == labeled["label"].value_counts().sort_index().to_dict()
    # by hand: 5 stratified folds, the catalog's logreg, one prediction per labeled row
    X = np.column_stack([labeled[["a", "b", "c"]].to_numpy(),
                         *[(labeled["colour"] == c).to_numpy(float) for c in ("blue", "green", "red")]])
    y = labeled["label"].to_numpy()
    correct = 0
    for train, test in StratifiedKFold(5, shuffle=True, random_state=4).split(X, y):
        model = make_model("logreg", 4).fit(X[train], y[train])
        correct += int((model.predict(X[test]) == y[test]).sum())
    accuracy = result.facts["accuracy"]
    assert accuracy["accuracy"] == pytest.approx(correct / len(y))
    assert (accuracy["low"], accuracy["high"]) == pytest.approx(wilson_interval(correct, len(y)))
    assert f"{correct / len(y):.3f}" in result.summary[1]


def test_wilson_interval_matches_the_published_value() -> None:
    # Newcombe (1998), Table I, case 81/263: 0.2553 to 0.3662
    low, high = wilson_interval(81, 263)
    assert (round(low, 4), round(high, 4)) == (0.2553, 0.3662)


def test_free_text_columns_are_hashed_words(tmp_path: Path) -> None:
    words = {"yes": ["great", "fine", "good"], "no": ["awful", "bad", "poor"]}
    rng = np.random.default_rng(0)
    kinds = rng.choice(["yes", "no"], size=120)
    texts = [" ".join(rng.choice(words[k], size=3)) + f" item{i}" for i, k in enumerate(kinds)]
    frame = pd.DataFrame({"text": texts, "label": np.where(np.arange(120) < 20, kinds, "")})
    result = query_table(_write(frame, tmp_path / "docs.csv"), batch_size=4)
    assert len(result.rows) == 4 and all(r["id"] >= 20 for r in result.rows)


@pytest.mark.parametrize(("change", "args", "message"), [
    (lambda f: f.drop(columns=["label"]), [], "no column is called"),
    (lambda f: f.assign(label="yes"), [], "every row is labeled"),
    (lambda f: f.assign(label=None), [], "no row has a label"),
    (lambda f: f.assign(label=np.where(f["label"].notna(), "yes", None)), [], "the same label"),
    (lambda f: f, ["--target", "nope"], "has no column 'nope'"),
    (lambda f: f, ["--id-column", "nope"], "has no column 'nope'"),
    (lambda f: f, ["--strategy", "nope"], "unknown strategy"),
])
def test_bad_input_is_one_line_exit_2_and_no_file(tmp_path: Path, change, args: list[str],
                                                  message: str) -> None:
    path = _write(change(_table()), tmp_path / "rows.csv")
    out = tmp_path / "next.csv"
    result = _run("--data", str(path), "--out", str(out), *args)
    assert result.exit_code == 2 and message in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not out.exists()


def test_an_unreadable_file_keeps_the_old_output(tmp_path: Path) -> None:
    path = tmp_path / "rows.parquet"
    path.write_bytes(b"not parquet at all")
    out = tmp_path / "next.csv"
    out.write_text("old\n")
    result = _run("--data", str(path), "--out", str(out))
    assert result.exit_code == 2 and "could not read 'rows.parquet'" in result.output
    assert out.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["next.csv", "rows.parquet"]


def test_stdout_gets_csv_and_stderr_the_summary(tmp_path: Path) -> None:
    path = _write(_table(), tmp_path / "rows.csv")
    result = CliRunner().invoke(main, ["query", "--data", str(path), "--batch-size", "3", "--strategy", "margin"])
    assert result.exit_code == 0
    rows = list(csv.DictReader(result.stdout.splitlines()))
    assert [r["rank"] for r in rows] == ["1", "2", "3"]
    assert "estimated accuracy" in result.stderr and "strategy margin" in result.stderr
