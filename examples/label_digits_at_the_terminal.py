"""Label handwritten digits yourself: activelab asks about the images it is least sure of.

    python examples/label_digits_at_the_terminal.py

Each image is drawn in the terminal; type the digit, `s` to skip, or `q` to stop.
"""

from __future__ import annotations

import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression

from activelab import ActiveLoop, ConsoleOracle, LabelBudget, Pool, strategies

SHADES = " .:-=+*#%@"


def draw(image: np.ndarray) -> str:
    rows = image.reshape(8, 8)
    return "\n".join("".join(SHADES[int(v * 9 / 16)] * 2 for v in row) for row in rows)


def main() -> None:
    X, y = load_digits(return_X_y=True)
    pool = Pool(X)
    oracle = ConsoleOracle(pool, classes=list(range(10)), show=draw)
    loop = ActiveLoop(
        LogisticRegression(max_iter=1000), pool, strategies.get("margin"), oracle,
        batch_size=5, stopping=[LabelBudget(40)], eval_set=(X, y), random_state=0,
        callbacks=[lambda loop, r: print(f"\n-- {r.n_labeled} labels: "
                                         f"accuracy on all digits {r.metrics.get('accuracy', 0):.3f}")],
    )
    loop.run()
    print(f"stopped: {loop.stop_reason}; you labeled {pool.n_labeled} images")


if __name__ == "__main__":
    main()
