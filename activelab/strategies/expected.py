"""Expected-model-change and expected-error strategies: what would labeling ``x`` do?

* :class:`ExpectedErrorReduction` (``"eer_01"``, ``"eer_log"``) asks what the model would
  predict with each candidate added under each possible label, and keeps the candidate
  whose label is expected to leave the least error on the unlabeled pool. It refits
  clones of the model (the most expensive strategy here, run on a shortlist), or, for
  logistic regression and naive Bayes, updates the fitted model
  (:mod:`activelab.strategies.model_updates`), fast enough for a whole pool of thousands.
* :class:`ExpectedGradientLength` (``"egl"``) scores the length of the gradient a label
  would add to a logistic regression's training objective, in closed form.

Both need ``predict_proba``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..errors import ActiveLabError
from ..outputs import ModelOutputs
from ..selection.topk import top_k
from ..validation import check_int, first_line
from .base import Query, ScoringStrategy, Strategy
from .model_updates import fast_update_for
from .registry import register
from .uncertainty import entropy

__all__ = [
    "ExpectedErrorReduction",
    "ExpectedGradientLength",
    "ExpectedLogLossReduction",
    "append_item",
    "fit_clone",
    "refit_losses",
    "shortlisted_ranking",
]

LOSSES = ("zero_one", "log")
UPDATES = ("auto", "refit")


def shortlisted_ranking(
    ids: np.ndarray,
    cheap: np.ndarray,
    expensive: Callable[[np.ndarray], np.ndarray],
    shortlist: int,
    k: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Rank the ``shortlist`` best ids by ``cheap`` with ``expensive``; fill with the rest.

    ``expensive(short_ids)`` gives one score per shortlisted id. The ``k`` ids returned
    are the shortlisted ones ranked by that score first; only when ``k`` exceeds the
    shortlist do others follow, in ``cheap`` order, scored ``floor - (c_min - cheap)``
    where ``floor`` is the lowest expensive score and ``c_min`` the lowest cheap score on
    the shortlist, so scores never increase down the ranking. Ties break by id.
    """
    short_ids, short_cheap = top_k(ids, cheap, shortlist)
    short_scores = np.asarray(expensive(short_ids), dtype=float)
    ranked_ids, ranked_scores = top_k(short_ids, short_scores, k)
    if k <= len(short_ids):
        return ranked_ids, ranked_scores
    rest = ~np.isin(ids, short_ids)
    rest_ids, rest_cheap = top_k(ids[rest], cheap[rest], k - len(short_ids))
    rest_scores = short_scores.min() - (short_cheap.min() - rest_cheap)
    scores = np.minimum.accumulate(np.concatenate([ranked_scores, rest_scores]))
    return np.concatenate([ranked_ids, rest_ids]), scores


def append_item(X: Any, y: np.ndarray, row: Any, label: Any) -> tuple[Any, np.ndarray]:
    """``(X, y)`` with one more item ``row`` (one row, same container as ``X``) and its label."""
    if sp.issparse(X):
        X_new: Any = sp.vstack([X, row], format="csr")
    elif hasattr(X, "iloc") and hasattr(X, "columns"):
        import pandas as pd

        X_new = pd.concat([X, row])
    elif isinstance(X, np.ndarray):
        X_new = np.concatenate([X, row])
    else:
        X_new = list(X) + list(row)
    return X_new, np.concatenate([np.asarray(y), np.asarray([label])])


def fit_clone(model: Any, X: Any, y: np.ndarray, seed: int) -> Any:
    """A clone of ``model`` fit on ``(X, y)``; a ``random_state=None`` inside becomes ``seed``.

    Fixing the seed makes the refits, and so the ranking, reproducible under the query's
    ``random_state``, and lets every candidate be judged by equally seeded clones. A
    model with no ``random_state`` at all (a skorch net) is fit with torch's global
    generator seeded by ``seed`` when torch is loaded, and the caller's generator state
    restored afterwards.
    """
    from sklearn.base import clone

    try:
        fresh = clone(model)
    except (TypeError, RuntimeError) as err:
        raise ActiveLabError(
            f"this strategy refits copies of the model, but {type(model).__name__} cannot be "
            f"cloned ({first_line(err)}); use a scikit-learn estimator"
        ) from err
    seeds = {
        key: value for key, value in fresh.get_params(deep=True).items()
        if key == "random_state" or key.endswith("__random_state")
    }
    unseeded = {key: seed for key, value in seeds.items() if value is None}
    if unseeded:
        fresh.set_params(**unseeded)
    try:
        if seeds or "torch" not in sys.modules:
            return fresh.fit(X, y)
        torch = sys.modules["torch"]
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return fresh.fit(X, y)
    except ValueError as err:
        raise ActiveLabError(
            f"could not fit a copy of {type(model).__name__} on {len(y)} labels "
            f"({first_line(err)}); this strategy refits copies of the model, so it must fit "
            "on variations of the labeled items: label more items first"
        ) from err


def refit_losses(
    model: Any, pool: Any, ids: np.ndarray, classes: np.ndarray, eval_chunks: list[Any],
    loss: str, seed: int,
) -> np.ndarray:
    """Summed loss on ``eval_chunks`` of a clone refit with each id under each class.

    One ``(ids, classes)`` array; every refit is a :func:`fit_clone` on the labeled items
    plus one, with BLAS limited to one thread (many small fits gain nothing from more,
    and lose much when the machine is busy).
    """
    X_labeled, y_labeled = pool.labeled_data()
    losses = np.empty((len(ids), len(classes)))
    with _one_blas_thread():
        for j in range(len(ids)):
            row = pool.items(ids[j : j + 1])
            for c, label in enumerate(classes):
                fitted = fit_clone(model, *append_item(X_labeled, y_labeled, row, label), seed)
                total = 0.0
                for chunk in eval_chunks:
                    p = np.asarray(fitted.predict_proba(chunk), dtype=float)
                    total += float(entropy(p).sum() if loss == "log" else (1 - p.max(axis=1)).sum())
                losses[j, c] = total
    return losses


def _one_blas_thread() -> Any:
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - scikit-learn depends on threadpoolctl
        from contextlib import nullcontext

        return nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


@register("eer_01")
class ExpectedErrorReduction(Strategy):
    """Expected error reduction (Roy & McCallum, 2001) on a shortlist of candidates.

    Roy & McCallum, "Toward optimal active learning through sampling estimation of error
    reduction", ICML 2001. For a candidate ``x`` and each class ``y``, a clone of the
    model is refit on the labeled items plus ``(x, y)``, and its expected loss is summed
    over a fixed random sample ``U`` of ``eval_sample`` unlabeled items (drawn once per
    query from ``random_state``, the same for every candidate): ``sum_u 1 - max p'(.|u)``
    for ``loss="zero_one"``, ``sum_u H(p'(.|u))`` (the entropy) for ``loss="log"``. The
    expectations are weighted by the current ``p(y|x)``; ``score = -expected loss``.

    Only the ``shortlist`` candidates of highest predictive entropy are evaluated. A
    batch larger than the shortlist is filled by entropy order below them (see
    :func:`shortlisted_ranking`); otherwise no other candidate is returned.

    How the model with one more label is found (``update``):

    * ``"refit"``: a clone is refit on ``pool.labeled_data()`` plus the item, for every
      candidate and class, with BLAS limited to one thread. Needs a model that
      ``sklearn.base.clone`` can copy and refit. Cost per query: ``shortlist * n_classes``
      refits, each followed by a prediction on ``eval_sample`` items; one clone, the
      labeled data plus one item, and ``eval_sample`` items in memory. A clone whose
      ``random_state`` is ``None`` gets one drawn from the query's ``random_state``.
    * ``"auto"`` (default): for a bare fitted ``GaussianNB`` or ``MultinomialNB`` the
      refit model is computed in closed form (the same ranking as ``"refit"``, up to
      rounding); for a bare L2-penalised ``LogisticRegression`` (multinomial or binary,
      no class weights, not liblinear, at most 3,000 weights) five line-searched Newton
      steps from the fitted weights approximate the refit, for all candidates and
      classes at once (:class:`~activelab.strategies.model_updates.LogisticUpdate`;
      on 200-candidate pools its top-10 agrees with ``"refit"`` in 9 or 10 of 10).
      Any other model is refit as with ``"refit"``.

    The caller's model is never refit.

    Parameters
    ----------
    loss : {"zero_one", "log"}
    shortlist : int
        How many candidates (by entropy) get the expensive evaluation.
    eval_sample : int
        How many unlabeled items the expected loss is summed over (all, if fewer).
    update : {"auto", "refit"}
        ``"refit"`` always refits clones; ``"auto"`` updates the models that allow it.

    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from activelab import Pool
    >>> from activelab.strategies.expected import ExpectedErrorReduction
    >>> X, y = load_iris(return_X_y=True)
    >>> pool = Pool(X)
    >>> pool.add_labels([0, 50, 100], y[[0, 50, 100]])
    >>> model = LogisticRegression().fit(*pool.labeled_data())
    >>> eer = ExpectedErrorReduction(shortlist=5, eval_sample=50)
    >>> len(eer.query(model, pool, 3, random_state=0).ids)
    3
    """

    contract_models = ("proba",)

    def __init__(
        self, loss: str = "zero_one", shortlist: int = 50, eval_sample: int = 500,
        update: str = "auto",
    ) -> None:
        self.loss = loss
        self.shortlist = shortlist
        self.eval_sample = eval_sample
        self.update = update

    @property
    def name(self) -> str:
        return "eer_log" if self.loss == "log" else "eer_01"

    def select_batch(self, outputs: ModelOutputs, k: int, rng: np.random.Generator) -> Query:
        model, pool = outputs.model, outputs.pool
        if self.loss not in LOSSES:
            raise ActiveLabError(f"loss must be one of {LOSSES}; got {self.loss!r}")
        if self.update not in UPDATES:
            raise ActiveLabError(f"update must be one of {UPDATES}; got {self.update!r}")
        update = self.update
        shortlist = check_int(self.shortlist, "shortlist")
        eval_sample = check_int(self.eval_sample, "eval_sample")
        proba = outputs.proba()
        classes = outputs.classes
        unlabeled = pool.unlabeled_ids
        if eval_sample < len(unlabeled):
            unlabeled = unlabeled[np.sort(rng.choice(len(unlabeled), eval_sample, replace=False))]
        step = outputs.chunk_size
        eval_chunks = [pool.items(unlabeled[s : s + step]) for s in range(0, len(unlabeled), step)]
        X_labeled, y_labeled = pool.labeled_data()
        position = {key: i for i, key in enumerate(outputs.ids.tolist())}
        seed = int(rng.integers(2**31))
        fast = None
        if update == "auto":
            with _one_blas_thread():
                fast = fast_update_for(model, X_labeled, y_labeled)

        def expected_loss(short_ids: np.ndarray) -> np.ndarray:
            if fast is None:
                losses = refit_losses(model, pool, short_ids, classes, eval_chunks, self.loss, seed)
            else:
                with _one_blas_thread():  # default threading was 1.9x slower on a busy machine
                    losses = np.concatenate([
                        fast.future_losses(pool.items(short_ids[s : s + step]), eval_chunks,
                                           self.loss)
                        for s in range(0, len(short_ids), step)
                    ])
            scores = np.empty(len(short_ids))
            for j, item in enumerate(short_ids):
                p_x = proba[position[item]]
                expected = 0.0
                for c in range(len(classes)):
                    expected += p_x[c] * losses[j, c]
                scores[j] = -expected
            return scores

        ids, scores = shortlisted_ranking(
            outputs.ids, entropy(proba), expected_loss, shortlist, k
        )
        return Query(ids=ids, scores=scores)


@register("eer_log")
class ExpectedLogLossReduction(ExpectedErrorReduction):
    """:class:`ExpectedErrorReduction` with ``loss="log"`` (expected entropy on the pool).

    >>> from activelab.strategies.expected import ExpectedLogLossReduction
    >>> ExpectedLogLossReduction().loss
    'log'
    """

    def __init__(self, shortlist: int = 50, eval_sample: int = 500, update: str = "auto") -> None:
        super().__init__(loss="log", shortlist=shortlist, eval_sample=eval_sample, update=update)


def _logistic_parts(model: Any) -> tuple[Any, Any]:
    """The fitted LogisticRegression and the pipeline steps before it (``None`` if bare)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    is_pipeline = isinstance(model, Pipeline)
    final = model[-1] if is_pipeline else model
    if not isinstance(final, LogisticRegression):
        raise ActiveLabError(
            "expected gradient length needs a LogisticRegression (or a Pipeline ending in "
            f"one), whose log-loss gradient has a closed form; got {type(final).__name__}"
        )
    if not hasattr(final, "coef_"):
        raise ActiveLabError("the LogisticRegression is not fitted; fit it on pool.labeled_data() first")
    solver_ovr = getattr(final, "multi_class", None) == "auto" and final.solver == "liblinear"
    if len(final.classes_) > 2 and (getattr(final, "multi_class", None) == "ovr" or solver_ovr):
        raise ActiveLabError(
            "expected gradient length derives the multinomial gradient, but this "
            "LogisticRegression is one-vs-rest; fit a multinomial one (solver='lbfgs')"
        )
    return final, (model[:-1] if is_pipeline else None)


def _squared_norms(rows: Any) -> np.ndarray:
    if sp.issparse(rows):
        return np.asarray(rows.multiply(rows).sum(axis=1), dtype=float).ravel()
    values = rows.to_numpy(dtype=float) if hasattr(rows, "to_numpy") else np.asarray(rows, float)
    return np.einsum("ij,ij->i", values, values)


@register("egl")
class ExpectedGradientLength(ScoringStrategy):
    """Expected gradient length for logistic regression (Settles, Craven & Ray, 2008).

    Settles, Craven & Ray, "Multiple-instance active learning", NIPS 2008. The score is
    the expected norm of the gradient of the log loss that labeling ``x`` would add to
    the training objective, ``sum_y p(y|x) ||grad_W loss(x, y)||``.

    With ``x~ = [x, 1]`` (no ``1`` without an intercept) and ``W`` the weights with the
    intercept as a last column, the multinomial log loss ``-log softmax(W x~)_y`` has the
    gradient ``(p - e_y) x~^T``, whose Frobenius norm is ``||p - e_y|| * ||x~||``. A
    binary scikit-learn LogisticRegression keeps a single row ``w`` with
    ``p(classes_[1]) = sigmoid(w . x~)``; its gradient is ``(p1 - [y = classes_[1]]) x~``,
    so ``score = (p0 p1 + p1 p0) ||x~|| = 2 p0 p1 ||x~||``. The regularisation term is left
    out: at the fitted optimum its gradient and the data's cancel, so the new item's
    gradient is the whole change.

    Needs a fitted ``LogisticRegression`` or a ``Pipeline`` ending in one (the items are
    then transformed by the steps before it, in chunks). Costs one ``predict_proba`` pass
    and one pass of the transform over the candidates, ``O(n * (classes + features))``
    time and ``O(n)`` extra memory.

    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from activelab import Pool
    >>> from activelab.strategies.expected import ExpectedGradientLength
    >>> X, y = load_iris(return_X_y=True)
    >>> pool = Pool(X)
    >>> pool.add_labels([0, 50, 100], y[[0, 50, 100]])
    >>> model = LogisticRegression().fit(*pool.labeled_data())
    >>> len(ExpectedGradientLength().query(model, pool, 5).ids)
    5
    """

    contract_models = ("proba",)

    def score(self, outputs: ModelOutputs, rng: np.random.Generator) -> np.ndarray:
        logistic, transform = _logistic_parts(outputs.model)

        def squared_norms(rows: Any) -> np.ndarray:
            return _squared_norms(rows if transform is None else transform.transform(rows))

        sq = outputs.of_items("egl_squared_norm", squared_norms)
        x_norm = np.sqrt(sq + (1.0 if logistic.fit_intercept else 0.0))
        proba = outputs.proba()
        if np.shape(logistic.coef_)[0] == 1:
            return 2.0 * proba[:, 0] * proba[:, 1] * x_norm
        sq_p = np.einsum("ij,ij->i", proba, proba)
        residual = np.sqrt(np.maximum(sq_p[:, None] - 2.0 * proba + 1.0, 0.0))
        return (proba * residual).sum(axis=1) * x_norm
