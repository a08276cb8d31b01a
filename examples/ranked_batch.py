"""Ranked batch-mode sampling on iris, after modAL's "Ranked batch-mode sampling" tutorial.

A 3-nearest-neighbours classifier starts from three labeled flowers and asks for batches
of flowers at once. ``ranked_batch`` (Cardoso et al. 2017; modAL's
``uncertainty_batch_sampling``) builds each batch one item at a time, trading the
model's uncertainty against the distance to what is already labeled or chosen, so a batch
does not pile up near one uncertain spot.

Run: python examples/ranked_batch.py [--batch-size 20] [--rounds 3]
"""

from __future__ import annotations

import argparse

import numpy as np
from sklearn.datasets import load_iris
from sklearn.neighbors import KNeighborsClassifier

from activelab import ActiveLoop, LabelBudget, Pool, SimulatedOracle, strategies


def main(argv: list[str] | None = None) -> dict[str, np.ndarray]:
    parser = argparse.ArgumentParser(description="ranked batch-mode sampling on iris")
    parser.add_argument("--batch-size", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)

    X, y = load_iris(return_X_y=True)
    start = np.random.default_rng(1).choice(len(X), size=3, replace=False)
    curves = {}
    for name in ("ranked_batch", "least_confidence"):
        pool = Pool(X)
        pool.add_labels(start, y[start])
        loop = ActiveLoop(
            KNeighborsClassifier(n_neighbors=3), pool, strategies.get(name),
            SimulatedOracle(y), batch_size=args.batch_size,
            stopping=[LabelBudget(3 + args.rounds * args.batch_size)],
            eval_set=(X, y), random_state=0,
        )
        curves[name] = loop.run().curve("accuracy")
        steps = ", ".join(f"{int(n)}: {a:.3f}" for n, a in curves[name])
        print(f"{name:17s} accuracy by labels  {steps}")
    return curves


if __name__ == "__main__":
    main()
