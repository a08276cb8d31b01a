"""Query strategies, by class or by name.

>>> from activelab import strategies
>>> {"margin", "coreset", "badge", "vote_entropy", "qbc_variance"} <= set(strategies.available())
True
"""

from .autopilot import AutoStrategy
from .badge import BADGE
from .base import Query, ScoringStrategy, Strategy
from .bayesian_regression import ExpectedModelVarianceReduction, KLDivergenceMaximization
from .committee import ConsensusEntropy, MaxDisagreement, VoteEntropy
from .deep import (
    BALD,
    EPIG,
    AugmentConsistency,
    BatchBALD,
    LearningLoss,
    MCEntropy,
    MeanStd,
    PowerBALD,
    VariationRatios,
)
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
from .expected import ExpectedErrorReduction, ExpectedGradientLength, ExpectedLogLossReduction
from .hybrid import AdaptiveDensityUncertainty, BanditStrategy, Shortlist, WeightedScores
from .multilabel import (
    BinaryRelevanceUncertainty,
    LabelCardinalityInconsistency,
    MaximumLossReduction,
    MaxLoss,
)
from .probabilistic import ExpectedProbabilisticGain, ProbabilisticAL
from .random_sampling import RandomSampling
from .registry import available, get, register
from .regression import EMCM, CommitteeVariance, PredictiveStd
from .svm import MaxMinMargin, RatioMargin, SimpleMargin
from .uncertainty import (
    EntropySampling,
    LeastConfidenceSampling,
    MarginSampling,
    RatioSampling,
)
from .unsure import UnsureAware

__all__ = [
    "AdaptiveDensityUncertainty",
    "AutoStrategy",
    "AugmentConsistency",
    "BADGE",
    "BALD",
    "BanditStrategy",
    "BatchBALD",
    "BinaryRelevanceUncertainty",
    "ClusterMargin",
    "ClusterStratified",
    "CommitteeVariance",
    "ConsensusEntropy",
    "CoreSet",
    "EMCM",
    "EPIG",
    "EntropySampling",
    "ExpectedErrorReduction",
    "ExpectedGradientLength",
    "ExpectedLogLossReduction",
    "ExpectedModelVarianceReduction",
    "ExpectedProbabilisticGain",
    "GraphDensity",
    "GreedySamplingX",
    "GreedySamplingY",
    "ImprovedGreedySampling",
    "InformationDensity",
    "KLDivergenceMaximization",
    "KMeansSampling",
    "LabelCardinalityInconsistency",
    "LearningLoss",
    "LeastConfidenceSampling",
    "MCEntropy",
    "MarginSampling",
    "MaxDisagreement",
    "MaxLoss",
    "MaxMinMargin",
    "MaximumLossReduction",
    "MeanStd",
    "PowerBALD",
    "PredictiveStd",
    "ProbabilisticAL",
    "ProbCover",
    "Query",
    "RandomSampling",
    "RankedBatchSampling",
    "RatioMargin",
    "RatioSampling",
    "ScoringStrategy",
    "Shortlist",
    "SimpleMargin",
    "StochasticMargin",
    "Strategy",
    "TypiClust",
    "UnsureAware",
    "VariationRatios",
    "VoteEntropy",
    "WeightedScores",
    "available",
    "get",
    "register",
]

from .cost_sensitive import CostSensitive

__all__ += ["CostSensitive"]
