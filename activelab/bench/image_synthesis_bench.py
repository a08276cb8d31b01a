"""The image synthesis bench: generative active learning on 8x8 digits.

``activelab bench --scenario synthesis --data digits``. Per seed the digits are split into
a pool (75%) and a test set (25%), a :class:`~activelab.models.vae.VAE` is trained on the
pool's images (labels unseen), and every method starts from the same ``initial`` pool
items with their true labels, then spends oracle calls ``batch_size`` at a time:

* ``gaal`` — :class:`~activelab.scenarios.generative.LatentSearch` through the VAE, margin,
  with the realism guard; ``gaal-unguarded`` — the same without it;
* ``latent-vae`` — :class:`~activelab.scenarios.synthesisers.LatentSynthesis` sampling the
  VAE's prior (through :class:`~activelab.scenarios.synthesisers.DecoderGenerator`), the
  best margin of 500 samples; ``latent-gmm`` — the same with a Gaussian mixture of the pool;
* ``pool`` — margin sampling over the pool; ``pool-bgadl`` — the same, trained with
  :class:`~activelab.augmentation.GenerativeAugmentation` (5 neighbours per label, weight 0.5);
  ``pool-bgadl-plain`` — with the plain decoded neighbours (``residual=False``);
* ``random`` — random pool items.

**The oracle.** A pool item gets its true label (a person labels real digits). A
synthesised image is labeled by a *stand-in for a person*: an RBF SVM (C = 10,
γ = 0.001) trained on all 1,797 digits, its probabilities calibrated by 5-fold
cross-validation (:func:`stand_in_oracle`). Its confidence on a synthesised image is the
proxy for "recognisable": the bench reports the share of synthesised queries it labels
with confidence above 0.9.

The learner is logistic regression on the raw pixels. Its accuracy on the test set after
every batch gives the curve; the summary gives AULC, accuracy at the budget, and the
labels needed to reach 90% of the accuracy of the same learner trained on the whole pool.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .. import __version__
from ..errors import ActiveLabError
from ..registry import Registry
from ..validation import check_int
from .metrics import aulc, labels_to_reach, mean_curve
from .report import output_folder, write_scenario_outputs
from .synthesis_bench import check_methods_and_seeds

__all__ = ["IMAGE_METHODS", "ImageSynthesisSettings", "digits_split", "run_image_synthesis_bench",
           "stand_in_oracle", "write_image_synthesis_outputs"]

#: The methods: name -> what it is, for the summary.
IMAGE_METHODS: Registry[str] = Registry("digits synthesis method", sort=False)
IMAGE_METHODS.add("gaal", "LatentSearch through the VAE, margin, realism guard")
IMAGE_METHODS.add("gaal-unguarded", "LatentSearch through the VAE, margin, no guard")
IMAGE_METHODS.add("latent-vae", "LatentSynthesis, 500 VAE prior samples, margin")
IMAGE_METHODS.add("latent-gmm", "LatentSynthesis, 500 Gaussian-mixture samples, margin")
IMAGE_METHODS.add("pool", "margin sampling over the pool")
IMAGE_METHODS.add("pool-bgadl", "margin sampling + GenerativeAugmentation")
IMAGE_METHODS.add("pool-bgadl-plain", "the same with plain decoded samples (residual=False)")
IMAGE_METHODS.add("random", "random pool items")

SYNTHESISING = ("gaal", "gaal-unguarded", "latent-vae", "latent-gmm")

#: Queries of the first seed kept per method for the picture grid.
GRID_QUERIES = 12

#: The most oracle calls (--budget) one run may spend.
MAX_CALLS = 1000


@dataclass(frozen=True)
class ImageSynthesisSettings:
    """Everything that defines a digits synthesis bench run; written to results.json."""

    methods: list[str] = field(default_factory=lambda: list(IMAGE_METHODS))
    seeds: int = 10
    seed: int = 0
    initial: int = 10
    budget: int = 150
    batch_size: int = 5
    vae_epochs: int = 60
    test_size: float = 0.25

    def check(self) -> None:
        check_methods_and_seeds(IMAGE_METHODS, self.methods, self.seeds, self.seed)
        check_int(self.initial, "--initial", 2, 500)
        check_int(self.budget, "--budget", 3, MAX_CALLS)
        check_int(self.batch_size, "batch_size", 1, 100)
        check_int(self.vae_epochs, "vae_epochs", 1, 10_000)
        if self.budget <= self.initial:
            raise ActiveLabError(
                f"--budget ({self.budget} calls) must be larger than --initial ({self.initial})")


def stand_in_oracle(X: np.ndarray, y: np.ndarray) -> Any:
    """The stand-in for a person: a calibrated RBF SVM trained on every digit (``predict_proba``)."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.svm import SVC

    return CalibratedClassifierCV(SVC(C=10.0, gamma=0.001), cv=5, ensemble=False).fit(X, y)


def _learner() -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(max_iter=3000)


@dataclass
class _Split:
    """One seed's data: the pool, the test set, the initial items and the trained VAE."""

    X_pool: np.ndarray
    y_pool: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    first: np.ndarray
    vae: Any
    full_accuracy: float


def digits_split(X: np.ndarray, y: np.ndarray, seed: int, settings: ImageSynthesisSettings) -> _Split:
    """One seed's pool / test split, initial items, VAE trained on the pool (when a method
    needs it) and full-pool accuracy."""
    from sklearn.model_selection import train_test_split

    X_pool, X_test, y_pool, y_test = train_test_split(
        X, y, test_size=settings.test_size, stratify=y, random_state=seed)
    rng = np.random.default_rng(seed)
    first = rng.choice(len(X_pool), settings.initial, replace=False)
    vae = None
    if set(settings.methods) - {"latent-gmm", "pool", "random"}:
        from ..augmentation import new_vae

        vae = new_vae(epochs=settings.vae_epochs, random_state=seed).fit(X_pool)
    full = float(_learner().fit(X_pool, y_pool).score(X_test, y_test))
    return _Split(X_pool, y_pool, X_test, y_test, first, vae, full)


def _synthesiser(method: str, data: _Split) -> Any:
    from ..scenarios.generative import LatentSearch
    from ..scenarios.synthesisers import DecoderGenerator, LatentSynthesis

    if method == "gaal":
        return LatentSearch(data.vae, refit=False)
    if method == "gaal-unguarded":
        return LatentSearch(data.vae, radius=None, refit=False)
    if method == "latent-vae":
        return LatentSynthesis(DecoderGenerator(data.vae.decode, data.vae.latent_dim))
    return LatentSynthesis("gmm")


def _run_synthesis(method: str, data: _Split, oracle: Any, seed: int,
                   settings: ImageSynthesisSettings) -> tuple[list[list[float]], np.ndarray]:
    from ..scenarios.space import InputSpace
    from ..scenarios.synthesis import SynthesisLoop

    space = InputSpace(np.zeros(data.X_pool.shape[1]), np.full(data.X_pool.shape[1], 16.0))
    loop = SynthesisLoop(_learner(), _synthesiser(method, data),
                         lambda x: int(oracle.predict(x[None])[0]), space, initial=0,
                         batch_size=settings.batch_size, unlabeled=data.X_pool,
                         eval_set=(data.X_test, data.y_test), random_state=seed)
    record = loop.tell(data.X_pool[data.first], data.y_pool[data.first])
    curve = [[settings.initial, record.metrics["accuracy"]]]
    while settings.initial + loop.n_calls < settings.budget:
        n = min(settings.batch_size, settings.budget - settings.initial - loop.n_calls)
        record = loop.step(n)
        curve.append([settings.initial + loop.n_calls, record.metrics["accuracy"]])
    return curve, loop.X[settings.initial:]


def _run_pool(method: str, data: _Split, seed: int,
              settings: ImageSynthesisSettings) -> tuple[list[list[float]], np.ndarray]:
    from .. import strategies
    from ..augmentation import GenerativeAugmentation
    from ..loop import ActiveLoop
    from ..oracles.simulated import SimulatedOracle
    from ..pool import Pool
    from ..stopping import LabelBudget

    pool = Pool(data.X_pool)
    pool.add_labels(data.first, data.y_pool[data.first])
    training = None
    if method.startswith("pool-bgadl"):
        training = GenerativeAugmentation(data.vae, residual=method == "pool-bgadl", refit=False,
                                          random_state=seed)
    strategy = strategies.get("random" if method == "random" else "margin")
    loop = ActiveLoop(_learner(), pool, strategy, SimulatedOracle(data.y_pool),
                      batch_size=settings.batch_size, eval_set=(data.X_test, data.y_test),
                      stopping=[LabelBudget(settings.budget)], training=training,
                      random_state=seed)
    history = loop.run()
    curve = [[r.n_labeled, r.metrics["accuracy"]] for r in history]
    asked = [i for r in history for i in r.query_ids]
    return curve, data.X_pool[np.asarray(asked, dtype=int)]


def run_one(method: str, data: _Split, oracle: Any, seed: int,
            settings: ImageSynthesisSettings) -> dict[str, Any]:
    """One method on one seed's split: its curve, and what the stand-in oracle made of its queries."""
    started = time.perf_counter()
    if method in SYNTHESISING:
        curve, asked = _run_synthesis(method, data, oracle, seed, settings)
    else:
        curve, asked = _run_pool(method, data, seed, settings)
    proba = oracle.predict_proba(asked)
    target = 0.9 * data.full_accuracy
    return {
        "method": method, "seed": seed, "curve": curve,
        "aulc": aulc(np.asarray(curve)), "final_accuracy": curve[-1][1],
        "full_accuracy": data.full_accuracy,
        "labels_to_90pct_full": labels_to_reach(np.asarray(curve), target),
        "confident_share": float(np.mean(proba.max(axis=1) > 0.9)),
        "seconds": time.perf_counter() - started,
        "grid": {"images": np.round(asked[:GRID_QUERIES], 2).tolist(),
                 "labels": proba[:GRID_QUERIES].argmax(axis=1).tolist(),
                 "confidence": np.round(proba[:GRID_QUERIES].max(axis=1), 3).tolist()}
        if seed == settings.seed else None,
    }


def run_image_synthesis_bench(settings: ImageSynthesisSettings,
                              on_run_done: Callable[[int, int], None] | None = None
                              ) -> dict[str, Any]:
    """Every method × seed on digits; the results document written to results.json."""
    from sklearn.datasets import load_digits

    settings.check()
    X, y = load_digits(return_X_y=True)
    started = time.perf_counter()
    oracle = stand_in_oracle(X, y)
    runs, vae_seconds = [], []
    for s in range(settings.seeds):
        seed = settings.seed + s
        clock = time.perf_counter()
        data = digits_split(X, y, seed, settings)
        vae_seconds.append(time.perf_counter() - clock)
        for method in settings.methods:
            runs.append(run_one(method, data, oracle, seed, settings))
            if on_run_done:
                on_run_done(len(runs), settings.seeds * len(settings.methods))
    return {
        "scenario": "synthesis", "data": "digits", "activelab_version": __version__,
        "settings": asdict(settings),
        "oracle": "RBF SVM (C=10, gamma=0.001), calibrated by 5-fold CV, trained on all digits",
        "oracle_training_accuracy": float(oracle.score(X, y)),
        "mean_vae_seconds": float(np.mean(vae_seconds)),
        "summary": _summary(runs, settings), "runs": runs,
        "elapsed_seconds": time.perf_counter() - started,
    }


def _summary(runs: list[dict[str, Any]], settings: ImageSynthesisSettings) -> dict[str, Any]:
    summary = {}
    for method in settings.methods:
        mine = [r for r in runs if r["method"] == method]
        reached = [r["labels_to_90pct_full"] for r in mine]
        censored = [settings.budget if c is None else c for c in reached]
        summary[method] = {
            "mean_curve": mean_curve([np.asarray(r["curve"]) for r in mine]).tolist(),
            "aulc": float(np.mean([r["aulc"] for r in mine])),
            "aulc_std": float(np.std([r["aulc"] for r in mine])),
            "final_accuracy": float(np.mean([r["final_accuracy"] for r in mine])),
            "mean_labels_to_90pct_full": float(np.mean(censored)),
            "reached": sum(c is not None for c in reached), "runs": len(mine),
            "confident_share": float(np.mean([r["confident_share"] for r in mine])),
            "mean_seconds_per_run": float(np.mean([r["seconds"] for r in mine])),
        }
    return summary


def summary_markdown(results: dict[str, Any]) -> str:
    s = results["settings"]
    full = np.mean([r["full_accuracy"] for r in results["runs"]])
    lines = [
        "# Synthesis bench on digits: accuracy against oracle calls",
        "",
        f"Mean over {s['seeds']} seeds (seed {s['seed']} on); {s['initial']} random pool items "
        f"labeled first, then {s['batch_size']} per call batch, up to {s['budget']} labels. "
        f"Logistic regression on the whole pool: {full:.3f} test accuracy; the target is 90% "
        f"of it per seed (≥: some runs never got there and count {s['budget']}).",
        "",
        "| method | AULC | accuracy at the budget | labels to 90% of full | oracle-confident "
        "(> 0.9) queries | s per run |",
        "|---|---|---|---|---|---|",
    ]
    for method, m in results["summary"].items():
        bound = "≥ " if m["reached"] < m["runs"] else ""
        lines.append(
            f"| {method} | {m['aulc']:.3f} ± {m['aulc_std']:.3f} | {m['final_accuracy']:.3f} | "
            f"{bound}{m['mean_labels_to_90pct_full']:.1f} ({m['reached']}/{m['runs']}) | "
            f"{100 * m['confident_share']:.0f}% | {m['mean_seconds_per_run']:.1f} |")
    lines += ["", f"VAE training: {results['mean_vae_seconds']:.1f} s per seed.", ""]
    return "\n".join(lines)


def plot_curves(results: dict[str, Any], path: Path) -> Path:
    """Mean test accuracy against labels (oracle calls), one line per method."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for method, m in results["summary"].items():
        curve = np.asarray(m["mean_curve"])
        ax.plot(curve[:, 0], curve[:, 1], label=method, lw=1.5)
    ax.set_xlabel("labels (oracle calls)")
    ax.set_ylabel("test accuracy")
    ax.set_title(f"digits, mean over {results['settings']['seeds']} seeds")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def plot_query_grid(results: dict[str, Any], path: Path) -> Path:
    """The first queries of the first seed per method, with the stand-in oracle's label and
    confidence above each image."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in results["runs"] if r["grid"] is not None]
    cols = max(len(r["grid"]["images"]) for r in rows)
    fig, axes = plt.subplots(len(rows), cols, figsize=(0.9 * cols + 1.2, 1.05 * len(rows)),
                             squeeze=False)
    for row, run in zip(axes, rows):
        grid = run["grid"]
        for j, ax in enumerate(row):
            ax.set_xticks([])
            ax.set_yticks([])
            if j >= len(grid["images"]):
                ax.axis("off")
                continue
            ax.imshow(np.reshape(grid["images"][j], (8, 8)), cmap="gray_r", vmin=0, vmax=16)
            ax.set_title(f"{grid['labels'][j]} ({grid['confidence'][j]:.2f})", fontsize=7)
        row[0].set_ylabel(run["method"], fontsize=8, rotation=0, ha="right", va="center")
    fig.suptitle("first queries per method (seed "
                 f"{results['settings']['seed']}); above: stand-in oracle's label (confidence)",
                 fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def write_image_synthesis_outputs(results: dict[str, Any], out_dir: Path) -> dict[str, Path]:
    """results.json, summary.md, learning_curves.png and queries.png into ``out_dir``."""
    paths = write_scenario_outputs(results, out_dir, summary_markdown(results),
                                   "learning_curves.png", plot_curves)
    paths["grid"] = plot_query_grid(results, Path(out_dir) / "queries.png")
    return paths


def run_from_cli(methods: str | None, initial: int, budget: int, repeats: int, seed: int,
                 out: Path) -> None:
    """``activelab bench --scenario synthesis --data digits``: run, write, print the table."""
    from rich.console import Console
    from rich.markup import escape

    settings = ImageSynthesisSettings(
        methods=[m.strip() for m in methods.split(",") if m.strip()] if methods
        else list(IMAGE_METHODS),
        seeds=repeats, seed=seed, initial=initial, budget=budget)
    settings.check()
    results = run_image_synthesis_bench(settings)
    with output_folder(out):
        paths = write_image_synthesis_outputs(results, out)
    console = Console(width=120)
    console.print(escape(summary_markdown(results)))
    console.print(escape(f"Results: {paths['results']}  (summary: {paths['summary']}, "
                         f"curves: {paths['plot']}, queries: {paths['grid']})"))
