"""Worked example: learn the unknown boundary of a black-box simulator by query synthesis.

The "simulator" labels any point of [-1, 1]^2 (think: does this alloy composition crack,
does this controller setting stay stable). It is expensive, so we count calls. Three
ways to spend them, each until the model is 95% accurate on held-out points:

* synthesis: BoundaryBisection builds every query on the current decision boundary;
* pool-based: margin sampling over a fixed 45 x 45 grid of candidate settings;
* random inputs.

Run:  python examples/learn_black_box_boundary.py   (about 3 s of CPU)
"""

from __future__ import annotations

import numpy as np
from sklearn.svm import SVC

from activelab import ActiveLoop, InputSpace, Pool, SimulatedOracle, SynthesisLoop, strategies
from activelab.oracles import FunctionOracle
from activelab.scenarios.synthesis import BoundaryBisection, RandomInputs
from activelab.stopping import LabelBudget, TargetScore


def simulator(x: np.ndarray) -> int:
    """The black box: which side of a wavy boundary the input lies on."""
    return int(x[1] > 0.5 * np.sin(4 * x[0]))


def model() -> SVC:
    return SVC(C=100.0, gamma=2.0)


def main(seed: int = 0, target: float = 0.95, max_calls: int = 300) -> dict[str, int | None]:
    rng = np.random.default_rng(seed)
    X_test = rng.uniform(-1, 1, (4000, 2))
    y_test = np.array([int(x[1] > 0.5 * np.sin(4 * x[0])) for x in X_test])
    space = InputSpace(lower=[-1, -1], upper=[1, 1])
    reached: dict[str, int | None] = {}

    # 1. synthesis: the loop asks the simulator about points it builds itself
    oracle = FunctionOracle(simulator)
    loop = SynthesisLoop(model(), BoundaryBisection(), oracle, space, initial=4,
                         eval_set=(X_test, y_test), random_state=seed)
    loop.run(n_queries=max_calls, target=target)
    reached["synthesis"] = oracle.n_calls if loop.history[-1].metrics["accuracy"] >= target else None

    # 2. pool-based: the same simulator, asked only about points of a fixed grid
    grid = np.array(np.meshgrid(np.linspace(-1, 1, 45), np.linspace(-1, 1, 45))).reshape(2, -1).T
    grid_labels = np.array([simulator(x) for x in grid])  # revealed only when the loop asks
    pool = Pool(grid)
    first = rng.choice(len(grid), 4, replace=False)
    pool.add_labels(first, grid_labels[first])
    history = ActiveLoop(model(), pool, strategies.get("margin"), SimulatedOracle(grid_labels),
                         batch_size=1, eval_set=(X_test, y_test),
                         stopping=[LabelBudget(max_calls), TargetScore(target)],
                         random_state=seed).run()
    reached["pool (grid)"] = history[-1].n_labeled if history[-1].metrics["accuracy"] >= target else None

    # 3. random inputs, through the same loop as synthesis
    random_oracle = FunctionOracle(simulator)
    loop = SynthesisLoop(model(), RandomInputs(), random_oracle, space, initial=4,
                         eval_set=(X_test, y_test), random_state=seed)
    loop.run(n_queries=max_calls, target=target)
    reached["random"] = (random_oracle.n_calls
                         if loop.history[-1].metrics["accuracy"] >= target else None)
    return reached



if __name__ == "__main__":
    for seed in range(3):
        result = main(seed)
        print(f"seed {seed}: oracle calls to 95% accuracy: "
              + ", ".join(f"{k} {v if v is not None else 'not reached'}" for k, v in result.items()))
