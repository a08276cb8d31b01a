"""MC-dropout BALD on digits, after baal's "MC-Dropout" / BALD tutorial (needs activelab[torch]).

baal wraps a network with ``MCDropoutModule`` and ranks the pool with the ``BALD``
heuristic over ``iterations`` stochastic forward passes, growing an
``ActiveLearningDataset`` with ``label(...)``. Here the network is a small CNN inside a
:class:`~activelab.models.TorchClassifier` (``sample_proba`` gives the MC-dropout
samples, ``mc_samples`` of them) and the ``bald`` strategy ranks the pool; random
sampling runs beside it from the same start.

Run: OMP_NUM_THREADS=1 python examples/mc_dropout_bald.py [--budget 200] [--epochs 30]
"""

from __future__ import annotations

import argparse

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from activelab import ActiveLoop, LabelBudget, Pool, SimulatedOracle, strategies
from activelab.models import TorchClassifier


def main(argv: list[str] | None = None) -> dict[str, np.ndarray]:
    parser = argparse.ArgumentParser(description="MC-dropout BALD on digits")
    parser.add_argument("--initial", type=int, default=20)
    parser.add_argument("--budget", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=20)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--mc-samples", type=int, default=20)
    args = parser.parse_args(argv)

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X / 16, y, test_size=0.25,
                                                        stratify=y, random_state=0)
    start = np.random.default_rng(0).choice(len(X_train), size=args.initial, replace=False)
    curves = {}
    for name in ("bald", "random"):
        pool = Pool(X_train)
        pool.add_labels(start, y_train[start])
        model = TorchClassifier(input_shape=(1, 8, 8), epochs=args.epochs,
                                mc_samples=args.mc_samples, random_state=0)
        loop = ActiveLoop(model, pool, strategies.get(name), SimulatedOracle(y_train),
                          batch_size=args.batch_size, stopping=[LabelBudget(args.budget)],
                          eval_set=(X_test, y_test), random_state=0)
        curves[name] = loop.run().curve("accuracy")
        steps = ", ".join(f"{int(n)}: {a:.3f}" for n, a in curves[name])
        print(f"{name:6s} test accuracy by labels  {steps}")
    return curves


if __name__ == "__main__":
    main()
