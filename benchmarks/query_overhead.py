"""How much a query costs on top of the model's own prediction.

    python benchmarks/query_overhead.py [--n 200000] [--d 50] [--classes 10] [--batch 1000]

For a synthetic pool it times, in one run and on the same fitted model:

* the floor: ``model.predict_proba`` over the whole unlabeled pool, the margin from a
  partition of each row, and an ``argpartition`` for the batch;
* activelab's margin, entropy and least-confidence queries (chunked outputs, scoring,
  deterministic top-k with ties broken by id);

and prints each query's time as a ratio to the floor: the median and the best of
--repeats rounds, each round timing every variant once (interleaved, so a change in
the machine's load hits all of them alike). Absolute times drift on shared machines;
the ratios are what to compare.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from sklearn.linear_model import LogisticRegression

from activelab import Pool, strategies


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--d", type=int, default=50)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--strategies", default="margin,entropy,least_confidence")
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

    names = args.strategies.split(",")
    runs = {name: strategies.get(name) for name in names}
    times: dict[str, list[float]] = {"floor": [], **{name: [] for name in names}}
    for _ in range(args.repeats):  # interleaved, so drifting load hits every variant alike
        times["floor"].append(timed(floor))
        for name, strategy in runs.items():
            times[name].append(timed(lambda s=strategy: s.query(model, pool, args.batch,
                                                                 random_state=0)))
    base_median = statistics.median(times["floor"])
    base_best = min(times["floor"])
    print(f"pool {args.n} x {args.d}, {args.classes} classes, batch {args.batch}, "
          f"{args.repeats} interleaved repeats")
    print(f"{'':46s} {'median':>10s} {'ratio':>6s} {'best':>10s} {'ratio':>6s}")
    for name, values in times.items():
        label = "floor (predict_proba + margin + argpartition)" if name == "floor" else name
        median, best = statistics.median(values), min(values)
        print(f"{label:46s} {median * 1000:8.1f} ms {median / base_median:5.2f}x "
              f"{best * 1000:8.1f} ms {best / base_best:5.2f}x")

if __name__ == "__main__":
    main()
