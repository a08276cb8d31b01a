"""The experiment runner behind ``activelab bench``: simulated active learning, repeated.

Each repeat draws its own train/test split (stratified for classification) and its own
initial labeled set, and every strategy in that repeat starts from exactly the same
split, initial set and model seed, so the only difference between strategies is what
they choose to label.

The task (classification, regression or multi-label) decides the models on offer
(:data:`~activelab.models.catalog.TASK_MODELS`) and the metrics
(:data:`~activelab.bench.metrics.TASK_METRICS`); learning curves, AULC and the target
are built on the task's primary metric.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import scipy.sparse as sp

from .. import __version__, strategies
from ..data.datasets import TASKS, Dataset
from ..errors import ActiveLabError
from ..loop import ActiveLoop
from ..models.catalog import DEFAULT_MODELS, TASK_MODELS, make_model
from ..oracles.simulated import SimulatedOracle
from ..pool import Pool
from ..query_model import warn_if_query_model_differs
from ..stopping import LabelBudget
from ..strategies.registry import canonical_name
from ..training import (
    CEAL,
    TRAINING_POLICIES,
    Incremental,
    SelfTraining,
    TrainingPolicy,
    training_policy,
)
from ..validation import MAX_JOBS, MAX_REPEATS, check_int, check_seed
from .control_slice import PoolAccuracy, check_control_share, control_rounds, control_summary
from .metrics import TASK_METRICS, aulc, labels_to_reach, mean_curve, metric_function

__all__ = ["BenchSettings", "run_bench"]

TARGET_FRACTION = 0.95
#: The confidence of the control's intervals in the bench (the loop's default).
CONTROL_CONFIDENCE = 0.9
MIN_LABELS_KNN = 3


@dataclass(frozen=True)
class BenchSettings:
    """Everything that defines a bench run; written to ``results.json`` as ``settings``.

    ``task`` is ``"auto"`` (the data set's own task, see
    :func:`activelab.data.datasets.detect_task`), ``"classification"``, ``"regression"`` or
    ``"multilabel"``. ``model`` ``None`` means the task's default (``logreg``, ``ridge``
    for regression). ``results.json`` records both as resolved for the run.
    ``query_model`` names a model of the catalogue that the strategies query instead of
    ``model`` (fit on the same labels each round); when it differs from ``model`` the run
    warns once and ``results.json`` holds the reason in ``warnings``.
    ``control`` is the random control share of every run (``ActiveLoop(control=...)``,
    classification only); with one, each strategy also runs without it, for the cost of
    the slice (:mod:`activelab.bench.control_slice`).
    """

    data: str
    strategies: list[str] = field(default_factory=lambda: ["margin", "entropy", "random"])
    model: str | None = None
    initial: int = 10
    budget: int = 200
    batch_size: int = 10
    repeats: int = 5
    test_size: float = 0.25
    seed: int = 0
    target: str | None = None
    jobs: int = 1
    task: str = "auto"
    training: str = "full"
    query_model: str | None = None
    control: float = 0.0

    def __post_init__(self) -> None:
        if isinstance(self.strategies, str):
            raise ActiveLabError(
                f"strategies must be a list of names, e.g. [{self.strategies!r}]; got a string"
            )
        names = [canonical_name(name) for name in self.strategies]
        object.__setattr__(self, "strategies", names)
        task = str(self.task).strip().lower()
        if task not in ("auto", *TASKS):
            raise ActiveLabError(
                f"--task must be auto, {', '.join(TASKS)}; got {self.task!r}"
            )
        object.__setattr__(self, "task", task)
        TRAINING_POLICIES.lookup(self.training)
        self._check_numbers()

    def _check_numbers(self) -> None:
        """The counts, the seed and the test share, which need no data set to check."""
        check_int(self.batch_size, "--batch-size", 1)
        check_int(self.repeats, "--repeats", 1, MAX_REPEATS)
        check_int(self.initial, "--initial", 0)
        check_int(self.budget, "--budget", 1)
        check_int(self.jobs, "--jobs", 1, MAX_JOBS)
        check_seed(self.seed, "--seed", self.repeats, "--repeats")
        check_control_share(self.control)
        if isinstance(self.test_size, bool) or not 0 < self.test_size < 1:
            raise ActiveLabError(f"--test-size must be between 0 and 1; got {self.test_size}")

    def resolved(self, dataset: Dataset) -> BenchSettings:
        """These settings with ``task`` and ``model`` made concrete for ``dataset``."""
        task = dataset.task if self.task == "auto" else self.task
        model = DEFAULT_MODELS[task] if self.model is None else self.model
        return replace(self, task=task, model=model)

    def check(self, dataset: Dataset) -> None:
        """Refuse settings that cannot run on ``dataset``, before any work starts."""
        if not self.strategies:
            raise ActiveLabError("give at least one strategy with --strategies")
        if len(set(self.strategies)) != len(self.strategies):
            raise ActiveLabError("a strategy is listed twice in --strategies; list each once")
        if self.task == "auto" or self.model is None:
            self.resolved(dataset).check(dataset.for_task(self.task))
            return
        dataset = dataset.for_task(self.task)
        if self.control and self.task != "classification":
            raise ActiveLabError(
                f"--control measures accuracy on random items, so it needs classification "
                f"data; this run is {self.task} (leave --control out)")
        model = make_model(self.model, 0, task=self.task)
        _check_strategies_fit(self.strategies, self.task, model_kinds(model, self.task), self.model)
        _check_training_fits(self.training, model, self.model, self.task)
        self._check_numbers()
        n_test = int(np.ceil(self.test_size * dataset.n_items))
        n_train = dataset.n_items - n_test
        if self.budget > n_train:
            raise ActiveLabError(
                f"--budget {self.budget} is larger than the training pool ({n_train} items of "
                f"{dataset.n_items} at --test-size {self.test_size}); lower --budget"
            )
        if self.budget <= self.initial:
            raise ActiveLabError(
                f"--budget ({self.budget}) must be larger than --initial ({self.initial}): "
                "the budget counts the initial labels too"
            )
        if self.model == "knn" and self.initial < MIN_LABELS_KNN:
            raise ActiveLabError(
                f"--model knn compares each item with its {MIN_LABELS_KNN} nearest labeled "
                f"items, so it needs --initial {MIN_LABELS_KNN} or more; got {self.initial}"
            )
        if self.task == "classification" and n_test < len(dataset.classes):
            raise ActiveLabError(
                f"--test-size {self.test_size} leaves {n_test} test items for "
                f"{len(dataset.classes)} classes; raise --test-size"
            )


def model_kinds(model: Any, task: str) -> set[str]:
    """The kinds of :data:`activelab.testing.MODEL_KINDS` an unfitted bench model offers."""
    import inspect

    from sklearn.ensemble import BaseEnsemble

    final = model[-1] if hasattr(model, "steps") else model
    ensemble = isinstance(final, BaseEnsemble)
    if task == "multilabel":
        return {"multilabel"}
    if task == "regression":
        kinds = {"regressor"}
        if "return_std" in inspect.signature(final.predict).parameters:
            kinds.add("regressor_std")
        if ensemble:
            kinds.add("ensemble_regressor")
        return kinds
    kinds = set()
    if hasattr(model, "predict_proba"):
        kinds.add("proba")
    if hasattr(model, "decision_function"):
        kinds.add("decision")
    if ensemble:
        kinds.add("ensemble")
    kinds.update(getattr(final, "model_kinds", ()))  # e.g. activelab.models.TorchClassifier
    return kinds


def strategy_tasks(name: str) -> set[str]:
    """The tasks a registered strategy is made for, read from its ``contract_models``."""
    from ..testing import MODEL_KINDS

    kinds = type(strategies.get(name)).contract_models
    return {MODEL_KINDS[kind][0] for kind in kinds if kind in MODEL_KINDS}


def _check_strategies_fit(
    names: list[str], task: str, offered: set[str], model_name: str
) -> None:
    """Refuse a strategy made for another task, or for a kind of model the bench's lacks."""
    for name in names:
        if task not in strategy_tasks(name):
            fitting = [other for other in strategies.available() if task in strategy_tasks(other)]
            raise ActiveLabError(
                f"strategy {name!r} is not made for {task} data (see its contract_models); "
                f"for {task} use: {', '.join(fitting)}"
            )
        strategy = strategies.get(name)
        wanted = set(type(strategy).contract_models)
        if strategy.needs_model and not wanted & offered:
            suitable = [
                other for other in TASK_MODELS[task]
                if wanted & model_kinds(make_model(other, 0, task=task), task)
            ]
            raise ActiveLabError(
                f"strategy {name!r} needs a model of kind {', '.join(sorted(wanted))}, and "
                f"--model {model_name} is {', '.join(sorted(offered)) or 'none of those'}; "
                f"use --model {' or '.join(suitable) if suitable else 'of that kind'}"
            )


def _check_training_fits(training: str, model: Any, model_name: str, task: str) -> None:
    """Refuse, before simulating, a training policy the bench model cannot follow."""
    policy = training_policy(training)
    if _follows(policy, model, task):
        return
    if isinstance(policy, Incremental):
        fitting = [name for name in TASK_MODELS[task]
                   if _follows(policy, make_model(name, 0, task=task), task)]
        raise ActiveLabError(
            f"--training {training} needs a model with partial_fit or warm_start, and "
            f"--model {model_name} has neither; use --model {' or '.join(fitting) or '...'}"
            ", or --training full"
        )
    raise ActiveLabError(
        f"--training {training} pseudo-labels from class probabilities: it needs a "
        f"classification model with predict_proba, and --model {model_name} on {task} "
        "data has none; use --training full"
    )


def _follows(policy: TrainingPolicy, model: Any, task: str) -> bool:
    """Whether ``policy`` can train ``model`` on a ``task`` (pseudo-labels need classes)."""
    if task != "classification" and isinstance(policy, (SelfTraining, CEAL)):
        return False
    try:
        policy.check_model(model)
    except ActiveLabError:
        return False
    return True


@dataclass(frozen=True)
class _Task:
    repeat: int
    strategy: str | None  # None: fit on the whole training split for the reference score
    plain: bool = False  # True: without the control share (its cost is measured against it)


def _split(dataset: Dataset, settings: BenchSettings, repeat: int) -> tuple[Any, ...]:
    from sklearn.model_selection import train_test_split

    seed = settings.seed + repeat
    stratify = dataset.y if settings.task == "classification" else None
    try:
        parts = train_test_split(
            dataset.X, dataset.y, test_size=settings.test_size, random_state=seed,
            stratify=stratify,
        )
    except ValueError:  # a class too rare to stratify: fall back to a plain split
        parts = train_test_split(
            dataset.X, dataset.y, test_size=settings.test_size, random_state=seed
        )
    X_train, X_test, y_train, y_test = parts
    initial = np.random.default_rng(seed).choice(len(y_train), settings.initial, replace=False)
    return X_train, X_test, y_train, y_test, np.sort(initial)


def _run_task(dataset: Dataset, settings: BenchSettings, task: _Task) -> dict[str, Any]:
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=ConvergenceWarning)
        # one-vs-rest on a label that the first few items all have (or all lack)
        warnings.filterwarnings("ignore", message="Label .* is present in all training examples")
        return _simulate(dataset, settings, task)


def _simulate(dataset: Dataset, settings: BenchSettings, task: _Task) -> dict[str, Any]:
    seed = settings.seed + task.repeat
    X_train, X_test, y_train, y_test, initial = _split(dataset, settings, task.repeat)
    model = make_model(settings.model, seed, sparse=sp.issparse(dataset.X), task=settings.task)
    names = TASK_METRICS[settings.task]
    metrics = [metric_function(name) for name in names]
    if task.strategy is None:
        model.fit(X_train, y_train)
        return {"task": task, "scores": {m.__name__: m(model, X_test, y_test) for m in metrics}}
    pool = Pool(X_train)
    if len(initial):
        pool.add_labels(initial, y_train[initial], annotator="initial")
    query_model = None
    if settings.query_model is not None:
        query_model = make_model(settings.query_model, seed, sparse=sp.issparse(dataset.X),
                                 task=settings.task)
    control = 0.0 if task.plain else settings.control
    on_pool = PoolAccuracy(X_train, y_train) if control else None
    with warnings.catch_warnings():  # run_bench warns once for the whole run
        warnings.filterwarnings("ignore", message="the query model")
        loop = ActiveLoop(
            model, pool, strategies.get(task.strategy), SimulatedOracle(y_train),
            batch_size=settings.batch_size, stopping=[LabelBudget(settings.budget)],
            eval_set=(X_test, y_test), metrics=metrics, random_state=seed,
            training=training_policy(settings.training), query_model=query_model,
            control=control, control_confidence=CONTROL_CONFIDENCE,
            callbacks=[] if on_pool is None else [on_pool],
        )
    history = loop.run()
    query_times = [r.query_time for r in history if r.query_time is not None]
    return {
        "control_rounds": None if on_pool is None else control_rounds(
            history, on_pool.values, names[0]),
        "task": task,
        "curves": {name: history.curve(name) for name in names},
        "cost_curve": history.cost_curve(names[0]),
        "query_time": float(np.mean(query_times)) if query_times else 0.0,
        "fit_time": float(np.mean([r.fit_time for r in history])),
    }


def _execute(
    dataset: Dataset, settings: BenchSettings, tasks: list[_Task],
    executor: str = "joblib", scheduler: str | None = None,
) -> Iterator[dict[str, Any]]:
    if executor == "dask":
        from ..distributed import map_on_dask

        yield from map_on_dask(_run_task, [(dataset, settings, t) for t in tasks],
                               scheduler=scheduler, n_workers=settings.jobs)
        return
    if settings.jobs == 1:
        for task in tasks:
            yield _run_task(dataset, settings, task)
        return
    from joblib import Parallel, delayed

    parallel = Parallel(n_jobs=settings.jobs, return_as="generator_unordered")
    yield from parallel(delayed(_run_task)(dataset, settings, t) for t in tasks)


def _summary(values: list[float]) -> dict[str, Any]:
    return {"per_repeat": values, "mean": float(np.mean(values)), "std": float(np.std(values))}


def run_bench(
    dataset: Dataset,
    settings: BenchSettings,
    on_task_done: Callable[[int, int], None] | None = None,
    executor: str = "joblib",
    scheduler: str | None = None,
) -> dict[str, Any]:
    """Run the bench and return the ``results.json`` document (see docs/bench.md).

    ``executor`` runs the repeats with joblib (``settings.jobs`` processes) or on Dask
    (``"dask"``: the scheduler at ``scheduler``, or a local cluster of ``settings.jobs``
    worker processes); the results do not depend on it.
    """
    settings.check(dataset)
    dataset = dataset.for_task(settings.task)
    settings = settings.resolved(dataset)
    started = time.perf_counter()
    done = _run_tasks(dataset, settings, on_task_done, executor, scheduler)
    metric, *secondary = TASK_METRICS[settings.task]
    full = {
        name: [done[_Task(r, None)]["scores"][name] for r in range(settings.repeats)]
        for name in (metric, *secondary)
    }
    results = _results_header(dataset, settings, full)
    if settings.query_model is not None:
        why = warn_if_query_model_differs(
            make_model(settings.query_model, 0, task=settings.task),
            make_model(settings.model, 0, task=settings.task), stacklevel=2)
        results["warnings"] = [why] if why else []
    for name in settings.strategies:
        runs = [done[_Task(r, name)] for r in range(settings.repeats)]
        results["strategies"][name] = entry = _strategy_entry(runs, full, metric, secondary)
        if settings.control:
            plain = [done[_Task(r, name, plain=True)] for r in range(settings.repeats)]
            entry["control"] = control_summary(
                [run["control_rounds"] for run in runs], entry["aulc"]["per_repeat"],
                [aulc(run["curves"][metric]) for run in plain])
    if settings.control:
        results["control"] = {"share": settings.control, "confidence": CONTROL_CONFIDENCE}
    if "random" in results["strategies"]:
        _compare_with_random(results)
    results["elapsed_seconds"] = time.perf_counter() - started
    return results


def _run_tasks(
    dataset: Dataset, settings: BenchSettings,
    on_task_done: Callable[[int, int], None] | None, executor: str, scheduler: str | None,
) -> dict[_Task, dict[str, Any]]:
    """Every repeat's full-data fit and every (repeat, strategy) run, by task."""
    tasks = [_Task(r, None) for r in range(settings.repeats)] + [
        _Task(r, name) for r in range(settings.repeats) for name in settings.strategies
    ]
    if settings.control:
        tasks += [_Task(r, name, plain=True)
                  for r in range(settings.repeats) for name in settings.strategies]
    done: dict[_Task, dict[str, Any]] = {}
    for result in _execute(dataset, settings, tasks, executor, scheduler):
        done[result["task"]] = result
        if on_task_done is not None:
            on_task_done(len(done), len(tasks))
    return done


def _results_header(
    dataset: Dataset, settings: BenchSettings, full: dict[str, list[float]]
) -> dict[str, Any]:
    """The results document before the strategies: settings, data, full-data scores, target."""
    metric, *secondary = TASK_METRICS[settings.task]
    return {
        "activelab_version": __version__,
        "settings": asdict(settings),
        "task": settings.task,
        "data": {
            "name": dataset.name,
            "description": dataset.description,
            "n_items": dataset.n_items,
            "n_features": int(dataset.X.shape[1]),
            "n_classes": None if settings.task == "regression" else len(dataset.classes),
        },
        "metric": metric,
        "secondary_metrics": secondary,
        **{f"full_data_{name}": _summary(values) for name, values in full.items()},
        "target_fraction": TARGET_FRACTION,
        f"target_{metric}": TARGET_FRACTION * float(np.mean(full[metric])),
        "strategies": {},
    }


def _strategy_entry(
    runs: list[dict[str, Any]], full: dict[str, list[float]], metric: str, secondary: list[str]
) -> dict[str, Any]:
    """One strategy's curves and summaries over its repeats (``runs``, in repeat order)."""
    curves = [run["curves"][metric] for run in runs]
    targets = [TARGET_FRACTION * f for f in full[metric]]
    to_target = [labels_to_reach(c, t) for c, t in zip(curves, targets)]
    reached = [n for n in to_target if n is not None]
    censored = [n if n is not None else int(c[-1, 0]) for n, c in zip(to_target, curves)]
    entry: dict[str, Any] = {
        "curves": [c.tolist() for c in curves],
        "mean_curve": mean_curve(curves).tolist(),
        "aulc": _summary([aulc(c) for c in curves]),
        f"final_{metric}": _summary([float(c[-1, 1]) for c in curves]),
        "labels_to_target": {
            "per_repeat": to_target,
            "reached": len(reached),
            "mean": float(np.mean(censored)),
            "mean_is_lower_bound": len(reached) < len(to_target),
        },
        "cost_curves": [run["cost_curve"].tolist() for run in runs],
        "mean_cost_curve": mean_curve([run["cost_curve"] for run in runs]).tolist(),
        "mean_query_time": float(np.mean([run["query_time"] for run in runs])),
        "mean_fit_time": float(np.mean([run["fit_time"] for run in runs])),
    }
    if secondary:
        entry["secondary_curves"] = {
            other: [run["curves"][other].tolist() for run in runs] for other in secondary
        }
        for other in secondary:
            entry[f"final_{other}"] = _summary(
                [float(run["curves"][other][-1, 1]) for run in runs]
            )
    return entry


def _compare_with_random(results: dict[str, Any]) -> None:
    """Add ``vs_random`` to every strategy: AULC gain and labels saved, on the mean curves."""
    target = results[f"target_{results['metric']}"]
    random = results["strategies"]["random"]
    random_curve = np.array(random["mean_curve"])[:, :2]
    random_final = float(random_curve[-1, 1])
    last_n = int(random_curve[-1, 0])
    random_to_target = labels_to_reach(random_curve, target)
    for entry in results["strategies"].values():
        curve = np.array(entry["mean_curve"])[:, :2]
        to_target = labels_to_reach(curve, target)
        to_random_final = labels_to_reach(curve, random_final)
        saved_at_target = None
        lower_bound = False
        if to_target is not None:
            if random_to_target is not None:
                saved_at_target = random_to_target - to_target
            else:
                saved_at_target, lower_bound = last_n - to_target, True
        entry["vs_random"] = {
            "aulc_difference": entry["aulc"]["mean"] - random["aulc"]["mean"],
            "labels_to_target_mean_curve": to_target,
            "random_labels_to_target_mean_curve": random_to_target,
            "labels_saved_at_target": saved_at_target,
            "labels_saved_at_target_is_lower_bound": lower_bound,
            "labels_to_match_random_final": to_random_final,
            "labels_saved_at_random_final": (
                None if to_random_final is None else last_n - to_random_final
            ),
        }
