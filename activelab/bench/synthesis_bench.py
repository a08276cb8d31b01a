"""The synthesis bench: oracle calls to learn a black-box boundary, synthesis vs pool vs random.

A black box labels any point of ``[-1, 1]^d``. Three ways to spend its calls, each with
the same model, the same initial random points and the same held-out test points:

* ``synthesis`` — :class:`~activelab.scenarios.synthesis.BoundaryBisection` builds every query;
* ``pool`` — margin sampling (:class:`~activelab.loop.ActiveLoop`) over a fixed set of
  candidate inputs: a grid in 2-D, uniform random points in higher dimensions;
* ``random`` — uniform random inputs;
* ``optimisation`` and ``latent`` — the other synthesisers,
  :class:`~activelab.scenarios.synthesis.ScoreOptimisation` (margin, 8 restarts) and
  :class:`~activelab.scenarios.synthesis.LatentSynthesis` (a Gaussian mixture fit on 2,000 unlabeled
  uniform inputs, margin over 500 samples per query).

The number that matters is how many oracle calls each needs to reach the target
accuracy (95%) on the test points; a run that never gets there within ``max_calls`` counts
``max_calls`` and the mean is then marked as a lower bound.
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
from ..loop import ActiveLoop
from ..oracles.simulated import SimulatedOracle
from ..pool import Pool
from ..registry import Registry
from ..scenarios.synthesis import (
    BoundaryBisection,
    InputSpace,
    LatentSynthesis,
    RandomInputs,
    ScoreOptimisation,
    SynthesisLoop,
)
from ..stopping import LabelBudget, TargetScore
from ..strategies import get as get_strategy
from ..validation import MAX_REPEATS, check_int, check_seed
from .report import output_folder, write_scenario_outputs

__all__ = ["BLACK_BOXES", "METHODS", "SynthesisBenchSettings", "black_box", "run_synthesis_bench",
           "write_synthesis_outputs"]

#: The ways to spend the oracle calls: name -> the synthesiser class (None: pool-based sampling).
METHODS: Registry[type | None] = Registry("synthesis bench method", sort=False)
METHODS.add("synthesis", BoundaryBisection)
METHODS.add("optimisation", ScoreOptimisation)
METHODS.add("latent", LatentSynthesis)
METHODS.add("pool", None)
METHODS.add("random", RandomInputs)


def _wavy(X: np.ndarray) -> np.ndarray:
    return (X[:, 1] > 0.5 * np.sin(4 * X[:, 0])).astype(int)


def _tilted(X: np.ndarray) -> np.ndarray:
    weights = np.linspace(1.0, 0.1, X.shape[1])
    return (X @ weights > 0.2).astype(int)


#: name -> (dimension, label function, description)
BLACK_BOXES: Registry[tuple[int, Callable[[np.ndarray], np.ndarray], str]] = Registry(
    "black box", sort=False, note="or digits alone, for generative active learning on images")
BLACK_BOXES.add("wavy-2d", (2, _wavy, "x1 > 0.5 sin(4 x0) on [-1, 1]^2"))
BLACK_BOXES.add("tilted-10d", (10, _tilted, "w . x > 0.2, w = linspace(1, 0.1, 10), on [-1, 1]^10"))


def black_box(name: str) -> tuple[int, Callable[[np.ndarray], np.ndarray], str]:
    """``(dimension, label function, description)`` of the black box ``name``."""
    return BLACK_BOXES.lookup(name)


#: The most oracle calls (--budget) one synthesis run may spend.
MAX_CALLS = 100_000


def _model(dim: int, seed: int) -> Any:
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import SVC

    if dim == 2:
        return SVC(C=100.0, gamma=2.0, random_state=seed)
    return LogisticRegression(C=1e4, max_iter=2000)


@dataclass(frozen=True)
class SynthesisBenchSettings:
    """Everything that defines a synthesis bench run; written to results.json."""

    boxes: list[str] = field(default_factory=lambda: list(BLACK_BOXES))
    methods: list[str] = field(default_factory=lambda: list(METHODS))
    seeds: int = 10
    seed: int = 0
    initial: int = 4
    max_calls: int = 300
    target: float = 0.95
    n_test: int = 4000
    pool_size: int = 2000

    def check(self) -> None:
        for name in self.boxes:
            black_box(name)
        check_methods_and_seeds(METHODS, self.methods, self.seeds, self.seed)
        check_int(self.initial, "--initial", 0, self.pool_size)
        check_int(self.max_calls, "--budget", 1, MAX_CALLS)
        if not 0 < self.target <= 1:
            raise ActiveLabError(f"the target accuracy must be in (0, 1]; got {self.target}")
        if self.max_calls <= self.initial:
            raise ActiveLabError(
                f"--budget ({self.max_calls} calls) must be larger than --initial ({self.initial})"
            )


def check_methods_and_seeds(registry: Registry[Any], methods: list[str], seeds: int,
                            seed: int) -> None:
    """Each of ``methods`` known to ``registry`` and listed once; ``--repeats`` and ``--seed`` valid."""
    for method in methods:
        registry.canonical(method)
    if len(set(methods)) != len(methods) or not methods:
        raise ActiveLabError("list each method once, and at least one, in --rules")
    check_int(seeds, "--repeats", 1, MAX_REPEATS)
    check_seed(seed, "--seed", seeds, "--repeats")


def _candidates(dim: int, size: int, rng: np.random.Generator) -> np.ndarray:
    if dim == 2:
        side = int(round(np.sqrt(size)))
        grid = np.linspace(-1, 1, side)
        return np.array(np.meshgrid(grid, grid)).reshape(2, -1).T
    return rng.uniform(-1, 1, (size, dim))


def run_one(box: str, method: str, seed: int, settings: SynthesisBenchSettings) -> dict[str, Any]:
    """One run: the accuracy after every oracle call, and the queried points."""
    dim, label, _ = black_box(box)
    rng = np.random.default_rng(seed)
    X_test = rng.uniform(-1, 1, (settings.n_test, dim))
    y_test = label(X_test)
    space = InputSpace(-np.ones(dim), np.ones(dim))
    started = time.perf_counter()
    if method == "pool":
        candidates = _candidates(dim, settings.pool_size, rng)
        truth = label(candidates)
        pool = Pool(candidates)
        first = rng.choice(len(candidates), settings.initial, replace=False)
        pool.add_labels(first, truth[first])
        loop = ActiveLoop(_model(dim, seed), pool, get_strategy("margin"), SimulatedOracle(truth),
                          batch_size=1, eval_set=(X_test, y_test),
                          stopping=[LabelBudget(settings.max_calls),
                                    TargetScore(settings.target)],
                          random_state=seed)
        history = loop.run()
        curve = [[r.n_labeled, r.metrics.get("accuracy", 0.0)] for r in history]
        asked = candidates[pool.positions(pool.labeled_ids)].tolist()
    else:
        synthesiser = METHODS[method]()
        unlabeled = rng.uniform(-1, 1, (settings.pool_size, dim)) if method == "latent" else None
        loop = SynthesisLoop(_model(dim, seed), synthesiser, lambda x: int(label(x[None])[0]),
                             space, initial=settings.initial, unlabeled=unlabeled,
                             eval_set=(X_test, y_test), random_state=seed)
        curve = []
        while loop.n_calls < settings.max_calls:
            record = loop.step()
            accuracy = record.metrics.get("accuracy", 0.0)
            curve.append([loop.n_calls, accuracy])
            if accuracy >= settings.target:
                break
        asked = loop.X.tolist()
    reached = next((int(n) for n, acc in curve if acc >= settings.target), None)
    return {
        "box": box, "method": method, "seed": seed,
        "calls_to_target": reached, "curve": curve,
        "asked": asked if dim == 2 else [], "seconds": time.perf_counter() - started,
    }



def run_synthesis_bench(settings: SynthesisBenchSettings,
                        on_run_done: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Every box × method × seed; the results document written to results.json."""
    settings.check()
    jobs = [(box, method, settings.seed + s) for box in settings.boxes
            for method in settings.methods for s in range(settings.seeds)]
    runs = []
    for done, (box, method, seed) in enumerate(jobs, start=1):
        runs.append(run_one(box, method, seed, settings))
        if on_run_done:
            on_run_done(done, len(jobs))
    summary: dict[str, dict[str, Any]] = {}
    for box in settings.boxes:
        summary[box] = {}
        for method in settings.methods:
            mine = [r for r in runs if r["box"] == box and r["method"] == method]
            calls = [r["calls_to_target"] for r in mine]
            censored = [settings.max_calls if c is None else c for c in calls]
            summary[box][method] = {
                "mean_calls_to_target": float(np.mean(censored)),
                "std_calls_to_target": float(np.std(censored)),
                "reached": sum(c is not None for c in calls),
                "runs": len(calls),
                "mean_is_lower_bound": any(c is None for c in calls),
                "mean_seconds_per_run": float(np.mean([r["seconds"] for r in mine])),
            }
    return {
        "scenario": "synthesis", "activelab_version": __version__,
        "settings": asdict(settings),
        "black_boxes": {name: BLACK_BOXES[name][2] for name in settings.boxes},
        "summary": summary, "runs": runs,
    }


def summary_markdown(results: dict[str, Any]) -> str:
    s = results["settings"]
    lines = [
        f"# Synthesis bench: oracle calls to reach {100 * s['target']:g}% accuracy",
        "",
        f"Mean over {s['seeds']} seeds (seed {s['seed']} on), {s['initial']} random initial "
        f"points, at most {s['max_calls']} calls; a run that never reaches the target counts "
        f"{s['max_calls']} and the mean is then a lower bound (≥).",
        "",
        "| black box | " + " | ".join(s["methods"]) + " |",
        "|---|" + "---|" * len(s["methods"]),
    ]
    for box, methods in results["summary"].items():
        cells = []
        for method in s["methods"]:
            m = methods[method]
            bound = "≥ " if m["mean_is_lower_bound"] else ""
            cells.append(f"{bound}{m['mean_calls_to_target']:.1f} ± {m['std_calls_to_target']:.1f} "
                         f"({m['reached']}/{m['runs']})")
        lines.append(f"| {box}: {results['black_boxes'][box]} | " + " | ".join(cells) + " |")
    lines += ["", "Cells: mean ± std of oracle calls (runs that reached the target / runs).", ""]
    return "\n".join(lines)


def plot_queries(results: dict[str, Any], path: Path, seed: int | None = None) -> Path | None:
    """Where each method's 2-D queries landed, over the true boundary, for one seed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    boxes = [b for b in results["settings"]["boxes"] if BLACK_BOXES[b][0] == 2]
    if not boxes:
        return None
    box = boxes[0]
    methods = results["settings"]["methods"]
    seed = results["settings"]["seed"] if seed is None else seed
    fig, axes = plt.subplots(1, len(methods), figsize=(4.2 * len(methods), 4.2), squeeze=False)
    grid = np.linspace(-1, 1, 300)
    xx, yy = np.meshgrid(grid, grid)
    truth = BLACK_BOXES[box][1](np.column_stack([xx.ravel(), yy.ravel()])).reshape(xx.shape)
    for ax, method in zip(axes[0], methods):
        run = next(r for r in results["runs"]
                   if r["box"] == box and r["method"] == method and r["seed"] == seed)
        ax.contourf(xx, yy, truth, levels=[-0.5, 0.5, 1.5], colors=["#dbe9f6", "#fbe3d6"])
        ax.contour(xx, yy, truth, levels=[0.5], colors="k", linewidths=1)
        asked = np.asarray(run["asked"]).reshape(-1, 2)
        ax.scatter(asked[:, 0], asked[:, 1], s=10, c=np.arange(len(asked)), cmap="viridis")
        reached = run["calls_to_target"]
        ax.set_title(f"{method}: {len(asked)} calls"
                     + (f" (95% at {reached})" if reached else " (target not reached)"))
        ax.set_xlim(-1, 1)
        ax.set_ylim(-1, 1)
        ax.set_aspect("equal")
    fig.suptitle(f"{box}: where the queries landed (seed {seed}; colour = order)")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def write_synthesis_outputs(results: dict[str, Any], out_dir: Path) -> dict[str, Path]:
    """results.json, queries.png (the 2-D box) and summary.md into ``out_dir``."""
    return write_scenario_outputs(
        results, out_dir, summary_markdown(results), "queries.png", plot_queries
    )


def run_from_cli(data: str | None, methods: str | None, initial: int, max_calls: int,
                 repeats: int, seed: int, out: Path) -> None:
    """``activelab bench --scenario synthesis``: run, write the outputs, print the table."""
    from rich.console import Console
    from rich.markup import escape

    settings = SynthesisBenchSettings(
        boxes=[b.strip() for b in data.split(",") if b.strip()] if data else list(BLACK_BOXES),
        methods=[m.strip() for m in methods.split(",") if m.strip()] if methods else list(METHODS),
        seeds=repeats, seed=seed, initial=initial, max_calls=max_calls,
    )
    settings.check()
    results = run_synthesis_bench(settings)
    with output_folder(out):
        paths = write_synthesis_outputs(results, out)
    console = Console(width=110)
    console.print(escape(summary_markdown(results)))
    console.print(escape(f"Results: {paths['results']}  (summary: {paths['summary']}"
                         + (f", plot: {paths['plot']})" if "plot" in paths else ")")))
