"""Learning-curve summaries: area under the curve and labels needed to reach a target.

A learning curve is an array ``[[n_labels, score], ...]`` with ``n_labels`` increasing.
"""

from __future__ import annotations

import numpy as np

__all__ = ["aulc", "labels_to_reach", "mean_curve"]


def aulc(curve: np.ndarray) -> float:
    """Normalised area under the learning curve.

    ``AULC = (1 / (n_last - n_first)) * integral of score(n) dn`` over
    ``[n_first, n_last]``, by the trapezoidal rule over the recorded points. It is the
    mean score over the labeling range, in the score's own units (0..1 for accuracy).
    A curve with a single point has that point's score.
    """
    curve = np.asarray(curve, dtype=float)
    n, score = curve[:, 0], curve[:, 1]
    if len(n) == 1 or n[-1] == n[0]:
        return float(score[-1])
    area = float(np.sum((n[1:] - n[:-1]) * (score[1:] + score[:-1]) / 2))
    return area / float(n[-1] - n[0])


def labels_to_reach(curve: np.ndarray, target: float) -> int | None:
    """The smallest recorded ``n_labels`` whose score is at least ``target``; ``None`` if never."""
    curve = np.asarray(curve, dtype=float)
    reached = np.flatnonzero(curve[:, 1] >= target)
    return int(curve[reached[0], 0]) if len(reached) else None


def mean_curve(curves: list[np.ndarray]) -> np.ndarray:
    """The mean and standard deviation of several curves on the first one's label counts.

    Returns ``[[n_labels, mean, std], ...]``; curves with other label counts are
    linearly interpolated onto the first one's.
    """
    grid = np.asarray(curves[0], dtype=float)[:, 0]
    values = np.array([np.interp(grid, c[:, 0], c[:, 1]) for c in map(np.asarray, curves)])
    return np.column_stack([grid, values.mean(axis=0), values.std(axis=0)])
