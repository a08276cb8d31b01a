"""Tests for activelab.bench.compare: the paired test, ranks, Friedman, Nemenyi, win/tie/loss.

References: brute-force enumeration (the exact signed-rank distribution, ranks by
counting), scipy.stats.friedmanchisquare, and the worked example and Table 5 of Demšar
(2006), "Statistical comparisons of classifiers over multiple data sets", JMLR 7.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from conftest import raises_user_error
from scipy.stats import friedmanchisquare

from activelab.bench.compare import (
    compare_strategies,
    friedman_test,
    nemenyi_critical_difference,
    nemenyi_q,
    not_different_groups,
    paired_test,
    ranks,
)


def exact_signed_rank_p(differences: np.ndarray) -> float:
    """Two-sided p of the signed-rank statistic by enumerating every sign assignment."""
    magnitudes = np.abs(differences)
    order = np.argsort(magnitudes)
    rank_of = np.empty(len(differences))
    rank_of[order] = np.arange(1, len(differences) + 1)  # no ties in the magnitudes here
    observed = rank_of[differences > 0].sum()
    totals = [sum(r for r, s in zip(rank_of, signs) if s)
              for signs in itertools.product([0, 1], repeat=len(differences))]
    below = np.mean([t <= observed for t in totals])
    above = np.mean([t >= observed for t in totals])
    return min(1.0, 2 * min(below, above))


@pytest.mark.parametrize("seed", range(4))
def test_paired_test_matches_the_enumerated_signed_rank_distribution(seed: int) -> None:
    rng = np.random.default_rng(seed)
    baseline = rng.uniform(0.6, 0.8, size=9)
    signs = np.where(rng.uniform(size=9) < 0.75, 1, -1)  # lean one way: p not always large
    differences = rng.permutation(np.linspace(0.001, 0.009, 9)) * signs
    result = paired_test(baseline + differences, baseline)
    assert result["p_value"] == pytest.approx(exact_signed_rank_p(differences), rel=1e-9)
    assert result["mean_difference"] == pytest.approx(differences.mean())


def test_paired_test_outcomes() -> None:
    baseline = np.linspace(0.5, 0.6, 8)
    gains = np.arange(1, 9) / 1000  # all positive: exact p = 2 / 2**8
    assert paired_test(baseline + gains, baseline)["p_value"] == pytest.approx(2 / 256)
    assert paired_test(baseline + gains, baseline)["outcome"] == "win"
    assert paired_test(baseline - gains, baseline)["outcome"] == "loss"
    assert paired_test(baseline, baseline) == {"p_value": 1.0, "mean_difference": 0.0,
                                               "outcome": "tie"}
    # five pairs cannot reach p < 0.05 (the smallest exact p is 2 / 32)
    assert paired_test(baseline[:5] + gains[:5], baseline[:5])["outcome"] == "tie"
    assert paired_test(baseline + gains, baseline, alpha=0.001)["outcome"] == "tie"


def test_ranks_with_ties_match_counting() -> None:
    rng = np.random.default_rng(0)
    scores = rng.integers(0, 4, size=(30, 5)) / 4  # many ties
    expected = np.array([[1 + np.sum(row > v) + (np.sum(row == v) - 1) / 2 for v in row]
                         for row in scores])
    np.testing.assert_array_equal(ranks(scores), expected)
    np.testing.assert_array_equal(ranks([[0.9, 0.7, 0.9, 0.1]]), [[1.5, 3, 1.5, 4]])


def test_friedman_reproduces_demsar_worked_example() -> None:
    # Demšar 2006, section 3.2.2: four C4.5 variants on 14 data sets.
    result = friedman_test([3.143, 2.000, 2.893, 1.964], 14)
    assert result["chi2"] == pytest.approx(9.28, abs=0.005)
    assert result["f"] == pytest.approx(3.69, abs=0.005)
    assert result["f_p_value"] < 0.05  # "the null hypothesis is rejected"


def test_friedman_matches_scipy_on_untied_scores() -> None:
    rng = np.random.default_rng(3)
    scores = rng.normal(size=(12, 5)) + np.arange(5) * 0.4
    mean_ranks = ranks(scores).mean(axis=0)
    reference = friedmanchisquare(*scores.T)
    result = friedman_test(mean_ranks, 12)
    assert result["chi2"] == pytest.approx(reference.statistic)
    assert result["chi2_p_value"] == pytest.approx(reference.pvalue)


def test_friedman_with_perfect_agreement_has_infinite_f() -> None:
    result = friedman_test([1.0, 2.0, 3.0], 6)
    assert result["chi2"] == pytest.approx(12.0)  # 12*6/(3*4) * (14 - 12)
    assert result["f"] == float("inf") and result["f_p_value"] == 0.0


# Demšar 2006, Table 5(a): critical values of the two-tailed Nemenyi test, k = 2..10.
DEMSAR_Q = {
    0.05: [1.960, 2.343, 2.569, 2.728, 2.850, 2.949, 3.031, 3.102, 3.164],
    0.10: [1.645, 2.052, 2.291, 2.459, 2.589, 2.693, 2.780, 2.855, 2.920],
}


@pytest.mark.parametrize("alpha", [0.05, 0.10])
def test_nemenyi_q_matches_demsar_table(alpha: float) -> None:
    computed = [nemenyi_q(k, alpha) for k in range(2, 11)]
    np.testing.assert_allclose(computed, DEMSAR_Q[alpha], atol=0.0015)


def test_critical_difference_matches_demsar_example() -> None:
    # "CD = 2.569 sqrt(4·5 / (6·14)) = 1.25" and 1.12 at alpha 0.10 (section 3.2.2)
    assert nemenyi_critical_difference(4, 14, 0.05) == pytest.approx(1.25, abs=0.005)
    assert nemenyi_critical_difference(4, 14, 0.10) == pytest.approx(1.12, abs=0.005)


def test_groups_by_hand_and_by_brute_force() -> None:
    assert not_different_groups({"a": 1.0, "b": 1.5, "c": 3.0, "d": 3.2}, 1.0) == [
        ["a", "b"], ["c", "d"]]
    assert not_different_groups({"a": 1.0, "b": 2.5, "c": 4.0}, 1.0) == []
    rng = np.random.default_rng(1)
    for _ in range(50):
        values = dict(zip("abcdefg", rng.uniform(1, 7, size=7)))
        cd = rng.uniform(0.3, 3)
        groups = not_different_groups(values, cd)
        order = sorted(values, key=values.get)
        spans = [(order.index(g[0]), order.index(g[-1])) for g in groups]
        for start, end in spans:
            assert values[order[end]] - values[order[start]] < cd
            assert end == len(order) - 1 or values[order[end + 1]] - values[order[start]] >= cd
        for i, j in itertools.combinations(range(len(order)), 2):  # every close pair is joined
            if values[order[j]] - values[order[i]] < cd:
                assert any(s <= i and j <= e for s, e in spans)


def test_win_tie_loss_counts_match_a_hand_computation() -> None:
    base = np.linspace(0.70, 0.77, 8)
    step = np.arange(1, 9) / 1000
    aulcs = {
        "up": {"a": base + step, "b": base - step, "random": base},
        "down": {"a": base - step, "b": base - step, "random": base},
        "flat": {"a": base, "b": base + step, "random": base},
        "mixed": {"a": base + step * np.array([1, -1] * 4), "b": base + step, "random": base},
    }
    # a: win on up, loss on down, tie on flat (equal) and mixed (p > 0.05) -> 1/2/1
    # b: loss on up and down, win on flat and mixed -> 2/0/2
    result = compare_strategies(aulcs)
    assert {k: result["vs_baseline"]["a"][k] for k in ("win", "tie", "loss")} == {
        "win": 1, "tie": 2, "loss": 1}
    assert {k: result["vs_baseline"]["b"][k] for k in ("win", "tie", "loss")} == {
        "win": 2, "tie": 0, "loss": 2}
    # ranks by mean AULC per data set, by hand: up a,random,b; down random,(a,b);
    # flat b,(a,random); mixed b, random, a (a's mean difference is -0.0005)
    assert result["ranks"]["down"] == {"a": 2.5, "b": 2.5, "random": 1.0}
    assert result["mean_ranks"] == pytest.approx({"a": (1 + 2.5 + 2.5 + 3) / 4,
                                                  "b": (3 + 2.5 + 1 + 1) / 4,
                                                  "random": (2 + 1 + 2.5 + 2) / 4})
    assert result["critical_difference"]["cd"] == pytest.approx(
        nemenyi_q(3) * np.sqrt(3 * 4 / (6 * 4)))


def test_compare_without_random_has_no_win_tie_loss() -> None:
    result = compare_strategies({"x": {"a": [0.5, 0.6], "b": [0.4, 0.5]},
                                 "y": {"a": [0.5, 0.6], "b": [0.7, 0.8]}})
    assert "vs_baseline" not in result
    assert result["mean_ranks"] == {"a": 1.5, "b": 1.5}


def test_paired_test_refuses_unpaired_samples() -> None:
    with raises_user_error("equal-length"):
        paired_test([0.5, 0.6, 0.7], [0.5, 0.6])
