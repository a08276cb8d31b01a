"""Training policies measured: incremental vs full refit, and self-training / CEAL vs plain AL.

    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/training_policies.py incremental
    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/training_policies.py semi

``incremental``: for each model and data set, the same seeded active-learning runs (margin,
10 initial labels, batches of 10) with a full refit every round, with ``Incremental()``
(update only, full refit at the first fit), and with ``Incremental(refit_every=5)``, the
policies interleaved seed by seed; reports the fit time per round (process CPU time, and
wall time) as a ratio to the full refit measured in the same run, and the AULC.

``semi``: ``activelab bench`` (logistic regression, entropy sampling) with ``--training full``,
``self-training`` and ``ceal`` on the same splits and seeds; reports AULC and final accuracy,
and the per-repeat paired AULC difference against full refit.

Prints markdown tables and writes the numbers as JSON into ``--out``.
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
from activelab.bench.metrics import aulc
from activelab.bench.runner import BenchSettings, run_bench
from activelab.data.datasets import load
from activelab.stopping import LabelBudget
from activelab.training import FullRefit, Incremental, TrainingContext, TrainingPolicy

INCREMENTAL_DATA = {"digits": 200, "breast_cancer": 150}
SEMI_DATA = {"digits": 150, "breast_cancer": 60, "wine": 40}


def make_model(name: str, seed: int) -> Any:
    from sklearn.linear_model import LogisticRegression, SGDClassifier
    from sklearn.naive_bayes import GaussianNB
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return {
        "sgd": lambda: make_pipeline(StandardScaler(),
                                     SGDClassifier(loss="log_loss", random_state=seed)),
        "nb": lambda: GaussianNB(),
        "mlp": lambda: make_pipeline(StandardScaler(), MLPClassifier(
            hidden_layer_sizes=(64,), max_iter=300, random_state=seed)),
        "logreg": lambda: make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)),
    }[name]()


POLICIES = {
    "full": FullRefit,
    "incremental": Incremental,
    "incremental, refit every 5": lambda: Incremental(refit_every=5),
}


class CpuTimed(TrainingPolicy):
    """Runs another policy and keeps the process CPU time of each fit (robust to a busy machine)."""

    def __init__(self, inner: TrainingPolicy) -> None:
        self.inner = inner
        self.cpu_times: list[float] = []

    def train(self, model: Any, X: Any, y: np.ndarray, context: TrainingContext) -> Any:
        started = time.process_time()
        model = self.inner.train(model, X, y, context)
        self.cpu_times.append(time.process_time() - started)
        return model


def one_run(data: str, budget: int, model: str, policy: str, seed: int) -> dict[str, Any]:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import train_test_split

    dataset = load(data)
    X_train, X_test, y_train, y_test = train_test_split(
        dataset.X, dataset.y, test_size=0.25, random_state=seed, stratify=dataset.y)
    initial = np.random.default_rng(seed).choice(len(y_train), 10, replace=False)
    pool = Pool(X_train)
    pool.add_labels(initial, y_train[initial])
    timed = CpuTimed(POLICIES[policy]())
    loop = ActiveLoop(make_model(model, seed), pool, strategies.get("margin"),
                      SimulatedOracle(y_train), batch_size=10, stopping=[LabelBudget(budget)],
                      eval_set=(X_test, y_test), training=timed, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        history = loop.run()
    curve = history.curve("accuracy")
    return {"fit_time": float(np.mean([r.fit_time for r in history])),
            "fit_cpu": float(np.mean(timed.cpu_times)),
            "aulc": aulc(curve), "final": float(curve[-1, 1])}


def incremental(seeds: int, datasets: list[str]) -> dict[str, Any]:
    results: dict[str, Any] = {}
    print("| data | model | policy | fit CPU time / round (ratio to full) | fit wall time / round "
          "(ratio) | AULC | final accuracy |")
    print("|---|---|---|---|---|---|---|")
    for data in datasets:
        budget = INCREMENTAL_DATA[data]
        for model in ("sgd", "nb", "mlp", "logreg"):
            runs: dict[str, list[dict[str, Any]]] = {p: [] for p in POLICIES}
            for seed in range(seeds):  # interleaved, so a change of load hits every policy
                for policy in POLICIES:
                    runs[policy].append(one_run(data, budget, model, policy, seed))
            full_cpu = np.mean([r["fit_cpu"] for r in runs["full"]])
            full_wall = np.mean([r["fit_time"] for r in runs["full"]])
            for policy, rs in runs.items():
                cpu = float(np.mean([r["fit_cpu"] for r in rs]))
                wall = float(np.mean([r["fit_time"] for r in rs]))
                a = [r["aulc"] for r in rs]
                f = [r["final"] for r in rs]
                results[f"{data}/{model}/{policy}"] = {
                    "fit_cpu_per_round_s": cpu, "cpu_ratio_to_full": cpu / full_cpu,
                    "fit_wall_per_round_s": wall, "wall_ratio_to_full": wall / full_wall,
                    "aulc": a, "final": f}
                print(f"| {data} | {model} | {policy} | {cpu * 1000:.1f} ms ({cpu / full_cpu:.2f})"
                      f" | {wall * 1000:.1f} ms ({wall / full_wall:.2f}) | {np.mean(a):.4f} ± "
                      f"{np.std(a):.4f} | {np.mean(f):.4f} ± {np.std(f):.4f} |", flush=True)
    return results


def semi(seeds: int) -> dict[str, Any]:
    results: dict[str, Any] = {}
    print("| data | budget | training | AULC | final accuracy | AULC - full (paired) | "
          "repeats better than full | time (s) |")
    print("|---|---|---|---|---|---|---|---|")
    for data, budget in SEMI_DATA.items():
        dataset = load(data)
        per_policy = {}
        for training in ("full", "self-training", "ceal"):
            started = time.perf_counter()
            settings = BenchSettings(data=data, strategies=["entropy"], model="logreg",
                                     initial=10, budget=budget, batch_size=5 if budget <= 60 else 10,
                                     repeats=seeds, training=training)
            entry = run_bench(dataset, settings)["strategies"]["entropy"]
            per_policy[training] = (entry, time.perf_counter() - started)
        full_aulc = np.array(per_policy["full"][0]["aulc"]["per_repeat"])
        for training, (entry, elapsed) in per_policy.items():
            a = np.array(entry["aulc"]["per_repeat"])
            final = entry["final_accuracy"]
            diff = a - full_aulc
            results[f"{data}/{training}"] = {
                "aulc": a.tolist(), "final": final["per_repeat"], "seconds": elapsed}
            print(f"| {data} | {budget} | {training} | {a.mean():.4f} ± {a.std():.4f} | "
                  f"{final['mean']:.4f} ± {final['std']:.4f} | {diff.mean():+.4f} ± "
                  f"{diff.std():.4f} | {int((diff > 0).sum())}/{len(diff)} | {elapsed:.0f} |",
                  flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("part", choices=["incremental", "semi"])
    parser.add_argument("--seeds", type=int, default=None,
                        help="repeats (default: 3 for incremental, 10 for semi)")
    parser.add_argument("--data", default=None,
                        help="comma-separated data sets (incremental only; default: all)")
    parser.add_argument("--out", default="docs/results/training-stopping")
    args = parser.parse_args()
    seeds = args.seeds or (3 if args.part == "incremental" else 10)
    started = time.perf_counter()
    name = f"training_{args.part}"
    if args.part == "incremental":
        datasets = args.data.split(",") if args.data else list(INCREMENTAL_DATA)
        results = incremental(seeds, datasets)
        name += "_" + "_".join(datasets) if args.data else ""
    else:
        results = semi(seeds)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.json").write_text(json.dumps(
        {"seeds": seeds, "results": results, "seconds": time.perf_counter() - started}, indent=1))
    print(f"\n{time.perf_counter() - started:.0f} s; numbers in {out}/{name}.json")


if __name__ == "__main__":
    main()
