"""Oracles: whoever answers the label queries, and what their answers cost.

Every oracle has one method, ``label(request: LabelRequest) -> Answers``
(:class:`~activelab.oracles.base.Oracle`), and every scenario calls it through
:func:`~activelab.oracles.asking.ask`.

* :mod:`~activelab.oracles.base` — the protocol: :class:`LabelRequest` and :class:`Answers`;
* :mod:`~activelab.oracles.asking` — :func:`ask`, the one call every scenario makes;
* :mod:`~activelab.oracles.simulated` — :class:`SimulatedOracle`, exact known labels;
* :mod:`~activelab.oracles.console` — :class:`ConsoleOracle`, a person at the terminal;
* :mod:`~activelab.oracles.noisy` — :class:`NoisyOracle`, labels with noise;
* :mod:`~activelab.oracles.panel` — panels of annotators with costs and accuracies, and
  whom to ask;
* :mod:`~activelab.oracles.function` — :class:`FunctionOracle`, a Python function
  labels points in no pool (synthesised, streamed);
* :mod:`~activelab.oracles.nearest` — :class:`NearestItemOracle`, people label the real
  item nearest to a synthesised point;
* :mod:`~activelab.oracles.aggregation` — majority and weighted votes, Dawid-Skene;
* :mod:`~activelab.oracles.costs` — per-item costs and knapsack batches;
* :mod:`~activelab.oracles.rationales` — rationales and feature re-weighting;
* :mod:`~activelab.oracles.partial_labels` — multi-label (item, label) pair queries.

>>> import numpy as np
>>> from activelab.oracles import LabelRequest, SimulatedOracle, ask
>>> oracle = SimulatedOracle(np.array(["cat", "dog", "cat"]))
>>> ask(oracle, LabelRequest([2, 0])).labels.tolist()
['cat', 'cat']
"""

from ..lazy import lazy_names
from .asking import as_oracle, ask
from .base import Answers, LabelRequest, Oracle
from .function import FunctionOracle
from .simulated import SimulatedOracle

#: Loaded on first use: ``import activelab`` needs only the protocol and the simulated
#: oracle, not the panels, aggregators and console.
_LAZY = {
    "Annotator": ".panel",
    "AnnotatorPanel": ".panel",
    "ConsoleOracle": ".console",
    "DawidSkene": ".aggregation",
    "ItemCosts": ".costs",
    "MajorityVote": ".aggregation",
    "NearestItemOracle": ".nearest",
    "NoisyOracle": ".noisy",
    "Votes": ".aggregation",
    "WeightedVote": ".aggregation",
    "describe_item": ".console",
    "knapsack_greedy": ".costs",
    "nearest_items": ".nearest",
}


__getattr__ = lazy_names(__name__, _LAZY, globals())

__all__ = [
    "Annotator",
    "AnnotatorPanel",
    "Answers",
    "ConsoleOracle",
    "DawidSkene",
    "FunctionOracle",
    "ItemCosts",
    "LabelRequest",
    "MajorityVote",
    "NearestItemOracle",
    "NoisyOracle",
    "Oracle",
    "SimulatedOracle",
    "Votes",
    "WeightedVote",
    "as_oracle",
    "ask",
    "describe_item",
    "knapsack_greedy",
    "nearest_items",
]
