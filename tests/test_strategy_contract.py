"""Every registered strategy keeps the query contract; broken ones are caught."""

import numpy as np
import pytest

from activelab import strategies
from activelab.strategies import MarginSampling, Query, RandomSampling, Strategy
from activelab.testing import check_strategy


@pytest.mark.parametrize("name", strategies.available())
def test_every_registered_strategy_keeps_the_contract(name):
    check_strategy(strategies.get(name))


class ReturnsALabeledId(MarginSampling):
    def query(self, model, pool, batch_size, random_state=None, *, outputs=None):
        good = super().query(model, pool, batch_size, random_state, outputs=outputs)
        ids = np.concatenate([pool.labeled_ids[:1], good.ids[1:]])
        return Query(ids=ids, scores=good.scores)


class ReturnsPositions(MarginSampling):
    def query(self, model, pool, batch_size, random_state=None, *, outputs=None):
        good = super().query(model, pool, batch_size, random_state, outputs=outputs)
        return Query(ids=pool.positions(good.ids), scores=good.scores)


class RefitsTheModel(MarginSampling):
    def query(self, model, pool, batch_size, random_state=None, *, outputs=None):
        model.fit(*pool.labeled_data())
        return super().query(model, pool, batch_size, random_state, outputs=outputs)


class IgnoresTheSeed(RandomSampling):
    def score(self, outputs, rng):
        return np.random.default_rng().random(len(outputs))


class UnsortedScores(MarginSampling):
    def query(self, model, pool, batch_size, random_state=None, *, outputs=None):
        good = super().query(model, pool, batch_size, random_state, outputs=outputs)
        return Query(ids=good.ids[::-1], scores=good.scores[::-1])


class Duplicates(MarginSampling):
    def query(self, model, pool, batch_size, random_state=None, *, outputs=None):
        good = super().query(model, pool, batch_size, random_state, outputs=outputs)
        ids = np.concatenate([good.ids[:1], good.ids[:-1]])
        return Query(ids=ids, scores=np.sort(good.scores)[::-1])


class TooFew(MarginSampling):
    def query(self, model, pool, batch_size, random_state=None, *, outputs=None):
        good = super().query(model, pool, batch_size, random_state, outputs=outputs)
        return Query(ids=good.ids[:-1], scores=good.scores[:-1])


class IgnoresTheCandidates(MarginSampling):
    def query(self, model, pool, batch_size, random_state=None, *, outputs=None):
        good = super().query(model, pool, batch_size, random_state)
        return Query(ids=good.ids, scores=good.scores)


class NotAStrategy:
    def query(self, model, pool, batch_size, random_state=None):
        return None


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        (ReturnsALabeledId(), "already labeled"),
        (ReturnsPositions(), "not pool ids"),
        (RefitsTheModel(), "refit"),
        (IgnoresTheSeed(), "same random_state"),
        (UnsortedScores(), "sorted"),
        (Duplicates(), "unique"),
        (TooFew(), "asked for"),
        (IgnoresTheCandidates(), "candidates in outputs.ids"),
        (NotAStrategy(), "subclass"),
    ],
)
def test_the_contract_catches_a_broken_strategy(broken, message):
    with pytest.raises(AssertionError, match=message):
        check_strategy(broken)


def test_a_user_strategy_registers_by_name_and_passes(monkeypatch):
    from activelab.strategies import registry

    monkeypatch.setattr(registry.STRATEGIES, "_entries", dict(registry.STRATEGIES._entries))

    @strategies.register("test_farthest_from_zero")
    class FarthestFromZero(strategies.ScoringStrategy):
        needs_model = False

        def score(self, outputs, rng):
            X = outputs.pool.items(outputs.ids)
            X = X.toarray() if hasattr(X, "toarray") else np.asarray(X, dtype=float)
            return np.linalg.norm(X, axis=1)

    assert isinstance(strategies.get("test-farthest-from-zero"), Strategy)
    assert "test_farthest_from_zero" in strategies.available()
    check_strategy(FarthestFromZero())
