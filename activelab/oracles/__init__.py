"""Oracles: whoever answers the label queries, and what their answers cost.

An oracle is anything with ``label(ids) -> Answers`` (:class:`~activelab.oracles.base.Oracle`).

* :mod:`~activelab.oracles.base` — the protocol and :class:`Answers`;
* :mod:`~activelab.oracles.simulated` — :class:`SimulatedOracle`, exact known labels;
* :mod:`~activelab.oracles.console` — :class:`ConsoleOracle`, a person at the terminal;
* :mod:`~activelab.oracles.annotators` — noisy oracles and panels of annotators with costs
  and accuracies;
* :mod:`~activelab.oracles.aggregation` — majority and weighted votes, Dawid-Skene;
* :mod:`~activelab.oracles.costs` — per-item costs and knapsack batches;
* :mod:`~activelab.oracles.rationales` — rationales and feature re-weighting;
* :mod:`~activelab.oracles.partial_labels` — multi-label (item, label) pair queries.

>>> import numpy as np
>>> from activelab.oracles import SimulatedOracle
>>> oracle = SimulatedOracle(np.array(["cat", "dog", "cat"]))
>>> oracle.label([2, 0]).labels.tolist()
['cat', 'cat']
"""

from .aggregation import DawidSkene, MajorityVote, Votes, WeightedVote
from .annotators import Annotator, AnnotatorPanel, NoisyOracle
from .base import Answers, Oracle
from .console import ConsoleOracle, describe_item
from .costs import ItemCosts, knapsack_greedy
from .simulated import SimulatedOracle

__all__ = [
    "Annotator",
    "AnnotatorPanel",
    "Answers",
    "ConsoleOracle",
    "DawidSkene",
    "ItemCosts",
    "MajorityVote",
    "NoisyOracle",
    "Oracle",
    "SimulatedOracle",
    "Votes",
    "WeightedVote",
    "describe_item",
    "knapsack_greedy",
]
