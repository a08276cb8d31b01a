"""Query by committee: ask about the items the members of an ensemble disagree on.

The model must be a fitted ensemble with ``estimators_``: an
:class:`activelab.models.committee.Committee` of models of your choice, or a scikit-learn
``BaggingClassifier``, ``RandomForestClassifier``, ``VotingClassifier``... Each member's
outputs are computed once per round, in chunks, and cached in the round's
:class:`~activelab.outputs.ModelOutputs` under ``member{i}_proba`` (probabilities aligned
to the ensemble's ``classes_``) and ``member{i}_vote`` (the position of its predicted class
in ``classes_``), so the three strategies here share them.

Cost per round, for ``M`` members, ``n`` candidates and ``k`` classes: ``M`` prediction
passes over the candidates, and ``M * n * k`` cached floats (``M * n`` for votes).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..outputs import ModelOutputs
from .base import ScoringStrategy
from .registry import register
from .uncertainty import entropy

__all__ = [
    "ConsensusEntropy",
    "MaxDisagreement",
    "VoteEntropy",
    "consensus_entropy",
    "kl_disagreement",
    "member_probas",
    "member_votes",
    "vote_entropy",
]


def _members(model: Any) -> list[Any]:
    from ..models.committee import committee_members

    return committee_members(model)


def member_probas(outputs: ModelOutputs) -> list[np.ndarray]:
    """Each member's class probabilities over the candidates, aligned to ``classes_``."""
    members = _members(outputs.model)
    return [outputs.of_items(f"member{i}_proba", m.proba) for i, m in enumerate(members)]


def member_votes(outputs: ModelOutputs) -> list[np.ndarray]:
    """Each member's predicted class over the candidates, as a position in ``classes_``."""
    members = _members(outputs.model)
    return [
        outputs.of_items(f"member{i}_vote", m.vote).astype(np.intp)
        for i, m in enumerate(members)
    ]


def vote_entropy(votes: Sequence[np.ndarray], n_classes: int) -> np.ndarray:
    """Entropy of the vote shares ``V(c|x) / M`` of ``M`` members' hard votes."""
    n = len(votes[0])
    counts = np.zeros((n, n_classes))
    rows = np.arange(n)
    for vote in votes:
        counts[rows, vote] += 1.0
    return entropy(counts / len(votes))


def consensus_entropy(probas: Sequence[np.ndarray]) -> np.ndarray:
    """Entropy of the members' mean class probabilities."""
    return entropy(_mean(probas))


def kl_disagreement(probas: Sequence[np.ndarray]) -> np.ndarray:
    """Mean over members of ``KL(P_member || P_consensus)``, with ``0 log 0 = 0``.

    Always finite: the consensus is at least ``P_member / M`` wherever a member puts mass.
    """
    consensus = _mean(probas)
    safe_consensus = np.where(consensus > 0, consensus, 1.0)
    total = np.zeros(len(consensus))
    for proba in probas:
        ratio = np.where(proba > 0, proba / safe_consensus, 1.0)
        total += (proba * np.log(ratio)).sum(axis=1)
    return total / len(probas)


def _mean(probas: Sequence[np.ndarray]) -> np.ndarray:
    total = np.array(probas[0], dtype=float)
    for proba in probas[1:]:
        total += proba
    return total / len(probas)


def _consensus(outputs: ModelOutputs) -> np.ndarray:
    return outputs.derived("committee_consensus", lambda: _mean(member_probas(outputs)))


@register("vote_entropy")
class VoteEntropy(ScoringStrategy):
    """Vote entropy: the entropy of the members' hard votes (Dagan & Engelson, 1995).

    Dagan & Engelson, "Committee-based sampling for training probabilistic classifiers",
    ICML 1995. ``score = -sum_c V(c)/M log(V(c)/M)`` where ``V(c)`` members vote for
    ``c``. Needs a fitted ensemble with ``estimators_`` (see the module docstring); each
    member's ``predict`` runs once over the candidates; ``O(M * n)`` time and cached
    memory, plus ``n * classes`` vote counts.

    >>> from sklearn.datasets import load_iris
    >>> from sklearn.ensemble import BaggingClassifier
    >>> from sklearn.linear_model import LogisticRegression
    >>> from activelab import Pool
    >>> from activelab.strategies.committee import VoteEntropy
    >>> X, y = load_iris(return_X_y=True)
    >>> pool = Pool(X)
    >>> pool.add_labels([0, 1, 50, 51, 100, 101], y[[0, 1, 50, 51, 100, 101]])
    >>> model = BaggingClassifier(LogisticRegression(), random_state=0)
    >>> model = model.fit(*pool.labeled_data())
    >>> len(VoteEntropy().query(model, pool, 5).ids)
    5
    """

    contract_models = ("ensemble",)

    per_item_scores = True

    def score(self, outputs: ModelOutputs, rng: np.random.Generator) -> np.ndarray:
        return vote_entropy(member_votes(outputs), len(outputs.model.classes_))


@register("consensus_entropy")
class ConsensusEntropy(ScoringStrategy):
    """Consensus (soft vote) entropy: the entropy of the mean member probabilities.

    Settles, *Active Learning Literature Survey*, 2009, section 3.2 (the soft variant of
    Dagan & Engelson's vote entropy). Needs a fitted ensemble with ``estimators_``; a
    member without ``predict_proba`` counts as a one-hot vote. Each member's
    ``predict_proba`` runs once over the candidates (shared with ``max_disagreement``);
    ``O(M * n * classes)`` time and cached memory.

    >>> from sklearn.datasets import load_iris
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from activelab import Pool
    >>> from activelab.strategies.committee import ConsensusEntropy
    >>> X, y = load_iris(return_X_y=True)
    >>> pool = Pool(X)
    >>> pool.add_labels([0, 1, 50, 51, 100, 101], y[[0, 1, 50, 51, 100, 101]])
    >>> model = RandomForestClassifier(n_estimators=5, random_state=0)
    >>> model = model.fit(*pool.labeled_data())
    >>> len(ConsensusEntropy().query(model, pool, 5).ids)
    5
    """

    contract_models = ("ensemble",)

    per_item_scores = True

    def score(self, outputs: ModelOutputs, rng: np.random.Generator) -> np.ndarray:
        return entropy(_consensus(outputs))


@register("max_disagreement")
class MaxDisagreement(ScoringStrategy):
    """Mean Kullback-Leibler divergence of each member from the consensus.

    McCallum & Nigam, "Employing EM and pool-based active learning for text
    classification", ICML 1998: ``score = 1/M sum_m KL(P_m(.|x) || P_C(.|x))`` with
    ``P_C`` the mean of the members. Needs a fitted ensemble with ``estimators_``; a
    member without ``predict_proba`` counts as a one-hot vote. Each member's
    ``predict_proba`` runs once over the candidates (shared with ``consensus_entropy``);
    ``O(M * n * classes)`` time and cached memory.

    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from activelab import Pool
    >>> from activelab.models.committee import Committee
    >>> from activelab.strategies.committee import MaxDisagreement
    >>> X, y = load_iris(return_X_y=True)
    >>> pool = Pool(X)
    >>> pool.add_labels([0, 1, 50, 51, 100, 101], y[[0, 1, 50, 51, 100, 101]])
    >>> model = Committee([LogisticRegression(), GaussianNB()]).fit(*pool.labeled_data())
    >>> len(MaxDisagreement().query(model, pool, 5).ids)
    5
    """

    contract_models = ("ensemble",)

    per_item_scores = True

    def score(self, outputs: ModelOutputs, rng: np.random.Generator) -> np.ndarray:
        return kl_disagreement(member_probas(outputs))
