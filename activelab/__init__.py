"""activelab: active learning that picks the labels worth paying for.

>>> import activelab
>>> "margin" in activelab.strategies.available()
True
"""

from . import moved, strategies
from .augmentation import GenerativeAugmentation
from .errors import ActiveLabError
from .lazy import lazy_names
from .loop import ActiveLoop, History, RoundRecord, log_round
from .oracles import Answers, FunctionOracle, LabelRequest, Oracle, SimulatedOracle
from .outputs import ModelOutputs
from .pool import LabelEvent, Pool
from .stopping import (
    CostBudget,
    LabelBudget,
    LabelsNeededForecast,
    MaxUncertainty,
    OverallUncertainty,
    StabilizingPredictions,
    StoppingRule,
    TargetScore,
)
from .strategies import Query, Strategy
from .training import CEAL, FullRefit, Incremental, SelfTraining, TrainingContext, TrainingPolicy

moved.install()

#: Loaded on first use, so that ``import activelab`` does not load the two scenarios beside
#: the pool, nor the annotator panels and aggregators. ``activelab.stream`` and
#: ``activelab.synthesis`` are the modules' old paths (:mod:`activelab.moved`); they live
#: in :mod:`activelab.scenarios` now.
_LAZY = {
    "Annotator": "activelab.oracles.panel",
    "AnnotatorPanel": "activelab.oracles.panel",
    "ConsoleOracle": "activelab.oracles.console",
    "DawidSkene": "activelab.oracles.aggregation",
    "ItemCosts": "activelab.oracles.costs",
    "MajorityVote": "activelab.oracles.aggregation",
    "NoisyOracle": "activelab.oracles.noisy",
    "WeightedVote": "activelab.oracles.aggregation",
    "BudgetManager": "activelab.scenarios.stream",
    "StreamLearner": "activelab.scenarios.stream",
    "InputSpace": "activelab.scenarios.synthesis",
    "SynthesisLoop": "activelab.scenarios.synthesis",
    "stream": "activelab.stream",
    "synthesis": "activelab.synthesis",
}


__getattr__ = lazy_names(__name__, _LAZY, globals())

__version__ = "0.1.0"

__all__ = [
    "ActiveLabError",
    "ActiveLoop",
    "Annotator",
    "AnnotatorPanel",
    "Answers",
    "BudgetManager",
    "CEAL",
    "ConsoleOracle",
    "CostBudget",
    "DawidSkene",
    "FullRefit",
    "FunctionOracle",
    "GenerativeAugmentation",
    "History",
    "Incremental",
    "InputSpace",
    "ItemCosts",
    "LabelBudget",
    "LabelEvent",
    "LabelRequest",
    "LabelsNeededForecast",
    "MajorityVote",
    "MaxUncertainty",
    "ModelOutputs",
    "NoisyOracle",
    "Oracle",
    "OverallUncertainty",
    "Pool",
    "Query",
    "RoundRecord",
    "SelfTraining",
    "SimulatedOracle",
    "StabilizingPredictions",
    "StoppingRule",
    "Strategy",
    "StreamLearner",
    "SynthesisLoop",
    "TargetScore",
    "TrainingContext",
    "TrainingPolicy",
    "WeightedVote",
    "log_round",
    "strategies",
]
