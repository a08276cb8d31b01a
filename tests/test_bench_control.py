"""The random control slice in the bench: coverage by hand, ``--control`` end to end on the
tiny suite, and bad shares refused."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from activelab.bench.control_slice import control_summary, coverage
from activelab.bench.runner import BenchSettings
from activelab.cli import main
from activelab.errors import ActiveLabError


def _row(estimate, low, high, truth, test=None):
    return {"estimate": estimate, "low": low, "high": high, "pool_truth": truth,
            "test_accuracy": test, "gain": None}


def test_coverage_counts_the_intervals_that_hold_the_truth_by_hand():
    rows = [_row(0.80, 0.70, 0.90, 0.85), _row(0.60, 0.50, 0.70, 0.72),
            _row(0.90, 0.80, 1.00, 0.80), _row(0.75, 0.65, 0.85, 0.60)]
    # held: 0.85 in [.7,.9] yes; 0.72 in [.5,.7] no; 0.80 on the edge yes; 0.60 no -> 2/4
    # errors: -0.05, -0.12, +0.10, +0.15 -> mean +0.02
    assert coverage(rows) == {"covered": 0.5, "mean_error": pytest.approx(0.02),
                              "rounds": 4}
    # rows without that truth are left out, and no rows give no numbers
    assert coverage(rows, "test_accuracy") == {"covered": None, "mean_error": None, "rounds": 0}


def test_control_summary_pools_rounds_and_pairs_the_aulc_cost_by_seed():
    runs = [[_row(0.8, 0.7, 0.9, 0.75)], [_row(0.8, 0.7, 0.9, 0.95), _row(0.8, 0.7, 0.9, 0.7)]]
    summary = control_summary(runs, aulc_with=[0.80, 0.70], aulc_without=[0.83, 0.69])
    assert summary["coverage"]["pool_truth"]["covered"] == pytest.approx(2 / 3)
    assert summary["aulc_cost"]["per_repeat"] == pytest.approx([0.03, -0.01])
    assert summary["aulc_cost"]["mean"] == pytest.approx(0.01)
    assert summary["final_gain"]["mean"] is None


def test_cli_control_on_the_tiny_suite_writes_coverage_and_cost(tmp_path):
    out = tmp_path / "suite"
    result = CliRunner().invoke(main, ["bench", "--suite", "tiny", "--repeats", "2",
                                       "--strategies", "margin,random", "--control", "0.2",
                                       "--out", str(out)], prog_name="activelab")
    assert result.exit_code == 0, result.output
    assert "control slice" in result.stdout
    document = json.loads((out / "results.json").read_text())
    assert document["settings"]["control"] == 0.2
    costs = []
    for data in ("iris", "wine"):
        run = json.loads((out / "datasets" / data / "results.json").read_text())
        assert run["settings"]["control"] == 0.2
        entry = run["strategies"]["margin"]
        control = entry["control"]
        rows = [row for seed in control["rounds"] for row in seed]
        # the coverage recomputed from the rows in the file, by hand
        held = [r["low"] <= r["pool_truth"] <= r["high"] for r in rows]
        assert control["coverage"]["pool_truth"] == pytest.approx(
            {"covered": np.mean(held), "rounds": len(rows),
             "mean_error": np.mean([r["estimate"] - r["pool_truth"] for r in rows])})
        # every test accuracy is one of the learning curve's points of that seed
        for seed, curve in zip(control["rounds"], entry["curves"]):
            points = {n: a for n, a in curve}
            assert all(points[r["n_labeled"]] == r["test_accuracy"] for r in seed)
        cost = np.subtract(control["aulc_without_control"], entry["aulc"]["per_repeat"])
        assert control["aulc_cost"]["per_repeat"] == pytest.approx(cost.tolist())
        costs.append(cost.mean())
        assert "Control slice" in (out / "datasets" / data / "report.html").read_text()
    margin = document["control"]["strategies"]["margin"]
    assert margin["aulc_cost_mean"] == pytest.approx(np.mean(costs))
    assert 0 <= margin["coverage"]["pool_truth"]["covered"] <= 1
    summary = (out / "summary.md").read_text()
    assert "covers the pool truth" in summary and "AULC cost" in summary


@pytest.mark.parametrize("share", ["-0.1", "1", "1.5", "nan", "inf"])
def test_cli_refuses_a_bad_control_share_in_one_line(tmp_path, share):
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["bench", "--data", "iris", "--control", share,
                                       "--out", str(out)], prog_name="activelab")
    assert result.exit_code == 2, result.output
    message = result.stderr.strip()
    assert "--control must be the share of each batch" in message, message
    assert len(message.splitlines()) == 1 and "Traceback" not in result.output
    assert not out.exists()


def test_control_needs_classification_and_a_number():
    from activelab.data.datasets import load

    with pytest.raises(ActiveLabError, match="--control measures accuracy"):
        BenchSettings(data="diabetes", control=0.1).check(load("diabetes"))
    with pytest.raises(ActiveLabError, match="--control must be"):
        BenchSettings(data="iris", control="0.1")
