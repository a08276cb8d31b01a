"""The task types' answer values, resolution and agreement, against references computed
another way (numpy's median, sets by hand, scipy's normal distribution)."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from activelab.errors import ActiveLabError
from activelab.store.task_types import LabelConfig, task_type

LABELS = ("sport", "food", "space")
SCALE = LabelConfig(min=0, max=10, step=0.5, tolerance=2)


def test_multi_resolves_label_by_label_like_a_brute_force_majority() -> None:
    multi = task_type("multi")
    rng = np.random.default_rng(0)
    for _ in range(200):
        votes = [[label for label in LABELS if rng.random() < 0.5]
                 for _ in range(int(rng.integers(1, 6)))]
        stored = [multi.parse(v, LABELS, SCALE) for v in votes]
        shares = {label: sum(label in v for v in votes) / len(votes) for label in LABELS}
        found = multi.resolve(stored, SCALE, LABELS)
        if any(share == 0.5 for share in shares.values()):
            assert found.value is None
        else:
            assert json.loads(found.value) == [lab for lab in LABELS if shares[lab] > 0.5]


def test_rating_resolves_to_numpys_median_within_the_tolerance() -> None:
    rating = task_type("rating")
    rng = np.random.default_rng(1)
    for _ in range(200):
        votes = rng.integers(0, 21, size=int(rng.integers(1, 6))) / 2
        found = rating.resolve([rating.parse(v, (), SCALE) for v in votes], SCALE)
        if votes.max() - votes.min() > 2:
            assert found.value is None
        else:
            assert float(found.value) == pytest.approx(float(np.median(votes)))
        pairs = list(itertools.combinations(votes, 2))
        within = np.mean([abs(a - b) <= 2 for a, b in pairs]) if pairs else 1.0
        assert found.agreement == pytest.approx(within)


def test_agreements_match_jaccard_and_span_f1_by_hand() -> None:
    multi, spans = task_type("multi"), task_type("spans")
    got = multi.agreement({1: ['["sport","food"]', '["food"]'], 2: ['[]', '[]'], 3: ['["space"]']},
                          SCALE)
    assert got == {"measure": multi.agreement_name, "n_items": 2, "value": round((1 / 2 + 1) / 2, 4)}
    a, b = '[[0,3,"PER"],[5,9,"LOC"]]', '[[0,3,"PER"],[5,9,"PER"],[11,12,"LOC"]]'
    # one span in common out of 2 and 3: F1 = 2 * 1 / (2 + 3)
    assert spans.pair_agreement(a, b, SCALE) == pytest.approx(0.4)
    assert spans.resolve([a, b, b], SCALE).value == b
    assert spans.resolve([a, b], SCALE).value is None


def test_values_are_canonical_and_shown_for_humans() -> None:
    spans = task_type("spans")
    text = "Ada met Bo in Oslo"
    value = spans.parse([[14, 18, "LOC"], [0, 3, "PER"]], ("PER", "LOC"), SCALE, text=text)
    assert value == '[[0,3,"PER"],[14,18,"LOC"]]'
    assert spans.display(value, text) == "Ada (PER); Oslo (LOC)"
    assert spans.parse(value, ("PER", "LOC"), SCALE, text=text) == value  # stored form parses
    assert task_type("rating").parse("7.50", (), SCALE) == "7.5"
    assert task_type("multi").display("[]") == "(none)"
    assert task_type("multi").parse('["space","sport"]', LABELS, SCALE) == '["sport","space"]'


@pytest.mark.parametrize(("config", "reason"), [
    ({"min": 3, "max": 1}, "must be below its max"),
    ({"step": 0}, "step must be positive"),
    ({"labels": {"a": {"hotkey": "s"}}}, "are taken"),
    ({"labels": {"a": {"hotkey": "1"}, "b": {"hotkey": "1"}}}, "share a hotkey"),
    ({"labels": {"a": {"colour": "red"}}}, "unknown keys ['colour']"),
    ({"scale": 5}, "unknown keys ['scale']"),
])
def test_a_bad_label_config_is_refused_with_its_reason(config, reason) -> None:
    with pytest.raises(ActiveLabError, match=reason.replace("[", r"\[").replace("]", r"\]")):
        LabelConfig.from_json(config)


def test_rating_and_multi_guesses_carry_their_probability() -> None:
    from scipy.stats import norm
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.multiclass import OneVsRestClassifier

    from activelab.server.task_models import guess_values

    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    ridge = Ridge(alpha=1e-9).fit(X, [0.0, 1.0, 2.0, 3.0])
    [(value, confidence)] = guess_values("rating", ridge, np.array([[1.2]]), config=SCALE,
                                         sigma=0.4)
    assert value == "1"
    assert confidence == pytest.approx(norm.cdf(1.25, 1.2, 0.4) - norm.cdf(0.75, 1.2, 0.4),
                                       abs=1e-4)
    Y = np.array([[1, 0, 1], [0, 1, 0], [1, 1, 0], [0, 0, 1]])
    model = OneVsRestClassifier(LogisticRegression()).fit(X, Y)
    proba = model.predict_proba(X[:1])[0]
    [(value, confidence)] = guess_values("multi", model, X[:1], LABELS)
    assert json.loads(value) == [lab for lab, p in zip(LABELS, proba) if p >= 0.5]
    assert confidence == pytest.approx(np.prod(np.maximum(proba, 1 - proba)), abs=1e-4)
