"""Imperfect oracles, by their previous module path (kept for one release).

:class:`NoisyOracle` and the noise helpers now live in :mod:`activelab.oracles.noisy`;
:class:`Annotator`, :class:`AnnotatorPanel` and the choosers in
:mod:`activelab.oracles.panel`. Import them from there (or from
:mod:`activelab.oracles`).

>>> import numpy as np
>>> from activelab.oracles.annotators import Annotator, AnnotatorPanel, AskBest
>>> y = np.array([0, 1, 1, 0])
>>> panel = AnnotatorPanel(y, [Annotator("expert", 1.0, cost=5), Annotator("novice", 0.6, cost=1)],
...                        chooser=AskBest(), random_state=0)
>>> answers = panel.label([1, 2])
>>> answers.labels.tolist(), answers.annotators.tolist(), answers.total_cost
([1, 1], ['expert', 'expert'], 10.0)
"""

from __future__ import annotations

from .noisy import (  # noqa: F401  (private helpers too, for code written against this path)
    NoisyOracle,
    _check_probability,
    _check_transition,
    _draw,
    _flip,
    _symmetric,
    noise_near_boundary,
)
from .panel import (  # noqa: F401
    UNSURE,
    Annotator,
    AnnotatorPanel,
    AskBest,
    AskRandom,
    Chooser,
    CostAwareChoice,
    IEThresh,
    RepeatedLabeling,
    _ask_in_order,
    accuracy_table,
)

__all__ = [
    "Annotator",
    "AnnotatorPanel",
    "AskBest",
    "AskRandom",
    "Chooser",
    "CostAwareChoice",
    "IEThresh",
    "NoisyOracle",
    "RepeatedLabeling",
    "UNSURE",
    "accuracy_table",
    "noise_near_boundary",
]
