"""Stopping rules measured on the bundled classification data sets.

    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/stopping_rules.py

Each run: the bench's split (75/25, stratified, seeded), standardised logistic regression,
margin sampling, 10 random initial labels, then batches until a long label budget, so the
whole learning curve is known. Every round, the rules watch the loop without stopping it:

* ``StabilizingPredictions(0.99, window=3)`` on its default stop set (the pool): the round
  where it would have stopped;
* ``OverallUncertainty`` / ``MaxUncertainty``: the value each round, and where a few
  thresholds would have stopped;
* the learning-curve forecast (``forecast_labels``, as ``LabelsNeededForecast`` runs it)
  from every prefix of the curve.

Definitions (per run, on the test accuracy curve):

* ``final`` is the accuracy at the last point (the budget);
* the curve *flattens* at the first label count from which every later point is at least
  ``final - 0.005``;
* the forecast target is ``0.98 * final``; the labels *actually needed* are the first label
  count whose accuracy reaches it; the forecast error at a round is
  ``(forecast total - actually needed) / actually needed``, for rounds before the target
  was reached, with at least 4 points.

Prints markdown tables and writes every run's numbers as JSON into ``--out``.

``--expected-gain`` measures the ``expected_gain`` rule instead (``activelab.stop_gain``):
the same runs with a 10% random control share (``ActiveLoop(control=0.1)``, which the rule
reads), the rule at a few thresholds and stabilizing predictions watching every round;
for each, the labels at the stop, the labels saved against the budget, and the accuracy
lost against the run's final accuracy. Writes ``expected_gain.json``.

``--expected-gain --suite classification`` runs it on a bench suite's data sets instead
(subsampled and budgeted as ``activelab bench --suite`` does: 10 initial labels, batches of
10, up to 200 labels), with the uncertainty rules at their thresholds too, and adds a
table over all the suite's runs: per rule, how many runs it stopped, the mean labels saved
(a run it did not stop saves 0) and the accuracy lost.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from activelab import ActiveLoop, Pool, SimulatedOracle, strategies
from activelab.bench.metrics import labels_to_reach
from activelab.data.datasets import load
from activelab.models.catalog import make_model
from activelab.stop_gain import ExpectedGain
from activelab.stopping import (
    LabelBudget,
    MaxUncertainty,
    OverallUncertainty,
    StabilizingPredictions,
    forecast_labels,
)

#: data set -> (label budget, batch size)
DATA = {"iris": (100, 5), "wine": (100, 5), "breast_cancer": (250, 10), "moons": (250, 10),
        "digits": (400, 10), "blobs": (400, 10)}
FLAT_TOLERANCE = 0.005
TARGET_SHARE = 0.98
OVERALL_THRESHOLDS = (0.05, 0.1)
MAX_THRESHOLDS = (0.3, 0.5)
#: expected_gain thresholds: accuracy per label (cost 1 per label)
GAIN_THRESHOLDS = (0.001, 0.0005, 0.0002)


def flatten_point(curve: np.ndarray, tolerance: float = FLAT_TOLERANCE) -> int:
    """The first label count from which every later score is at least final - tolerance."""
    final = curve[-1, 1]
    ok = curve[:, 1] >= final - tolerance
    first = len(ok) - 1
    while first > 0 and ok[first - 1]:
        first -= 1
    return int(curve[first, 0])


#: Data sets of a suite, when ``--suite`` is given: name -> (data set, budget, batch size)
SUITE_DATA: dict[str, tuple[Any, int, int]] = {}


def use_suite(name: str) -> list[str]:
    """Fill :data:`SUITE_DATA` with the data sets of the bench suite ``name``; their names."""
    from activelab.bench.suites import SUITES, suite_dataset

    suite = SUITES.lookup(name)
    for data in suite.datasets:
        dataset = suite_dataset(data, suite.max_items)
        SUITE_DATA[data] = (dataset, suite.budget_for(dataset.n_items), suite.batch_size)
    return list(suite.datasets)


def split_and_pool(data: str, seed: int) -> tuple[Pool, Any, Any, Any]:
    """The bench's split of ``data`` and a pool of its training part with 10 random labels:
    ``(pool, y_train, X_test, y_test)``."""
    from sklearn.model_selection import train_test_split

    dataset = SUITE_DATA[data][0] if data in SUITE_DATA else load(data)
    X_train, X_test, y_train, y_test = train_test_split(
        dataset.X, dataset.y, test_size=0.25, random_state=seed, stratify=dataset.y)
    initial = np.random.default_rng(seed).choice(len(y_train), 10, replace=False)
    pool = Pool(X_train)
    pool.add_labels(initial, y_train[initial])
    return pool, y_train, X_test, y_test


def one_run(data: str, budget: int, batch_size: int, seed: int) -> dict[str, Any]:
    from sklearn.exceptions import ConvergenceWarning

    pool, y_train, X_test, y_test = split_and_pool(data, seed)
    sp_rule = StabilizingPredictions(0.99, window=3)
    overall, maximum = OverallUncertainty(1.0), MaxUncertainty(1.0)
    sp_stop: list[int] = []

    def watch(loop: ActiveLoop, record: Any) -> None:
        if sp_rule.reason(loop) is not None:
            sp_stop.append(record.n_labeled)
        overall.reason(loop)
        maximum.reason(loop)

    loop = ActiveLoop(make_model("logreg", seed), pool, strategies.get("margin"),
                      SimulatedOracle(y_train), batch_size=batch_size,
                      stopping=[LabelBudget(budget)], eval_set=(X_test, y_test),
                      callbacks=[watch], random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        history = loop.run()
    curve = history.curve("accuracy")
    n = curve[:, 0]
    final = float(curve[-1, 1])
    target = TARGET_SHARE * final
    needed = labels_to_reach(curve, target)
    forecasts = []
    for k in range(4, len(curve) + 1):
        if needed is None or curve[k - 1, 0] >= needed:
            break
        fit = forecast_labels(curve[:k], target)
        total = None if fit is None else fit.labels_for_target
        forecasts.append({"n": int(curve[k - 1, 0]), "forecast": total,
                          "method": None if fit is None else fit.method})

    def first_below(values: list[float], threshold: float) -> int | None:
        below = [int(x) for x, v in zip(n, values) if v <= threshold]
        return below[0] if below else None

    sp_at = sp_stop[0] if sp_stop else None
    return {
        "curve": curve.tolist(), "final": final, "flat": flatten_point(curve),
        "sp_stop": sp_at,
        "accuracy_at_sp_stop": None if sp_at is None else float(curve[n == sp_at, 1][0]),
        "kappas": sp_rule.kappas_, "mean_uncertainty": overall.values_,
        "max_uncertainty": maximum.values_,
        "overall_stop": {t: first_below(overall.values_, t) for t in OVERALL_THRESHOLDS},
        "max_stop": {t: first_below(maximum.values_, t) for t in MAX_THRESHOLDS},
        "target": target, "needed": needed, "forecasts": forecasts,
    }


def gain_run(data: str, budget: int, batch_size: int, seed: int,
             control: float = 0.1) -> dict[str, Any]:
    """One run with a ``control`` share; where each rule would have stopped."""
    from sklearn.exceptions import ConvergenceWarning

    pool, y_train, X_test, y_test = split_and_pool(data, seed)
    rules: dict[str, Any] = {f"expected_gain {t:g}": ExpectedGain(t) for t in GAIN_THRESHOLDS}
    rules["stabilizing_predictions 0.99"] = StabilizingPredictions(0.99, window=3)
    if SUITE_DATA:
        rules.update({f"overall_uncertainty {t:g}": OverallUncertainty(t)
                      for t in OVERALL_THRESHOLDS})
        rules.update({f"max_uncertainty {t:g}": MaxUncertainty(t) for t in MAX_THRESHOLDS})
    stops: dict[str, int | None] = dict.fromkeys(rules)

    def watch(loop: ActiveLoop, record: Any) -> None:
        for name, rule in rules.items():
            if rule.reason(loop) is not None and stops[name] is None:
                stops[name] = record.n_labeled

    loop = ActiveLoop(make_model("logreg", seed), pool, strategies.get("margin"),
                      SimulatedOracle(y_train), batch_size=batch_size,
                      stopping=[LabelBudget(budget)], eval_set=(X_test, y_test),
                      callbacks=[watch], random_state=seed, control=control)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        curve = loop.run().curve("accuracy")
    final = float(curve[-1, 1])
    at = {name: None if n is None else float(curve[curve[:, 0] == n, 1][0])
          for name, n in stops.items()}
    return {"curve": curve.tolist(), "final": final, "stops": stops, "accuracy_at_stop": at}


def gain_main(args: argparse.Namespace, started: float) -> None:
    runs: dict[str, list[dict[str, Any]]] = {}
    print("| data | budget (batch) | rule | runs it stopped | median labels at stop | "
          "median labels saved | accuracy lost (final - at stop): median / worst |")
    print("|---|---|---|---|---|---|---|")
    names = use_suite(args.suite) if args.suite else args.data.split(",")
    for data in names:
        budget, batch = SUITE_DATA[data][1:] if data in SUITE_DATA else DATA[data]
        runs[data] = [gain_run(data, budget, batch, seed, args.control)
                      for seed in range(args.seeds)]
        for run in runs[data]:
            run["budget"] = budget
        for name in runs[data][0]["stops"]:
            stopped = [r for r in runs[data] if r["stops"][name] is not None]
            labels = [r["stops"][name] for r in stopped]
            lost = [r["final"] - r["accuracy_at_stop"][name] for r in stopped]
            print(f"| {data} | {budget} ({batch}) | {name} | {len(stopped)}/{len(runs[data])} | "
                  f"{fmt(np.median(labels) if labels else None)} | "
                  f"{fmt(budget - np.median(labels) if labels else None)} | "
                  f"{fmt(np.median(lost) if lost else None, '{:.4f}')} / "
                  f"{fmt(max(lost) if lost else None, '{:.4f}')} |", flush=True)
    if args.suite:
        print_suite_table(args.suite, runs)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / (f"expected_gain_{args.suite}_{args.control:g}.json" if args.suite
                  else "expected_gain.json")
    path.write_text(json.dumps({"seeds": args.seeds, "suite": args.suite,
                                "control": args.control, "runs": runs},
                               default=float))
    print(f"\n{time.perf_counter() - started:.0f} s; numbers in {path}")


def print_suite_table(suite: str, runs: dict[str, list[dict[str, Any]]]) -> None:
    """Per rule, over every run of every data set of the suite: runs stopped, labels saved
    against the budget (0 for a run not stopped) and accuracy lost against the final."""
    every = [run for data_runs in runs.values() for run in data_runs]
    for run in every:  # a rule that fires only at the budget saved nothing: not a stop
        run["stops"] = {name: None if at is None or at >= run["budget"] else at
                        for name, at in run["stops"].items()}
    print(f"\n### Over the {suite} suite: {len(runs)} data sets, {len(every)} runs\n")
    print("| rule | runs it stopped | labels saved: mean (share of budget) | mean labels at "
          "stop | accuracy lost: mean / median / worst | runs losing > 1 point |")
    print("|---|---|---|---|---|---|")
    for name in every[0]["stops"]:
        saved = [r["budget"] - (r["stops"][name] or r["budget"]) for r in every]
        lost = [r["final"] - r["accuracy_at_stop"][name] if r["stops"][name] else 0.0
                for r in every]
        share = np.mean([s / r["budget"] for s, r in zip(saved, every)])
        print(f"| {name} | {sum(r['stops'][name] is not None for r in every)}/{len(every)} | "
              f"{np.mean(saved):.1f} ({100 * share:.0f}%) | "
              f"{np.mean([r['budget'] - s for s, r in zip(saved, every)]):.0f} | "
              f"{np.mean(lost):.4f} / {np.median(lost):.4f} / {max(lost):.4f} | "
              f"{sum(v > 0.01 for v in lost)} |")


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    stopped = [r for r in runs if r["sp_stop"] is not None]
    gaps = np.array([r["sp_stop"] - r["flat"] for r in stopped], dtype=float)
    acc_loss = np.array([r["final"] - r["accuracy_at_sp_stop"] for r in stopped])
    errors: dict[str, list[float]] = {"<25%": [], "25-50%": [], "50-75%": [], "75-100%": []}
    for r in runs:
        for f in r["forecasts"]:
            progress = f["n"] / r["needed"]
            key = ("<25%" if progress < 0.25 else "25-50%" if progress < 0.5
                   else "50-75%" if progress < 0.75 else "75-100%")
            rel = np.inf if f["forecast"] is None else (f["forecast"] - r["needed"]) / r["needed"]
            errors[key].append(rel)
    return {
        "runs": len(runs), "sp_stopped": len(stopped),
        "flat_median": float(np.median([r["flat"] for r in runs])),
        "sp_median": float(np.median([r["sp_stop"] for r in stopped])) if stopped else None,
        "gap_median": float(np.median(gaps)) if len(gaps) else None,
        "gap_abs_p80": float(np.percentile(np.abs(gaps), 80)) if len(gaps) else None,
        "acc_loss_median": float(np.median(acc_loss)) if len(acc_loss) else None,
        "acc_loss_max": float(np.max(acc_loss)) if len(acc_loss) else None,
        "forecast_errors": errors,
        "overall_stop": {t: [r["overall_stop"][t] for r in runs] for t in OVERALL_THRESHOLDS},
        "max_stop": {t: [r["max_stop"][t] for r in runs] for t in MAX_THRESHOLDS},
    }


def fmt(value: float | None, spec: str = "{:.0f}") -> str:
    return "-" if value is None else spec.format(value)


def _median_or_dash(values: list[Any]) -> str:
    got = [v for v in values if v is not None]
    if not got:
        return f"never (0/{len(values)})"
    return f"{np.median(got):.0f} ({len(got)}/{len(values)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--data", default=",".join(DATA))
    parser.add_argument("--out", default="docs/results/training-stopping")
    parser.add_argument("--control", type=float, default=0.1,
                        help="with --expected-gain: the random control share")
    parser.add_argument("--suite", default=None,
                        help="with --expected-gain: the data sets of this bench suite")
    parser.add_argument("--expected-gain", action="store_true",
                        help="measure the expected_gain rule (with a 10%% control share)")
    args = parser.parse_args()
    started = time.perf_counter()
    if args.expected_gain:
        return gain_main(args, started)
    all_runs, summaries = {}, {}
    for data in args.data.split(","):
        budget, batch = DATA[data]
        runs = [one_run(data, budget, batch, seed) for seed in range(args.seeds)]
        all_runs[data], summaries[data] = runs, summarise(runs)
        print(f"{data} done ({time.perf_counter() - started:.0f} s)", flush=True)

    print("\n### Stabilizing predictions (kappa >= 0.99, mean of 3) vs the flattening point\n")
    print("| data | budget | runs it stopped | median flat at | median SP stop | median "
          "(stop - flat) | 80th pct of abs(stop - flat) | accuracy lost at stop: median / max |")
    print("|---|---|---|---|---|---|---|---|")
    for data, s in summaries.items():
        print(f"| {data} | {DATA[data][0]} | {s['sp_stopped']}/{s['runs']} | {s['flat_median']:.0f}"
              f" | {fmt(s['sp_median'])} | {fmt(s['gap_median'], '{:+.0f}')} | "
              f"{fmt(s['gap_abs_p80'])} | {fmt(s['acc_loss_median'], '{:.4f}')} / "
              f"{fmt(s['acc_loss_max'], '{:.4f}')} |")

    print("\n### Uncertainty rules: median labels at stop (runs that stopped)\n")
    heads = [f"overall <= {t}" for t in OVERALL_THRESHOLDS] + [f"max <= {t}" for t in MAX_THRESHOLDS]
    print("| data | median flat at | " + " | ".join(heads) + " |")
    print("|---|---|" + "---|" * len(heads))
    for data, s in summaries.items():
        cells = [_median_or_dash(s["overall_stop"][t]) for t in OVERALL_THRESHOLDS]
        cells += [_median_or_dash(s["max_stop"][t]) for t in MAX_THRESHOLDS]
        print(f"| {data} | {s['flat_median']:.0f} | " + " | ".join(cells) + " |")

    print(f"\n### Forecast of the labels needed for {TARGET_SHARE} x final accuracy: relative "
          "error, median [25th, 75th percentile] (n forecasts), by progress towards the "
          "labels actually needed\n")
    print("| data | <25% | 25-50% | 50-75% | 75-100% | never reaches (share) | "
          "within ±25% (share) |")
    print("|---|---|---|---|---|---|---|")
    for data, s in summaries.items():
        cells, total, never, close = [], 0, 0, 0
        for errs in s["forecast_errors"].values():
            e = np.array(errs)
            total += len(e)
            never += int(np.isinf(e).sum())
            close += int((np.abs(e) <= 0.25).sum())
            e = e[np.isfinite(e)]
            if len(e) == 0:
                cells.append("-")
                continue
            q = np.percentile(e, [50, 25, 75])
            cells.append(f"{q[0]:+.2f} [{q[1]:+.2f}, {q[2]:+.2f}] ({len(e)})")
        share = f"{never / total:.2f}" if total else "-"
        near = f"{close / total:.2f}" if total else "-"
        print(f"| {data} | " + " | ".join(cells) + f" | {share} | {near} |")

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "stopping_rules.json"
    path.write_text(json.dumps({"seeds": args.seeds, "summaries": summaries, "runs": all_runs},
                               indent=None, default=float))
    print(f"\n{time.perf_counter() - started:.0f} s; numbers in {path}")


if __name__ == "__main__":
    main()
