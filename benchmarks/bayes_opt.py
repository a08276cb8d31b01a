"""Bayesian optimisation against random search and the synthesis methods, on test functions.

    python benchmarks/bayes_opt.py [--repeats 10] [--calls 20] [--initial 5]

Minimises three standard test functions inside an
:class:`~activelab.scenarios.space.InputSpace` (Forrester 1-D on [0, 1], Branin 2-D on
[-5, 10] x [0, 15], Hartmann 3-D on [0, 1]^3), each as a black box the synthesis loop
asks one point at a time. The methods, all with the same default GP
(:func:`activelab.optimize.default_gp`) and the same ``initial`` random points per seed:

* ``ei``, ``pi``, ``ucb`` — :class:`activelab.optimize.BayesianOptimisation`;
* ``optimisation`` — the synthesis scenario's :class:`ScoreOptimisation` maximising the
  GP's ``predictive_std`` (what the synthesis scenario does to *learn* a box);
* ``latent`` — :class:`LatentSynthesis` with ``predictive_std`` over samples of a
  Gaussian mixture fit on 2,000 uniform inputs;
* ``random`` — uniform random inputs.

Reports the simple regret (best value found minus the true minimum) after 10 calls and
after all of them, mean and standard deviation over the seeds, the share of seeds whose
best value came within 0.05 of the minimum, and the seconds per run. Writes
``benchmarks/results/bayes_opt.json``.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np

from activelab.optimize import BayesianOptimisation, default_gp
from activelab.scenarios.space import InputSpace
from activelab.scenarios.synthesis import (
    LatentSynthesis,
    RandomInputs,
    ScoreOptimisation,
    SynthesisLoop,
)

RESULTS = Path(__file__).resolve().parent / "results"


def forrester(x: np.ndarray) -> float:
    return float((6 * x[0] - 2) ** 2 * np.sin(12 * x[0] - 4))


def branin(x: np.ndarray) -> float:
    a, b, c = 1.0, 5.1 / (4 * np.pi**2), 5 / np.pi
    r, s, t = 6.0, 10.0, 1 / (8 * np.pi)
    return float(a * (x[1] - b * x[0] ** 2 + c * x[0] - r) ** 2 + s * (1 - t) * np.cos(x[0]) + s)


HARTMANN_A = np.array([[3.0, 10, 30], [0.1, 10, 35], [3.0, 10, 30], [0.1, 10, 35]])
HARTMANN_P = 1e-4 * np.array([[3689, 1170, 2673], [4699, 4387, 7470],
                              [1091, 8732, 5547], [381, 5743, 8828]])
HARTMANN_C = np.array([1.0, 1.2, 3.0, 3.2])


def hartmann3(x: np.ndarray) -> float:
    return float(-HARTMANN_C @ np.exp(-(HARTMANN_A * (x - HARTMANN_P) ** 2).sum(axis=1)))


#: name -> (function, space, known minimum)
FUNCTIONS = {
    "forrester-1d": (forrester, InputSpace([0.0], [1.0]), -6.020740),
    "branin-2d": (branin, InputSpace([-5.0, 0.0], [10.0, 15.0]), 0.397887),
    "hartmann-3d": (hartmann3, InputSpace([0.0] * 3, [1.0] * 3), -3.862782),
}
#: a run "finds" the minimum when its best value is within this of it
TOLERANCE = 0.05


def synthesiser(method: str, space: InputSpace, seed: int):
    if method in ("ei", "pi", "ucb"):
        return BayesianOptimisation(method), None
    if method == "optimisation":
        return ScoreOptimisation("predictive_std", n_restarts=5), None
    if method == "latent":
        unlabeled = space.sample(2000, np.random.default_rng(10_000 + seed))
        return LatentSynthesis("gmm", "predictive_std"), unlabeled
    return RandomInputs(), None


def run_one(name: str, method: str, seed: int, calls: int, initial: int) -> np.ndarray:
    """The values of the ``calls`` points asked, in order."""
    func, space, _ = FUNCTIONS[name]
    proposer, unlabeled = synthesiser(method, space, seed)
    loop = SynthesisLoop(default_gp(space, seed), proposer, lambda x: -func(x), space,
                         initial=initial, unlabeled=unlabeled, random_state=seed)
    loop.run(calls - initial)
    return -np.asarray(loop.y, dtype=float)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--initial", type=int, default=5)
    parser.add_argument("--functions", default=",".join(FUNCTIONS))
    parser.add_argument("--methods", default="ei,pi,ucb,optimisation,latent,random")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")  # the GP's hyperparameter fits warn at their bounds
    results: dict = {"settings": vars(args), "rows": []}
    print(f"| function | method | regret after 10 calls | regret after {args.calls} calls "
          f"| within {TOLERANCE} of the minimum | s per run |")
    print("|---|---|---|---|---|---|")
    for name in args.functions.split(","):
        _, _, minimum = FUNCTIONS[name]
        for method in args.methods.split(","):
            early, final, hits, seconds = [], [], 0, []
            for seed in range(args.repeats):
                started = time.perf_counter()
                values = run_one(name, method, seed, args.calls, args.initial)
                seconds.append(time.perf_counter() - started)
                regret = np.minimum.accumulate(values) - minimum
                early.append(regret[min(9, len(regret) - 1)])
                final.append(regret[-1])
                hits += int(regret[-1] <= TOLERANCE)
            row = {"function": name, "method": method, "regret_10": float(np.mean(early)),
                   "regret_10_std": float(np.std(early)), "regret_final": float(np.mean(final)),
                   "regret_final_std": float(np.std(final)), "hits": hits,
                   "seconds": float(np.mean(seconds))}
            results["rows"].append(row)
            print(f"| {name} | {method} | {row['regret_10']:.3f} ± {row['regret_10_std']:.3f} "
                  f"| {row['regret_final']:.3f} ± {row['regret_final_std']:.3f} "
                  f"| {hits}/{args.repeats} | {row['seconds']:.1f} |", flush=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bayes_opt.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
