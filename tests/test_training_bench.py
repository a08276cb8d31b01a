"""The bench's --training option: each policy reaches the simulated loops, bad pairs are refused."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from conftest import raises_user_error

from activelab.bench.runner import BenchSettings, run_bench
from activelab.cli import main
from activelab.data.datasets import load

SMALL = dict(data="iris", strategies=["entropy"], initial=6, budget=16, batch_size=5, repeats=1)


@pytest.mark.parametrize("training, model", [("full", "logreg"), ("incremental", "nb"),
                                             ("self-training", "logreg"), ("ceal", "logreg")])
def test_each_training_policy_runs_in_the_bench_and_is_recorded(training, model):
    results = run_bench(load("iris"), BenchSettings(**SMALL, model=model, training=training))
    assert results["settings"]["training"] == training
    curve = results["strategies"]["entropy"]["curves"][0]
    assert [n for n, _ in curve] == [6, 11, 16]


def test_bench_refuses_a_policy_its_model_cannot_follow():
    with raises_user_error("--training incremental needs a model with partial_fit or warm_start"):
        BenchSettings(**SMALL, model="svm", training="incremental").check(load("iris"))
    with raises_user_error("--training ceal pseudo-labels from class probabilities"):
        BenchSettings(**SMALL, model="svm", training="ceal").check(load("iris"))
    with raises_user_error("unknown training policy"):
        BenchSettings(**SMALL, training="sometimes")


def test_cli_training_option(tmp_path):
    result = CliRunner().invoke(main, [
        "bench", "--data", "iris", "--strategies", "entropy", "--initial", "6", "--budget",
        "11", "--repeats", "1", "--training", "self-training", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "results.json").read_text())["settings"]["training"] == (
        "self-training")
