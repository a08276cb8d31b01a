"""activelab: active learning that picks the labels worth paying for.

>>> import activelab
>>> "margin" in activelab.strategies.available()
True
"""

from . import strategies, stream, synthesis
from .errors import ActiveLabError
from .loop import ActiveLoop, History, RoundRecord, log_round
from .oracles import Answers, ConsoleOracle, Oracle, SimulatedOracle
from .outputs import ModelOutputs
from .pool import LabelEvent, Pool
from .stopping import LabelBudget, StoppingRule, TargetScore
from .strategies import Query, Strategy
from .stream import BudgetManager, StreamLearner
from .synthesis import FunctionOracle, InputSpace, SynthesisLoop

__version__ = "0.1.0"

__all__ = [
    "ActiveLabError",
    "ActiveLoop",
    "Answers",
    "BudgetManager",
    "ConsoleOracle",
    "FunctionOracle",
    "History",
    "InputSpace",
    "LabelBudget",
    "LabelEvent",
    "ModelOutputs",
    "Oracle",
    "Pool",
    "Query",
    "RoundRecord",
    "SimulatedOracle",
    "StoppingRule",
    "Strategy",
    "StreamLearner",
    "SynthesisLoop",
    "TargetScore",
    "log_round",
    "strategies",
    "stream",
    "synthesis",
]
