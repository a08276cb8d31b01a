"""Statistics that compare strategies across the data sets of a suite.

* **Against random, per data set**: a two-sided Wilcoxon signed-rank test on the paired
  per-seed AULCs (every strategy of a repeat starts from the same split and initial
  labels, so seed ``r`` of one strategy pairs with seed ``r`` of random). A strategy
  *wins* on a data set when ``p < alpha`` and its mean AULC is above random's, *loses*
  when ``p < alpha`` and it is below, and *ties* otherwise. No correction is made for
  testing many data sets: at ``alpha = 0.05`` about one data set in twenty shows a
  difference by chance.
* **Across data sets** (Demšar, 2006, JMLR 7, "Statistical comparisons of classifiers
  over multiple data sets"): each data set ranks the strategies by mean AULC (1 = best,
  tied strategies share the mean of their places); the mean ranks go into the Friedman
  test and the Nemenyi critical difference: two strategies whose mean ranks differ by
  less than ``CD = q_alpha sqrt(k (k + 1) / (6 N))`` are not significantly different.

>>> round(nemenyi_critical_difference(4, 14, 0.05), 2)  # Demšar 2006, section 3.2.2
1.25
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..errors import ActiveLabError

__all__ = [
    "ALPHA",
    "compare_strategies",
    "friedman_test",
    "nemenyi_critical_difference",
    "nemenyi_q",
    "not_different_groups",
    "paired_test",
    "ranks",
]

#: Significance level of the paired tests, the Friedman test and the critical difference.
ALPHA = 0.05


def paired_test(scores: Sequence[float], baseline: Sequence[float],
                alpha: float = ALPHA) -> dict[str, Any]:
    """Wilcoxon signed-rank test of ``scores`` against ``baseline``, paired by position.

    Returns ``p_value`` (two-sided; 1.0 when every pair is equal), ``mean_difference``
    (``mean(scores - baseline)``) and ``outcome``: ``"win"``, ``"tie"`` or ``"loss"``.
    Zero differences are dropped before ranking (Wilcoxon's own treatment); scipy
    computes the exact distribution for small samples without ties, and the normal
    approximation otherwise.
    """
    from scipy.stats import wilcoxon

    scores, baseline = np.asarray(scores, dtype=float), np.asarray(baseline, dtype=float)
    if scores.shape != baseline.shape or scores.ndim != 1:
        raise ActiveLabError(f"paired_test needs two equal-length 1-D samples; got "
                             f"{scores.shape} and {baseline.shape}")
    differences = scores - baseline
    if np.all(differences == 0):
        p_value = 1.0
    else:
        p_value = float(wilcoxon(scores, baseline, zero_method="wilcox",
                                 alternative="two-sided").pvalue)
    mean_difference = float(differences.mean())
    if p_value >= alpha or mean_difference == 0:
        outcome = "tie"
    else:
        outcome = "win" if mean_difference > 0 else "loss"
    return {"p_value": p_value, "mean_difference": mean_difference, "outcome": outcome}


def ranks(scores: np.ndarray) -> np.ndarray:
    """Per row, the rank of each column, 1 for the highest score; ties share their mean place."""
    from scipy.stats import rankdata

    return rankdata(-np.asarray(scores, dtype=float), method="average", axis=1)


def friedman_test(mean_ranks: Sequence[float], n_datasets: int) -> dict[str, float]:
    """The Friedman statistic from the mean ranks of ``k`` strategies over ``N`` data sets.

    ``chi2 = 12 N / (k (k + 1)) * (sum_j R_j² - k (k + 1)² / 4)`` with ``k - 1`` degrees of
    freedom, and Iman and Davenport's ``F = (N - 1) chi2 / (N (k - 1) - chi2)`` with
    ``k - 1`` and ``(k - 1)(N - 1)`` degrees of freedom (Demšar 2006, section 3.2.2); the
    p-values are from those distributions. When every data set ranks the strategies the
    same way, F is infinite and its p-value 0.
    """
    from scipy.stats import chi2 as chi2_distribution
    from scipy.stats import f as f_distribution

    R = np.asarray(mean_ranks, dtype=float)
    k, N = len(R), int(n_datasets)
    chi2 = 12 * N / (k * (k + 1)) * (float(np.sum(R**2)) - k * (k + 1) ** 2 / 4)
    denominator = N * (k - 1) - chi2
    f = float("inf") if denominator <= 1e-12 else (N - 1) * chi2 / denominator
    p_f = 0.0 if np.isinf(f) else float(f_distribution.sf(f, k - 1, (k - 1) * (N - 1)))
    return {"chi2": chi2, "chi2_p_value": float(chi2_distribution.sf(chi2, k - 1)),
            "f": f, "f_p_value": p_f}


def nemenyi_q(k: int, alpha: float = ALPHA) -> float:
    """The Nemenyi test's ``q_alpha`` for ``k`` strategies: the studentized range
    statistic's upper ``alpha`` quantile with infinite degrees of freedom, over √2."""
    from scipy.stats import studentized_range

    return float(studentized_range.ppf(1 - alpha, k, np.inf) / np.sqrt(2))


def nemenyi_critical_difference(k: int, n_datasets: int, alpha: float = ALPHA) -> float:
    """``CD = q_alpha sqrt(k (k + 1) / (6 N))``: mean ranks closer than this do not differ."""
    return nemenyi_q(k, alpha) * float(np.sqrt(k * (k + 1) / (6 * n_datasets)))


def not_different_groups(mean_ranks: Mapping[str, float], cd: float) -> list[list[str]]:
    """The maximal runs of strategies, in mean-rank order, whose ranks span less than ``cd``.

    These are the bars of a critical-difference diagram; a run inside a longer one is left
    out, and so is a strategy alone.
    """
    order = sorted(mean_ranks, key=lambda name: (mean_ranks[name], name))
    runs: list[tuple[int, int]] = []
    for start in range(len(order)):
        end = start
        while end + 1 < len(order) and mean_ranks[order[end + 1]] - mean_ranks[order[start]] < cd:
            end += 1
        if end > start and not any(s <= start and end <= e for s, e in runs):
            runs.append((start, end))
    return [order[s : e + 1] for s, e in runs]


def compare_strategies(aulcs: Mapping[str, Mapping[str, Sequence[float]]],
                       baseline: str = "random", alpha: float = ALPHA) -> dict[str, Any]:
    """Everything the suite report shows, from ``aulcs[data set][strategy] = per-seed AULCs``.

    Returns ``strategies`` (in the order of the first data set), ``datasets``,
    ``mean_aulc`` (per data set, per strategy), ``ranks`` (per data set) and
    ``mean_ranks``, ``vs_baseline`` (per strategy: ``win``/``tie``/``loss`` counts and
    each data set's :func:`paired_test`; absent when ``baseline`` was not run), and
    ``friedman`` and ``critical_difference`` with its ``groups`` (when there are at least
    two strategies and two data sets).
    """
    datasets = list(aulcs)
    names = list(aulcs[datasets[0]])
    means = np.array([[np.mean(aulcs[d][s]) for s in names] for d in datasets])
    rank_table = ranks(means)
    mean_ranks = dict(zip(names, map(float, rank_table.mean(axis=0))))
    result: dict[str, Any] = {
        "alpha": alpha,
        "baseline": baseline,
        "strategies": names,
        "datasets": datasets,
        "mean_aulc": {d: dict(zip(names, map(float, row))) for d, row in zip(datasets, means)},
        "ranks": {d: dict(zip(names, map(float, row))) for d, row in zip(datasets, rank_table)},
        "mean_ranks": mean_ranks,
    }
    if baseline in names:
        result["vs_baseline"] = {
            name: _against(aulcs, name, baseline, alpha) for name in names if name != baseline
        }
    if len(names) >= 2 and len(datasets) >= 2:
        cd = nemenyi_critical_difference(len(names), len(datasets), alpha)
        result["friedman"] = friedman_test(list(mean_ranks.values()), len(datasets))
        result["critical_difference"] = {
            "cd": cd, "q_alpha": nemenyi_q(len(names), alpha),
            "groups": not_different_groups(mean_ranks, cd),
        }
    return result


def _against(aulcs: Mapping[str, Mapping[str, Sequence[float]]], name: str, baseline: str,
             alpha: float) -> dict[str, Any]:
    tests = {d: paired_test(per[name], per[baseline], alpha) for d, per in aulcs.items()}
    counts = {o: sum(t["outcome"] == o for t in tests.values()) for o in ("win", "tie", "loss")}
    return {**counts, "per_dataset": tests}
