"""How much a query costs on top of the model's own prediction.

    python benchmarks/query_overhead.py [--n 200000] [--d 50] [--classes 10] [--batch 1000]

For a synthetic pool it times, in one run and on the same fitted model:

* the floor: ``model.predict_proba`` over the whole unlabeled pool, the margin from a
  partition of each row, and an ``argpartition`` for the batch;
* activelab's margin, entropy and least-confidence queries (chunked outputs, scoring,
  deterministic top-k with ties broken by id);

and prints each query's time as a ratio to the floor (median of --repeats runs).
Absolute times drift on shared machines; the ratios are what to compare.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from sklearn.linear_model import LogisticRegression

from activelab import Pool, strategies


def median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--d", type=int, default=50)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    X = rng.normal(size=(args.n, args.d)).astype(np.float32)
    labeled = rng.choice(args.n, 2000, replace=False)
    y = rng.integers(args.classes, size=args.n)
    pool = Pool(X)
    pool.add_labels(labeled, y[labeled])
    model = LogisticRegression(max_iter=200).fit(*pool.labeled_data())
    unlabeled = pool.unlabeled_ids

    def floor() -> None:
        proba = model.predict_proba(X[unlabeled])
        top_two = np.partition(proba, args.classes - 2, axis=1)[:, -2:]
        np.argpartition(top_two[:, 1] - top_two[:, 0], args.batch)[: args.batch]

    base = median_time(floor, args.repeats)
    print(f"pool {args.n} x {args.d}, {args.classes} classes, batch {args.batch}, "
          f"median of {args.repeats}")
    print(f"{'floor (predict_proba + margin + argpartition)':40s} {base * 1000:8.1f} ms   1.00x")
    for name in ["margin", "entropy", "least_confidence"]:
        strategy = strategies.get(name)
        t = median_time(lambda s=strategy: s.query(model, pool, args.batch, random_state=0),
                        args.repeats)
        print(f"{name:40s} {t * 1000:8.1f} ms   {t / base:.2f}x")


if __name__ == "__main__":
    main()
