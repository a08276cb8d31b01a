"""activelab: active learning that picks the labels worth paying for.

>>> import activelab
>>> "margin" in activelab.strategies.available()
True
"""

from . import strategies
from .aggregation import DawidSkene, MajorityVote, WeightedVote
from .annotators import Annotator, AnnotatorPanel, NoisyOracle
from .costs import ItemCosts
from .errors import ActiveLabError
from .loop import ActiveLoop, History, RoundRecord, log_round
from .oracles import Answers, ConsoleOracle, Oracle, SimulatedOracle
from .outputs import ModelOutputs
from .pool import LabelEvent, Pool
from .stopping import LabelBudget, StoppingRule, TargetScore
from .strategies import Query, Strategy

__version__ = "0.1.0"

__all__ = [
    "ActiveLabError",
    "ActiveLoop",
    "Annotator",
    "AnnotatorPanel",
    "Answers",
    "ConsoleOracle",
    "DawidSkene",
    "History",
    "ItemCosts",
    "LabelBudget",
    "LabelEvent",
    "MajorityVote",
    "ModelOutputs",
    "NoisyOracle",
    "Oracle",
    "Pool",
    "Query",
    "RoundRecord",
    "SimulatedOracle",
    "StoppingRule",
    "Strategy",
    "TargetScore",
    "WeightedVote",
    "log_round",
    "strategies",
]
