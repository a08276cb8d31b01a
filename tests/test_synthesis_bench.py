"""The synthesis bench and `activelab bench --scenario synthesis`."""

from __future__ import annotations

import json

import numpy as np
from click.testing import CliRunner

from activelab.bench.synthesis_bench import (
    BLACK_BOXES,
    SynthesisBenchSettings,
    run_one,
    run_synthesis_bench,
)
from activelab.cli import main
from tests.conftest import raises_user_error


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), prog_name="activelab")


def test_every_method_counts_its_calls_to_the_target_from_its_own_curve():
    methods = ["synthesis", "latent", "pool", "random"]    # optimisation: see test_synthesis
    settings = SynthesisBenchSettings(boxes=["wavy-2d"], methods=methods, seeds=1, max_calls=80,
                                      n_test=1000)
    results = run_synthesis_bench(settings)
    for run in results["runs"]:
        curve = np.array(run["curve"])
        assert np.all(np.diff(curve[:, 0]) > 0)             # one point per oracle call
        hits = curve[curve[:, 1] >= 0.95, 0]
        assert run["calls_to_target"] == (int(hits[0]) if len(hits) else None)
        assert len(run["asked"]) == curve[-1, 0]            # every call is a queried point
    summary = results["summary"]["wavy-2d"]
    assert list(summary) == methods


def test_synthesis_beats_random_inputs_on_the_2d_black_box():
    settings = SynthesisBenchSettings(boxes=["wavy-2d"], methods=["synthesis", "random"],
                                      seeds=1, max_calls=150, n_test=1000)
    calls = {m: run_one("wavy-2d", m, 3, settings)["calls_to_target"] or 150
             for m in ("synthesis", "random")}
    assert calls["synthesis"] < calls["random"]


def test_the_cli_writes_results_the_query_plot_and_a_summary(tmp_path):
    out = tmp_path / "synthesis"
    result = invoke("bench", "--scenario", "synthesis", "--data", "wavy-2d", "--rules",
                    "synthesis,random", "--repeats", "1", "--initial", "4", "--budget", "60",
                    "--out", str(out))
    assert result.exit_code == 0, result.output
    results = json.loads((out / "results.json").read_text())
    assert results["scenario"] == "synthesis"
    assert (out / "queries.png").stat().st_size > 0
    assert "wavy-2d" in (out / "summary.md").read_text()


def test_bad_synthesis_bench_input_is_one_line():
    result = invoke("bench", "--scenario", "synthesis", "--rules", "synthesys")
    assert result.exit_code == 2 and "did you mean 'synthesis'" in result.stderr
    result = invoke("bench", "--scenario", "synthesis", "--data", "wavy-3d")
    assert result.exit_code == 2 and "unknown black box 'wavy-3d'" in result.stderr
    result = invoke("bench", "--scenario", "synthesis", "--budget", "3", "--initial", "4")
    assert result.exit_code == 2 and "must be larger than --initial" in result.stderr
    assert len(result.stderr.splitlines()) == 1
    with raises_user_error("at least one"):
        SynthesisBenchSettings(methods=[]).check()
    assert set(BLACK_BOXES) == {"wavy-2d", "tilted-10d"}


# ---- --data digits: generative active learning on images ---------------------------------------


def test_every_digits_method_runs_end_to_end_on_tiny_settings():
    import pytest

    pytest.importorskip("torch", reason="torch is not installed: pip install 'activelab[torch]'")
    from activelab.bench.image_synthesis_bench import (
        IMAGE_METHODS,
        ImageSynthesisSettings,
        run_image_synthesis_bench,
    )

    settings = ImageSynthesisSettings(seeds=1, initial=10, budget=20, batch_size=5, vae_epochs=2)
    results = run_image_synthesis_bench(settings)
    assert results["oracle_training_accuracy"] > 0.99          # a strong stand-in for a person
    assert [r["method"] for r in results["runs"]] == list(IMAGE_METHODS)
    for run in results["runs"]:
        curve = np.array(run["curve"])
        assert curve[:, 0].tolist() == [10, 15, 20]             # labels after each batch
        target = 0.9 * run["full_accuracy"]
        hits = curve[curve[:, 1] >= target, 0]
        assert run["labels_to_90pct_full"] == (int(hits[0]) if len(hits) else None)
        grid = run["grid"]
        assert len(grid["images"]) == 10 and all(len(image) == 64 for image in grid["images"])
        assert 0 <= run["confident_share"] <= 1
    # a pool method queries real digits: the grid's images are rows of the data set
    from sklearn.datasets import load_digits

    digits = load_digits().data
    pool_grid = next(r for r in results["runs"] if r["method"] == "pool")["grid"]["images"]
    assert all((np.abs(digits - np.array(image)).sum(axis=1) < 1e-9).any() for image in pool_grid)


def test_the_cli_runs_the_digits_bench_and_draws_the_query_grid(tmp_path):
    out = tmp_path / "digits"
    result = invoke("bench", "--scenario", "synthesis", "--data", "digits", "--rules",
                    "latent-gmm,pool,random", "--repeats", "1", "--initial", "10", "--budget",
                    "20", "--out", str(out))
    assert result.exit_code == 0, result.output
    results = json.loads((out / "results.json").read_text())
    assert results["data"] == "digits" and list(results["summary"]) == ["latent-gmm", "pool",
                                                                        "random"]
    assert (out / "queries.png").stat().st_size > 0
    assert (out / "learning_curves.png").stat().st_size > 0
    assert "oracle-confident" in (out / "summary.md").read_text()
    result = invoke("bench", "--scenario", "synthesis", "--data", "digits", "--rules", "gaal,gal")
    assert result.exit_code == 2 and "did you mean 'gaal'" in result.stderr
