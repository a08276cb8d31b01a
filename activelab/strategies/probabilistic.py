"""Probabilistic active learning: the expected gain in accuracy from one more label near ``x``.

Both strategies reason with *kernel frequencies*: ``k(x)``, how many labels of each
class lie near ``x`` (a Parzen window, :class:`~activelab.models.parzen.ParzenWindowClassifier`).
The true class probabilities at ``x`` are unknown; given ``k(x)`` their posterior is a
Dirichlet ``Dir(k(x) + prior)``, and the gain of a label is an expectation over it and
over the label, in closed form.

* **mcpal** — multi-class probabilistic active learning (Kottke, Krempl, Lang, Teschner &
  Spiliopoulou, 2016, ECAI), after the binary PAL and OPAL (Krempl, Kottke &
  Spiliopoulou, 2014, "Probabilistic active learning: towards combining versatility,
  optimality and efficiency", Discovery Science; Krempl, Kottke & Lemaire, 2015,
  "Optimised probabilistic active learning", Machine Learning): the expected drop in
  the misclassification rate at ``x`` from ``m`` more labels there, per label, maximised
  over ``m = 1..m_max``, weighted by the density of ``x``.
* **xpal** — expected probabilistic gain (Kottke, Herde, Sandrock, Huseljic, Krempl &
  Sick, 2021, "Toward optimal probabilistic active learning using a Bayesian approach",
  Machine Learning): the expected drop in the misclassification risk over an evaluation
  set (the pool) if ``x`` were labeled, with every risk estimated under the posterior
  that already knows the new label.

Where ``k(x)`` comes from: a model that is a ``ParzenWindowClassifier`` (or a ``Pipeline``
ending in one, as ``make_model("parzen", seed)``) gives its own kernel frequencies. For
any other model, a Parzen window over the labeled items in the model's feature space
(:meth:`~activelab.outputs.ModelOutputs.embeddings`), with the RBF bandwidth of the mean
criterion, gives the number of labels near ``x``: mcpal uses that number times the
model's ``predict_proba`` (as scikit-activeml does with ``metric="rbf"``), xpal the
Parzen frequencies themselves (xPAL is defined for that classifier).
"""

from __future__ import annotations

from functools import lru_cache
from itertools import combinations_with_replacement
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.special import gammaln

from ..errors import ActiveLabError
from ..kernels import mean_bandwidth_gamma, rbf_kernel_matrix
from ..outputs import ModelOutputs
from ..validation import check_int
from .base import ScoringStrategy
from .density import fixed_sample
from .embedding_space import _stack
from .registry import register

__all__ = ["ExpectedProbabilisticGain", "ProbabilisticAL", "expected_error_reduction_mcpal",
           "xpal_gain"]

#: How many items the density (mcpal) and the evaluation set (xpal) use at most.
DEFAULT_REFERENCE = 1000


@lru_cache(maxsize=64)
def _label_vectors(m: int, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Every count vector of ``m`` labels over ``n_classes`` classes, ``(L, n_classes)``,
    and the log multinomial coefficient of each (read-only, cached: stream PAL asks per item)."""
    rows = [np.bincount(np.array(c, dtype=int), minlength=n_classes)
            for c in combinations_with_replacement(range(n_classes), m)]
    labels = np.array(rows, dtype=float).reshape(-1, n_classes)
    log_multinomial = gammaln(labels.sum(axis=1) + 1) - gammaln(labels + 1).sum(axis=1)
    labels.flags.writeable = log_multinomial.flags.writeable = False
    return labels, log_multinomial


def expected_error_reduction_mcpal(k: np.ndarray, prior: float = 1.0, m_max: int = 1) -> np.ndarray:
    """McPAL's per-label gain for each row of kernel frequencies ``k`` ``(n, c)``.

    With ``a = k + prior`` and ``p ~ Dir(a)``, ``m`` hypothetical labels ``l`` (a count
    vector) arrive with probability ``Mult(l) B(a + l) / B(a)``; the classifier then
    predicts ``argmax(k + l)`` and errs with posterior probability
    ``1 - (a + l)[argmax] / (|a| + m)``. The gain is ``max_m (E_0 - E_m) / m``, ``E_m`` that
    expected error. ``O(n * C(m_max + c - 1, c - 1) * c)``.
    """
    k = np.asarray(k, dtype=float)
    a = k + float(prior)
    total = a.sum(axis=1)
    log_beta_a = gammaln(a).sum(axis=1) - gammaln(total)
    error_now = 1.0 - np.take_along_axis(a, k.argmax(axis=1)[:, None], 1)[:, 0] / total
    gains = np.full(len(k), -np.inf)
    for m in range(1, m_max + 1):
        labels, log_multinomial = _label_vectors(m, k.shape[1])      # (L, c), (L,)
        a_l = a[:, None, :] + labels[None, :, :]                     # (n, L, c)
        log_beta = gammaln(a_l).sum(axis=2) - gammaln(total + m)[:, None]
        chance = np.exp(log_multinomial[None, :] + log_beta - log_beta_a[:, None])
        decided = (k[:, None, :] + labels[None, :, :]).argmax(axis=2)
        right = np.take_along_axis(a_l, decided[:, :, None], 2)[:, :, 0] / (total + m)[:, None]
        error_after = (chance * (1.0 - right)).sum(axis=1)
        gains = np.maximum(gains, (error_now - error_after) / m)
    return gains


def xpal_gain(
    k_candidates: np.ndarray, kernel_eval_candidates: np.ndarray, k_eval: np.ndarray,
    prior_candidate: float = 1.0, prior_eval: float = 1.0,
) -> np.ndarray:
    """xPAL's expected gain of each candidate, ``(n,)``.

    ``k_candidates`` ``(n, c)`` and ``k_eval`` ``(e, c)`` are kernel frequencies,
    ``kernel_eval_candidates`` ``(e, n)`` the kernel between evaluation items and
    candidates. For candidate ``x`` and label ``y`` the frequencies become
    ``k'(z) = k(z) + K(z, x) e_y``; the gain is

    ``sum_y P(y | k(x) + prior_candidate) * mean_z [P'(f'(z)) - P'(f(z))]``

    with ``P'`` the posterior mean ``(k'(z) + prior_eval) / |k'(z) + prior_eval|``, ``f`` and
    ``f'`` the Parzen decisions ``argmax k(z)`` and ``argmax k'(z)``: the drop in the
    expected zero-one risk on the evaluation items, both risks under ``P'``.
    """
    k_candidates, k_eval = np.asarray(k_candidates, float), np.asarray(k_eval, float)
    kernel = np.asarray(kernel_eval_candidates, dtype=float)
    n_classes = k_eval.shape[1]
    label_chance = k_candidates + prior_candidate
    label_chance /= label_chance.sum(axis=1, keepdims=True)
    total = k_eval.sum(axis=1)[:, None] + kernel + n_classes * prior_eval     # (e, n)
    decision_now = k_eval.argmax(axis=1)
    top_now = k_eval.max(axis=1)[:, None]
    gain = np.zeros(len(k_candidates))
    for y in range(n_classes):
        # only class y's frequency grows, so the new top is the larger of y's new count
        # and the best other class; prior_eval cancels in the difference of the means
        others = np.delete(k_eval, y, axis=1).max(axis=1) if n_classes > 1 else np.zeros(len(k_eval))
        top_new = np.maximum(others[:, None], k_eval[:, y, None] + kernel)
        now_after = top_now + kernel * (decision_now == y)[:, None]
        gain += label_chance[:, y] * ((top_new - now_after) / total).mean(axis=0)
    return gain


class _KernelFrequencies:
    """Kernel frequencies at the candidates and labeled items of one round."""

    def __init__(self, outputs: ModelOutputs, who: str) -> None:
        model = outputs.model
        if model is None or not hasattr(model, "predict_proba"):
            name = "None" if model is None else type(model).__name__
            raise ActiveLabError(f"{who} needs a fitted classifier with predict_proba; got {name}")
        steps = getattr(model, "steps", None)
        final = steps[-1][1] if isinstance(steps, list) and steps else model
        self.parzen = callable(getattr(final, "predict_freq", None)) and hasattr(final, "X_")
        if self.parzen:
            preprocessing = model[:-1] if isinstance(steps, list) and len(steps) > 1 else None
            self.candidates = outputs.of_items(
                "parzen_features",
                lambda rows: _dense_or_csr(rows if preprocessing is None
                                           else preprocessing.transform(rows)))
            self.labeled, self.votes, self.gamma = final.X_, final.votes_, final.gamma_
            self.classes = final.classes_
            return
        self.candidates = outputs.embeddings("candidates")
        self.labeled = outputs.embeddings("labeled") if outputs.pool.n_labeled else None
        if self.labeled is None:
            raise ActiveLabError(f"{who} needs labeled items to count labels near each item")
        self.classes = np.asarray(model.classes_)
        labels = outputs.pool.labels_of(outputs.pool.labeled_ids)
        self.votes = (labels[:, None] == self.classes[None, :]).astype(float)
        self.gamma = mean_bandwidth_gamma(_stack(self.candidates, self.labeled),
                                          n_labeled=len(labels))

    def kernel(self, rows: Any, other: Any) -> np.ndarray:
        return rbf_kernel_matrix(rows, other, self.gamma)

    def frequencies(self, rows: Any) -> np.ndarray:
        return self.kernel(rows, self.labeled) @ self.votes


def _dense_or_csr(rows: Any) -> Any:
    if sp.issparse(rows):
        return sp.csr_matrix(rows, dtype=np.float64)
    return np.asarray(rows.to_numpy() if hasattr(rows, "to_numpy") else rows, dtype=float)


def _check_prior(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ActiveLabError(f"{name} must be a positive number (a Dirichlet pseudo-count); "
                             f"got {value!r}")
    return float(value)


@register("mcpal")
class ProbabilisticAL(ScoringStrategy):
    """Multi-class probabilistic active learning (McPAL; OPAL for two classes).

    ``score(x) = density(x) * max_{m=1..m_max} (E_0(x) - E_m(x)) / m``, where ``E_m`` is the
    expected misclassification rate at ``x`` after ``m`` more labels there, under the
    Dirichlet posterior ``Dir(k(x) + prior)`` of the class probabilities
    (:func:`expected_error_reduction_mcpal`), and ``k(x)`` the kernel frequencies (see the
    module docstring). Few labels near ``x`` and a close call score high; many
    labels or a clear majority score low. ``density(x)`` is the mean kernel value of
    ``x`` to the pool's items (at most ``n_reference`` of them, a fixed sample), or 1
    with ``density=False``.

    Cost per query: ``O(n (m + r) d)`` kernel values for ``m`` labeled and ``r``
    reference items, and ``O(n C(m_max + c - 1, c - 1) c)`` for the gain.

    >>> import numpy as np
    >>> from activelab import Pool
    >>> from activelab.models.parzen import ParzenWindowClassifier
    >>> X = np.linspace(0, 1, 30).reshape(-1, 1)
    >>> pool = Pool(X)
    >>> pool.add_labels([0, 29], [0, 1])
    >>> model = ParzenWindowClassifier(gamma=20.0).fit(*pool.labeled_data())
    >>> ProbabilisticAL(density=False).query(model, pool, 1).ids.tolist()  # halfway
    [14]
    """

    contract_models = ("proba",)

    def __init__(self, prior: float = 1.0, m_max: int = 1, density: bool = True,
                 n_reference: int = DEFAULT_REFERENCE, selector: Any = None) -> None:
        super().__init__(selector)
        self.prior = prior
        self.m_max = m_max
        self.density = density
        self.n_reference = n_reference

    def score(self, outputs: ModelOutputs, rng: np.random.Generator) -> np.ndarray:
        prior = _check_prior(self.prior, "prior")
        m_max = check_int(self.m_max, "m_max")
        view = _KernelFrequencies(outputs, "mcpal")
        if view.parzen:
            k = view.frequencies(view.candidates)
        else:
            near = view.kernel(view.candidates, view.labeled).sum(axis=1, keepdims=True)
            k = near * outputs.proba()
        gain = expected_error_reduction_mcpal(k, prior, m_max)
        if not self.density:
            return gain
        sample = fixed_sample(outputs.ids, check_int(self.n_reference, "n_reference"))
        reference = _stack(view.candidates[sample], view.labeled)
        return gain * view.kernel(view.candidates, reference).mean(axis=1)


@register("xpal")
class ExpectedProbabilisticGain(ScoringStrategy):
    """xPAL: the expected drop in the pool's misclassification risk if ``x`` were labeled.

    ``score(x) = sum_y P(y | k(x) + prior_candidate) * mean_{z in E} [P'(f'(z)) - P'(f(z))]``
    (:func:`xpal_gain`): the label ``y`` is drawn from the posterior mean at ``x``; it adds
    ``K(z, x)`` to class ``y``'s frequency at every evaluation item ``z``; ``f`` and ``f'``
    are the Parzen decisions before and after, and ``P'`` the posterior mean after, with
    pseudo-count ``prior_eval``. ``E`` is the labeled items and the candidates (at most
    ``n_eval`` of them, a fixed sample). Unlike McPAL, a label counts for what it changes
    across the pool, not only at ``x``.

    Cost per query: ``O(n e c)`` for ``e`` evaluation items, in chunks of candidates
    (``O(e * chunk)`` memory), plus ``O((n + e) m d)`` kernel values.

    >>> import numpy as np
    >>> from activelab import Pool
    >>> from activelab.models.parzen import ParzenWindowClassifier
    >>> X = np.linspace(0, 1, 30).reshape(-1, 1)
    >>> pool = Pool(X)
    >>> pool.add_labels([0, 29], [0, 1])
    >>> model = ParzenWindowClassifier(gamma=20.0).fit(*pool.labeled_data())
    >>> ExpectedProbabilisticGain().query(model, pool, 1).ids.tolist()
    [14]
    """

    contract_models = ("proba",)

    def __init__(self, prior_candidate: float = 1.0, prior_eval: float = 1.0,
                 n_eval: int = DEFAULT_REFERENCE, chunk: int = 256, selector: Any = None) -> None:
        super().__init__(selector)
        self.prior_candidate = prior_candidate
        self.prior_eval = prior_eval
        self.n_eval = n_eval
        self.chunk = chunk

    def score(self, outputs: ModelOutputs, rng: np.random.Generator) -> np.ndarray:
        prior_candidate = _check_prior(self.prior_candidate, "prior_candidate")
        prior_eval = _check_prior(self.prior_eval, "prior_eval")
        chunk = check_int(self.chunk, "chunk")
        view = _KernelFrequencies(outputs, "xpal")
        sample = fixed_sample(outputs.ids, check_int(self.n_eval, "n_eval"))
        evaluation = _stack(view.candidates[sample], view.labeled)
        k_eval = view.frequencies(evaluation)
        k_candidates = view.frequencies(view.candidates)
        scores = np.empty(len(outputs.ids))
        for start in range(0, len(scores), chunk):
            rows = slice(start, start + chunk)
            kernel = view.kernel(evaluation, view.candidates[rows])
            scores[rows] = xpal_gain(k_candidates[rows], kernel, k_eval,
                                     prior_candidate, prior_eval)
        return scores
