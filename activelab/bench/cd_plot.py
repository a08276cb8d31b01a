"""The critical-difference diagram of a suite (after Demšar, 2006, figure 1).

An axis of mean ranks (1, the best, on the left), each strategy marked at its mean rank
and named on its side of the axis, a bar the length of the Nemenyi critical difference
above, and a thick line joining each group of strategies whose mean ranks are closer
than that difference: strategies joined by a line are not significantly different.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["plot_critical_difference"]


def plot_critical_difference(comparison: dict[str, Any], path: Path, title: str) -> bool:
    """Draw ``comparison`` (from :func:`~activelab.bench.compare.compare_strategies`) into
    ``path``; return False, drawing nothing, when it has no critical difference."""
    if "critical_difference" not in comparison:
        return False
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    mean_ranks = comparison["mean_ranks"]
    order = sorted(mean_ranks, key=lambda name: (mean_ranks[name], name))
    k = len(order)
    cd = comparison["critical_difference"]["cd"]
    groups = comparison["critical_difference"]["groups"]
    left_side = order[: (k + 1) // 2]
    rows = max(len(left_side), k - len(left_side))
    top = 0.3 + 0.2 * len(groups)  # the names start below the group lines
    fig, ax = plt.subplots(figsize=(8, 1.4 + 0.3 * (rows + top)), dpi=110)
    ax.set_xlim(0.5, k + 0.5)
    ax.set_ylim(-(rows + top + 0.5), 2.0)
    ax.axis("off")
    ax.hlines(0, 1, k, color="black", lw=1)
    for tick in range(1, k + 1):
        ax.vlines(tick, 0, 0.15, color="black", lw=1)
        ax.text(tick, 0.25, str(tick), ha="center", va="bottom", fontsize=9)
    ax.hlines(1.2, 1, 1 + cd, color="black", lw=2)
    ax.text(1 + cd / 2, 1.35, f"CD = {cd:.2f}", ha="center", va="bottom", fontsize=9)
    for index, name in enumerate(order):
        on_left = name in left_side
        row = -(top + index + 1) if on_left else -(top + k - index)
        x_text = 0.6 if on_left else k + 0.4
        rank = mean_ranks[name]
        ax.vlines(rank, row, 0, color="grey", lw=0.8)
        ax.hlines(row, min(rank, x_text), max(rank, x_text), color="grey", lw=0.8)
        ax.text(x_text, row + 0.08, f"{name} ({rank:.2f})", fontsize=9, va="bottom",
                ha="left" if on_left else "right")
    for level, group in enumerate(groups):
        low, high = mean_ranks[group[0]], mean_ranks[group[-1]]
        ax.hlines(-0.25 - 0.2 * level, low - 0.03, high + 0.03, color="black", lw=3)
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return True
