"""``auto``: a strategy that chooses, round by round, which strategy to follow.

No strategy wins everywhere: margin is strong on most tabular data, typicality wins with
very few labels, diversity wins where uncertainty sampling piles its batch into one
region, and any of them can lose to random with an ill-suited model. ``auto`` therefore
decides each round from what the run shows, with a fixed rule rather than a gamble:

* **cold start** while there is no fitted model, the model knows one class, or there are
  fewer than ``cold_start_per_class`` labels per class the model knows (on average):
  :class:`~activelab.strategies.TypiClust`, the most typical item of the largest
  unlabeled clusters (Hacohen et al., 2022). With so few labels the model's scores say
  little, and typical items cover the data;
* **uncertainty** afterwards: :class:`~activelab.strategies.ClusterMargin`, margin's
  signal made batch-aware by taking the batch across clusters of the lowest-margin
  items (Citovsky et al., 2021), since top-k margin batches pile into one region once
  batches hold several items;
* **fallback** for a model without classes (regression, multi-label): k-center greedy
  (:class:`~activelab.strategies.CoreSet`), which needs no class probabilities.

Why not a bandit: an earlier ``auto`` ran Exp3 with ALBL's importance-weighted reward
over random, margin, cluster-margin and BADGE. Over the ~19 rounds of a 200-label run
the rewards were too noisy to single out the best arm, and what its exploration cost was
not won back: on the classification suite it ranked behind cluster-margin, one of its own
arms, on two seed sets (docs/bench.md, "auto against its portfolio").
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from ..outputs import ModelOutputs
from ..validation import check_int
from .base import Query, Strategy
from .cold_start import TypiClust
from .diversity import ClusterMargin, CoreSet
from .embedding_space import ANY_MODEL
from .registry import register

__all__ = ["AutoStrategy"]


@register("auto")
class AutoStrategy(Strategy):
    """Chooses its strategy each round: TypiClust at cold start, then cluster-margin
    (see the module docstring); k-center greedy for models without classes.

    Each query writes why it chose its batch in ``Query.info`` (an
    :class:`~activelab.ActiveLoop` keeps it in the round's ``info["query"]``):
    ``phase`` (``"cold_start"``, ``"uncertainty"`` or ``"fallback"``), ``reason`` (the
    evidence, in words), ``arm`` (the strategy that picked the batch), ``arms`` (the arm
    of each id), and ``labels_per_class`` (labels over the classes the model knows;
    ``None`` without a classifier).

    Cost: one member's query plus counting labels, so it stays near its costliest member
    (``benchmarks/auto_cost.py`` measures it). Deterministic for a ``random_state``: the
    members draw from the same generator, and the phase depends on the labels only.

    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from activelab import Pool
    >>> from activelab.strategies import get
    >>> X, y = load_iris(return_X_y=True)
    >>> pool = Pool(X)
    >>> ids = [0, 1, 2, 50, 51, 52, 100, 101, 102]  # 3 labels per class: past cold start
    >>> pool.add_labels(ids, y[ids])
    >>> model = LogisticRegression().fit(*pool.labeled_data())
    >>> query = get("auto").query(model, pool, 5, random_state=0)
    >>> query.info["phase"], query.info["arm"], len(query.ids)
    ('uncertainty', 'cluster_margin', 5)
    """

    #: Needs no model: with none (nothing labeled yet) it starts with TypiClust, so an
    #: ActiveLoop uses ``auto`` itself as its cold-start strategy.
    needs_model: ClassVar[bool] = False
    handles_cold_start: ClassVar[bool] = True
    contract_models = ANY_MODEL

    def __init__(self, cold_start_per_class: int = 3) -> None:
        self.cold_start_per_class = cold_start_per_class

    def _phase(self, outputs: ModelOutputs) -> tuple[str, str, float | None]:
        """The phase, the reason in words, and the labels per known class."""
        per_class = check_int(self.cold_start_per_class, "cold_start_per_class", minimum=0)
        model = outputs.model
        classes = outputs.classes
        if model is None:
            return "cold_start", "no model is fit yet", None
        labels = np.asarray(outputs.pool.labeled_data()[1])
        if classes is None or np.ndim(classes) != 1 or labels.ndim != 1 or (
                not outputs.has_proba and not outputs.has_decision):
            return "fallback", (f"{type(model).__name__} gives no class scores (regression "
                                "or multi-label), so k-center greedy spreads the batch"), None
        if len(classes) < 2:
            return "cold_start", "the model knows one class only", float(len(labels))
        ratio = len(labels) / len(classes)
        if ratio < per_class:
            return "cold_start", (
                f"{len(labels)} labels for {len(classes)} classes, fewer than "
                f"cold_start_per_class={per_class} per class"), ratio
        return "uncertainty", (
            f"{len(labels)} labels for {len(classes)} classes, at least "
            f"cold_start_per_class={per_class} per class: the model's margins are "
            "informative"), ratio

    def select_batch(self, outputs: ModelOutputs, k: int, rng: np.random.Generator) -> Query:
        phase, reason, ratio = self._phase(outputs)
        member: Strategy = {"cold_start": TypiClust, "uncertainty": ClusterMargin,
                            "fallback": CoreSet}[phase]()
        chosen = member.query(outputs.model, outputs.pool, k, random_state=rng,
                              outputs=outputs)
        return Query(ids=chosen.ids, scores=chosen.scores, info={
            "phase": phase, "reason": reason, "arm": member.name,
            "arms": [member.name] * len(chosen),
            "labels_per_class": None if ratio is None else round(ratio, 4)})
