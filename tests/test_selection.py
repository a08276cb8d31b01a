import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from activelab import ActiveLabError
from activelab.selection import top_k
from activelab.validation import check_random_state


def brute_force_top_k(ids, scores, k):
    order = sorted(range(len(ids)), key=lambda i: (-scores[i], ids[i]))[:k]
    return [ids[i] for i in order]


@settings(max_examples=200, deadline=None)
@given(
    scores=st.lists(st.sampled_from([0.0, 0.25, 0.5, 1.0, -3.0]), min_size=1, max_size=60),
    k=st.integers(1, 70),
    seed=st.integers(0, 1000),
)
def test_top_k_matches_a_brute_force_sort_with_ties_broken_by_id(scores, k, seed):
    ids = np.random.default_rng(seed).permutation(1000)[: len(scores)]
    chosen, chosen_scores = top_k(ids, np.array(scores), k)
    assert chosen.tolist() == brute_force_top_k(ids.tolist(), scores, k)
    assert np.all(np.diff(chosen_scores) <= 0)


def test_top_k_works_with_string_ids():
    ids = np.array(["b", "a", "c"])
    chosen, _ = top_k(ids, np.array([1.0, 1.0, 0.0]), 2)
    assert chosen.tolist() == ["a", "b"]


def test_top_k_refuses_nan_and_wrong_lengths():
    with pytest.raises(ActiveLabError, match="NaN"):
        top_k(np.arange(3), np.array([0.1, np.nan, 0.2]), 1)
    with pytest.raises(ActiveLabError, match="one per item"):
        top_k(np.arange(3), np.array([0.1, 0.2]), 1)


def test_check_random_state():
    a = check_random_state(3).random(4)
    assert np.array_equal(a, check_random_state(3).random(4))
    gen = np.random.default_rng(1)
    assert check_random_state(gen) is gen
    assert isinstance(check_random_state(np.random.RandomState(0)), np.random.Generator)
    with pytest.raises(ActiveLabError, match="random_state"):
        check_random_state("seed")
