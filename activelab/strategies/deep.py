"""Deep active learning: Bayesian scores from probability samples, BatchBALD, Learning Loss.

The Bayesian scorers read ``outputs.samples()``: ``(n, S, classes)`` probability samples
per candidate, computed once per round and shared — MC-dropout samples or deep-ensemble
members from a model with ``sample_proba``
(:class:`activelab.models.TorchClassifier`), or the members of a fitted scikit-learn
ensemble with ``estimators_``. Nothing here imports torch.

* ``mc_entropy`` — entropy of the mean prediction (Gal, Islam & Ghahramani 2017).
* ``variation_ratios`` — ``1 -`` the share of samples that vote for the modal class.
* ``mean_std`` — the standard deviation over samples, averaged over classes.
* ``bald`` — mutual information between the label and the weights (Houlsby et al. 2011).
* ``power_bald`` — BALD scores, batch drawn with probability ``∝ score`` (Kirsch et al. 2023).
* ``batch_bald`` — greedy BatchBALD (Kirsch, van Amersfoort & Gal 2019), chunked.
* ``epig`` — expected predictive information gain about a sample of the pool
  (Bickford Smith, Kirsch, Farquhar, Gal, Foster & Rainforth 2023).
* ``learning_loss`` — the predicted loss of a jointly trained module (Yoo & Kweon 2019).
* ``augment_consistency`` — entropy and disagreement over augmented copies (Zhou et al. 2017).

BADGE and core-set need nothing new: ``badge`` and ``coreset`` use ``model.embed``, which
:class:`~activelab.models.TorchClassifier` gives as its penultimate layer, so BADGE's
gradient embedding is exactly the last layer's loss gradient (see ``docs/deep.md``).
"""

from __future__ import annotations

import numpy as np

from ..errors import ActiveLabError
from ..outputs import ModelOutputs, entropy
from ..selection.topk import StochasticTopK, id_ranks
from ..validation import check_int
from .base import Query, ScoringStrategy, Strategy
from .registry import register

__all__ = [
    "BALD",
    "AugmentConsistency",
    "BatchBALD",
    "EPIG",
    "LearningLoss",
    "MCEntropy",
    "MeanStd",
    "PowerBALD",
    "VariationRatios",
    "bald",
    "batch_bald",
    "epig",
    "expected_entropy",
    "predictive_entropy",
    "variation_ratios",
]

#: Kinds of model (see :data:`activelab.testing.MODEL_KINDS`) that give probability samples.
SAMPLE_MODELS = ("ensemble", "mc_dropout")

_TINY = 1e-12


def predictive_entropy(samples: np.ndarray) -> np.ndarray:
    """``H[mean_s p_s]`` per item, for ``samples`` of shape ``(n, S, classes)``."""
    return entropy(samples.mean(axis=1))


def expected_entropy(samples: np.ndarray) -> np.ndarray:
    """``mean_s H[p_s]`` per item."""
    return entropy(samples).mean(axis=1)


def bald(samples: np.ndarray) -> np.ndarray:
    """``H[mean p] - mean H[p]``: the mutual information of label and weights (>= 0)."""
    return np.maximum(predictive_entropy(samples) - expected_entropy(samples), 0.0)


def variation_ratios(samples: np.ndarray) -> np.ndarray:
    """``1 - (votes for the modal class) / S``; a sample votes for its likeliest class."""
    n, S, C = samples.shape
    votes = samples.argmax(axis=2)
    counts = np.zeros((n, C), dtype=np.int64)
    np.add.at(counts, (np.repeat(np.arange(n), S), votes.ravel()), 1)
    return 1.0 - counts.max(axis=1) / S


def _samples(outputs: ModelOutputs, n_samples: int | None) -> np.ndarray:
    samples = np.asarray(outputs.samples(n_samples), dtype=np.float64)
    if samples.ndim != 3:
        raise ActiveLabError(
            f"probability samples must have shape (items, samples, classes); got {samples.shape}"
        )
    return samples


class _SampleScorer(ScoringStrategy):
    contract_models = SAMPLE_MODELS

    def __init__(self, n_samples: int | None = None) -> None:
        self.n_samples = n_samples
        self.selector = None

    def score(self, outputs: ModelOutputs, rng: np.random.Generator) -> np.ndarray:
        return self._score(_samples(outputs, self.n_samples))

    def _score(self, samples: np.ndarray) -> np.ndarray:
        raise NotImplementedError


@register("mc_entropy")
class MCEntropy(_SampleScorer):
    """Entropy of the mean of the probability samples (max entropy with MC dropout).

    ``n_samples`` is passed to the model's ``sample_proba`` (``None``: its default).

    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from sklearn.datasets import load_iris
    >>> from activelab import Pool
    >>> X, y = load_iris(return_X_y=True)
    >>> pool = Pool(X)
    >>> pool.add_labels([0, 50, 100, 1, 51, 101], y[[0, 50, 100, 1, 51, 101]])
    >>> model = RandomForestClassifier(10, random_state=0).fit(*pool.labeled_data())
    >>> len(MCEntropy().query(model, pool, 4, random_state=0).ids)
    4
    """

    def _score(self, samples: np.ndarray) -> np.ndarray:
        return predictive_entropy(samples)


@register("variation_ratios")
class VariationRatios(_SampleScorer):
    """``1 -`` the fraction of samples whose likeliest class is the modal one (Freeman 1965)."""

    def _score(self, samples: np.ndarray) -> np.ndarray:
        return variation_ratios(samples)


@register("mean_std")
class MeanStd(_SampleScorer):
    """The standard deviation of each class's probability over samples, averaged over classes."""

    def _score(self, samples: np.ndarray) -> np.ndarray:
        return samples.std(axis=1).mean(axis=1)


@register("bald")
class BALD(_SampleScorer):
    """Bayesian Active Learning by Disagreement: ``I[y; ω] = H[E p] - E H[p]``.

    Houlsby, Huszár, Ghahramani & Lengyel 2011; with MC dropout, Gal, Islam &
    Ghahramani, "Deep Bayesian Active Learning with Image Data", ICML 2017. Top-k of
    BALD scores; see :class:`BatchBALD` and :class:`PowerBALD` for batches.
    """

    def _score(self, samples: np.ndarray) -> np.ndarray:
        return bald(samples)


@register("power_bald")
class PowerBALD(BALD):
    """BALD scores, batch drawn without replacement with probability ``∝ score ** (1/T)``.

    Kirsch, Farquhar, Atighehchian, Jesson, Branchaud-Charron & Gal, "Stochastic Batch
    Acquisition", TMLR 2023 (PowerBALD, ``temperature`` T = 1 by default): as cheap as
    top-k and nearly as good as BatchBALD. Uses :class:`~activelab.selection.StochasticTopK`.
    """

    def __init__(self, n_samples: int | None = None, temperature: float = 1.0) -> None:
        super().__init__(n_samples)
        self.temperature = temperature

    def select_batch(self, outputs: ModelOutputs, k: int, rng: np.random.Generator) -> Query:
        scores = self.score(outputs, rng)
        selector = StochasticTopK(mode="power", temperature=self.temperature)
        ids, keys = selector.select(outputs, scores, k, rng)
        return Query(ids=ids, scores=keys)


# ---- BatchBALD -------------------------------------------------------------------------------


def batch_bald(
    samples: np.ndarray,
    k: int,
    rng: np.random.Generator,
    ranks: np.ndarray | None = None,
    max_configurations: int = 1000,
    chunk_size: int = 128,
) -> tuple[np.ndarray, np.ndarray]:
    """Greedy BatchBALD: positions of ``k`` items and the gain each pick added.

    Each step adds the candidate ``i`` that maximises
    ``H[y_1..y_{t-1}, y_i] - E_s H[y_i | s]`` (the chosen items' conditional entropies
    are the same for every candidate). The joint over the chosen items is kept as
    ``P[s, m]``, the probability of label configuration ``m`` under sample ``s``: exact
    while there are at most ``max_configurations`` configurations, then
    ``max_configurations`` configurations drawn from it (each with its own sample ``s``,
    extended by drawing from ``p_s`` as items join) and an importance-weighted estimate.
    Candidates are scored ``chunk_size`` at a time, so beyond the samples themselves
    memory is ``O(n + max_configurations * (S + 2 * chunk_size * classes))`` floats.
    Ties break by ``ranks`` (smaller first).
    """
    n, S, C = samples.shape
    k = min(int(k), n)
    ranks = np.arange(n) if ranks is None else ranks
    conditional = np.concatenate(
        [expected_entropy(samples[i : i + chunk_size]) for i in range(0, n, chunk_size)]
    )
    joint = np.ones((S, 1))  # P[s, m]
    drawn: np.ndarray | None = None  # sample index of each drawn configuration
    taken = np.zeros(n, dtype=bool)
    picks: list[int] = []
    gains: list[float] = []
    chosen_entropy = 0.0  # H[y_1..y_{t-1}]
    for _ in range(k):
        if drawn is None:
            weights = np.ones(joint.shape[1])
        else:
            weights = 1.0 / (joint.shape[1] * joint.mean(axis=0))
        values = np.full(n, -np.inf)
        for start in range(0, n, chunk_size):
            part = samples[start : start + chunk_size]  # (c, S, C)
            mixed = joint.T @ part.transpose(1, 0, 2).reshape(S, -1)  # (M, c*C), times S
            mixed /= S
            plogp = np.maximum(mixed, _TINY)
            np.log(plogp, out=plogp)
            plogp *= mixed
            h = -(weights @ plogp).reshape(len(part), C).sum(axis=1)
            values[start : start + len(part)] = h - conditional[start : start + len(part)]
        values[taken] = -np.inf
        best = np.flatnonzero(values == values.max())
        pick = int(best[np.argmin(ranks[best])])
        taken[pick] = True
        picks.append(pick)
        # a_t - a_{t-1} with a_t = H[y_1..y_t] - sum_j E_s H[y_j | s]
        gains.append(float(values[pick] - chosen_entropy))
        chosen_entropy = float(values[pick] + conditional[pick])
        joint, drawn = _extend(joint, drawn, samples[pick], max_configurations, rng)
    return np.asarray(picks, dtype=np.intp), np.asarray(gains)


def _extend(
    joint: np.ndarray, drawn: np.ndarray | None, p: np.ndarray, limit: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray | None]:
    """The joint ``P[s, m]`` with one more item of per-sample probabilities ``p`` (S, C)."""
    S, C = p.shape
    if drawn is None and joint.shape[1] * C <= limit:
        return (joint[:, :, None] * p[:, None, :]).reshape(S, -1), None
    if drawn is None:  # switch from exact to drawn configurations
        exact = (joint[:, :, None] * p[:, None, :]).reshape(S, -1)
        drawn = rng.integers(0, S, size=limit)
        u = rng.random(limit)
        cumulative = np.cumsum(exact, axis=1)  # (S, limit * C): one row per sample
        configs = np.empty(limit, dtype=np.intp)
        for s in range(S):
            rows = np.flatnonzero(drawn == s)
            configs[rows] = np.searchsorted(cumulative[s], u[rows] * cumulative[s, -1])
        configs = np.minimum(configs, exact.shape[1] - 1)
        return exact[:, configs], drawn
    cumulative = np.cumsum(p[drawn], axis=1)  # (M, C): each configuration's own sample
    u = rng.random(len(drawn)) * cumulative[:, -1]
    labels = np.minimum((cumulative < u[:, None]).sum(axis=1), C - 1)
    return joint * p[:, labels], drawn


@register("batch_bald")
class BatchBALD(Strategy):
    """BatchBALD: the batch with the largest joint mutual information, built greedily.

    Kirsch, van Amersfoort & Gal, "BatchBALD: Efficient and Diverse Batch Acquisition
    for Deep Bayesian Active Learning", NeurIPS 2019. Top-k BALD picks near-duplicates;
    BatchBALD scores ``I[y_1..y_k; ω]``, which counts shared information once. See
    :func:`batch_bald` for the algorithm, its exact/sampled joint and its memory bound.
    A pick's score is the information it added, made non-increasing with
    ``np.minimum.accumulate``. Use a model whose samples are *consistent* across items
    (:class:`~activelab.models.TorchClassifier` draws one dropout mask per sample).

    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from sklearn.datasets import load_iris
    >>> from activelab import Pool
    >>> X, y = load_iris(return_X_y=True)
    >>> pool = Pool(X)
    >>> pool.add_labels([0, 50, 100, 1, 51, 101], y[[0, 50, 100, 1, 51, 101]])
    >>> model = RandomForestClassifier(10, random_state=0).fit(*pool.labeled_data())
    >>> len(BatchBALD().query(model, pool, 4, random_state=0).ids)
    4
    """

    contract_models = SAMPLE_MODELS

    def __init__(self, n_samples: int | None = None, max_configurations: int = 1000,
                 chunk_size: int = 128) -> None:
        self.n_samples = n_samples
        self.max_configurations = max_configurations
        self.chunk_size = chunk_size

    def select_batch(self, outputs: ModelOutputs, k: int, rng: np.random.Generator) -> Query:
        limit = check_int(self.max_configurations, "max_configurations")
        chunk = check_int(self.chunk_size, "chunk_size")
        samples = _samples(outputs, self.n_samples)
        positions, gains = batch_bald(samples, k, rng, id_ranks(outputs.ids), limit, chunk)
        return Query(ids=outputs.ids[positions], scores=np.minimum.accumulate(gains))


# ---- EPIG -------------------------------------------------------------------------------------


def epig(samples: np.ndarray, targets: np.ndarray, chunk_size: int = 128) -> np.ndarray:
    """``mean_t I[y; y*_t]`` per candidate, from samples ``(n, S, C)`` and ``(m, S, C)``.

    ``p(y, y*) = mean_s p_s(y) p_s(y*)``; the mutual information of the pair is
    ``sum p(y, y*) log(p(y, y*) / (p(y) p(y*)))``. Candidates go ``chunk_size`` at a
    time: ``O(chunk_size * m * C^2)`` memory.
    """
    n, S, C = samples.shape
    target_marginal = targets.mean(axis=1)  # (m, C)
    out = np.empty(n)
    for start in range(0, n, chunk_size):
        part = samples[start : start + chunk_size]
        joint = np.einsum("isc,tsd->itcd", part, targets) / S  # (c, m, C, C)
        marginal = part.mean(axis=1)  # (c, C)
        independent = marginal[:, None, :, None] * target_marginal[None, :, None, :]
        ratio = np.log(np.maximum(joint, _TINY)) - np.log(np.maximum(independent, _TINY))
        out[start : start + len(part)] = (joint * ratio).sum(axis=(2, 3)).mean(axis=1)
    return np.maximum(out, 0.0)


@register("epig")
class EPIG(_SampleScorer):
    """Expected predictive information gain: what a label tells about the pool's predictions.

    Bickford Smith, Kirsch, Farquhar, Gal, Foster & Rainforth, "Prediction-Oriented
    Bayesian Active Learning", AISTATS 2023. BALD values information about the weights,
    much of which may not matter for predictions; EPIG scores
    ``E_{x*} I[y; y* | x, x*]`` with ``x*`` drawn from the target inputs — here
    ``n_targets`` candidates drawn at random (uniformly, in id order, with the query's
    ``random_state``), as the paper does when the test distribution is the pool's.
    ``O(n * n_targets * S * C^2)`` time; memory in chunks.
    """

    def __init__(self, n_samples: int | None = None, n_targets: int = 100) -> None:
        super().__init__(n_samples)
        self.n_targets = n_targets

    def score(self, outputs: ModelOutputs, rng: np.random.Generator) -> np.ndarray:
        m = check_int(self.n_targets, "n_targets")
        samples = _samples(outputs, self.n_samples)
        in_id_order = np.argsort(outputs.ids, kind="stable")
        targets = in_id_order[np.sort(rng.permutation(len(in_id_order))[:m])]
        return epig(samples, samples[targets])


# ---- learning loss and augmentation ---------------------------------------------------------


@register("learning_loss")
class LearningLoss(ScoringStrategy):
    """The items whose loss a jointly trained loss-prediction module predicts to be largest.

    Yoo & Kweon, "Learning Loss for Active Learning", CVPR 2019. The model must have
    ``predict_loss`` (``TorchClassifier(loss_prediction=True)``: the module reads every
    ReLU's output and is trained with the paper's margin ranking loss alongside the
    classifier). The score is the predicted loss.
    """

    contract_models = ("learning_loss",)

    def __init__(self) -> None:
        self.selector = None

    def score(self, outputs: ModelOutputs, rng: np.random.Generator) -> np.ndarray:
        predict_loss = getattr(outputs.model, "predict_loss", None)
        if predict_loss is None:
            raise ActiveLabError(
                f"{type(outputs.model).__name__} has no predict_loss; Learning Loss needs "
                "activelab.models.TorchClassifier(loss_prediction=True)"
            )
        return outputs.of_items("predicted_loss", predict_loss).astype(float).ravel()


@register("augment_consistency")
class AugmentConsistency(ScoringStrategy):
    """Uncertain and inconsistent under augmentation, after Zhou et al. 2017.

    Zhou, Shin, Zhang, Gurudu, Gotway & Liang, "Fine-tuning Convolutional Neural Networks
    for Biomedical Image Analysis: Actively and Incrementally", CVPR 2017. For ``n_copies``
    augmented copies of an item (``model.augmented_proba``; copy 0 is the item itself) the
    score is ``entropy_weight * mean_c H[p_c] + diversity_weight * D``, with ``D`` the mean
    symmetric KL divergence over pairs of copies, ``(p_a - p_b)·(log p_a - log p_b)``.
    The paper's "majority selection" (keeping only the copies that agree most with the
    dominant class) is left out.
    """

    contract_models = ("augment",)

    def __init__(self, n_copies: int = 5, entropy_weight: float = 1.0,
                 diversity_weight: float = 1.0) -> None:
        self.n_copies = n_copies
        self.entropy_weight = entropy_weight
        self.diversity_weight = diversity_weight
        self.selector = None

    def score(self, outputs: ModelOutputs, rng: np.random.Generator) -> np.ndarray:
        copies = check_int(self.n_copies, "n_copies")
        augmented = getattr(outputs.model, "augmented_proba", None)
        if augmented is None:
            raise ActiveLabError(
                f"{type(outputs.model).__name__} has no augmented_proba; use "
                "activelab.models.TorchClassifier (it augments images and feature vectors)"
            )
        p = np.asarray(
            outputs.of_items(f"augmented_{copies}", lambda rows: augmented(rows, copies)),
            dtype=np.float64,
        )
        return self.entropy_weight * expected_entropy(p) + self.diversity_weight * (
            pairwise_disagreement(p)
        )


def pairwise_disagreement(p: np.ndarray) -> np.ndarray:
    """Mean symmetric KL over pairs of copies, for ``p`` of shape ``(n, copies, classes)``."""
    n, copies, _ = p.shape
    if copies < 2:
        return np.zeros(n)
    logs = np.log(np.maximum(p, _TINY))
    total = np.zeros(n)
    for a in range(copies):
        for b in range(a + 1, copies):
            total += np.einsum("ic,ic->i", p[:, a] - p[:, b], logs[:, a] - logs[:, b])
    return total / (copies * (copies - 1) / 2)
