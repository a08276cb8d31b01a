"""Active regression with a Gaussian process, after modAL's "Active regression" tutorial.

A noisy sine is learned from a pool of 1,000 points. Each round the Gaussian process is
refit and the point where its predictive standard deviation is largest is labeled:
modAL's ``max_std_sampling`` is the ``predictive_std`` strategy, which reads
``predict(X, return_std=True)``. Random sampling runs beside it on the same pool.

Run: python examples/gp_regression.py [--queries 10] [--pool 1000]
"""

from __future__ import annotations

import argparse

import numpy as np
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF, WhiteKernel

from activelab import ActiveLoop, LabelBudget, Pool, SimulatedOracle, strategies


def main(argv: list[str] | None = None) -> dict[str, np.ndarray]:
    parser = argparse.ArgumentParser(description="active regression with a Gaussian process")
    parser.add_argument("--queries", type=int, default=10)
    parser.add_argument("--pool", type=int, default=1000)
    args = parser.parse_args(argv)

    rng = np.random.default_rng(0)
    X = np.sort(rng.uniform(0, 20, size=args.pool)).reshape(-1, 1)
    y = np.sin(X[:, 0]) + rng.normal(scale=0.3, size=args.pool)
    grid = np.linspace(0, 20, 200).reshape(-1, 1)        # scored against the noiseless sine
    start = rng.choice(args.pool, size=5, replace=False)

    curves = {}
    for name in ("predictive_std", "random"):
        pool = Pool(X)
        pool.add_labels(start, y[start])
        # the noise of the labels is known here (std 0.3), so its level is not fitted
        kernel = RBF(length_scale=1.0) + WhiteKernel(0.3**2, noise_level_bounds="fixed")
        gp = GaussianProcessRegressor(kernel, random_state=0)
        loop = ActiveLoop(gp, pool, strategies.get(name), SimulatedOracle(y), batch_size=1,
                          stopping=[LabelBudget(5 + args.queries)],
                          eval_set=(grid, np.sin(grid[:, 0])), metrics=["r2"], random_state=0)
        curves[name] = loop.run().curve("r2")
        print(f"{name:15s} R² on the noiseless sine: start {curves[name][0, 1]:.3f}, "
              f"after {args.queries} labels {curves[name][-1, 1]:.3f}")
    return curves


if __name__ == "__main__":
    main()
