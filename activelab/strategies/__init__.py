"""Query strategies, by class or by name.

>>> from activelab import strategies
>>> {"margin", "coreset", "badge", "qbc_variance"} <= set(strategies.available())
True
"""

from .badge import BADGE
from .base import Query, ScoringStrategy, Strategy
from .density import GraphDensity, InformationDensity
from .diversity import (
    ClusterMargin,
    ClusterStratified,
    CoreSet,
    GreedySamplingX,
    GreedySamplingY,
    ImprovedGreedySampling,
    KMeansSampling,
    ProbCover,
    RankedBatchSampling,
    StochasticMargin,
    TypiClust,
)
from .hybrid import AdaptiveDensityUncertainty, BanditStrategy, Shortlist, WeightedScores
from .multilabel import (
    BinaryRelevanceUncertainty,
    LabelCardinalityInconsistency,
    MaximumLossReduction,
    MaxLoss,
)
from .random_sampling import RandomSampling
from .registry import available, get, register
from .regression import EMCM, CommitteeVariance, PredictiveStd
from .uncertainty import EntropySampling, LeastConfidenceSampling, MarginSampling

__all__ = [
    "BADGE",
    "EMCM",
    "AdaptiveDensityUncertainty",
    "BanditStrategy",
    "BinaryRelevanceUncertainty",
    "ClusterMargin",
    "ClusterStratified",
    "CommitteeVariance",
    "CoreSet",
    "EntropySampling",
    "GraphDensity",
    "GreedySamplingX",
    "GreedySamplingY",
    "ImprovedGreedySampling",
    "InformationDensity",
    "KMeansSampling",
    "LabelCardinalityInconsistency",
    "LeastConfidenceSampling",
    "MarginSampling",
    "MaxLoss",
    "MaximumLossReduction",
    "PredictiveStd",
    "ProbCover",
    "Query",
    "RandomSampling",
    "RankedBatchSampling",
    "ScoringStrategy",
    "Shortlist",
    "StochasticMargin",
    "Strategy",
    "TypiClust",
    "WeightedScores",
    "available",
    "get",
    "register",
]
