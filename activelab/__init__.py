"""activelab: active learning that picks the labels worth paying for.

>>> import activelab
>>> "margin" in activelab.strategies.available()
True
"""

from . import moved, strategies
from .errors import ActiveLabError
from .loop import ActiveLoop, History, RoundRecord, log_round
from .oracles import (
    Annotator,
    AnnotatorPanel,
    Answers,
    ConsoleOracle,
    DawidSkene,
    FunctionOracle,
    ItemCosts,
    LabelRequest,
    MajorityVote,
    NoisyOracle,
    Oracle,
    SimulatedOracle,
    WeightedVote,
)
from .outputs import ModelOutputs
from .pool import LabelEvent, Pool
from .scenarios import stream, synthesis
from .scenarios.stream import BudgetManager, StreamLearner
from .scenarios.synthesis import InputSpace, SynthesisLoop
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
    "stream",
    "synthesis",
]
