"""Benchmark suites: named lists of data sets with their settings, run by ``bench --suite``.

A suite runs the ordinary bench (:func:`~activelab.bench.runner.run_bench`) on each of its
data sets with the same strategies, model and seeds, then compares the strategies across
data sets (:mod:`~activelab.bench.compare`). Data sets larger than ``max_items`` are
subsampled once, with seed 0 (stratified for classification), before the repeats split
them; each data set's budget is capped at half its training split, rounded down to whole
batches, so a small table is not labeled to exhaustion.

>>> sorted(SUITES)
['classification', 'low-budget', 'regression', 'tiny']
>>> SUITES["tiny"].datasets
('iris', 'wine')
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Any

from .. import __version__, strategies
from ..data.dataset import Dataset
from ..data.datasets import load
from ..errors import ActiveLabError
from ..registry import Registry
from .compare import ALPHA, compare_strategies
from .control_slice import suite_control
from .runner import BenchSettings, run_bench, strategy_tasks

__all__ = ["SUITES", "Suite", "default_strategies", "run_suite", "suite_dataset"]

#: The classification strategies a suite compares by default, when registered.
CLASSIFICATION_STRATEGIES = ("auto", "margin", "entropy", "least_confidence", "typiclust",
                             "coreset", "badge", "albl", "random")
#: The regression strategies a suite compares by default, when registered.
REGRESSION_STRATEGIES = ("auto", "emcm", "gsx", "gsy", "igs", "coreset", "typiclust", "random")

CLASSIFICATION_SETS = (
    "digits", "breast_cancer", "wine", "iris", "blobs", "moons", "checkerboard", "banana",
    "circles", "xor", "imbalanced", "noisy_labels", "honeypot", "anes96", "fair",
)
REGRESSION_SETS = ("diabetes", "friedman", "sparse_linear", "heavy_tails", "star98", "grunfeld")


@dataclass(frozen=True)
class Suite:
    """A named benchmark: data sets, the labeling schedule, repeats and default strategies.

    ``budget`` counts the initial labels, as in the bench; a data set gets
    ``min(budget, half its training split)`` in whole batches (see :meth:`budget_for`).
    """

    name: str
    description: str
    task: str
    datasets: tuple[str, ...]
    initial: int
    budget: int
    batch_size: int
    repeats: int
    strategies: tuple[str, ...]
    max_items: int = 2000
    test_size: float = 0.25

    def budget_for(self, n_items: int) -> int:
        """The budget on a data set of ``n_items``: at most half the training split."""
        n_train = n_items - math.ceil(self.test_size * n_items)
        batches = (min(self.budget, n_train // 2) - self.initial) // self.batch_size
        if batches < 1:
            raise ActiveLabError(
                f"suite {self.name!r}: a data set of {n_items} items is too small for "
                f"--initial {self.initial} and one batch of {self.batch_size}"
            )
        return self.initial + batches * self.batch_size


SUITES: Registry[Suite] = Registry("suite")
for _suite in (
    Suite("classification", "15 classification data sets, 10 to 200 labels", "classification",
          CLASSIFICATION_SETS, initial=10, budget=200, batch_size=10, repeats=20,
          strategies=CLASSIFICATION_STRATEGIES),
    Suite("low-budget", "the classification sets from 10 to 100 labels, in batches of 5",
          "classification", CLASSIFICATION_SETS, initial=10, budget=100, batch_size=5,
          repeats=20, strategies=CLASSIFICATION_STRATEGIES),
    Suite("regression", "6 regression data sets, 10 to 150 labels, R²", "regression",
          REGRESSION_SETS, initial=10, budget=150, batch_size=10, repeats=20,
          strategies=REGRESSION_STRATEGIES),
    Suite("tiny", "2 small data sets, 3 seeds: a smoke test of the suite machinery",
          "classification", ("iris", "wine"), initial=6, budget=36, batch_size=6, repeats=3,
          strategies=("margin", "entropy", "random")),
):
    SUITES.add(_suite.name, _suite)


def default_strategies(suite: Suite) -> list[str]:
    """The suite's strategies that are registered and made for its task (``auto`` once
    it exists)."""
    available = set(strategies.available())
    return [name for name in suite.strategies
            if name in available and suite.task in strategy_tasks(name)]


def suite_dataset(name: str, max_items: int) -> Dataset:
    """The bundled data set ``name``, subsampled to ``max_items`` rows (seed 0) if larger."""
    dataset = load(name)
    if dataset.n_items <= max_items:
        return dataset
    from sklearn.model_selection import train_test_split

    stratify = dataset.y if dataset.task == "classification" else None
    keep, _ = train_test_split(range(dataset.n_items), train_size=max_items, random_state=0,
                               stratify=stratify)
    keep = sorted(keep)
    return replace(dataset, X=dataset.X[keep], y=dataset.y[keep],
                   description=f"{dataset.description}; subsampled to {max_items} of "
                   f"{dataset.n_items} items (seed 0)")


def run_suite(
    suite: Suite,
    strategy_names: list[str] | None = None,
    model: str | None = None,
    repeats: int | None = None,
    seed: int = 0,
    jobs: int = 1,
    on_progress: Callable[[str, int, int], None] | None = None,
    control: float = 0.0,
) -> dict[str, Any]:
    """Run ``suite`` and return its results document (see docs/bench.md, "Suites").

    ``strategy_names`` defaults to :func:`default_strategies`, ``repeats`` to the suite's.
    ``on_progress(data set, done, total)`` is called as the runs of each data set finish.
    The document's ``runs`` holds each data set's full bench results; the suite report
    writes them into their own folders. ``control``: the random control share of every
    run (see :class:`~activelab.bench.runner.BenchSettings`); the document's ``control``
    then holds the coverage of its intervals and its AULC cost over the suite.
    """
    names = list(strategy_names) if strategy_names else default_strategies(suite)
    repeats = suite.repeats if repeats is None else repeats
    started = time.perf_counter()
    loaded = {name: suite_dataset(name, suite.max_items) for name in suite.datasets}
    settings = {name: _settings(suite, data, names, model, repeats, seed, jobs,
                                     control) for name, data in loaded.items()}
    for name, data in loaded.items():  # refuse bad settings before anything runs
        settings[name].check(data)
    runs = {}
    for name, data in loaded.items():
        progress = None if on_progress is None else (
            lambda done, total, name=name: on_progress(name, done, total))
        runs[name] = run_bench(data, settings[name], on_task_done=progress)
    aulcs = {name: {s: run["strategies"][s]["aulc"]["per_repeat"] for s in names}
             for name, run in runs.items()}
    first = next(iter(runs.values()))
    return {
        "activelab_version": __version__,
        "suite": asdict(suite),
        "settings": {"strategies": names, "model": first["settings"]["model"],
                     "repeats": repeats, "seed": seed, "jobs": jobs, "alpha": ALPHA,
                     "control": control},
        "metric": first["metric"],
        "datasets": {name: _dataset_entry(loaded[name], run, names)
                     for name, run in runs.items()},
        "comparison": compare_strategies(aulcs, baseline="random", alpha=ALPHA),
        "control": suite_control(runs, names, ALPHA),
        "elapsed_seconds": time.perf_counter() - started,
        "runs": runs,
    }


def _settings(suite: Suite, data: Dataset, names: list[str], model: str | None,
              repeats: int, seed: int, jobs: int, control: float) -> BenchSettings:
    return BenchSettings(
        data=data.name, strategies=names, model=model, initial=suite.initial,
        budget=suite.budget_for(data.n_items), batch_size=suite.batch_size, repeats=repeats,
        test_size=suite.test_size, seed=seed, jobs=jobs, task=suite.task, control=control,
    )


def _dataset_entry(data: Dataset, run: dict[str, Any], names: list[str]) -> dict[str, Any]:
    """A data set's line in the suite document: what it is, its budget, and its AULCs."""
    metric = run["metric"]
    return {
        "description": data.description,
        "n_items": data.n_items,
        "budget": run["settings"]["budget"],
        f"full_data_{metric}": run[f"full_data_{metric}"]["mean"],
        "aulc": {s: run["strategies"][s]["aulc"] for s in names},
        f"final_{metric}": {s: run["strategies"][s][f"final_{metric}"]["mean"] for s in names},
        "elapsed_seconds": run["elapsed_seconds"],
    }
