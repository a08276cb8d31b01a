"""The stream bench: decision rules compared at equal budget on drifting streams.

Every rule sees the same generated stream (same seed), the same model and the same
:class:`~activelab.scenarios.stream.BudgetManager`; what differs is only which items it labels.
For each rule and seed it records the prequential (test-then-train) accuracy, its curve
over blocks of 1,000 items, the labels spent, and the most labels spent in any window
— which must never exceed ``floor(budget * window)``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .. import __version__
from ..data.streams import read_csv_chunks, rotating_hyperplane, sea_stream
from ..errors import ActiveLabError
from ..scenarios.stream import StreamLearner, check_budget
from ..scenarios.stream_rules import RULES
from ..validation import MAX_ITEMS, MAX_REPEATS, check_int, check_seed
from .report import output_folder, write_scenario_outputs

__all__ = ["STREAMS", "StreamBenchSettings", "run_stream_bench", "write_stream_outputs"]

STREAMS = {
    "hyperplane": "rotating hyperplane, 10 features, gradual drift 0.001 per item, 5% label noise",
    "sea": "SEA, 3 features, abrupt drift at each quarter (thresholds 8, 9, 7, 9.5), 10% noise",
}
RULE_ORDER = ("random", "fixed_uncertainty", "variable_uncertainty",
              "randomized_variable_uncertainty", "split", "density", "prefer_uncertain")


@dataclass(frozen=True)
class StreamBenchSettings:
    """Everything that defines a stream bench run; written to results.json.

    ``stream`` is a generator name (:data:`STREAMS`) or a numeric CSV file whose last
    column is the label (read in chunks; ``n_items`` then caps how much is read).
    ``model`` is ``"sgd"`` (logistic SGD updated by ``partial_fit``) or ``"logreg"``
    (logistic regression refit on the last 500 labels).
    """

    stream: str = "hyperplane"
    rules: list[str] = field(default_factory=lambda: list(RULE_ORDER))
    n_items: int = 100_000
    budget: float = 0.05
    window: int = 1000
    seeds: int = 5
    seed: int = 0
    model: str = "sgd"
    block: int = 1000

    def __post_init__(self) -> None:
        names = [_canonical(name) for name in self.rules]
        object.__setattr__(self, "rules", names)

    def check(self) -> None:
        check_budget(self.budget)
        if not self.rules:
            raise ActiveLabError("give at least one rule with --rules")
        if len(set(self.rules)) != len(self.rules):
            raise ActiveLabError("a rule is listed twice in --rules; list each once")
        if self.stream not in STREAMS and not Path(self.stream).is_file():
            raise ActiveLabError(
                f"unknown stream {self.stream!r}: give {', '.join(STREAMS)} or a CSV file"
            )
        if self.model not in ("sgd", "logreg"):
            raise ActiveLabError(f"--model for streams is sgd or logreg; got {self.model!r}")
        check_int(self.n_items, "--items", 1, MAX_ITEMS)
        check_int(self.seeds, "--repeats", 1, MAX_REPEATS)
        check_seed(self.seed, "--seed", self.seeds, "--repeats")
        if math.floor(self.budget * self.window + 1e-9) < 1:
            raise ActiveLabError(
                f"--label-fraction {self.budget} allows no label in a window of {self.window} "
                "items; raise it"
            )


def _canonical(name: str) -> str:
    return RULES.canonical(name)


def _stream(settings: StreamBenchSettings, seed: int) -> Iterator[Any]:
    if settings.stream == "hyperplane":
        return rotating_hyperplane(settings.n_items, random_state=seed)
    if settings.stream == "sea":
        return sea_stream(settings.n_items, random_state=seed)
    return _capped(read_csv_chunks(settings.stream, chunk_size=100, target=-1), settings.n_items)


def _capped(chunks: Iterator[Any], n_items: int) -> Iterator[Any]:
    seen = 0
    for X, y in chunks:
        if seen >= n_items:
            return
        yield X[: n_items - seen], y[: n_items - seen]
        seen += len(X)


def _learner(settings: StreamBenchSettings, rule: str, seed: int, classes: list[Any]) -> StreamLearner:
    from sklearn.linear_model import LogisticRegression, SGDClassifier

    if settings.model == "sgd":
        model = SGDClassifier(loss="log_loss", learning_rate="constant", eta0=0.05,
                              alpha=1e-5, random_state=seed)
        training = "partial_fit"
    else:
        model = LogisticRegression(max_iter=500)
        training = "window"
    return StreamLearner(model, rule, settings.budget, window=settings.window, classes=classes,
                         training=training, random_state=seed)


def _classes(settings: StreamBenchSettings) -> list[Any]:
    if settings.stream in STREAMS:
        return [0, 1]
    labels: set[Any] = set()
    for _, y in _capped(read_csv_chunks(settings.stream, chunk_size=1000, target=-1),
                        settings.n_items):
        labels.update(np.asarray(y).tolist())
    return sorted(labels)


def run_stream_bench(settings: StreamBenchSettings,
                     on_run_done: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Every rule × seed over the stream; the results document written to results.json."""
    settings.check()
    classes = _classes(settings)
    cap = math.floor(settings.budget * settings.window + 1e-9)
    runs = []
    jobs = [(rule, settings.seed + s) for s in range(settings.seeds) for rule in settings.rules]
    for done, (rule, seed) in enumerate(jobs, start=1):
        learner = _learner(settings, rule, seed, classes)
        started = time.perf_counter()
        history = learner.run(_stream(settings, seed))
        runs.append({
            "rule": rule, "seed": seed,
            "prequential_accuracy": history.accuracy(),
            "labels_spent": history.n_queried, "items": history.n_seen,
            "max_window_spend": history.max_window_spend(settings.window),
            "curve": history.accuracy_curve(settings.block).tolist(),
            "seconds": time.perf_counter() - started,
        })
        if on_run_done:
            on_run_done(done, len(jobs))
    summary = {}
    baseline = {r["seed"]: r["prequential_accuracy"] for r in runs if r["rule"] == "random"}
    for rule in settings.rules:
        mine = [r for r in runs if r["rule"] == rule]
        accuracy = np.array([r["prequential_accuracy"] for r in mine])
        entry = {
            "mean_accuracy": float(accuracy.mean()), "std_accuracy": float(accuracy.std()),
            "mean_labels_spent": float(np.mean([r["labels_spent"] for r in mine])),
            "max_window_spend": int(max(r["max_window_spend"] for r in mine)),
            "within_budget_everywhere": all(r["max_window_spend"] <= cap for r in mine),
            "mean_seconds": float(np.mean([r["seconds"] for r in mine])),
        }
        if baseline and rule != "random":
            gaps = np.array([r["prequential_accuracy"] - baseline[r["seed"]] for r in mine])
            entry["vs_random"] = {"mean_gain": float(gaps.mean()), "std_gain": float(gaps.std()),
                                  "seeds_better": int((gaps > 0).sum()), "seeds": len(gaps)}
        summary[rule] = entry
    return {
        "scenario": "stream", "activelab_version": __version__,
        "settings": asdict(settings), "window_cap": cap,
        "stream_description": STREAMS.get(settings.stream, f"CSV file {settings.stream}"),
        "summary": summary, "runs": runs,
    }


def summary_rows(results: dict[str, Any]) -> list[list[str]]:
    rows = []
    for rule, entry in results["summary"].items():
        vs = entry.get("vs_random")
        gain = "baseline" if rule == "random" else (
            f"{100 * vs['mean_gain']:+.2f} pts ({vs['seeds_better']}/{vs['seeds']} seeds)" if vs else "–")
        rows.append([rule, f"{entry['mean_accuracy']:.4f} ± {entry['std_accuracy']:.4f}", gain,
                     f"{entry['mean_labels_spent']:.0f}",
                     f"{entry['max_window_spend']} / {results['window_cap']}",
                     f"{entry['mean_seconds']:.1f}"])
    return rows


COLUMNS = ["rule", "prequential accuracy", "vs random", "labels spent",
           "max in any window", "s per run"]


def summary_markdown(results: dict[str, Any]) -> str:
    s = results["settings"]
    lines = [
        f"# Stream bench: {s['stream']}, {s['n_items']:,} items, budget {100 * s['budget']:g}%",
        "",
        f"{results['stream_description']}. Model: {s['model']}. {s['seeds']} seeds "
        f"(seed {s['seed']} on). Budget held over every window of {s['window']:,} items "
        f"(at most {results['window_cap']} labels). 'vs random': mean per-seed gain in "
        "prequential accuracy over random sampling at the same budget.",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
    ]
    lines += ["| " + " | ".join(row) + " |" for row in summary_rows(results)]
    return "\n".join(lines) + "\n"


def plot_curves(results: dict[str, Any], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 4.5))
    for rule in results["summary"]:
        curves = np.array([r["curve"] for r in results["runs"] if r["rule"] == rule])
        x = curves[0, :, 0]
        y = np.nanmean(curves[:, :, 1], axis=0)
        width = min(5, len(y))
        smooth = np.convolve(np.nan_to_num(y), np.ones(width) / width, mode="valid")
        ax.plot(x[width - 1:], smooth, label=rule, lw=1.4 if rule != "random" else 2.2,
                color="k" if rule == "random" else None)
    s = results["settings"]
    ax.set_xlabel("items seen")
    ax.set_ylabel("prequential accuracy")
    ax.set_title(f"{s['stream']}: {s['n_items']:,} items, {100 * s['budget']:g}% budget; accuracy "
                 f"per {s['block']:,} items, mean of {s['seeds']} seeds, 5-block moving average",
                 fontsize=9)
    ax.legend(fontsize=8, ncol=2)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def write_stream_outputs(results: dict[str, Any], out_dir: Path) -> dict[str, Path]:
    """results.json, accuracy_over_time.png and summary.md into ``out_dir``."""
    return write_scenario_outputs(
        results, out_dir, summary_markdown(results), "accuracy_over_time.png", plot_curves
    )


def _fraction(value: float) -> float:
    try:
        return check_budget(value)
    except ActiveLabError:
        raise ActiveLabError(
            f"--label-fraction must be in (0, 1], the share of the stream that may be labeled "
            f"(e.g. 0.05); got {value}"
        ) from None


def run_from_cli(data: str | None, rules: str | None, n_items: int, fraction: float,
                 repeats: int, seed: int, model: str | None, out: Path) -> None:
    """``activelab bench --scenario stream``: run, write the outputs, print the table."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    settings = StreamBenchSettings(
        stream=data or "hyperplane",
        rules=[r.strip() for r in rules.split(",") if r.strip()] if rules else list(RULE_ORDER),
        n_items=n_items, budget=_fraction(fraction), seeds=repeats, seed=seed,
        model=model or "sgd",
    )
    settings.check()
    console = Console(width=110)
    results = run_stream_bench(settings)
    with output_folder(out):
        paths = write_stream_outputs(results, out)
    table = Table(title=escape(f"{settings.stream} · {settings.n_items:,} items · "
                               f"{100 * settings.budget:g}% budget · {settings.seeds} seeds"))
    for column in COLUMNS:
        table.add_column(column, no_wrap=column == "rule")
    for row in summary_rows(results):
        table.add_row(*map(escape, row))
    console.print(table)
    console.print(escape(f"Results: {paths['results']}  (summary: {paths['summary']}, "
                         f"plot: {paths['plot']})"))
