"""What each strategy asks for on a 2-D toy problem: one panel per classification strategy.

    python examples/strategy_gallery.py [--out docs/images/strategy_gallery.png]

Three Gaussian blobs (600 points), 9 labeled points (3 per class), batch of 12. Each panel
shows the labeled points (black), the model's decision regions (shaded) and the 12 points
the strategy chose (red crosses, numbered in rank order). Every strategy gets the model
kind it declares first in ``contract_models``; regression and multi-label strategies are
left out of this picture.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_blobs

from activelab import Pool, strategies
from activelab.testing import MODEL_KINDS

BATCH = 12


def classification_kind(strategy: object) -> str | None:
    for kind in type(strategy).contract_models:
        if MODEL_KINDS[kind][0] == "classification":
            return kind
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/images/strategy_gallery.png")
    args = parser.parse_args()

    X, y = make_blobs(n_samples=600, centers=[(-2, 0), (2, 0), (0, 2.5)], cluster_std=1.1,
                      random_state=3)
    labeled = np.concatenate([np.flatnonzero(y == c)[:3] for c in range(3)])
    grid_x, grid_y = np.meshgrid(np.linspace(-6, 6, 200), np.linspace(-4, 7, 200))
    grid = np.column_stack([grid_x.ravel(), grid_y.ravel()])

    panels = []
    for name in strategies.available():
        strategy = strategies.get(name)
        kind = classification_kind(strategy)
        if kind is not None:
            panels.append((name, strategy, kind))

    cols = 5
    rows = math.ceil(len(panels) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 3.0 * rows), dpi=100,
                             squeeze=False)
    for ax in axes.ravel():
        ax.set_axis_off()
    for ax, (name, strategy, kind) in zip(axes.ravel(), panels):
        pool = Pool(X)
        pool.add_labels(labeled, y[labeled])
        model = MODEL_KINDS[kind][1]()
        model.fit(*pool.labeled_data())
        query = strategy.query(model, pool, BATCH, random_state=0)
        chosen = X[pool.positions(query.ids)]
        regions = model.predict(grid).reshape(grid_x.shape)
        ax.contourf(grid_x, grid_y, regions, levels=[-0.5, 0.5, 1.5, 2.5], alpha=0.15,
                    cmap="viridis")
        ax.scatter(X[:, 0], X[:, 1], s=4, c="lightgrey")
        ax.scatter(X[labeled, 0], X[labeled, 1], s=25, c="black", marker="o")
        ax.scatter(chosen[:, 0], chosen[:, 1], s=40, c="red", marker="x")
        for rank, (cx, cy) in enumerate(chosen, start=1):
            ax.annotate(str(rank), (cx, cy), fontsize=6, xytext=(2, 2),
                        textcoords="offset points")
        ax.set_title(f"{name} ({kind})", fontsize=9)
        ax.set_axis_on()
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(f"What each strategy asks for: {BATCH} picks, 9 labels (black)", fontsize=12)
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out)
    print(f"wrote {args.out} ({len(panels)} strategies)")


if __name__ == "__main__":
    main()
