"""Query strategies, by class or by name.

>>> from activelab import strategies
>>> strategies.available()
['entropy', 'least_confidence', 'margin', 'random']
"""

from .base import Query, ScoringStrategy, Strategy
from .random_sampling import RandomSampling
from .registry import available, get, register
from .uncertainty import EntropySampling, LeastConfidenceSampling, MarginSampling

__all__ = [
    "EntropySampling",
    "LeastConfidenceSampling",
    "MarginSampling",
    "Query",
    "RandomSampling",
    "ScoringStrategy",
    "Strategy",
    "available",
    "get",
    "register",
]
