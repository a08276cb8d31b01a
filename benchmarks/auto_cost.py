"""The ``auto`` strategy's query time against its costliest member, round by round.

    OMP_NUM_THREADS=1 nice -n 5 python benchmarks/auto_cost.py

One run on digits (the bench's 75/25 stratified split, standardised logistic regression,
10 random initial labels, batches of 10 up to 200 labels). After every fit, each member of
``auto`` for classifiers (TypiClust, cluster-margin) queries the same model and pool (best
of 3 timings), and so does ``auto`` itself (it keeps no state between rounds, so a repeated
query is the loop's query). Prints, per round, the arm ``auto`` chose and the ratio of its time to the costliest
member's, then the median and the largest ratio, and how often each arm was chosen.
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections import Counter
from typing import Any

import numpy as np

from activelab import ActiveLoop, Pool, SimulatedOracle, strategies
from activelab.data.datasets import load
from activelab.models.catalog import make_model
from activelab.stopping import LabelBudget

MEMBERS = ("typiclust", "cluster_margin")


def best_time(name: str, model: Any, pool: Pool, k: int, repeats: int = 3) -> float:
    strategy = strategies.get(name)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        strategy.query(model, pool, k, random_state=0)
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import train_test_split

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--budget", type=int, default=200)
    args = parser.parse_args()
    dataset = load("digits")
    X_train, X_test, y_train, y_test = train_test_split(
        dataset.X, dataset.y, test_size=0.25, random_state=args.seed, stratify=dataset.y)
    initial = np.random.default_rng(args.seed).choice(len(y_train), 10, replace=False)
    pool = Pool(X_train)
    pool.add_labels(initial, y_train[initial])
    members: list[dict[str, float]] = []

    def time_members(loop: ActiveLoop, record: Any) -> None:
        if record.n_labeled < args.budget:
            members.append({name: best_time(name, loop.model, loop.pool, loop.batch_size)
                            for name in (*MEMBERS, "auto")})

    loop = ActiveLoop(make_model("logreg", args.seed), pool, None, SimulatedOracle(y_train),
                      batch_size=10, stopping=[LabelBudget(args.budget)],
                      eval_set=(X_test, y_test), callbacks=[time_members],
                      random_state=args.seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        history = loop.run()
    print("| round | labels | phase | arm | auto ms | costliest member (ms) | ratio |")
    print("|---|---|---|---|---|---|---|")
    ratios = []
    for record, times in zip(history, members):
        auto = times.pop("auto")
        costliest = max(times, key=times.get)
        ratio = auto / times[costliest]
        ratios.append(ratio)
        chosen = record.info["query"]
        print(f"| {record.round} | {record.n_labeled} | {chosen['phase']} | {chosen['arm']} | "
              f"{1000 * auto:.1f} | {costliest} ({1000 * times[costliest]:.1f}) "
              f"| {ratio:.2f} |")
    arms = Counter(r.info["query"]["arm"] for r in history[:-1])
    print(f"\nratio auto / costliest member: median {np.median(ratios):.2f}, "
          f"max {np.max(ratios):.2f}; arms chosen: {dict(arms)}; "
          f"final accuracy {history[-1].metrics['accuracy']:.4f}")


if __name__ == "__main__":
    main()
