"""What a model would predict with one more label, without refitting it from scratch.

Expected error reduction asks, for every candidate ``x`` and every class ``y``, what the
model fit on the labeled items plus ``(x, y)`` predicts on an evaluation sample. Refitting
a clone for each pair is exact and slow (``candidates * classes`` fits). For some models
the answer has a cheaper form, computed here for a block of candidates at once:

* :class:`GaussianNBUpdate`, :class:`MultinomialNBUpdate`: adding one item changes a
  naive Bayes model's counts, means and variances in closed form, so the updated model is
  the refit model (up to floating-point rounding).
* :class:`LogisticUpdate`: a multinomial (or binary) L2-penalised logistic regression,
  moved from its fitted weights by a few line-searched Newton steps towards the refit's
  optimum. The labeled items' Hessian at the fitted weights is inverted once per query and
  kept; the new item's curvature enters by a rank-``classes`` (Woodbury) correction, so a
  step for every ``(x, y)`` pair costs a few matrix products, not a fit. It approximates
  the refit, which itself stops at the solver's tolerance: the steps stop after
  ``steps`` (5), and with the labeled Hessian held fixed they converge linearly.

:func:`fast_update_for` picks the update for a model, or ``None`` when there is none.
Every update answers :meth:`future_losses`: the loss each ``(x, y)`` leaves on the
evaluation items, summed, as a ``(candidates, classes)`` array.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import scipy.sparse as sp

__all__ = [
    "GaussianNBUpdate",
    "LogisticUpdate",
    "MultinomialNBUpdate",
    "fast_update_for",
    "summed_loss",
]

#: Above this many weights (classes x (features + 1)) the logistic update's inverse
#: Hessian (weights^2 floats, 72 MB at 3,000) is not worth holding: refit instead.
MAX_LOGISTIC_WEIGHTS = 3000
#: Elements of one block of future logits or log-likelihoods (about 32 MB of float64).
BLOCK_ELEMENTS = 4_000_000


def summed_loss(logits: np.ndarray, loss: str, classes_axis: int = -1) -> np.ndarray:
    """The loss of ``softmax(logits)`` over ``classes_axis``, summed over axis 0 (the items).

    ``loss="zero_one"``: ``1 - max p``; ``loss="log"``: the entropy of ``p``. The sum is
    taken in float64 whatever the dtype of ``logits``.
    """
    top = logits.max(axis=classes_axis, keepdims=True)
    shifted = logits - top
    exp = np.exp(shifted)
    total = exp.sum(axis=classes_axis)
    if loss == "log":
        values = np.log(total) - (exp * shifted).sum(axis=classes_axis) / total
    else:
        values = 1.0 - 1.0 / total
    return values.sum(axis=0, dtype=float)


def _dense(rows: Any) -> np.ndarray:
    if sp.issparse(rows):
        return rows.toarray().astype(float)
    return rows.to_numpy(dtype=float) if hasattr(rows, "to_numpy") else np.asarray(rows, float)


def _with_intercept(rows: Any, intercept: bool) -> Any:
    """Rows as float64 (CSR if sparse), with a column of ones when there is an intercept."""
    if sp.issparse(rows):
        rows = sp.csr_matrix(rows, dtype=float)
        return sp.hstack([rows, np.ones((rows.shape[0], 1))], format="csr") if intercept else rows
    dense = _dense(rows)
    return np.hstack([dense, np.ones((len(dense), 1))]) if intercept else dense


def _numeric(rows: Any) -> bool:
    if sp.issparse(rows):
        return True
    try:
        values = rows.to_numpy() if hasattr(rows, "to_numpy") else np.asarray(rows)
    except (TypeError, ValueError):
        return False
    return values.ndim == 2 and np.issubdtype(values.dtype, np.number)


def _blocks(n: int, per_item: int) -> Iterable[slice]:
    step = max(1, BLOCK_ELEMENTS // max(per_item, 1))
    return (slice(s, min(s + step, n)) for s in range(0, n, step))


class LogisticUpdate:
    """Newton steps from a fitted L2 logistic regression to its refit with one more item.

    With ``G`` rows of weights ``W`` (``G = classes``, or 1 for a binary model), items
    ``x~ = [x, 1]`` (no ``1`` without an intercept) and scikit-learn's objective
    ``F(W) = sum_i loss(W x~_i, y_i) + ||W without intercepts||^2 / (2C)``, the refit on
    the labeled items plus ``(x, y)`` minimises ``F(W) + loss(W x~, y)``. From the fitted
    ``W0`` each step moves ``W`` along ``-H'^-1 grad``, ``H' = H(W0) + (I (x) x~) A (I (x) x~)^T``:
    the labeled items' Hessian at ``W0`` plus the new item's softmax curvature ``A`` at
    ``W``, inverted by the Woodbury identity from ``H(W0)^-1`` (see
    :meth:`updated_weights` for the step length). A multinomial model's intercepts can
    all shift together without changing a prediction; that direction, absent from every
    gradient, gets curvature so that ``H`` is invertible.

    Costs ``O(n_labeled * G^2 * D^2 + (G * D)^3)`` once, then per candidate block
    ``O(steps * pairs * (G * D)^2 + pairs * n_eval * G * D)`` with ``pairs = block * classes``.
    """

    def __init__(self, model: Any, X: Any, y: np.ndarray, steps: int = 5) -> None:
        self.steps = steps
        self.intercept = bool(model.fit_intercept)
        coef = np.asarray(model.coef_, dtype=float)
        columns = [coef, np.asarray(model.intercept_, float)[:, None]] if self.intercept else [coef]
        self.weights = np.hstack(columns)
        self.G, self.D = self.weights.shape
        n_classes = len(model.classes_)
        # targets[c] is the logit-space target of class c: one-hot, or [c == 1] if binary
        self.targets = np.eye(n_classes) if self.G > 1 else np.array([[0.0], [1.0]])
        self.penalty = np.full(self.D, 1.0 / float(model.C))
        if self.intercept:
            self.penalty[-1] = 0.0
        self.X = _with_intercept(X, self.intercept)
        index = {label: c for c, label in enumerate(model.classes_.tolist())}
        self.T = self.targets[[index[label] for label in np.asarray(y).tolist()]]
        self.T_first = np.ascontiguousarray(self.T.T[:, None, :])  # (G, 1, n), as the logits
        self.inverse = self._inverse_hessian()
        self.inverse32 = self.inverse.astype(np.float32)

    def _proba(self, logits: np.ndarray, axis: int = -1) -> np.ndarray:
        if self.G == 1:
            return 1.0 / (1.0 + np.exp(-logits))
        shifted = np.exp(logits - logits.max(axis=axis, keepdims=True))
        return shifted / shifted.sum(axis=axis, keepdims=True)

    def _losses(self, logits: np.ndarray, targets: np.ndarray, axis: int = -1) -> np.ndarray:
        """Log loss of ``logits`` against ``targets``, the classes along ``axis``."""
        if self.G == 1:
            return (np.logaddexp(0.0, logits) - targets * logits).sum(axis=axis)
        top = logits.max(axis=axis, keepdims=True)
        lse = np.log(np.exp(logits - top).sum(axis=axis)) + top.squeeze(axis)
        return lse - (logits * targets).sum(axis=axis)

    def _curvature(self, p: np.ndarray) -> np.ndarray:
        if self.G == 1:
            return (p * (1.0 - p))[..., None]
        return np.einsum("...g,gh->...gh", p, np.eye(self.G)) - p[..., :, None] * p[..., None, :]

    def _bound(self) -> np.ndarray:
        if self.G == 1:
            return np.full((1, 1), 0.25)
        return 0.5 * (np.eye(self.G) - 1.0 / self.G)

    def _inverse_hessian(self) -> np.ndarray:
        from scipy.linalg import cho_factor, cho_solve

        G, D = self.G, self.D
        A = self._curvature(self._proba(self._logits(self.weights[None])[:, 0].T))
        H = np.empty((G, D, G, D))
        for g in range(G):
            for h in range(g, G):
                block = self.X.T @ (self.X.multiply(A[:, g, h][:, None]) if sp.issparse(self.X)
                                    else self.X * A[:, g, h][:, None])
                H[g, :, h, :] = H[h, :, g, :] = np.asarray(block.todense() if sp.issparse(block)
                                                           else block).T
            H[g, :, g, :] += np.diag(self.penalty)
        H = H.reshape(G * D, G * D)
        if G > 1 and self.intercept:
            null = np.zeros((G, D))
            null[:, -1] = 1.0 / np.sqrt(G)
            H += np.outer(null.ravel(), null.ravel()) * np.mean(np.diag(H))
        return cho_solve(cho_factor(H), np.eye(G * D))

    def _logits(self, W: np.ndarray) -> np.ndarray:
        """Labeled items' logits under each of the weights ``W`` (m, G, D): (G, m, n).

        Classes first, so that reductions over them run over whole (m, n) slices.
        """
        m = len(W)
        flat = np.ascontiguousarray(W.transpose(1, 0, 2)).reshape(-1, self.D)
        product = self.X @ flat.T  # (n, G * m), also for sparse X
        return np.ascontiguousarray(np.asarray(product).T).reshape(self.G, m, -1)

    def _state(self, W: np.ndarray, rows: np.ndarray, targets: np.ndarray) -> tuple:
        """Objective with one more item at weights ``W`` (m, G, D), and the logits behind it."""
        labeled = self._logits(W)
        own = np.einsum("mgd,md->mg", W, rows)
        objective = (self._losses(labeled, self.T_first, axis=0).sum(axis=-1)
                     + self._losses(own, targets)
                     + 0.5 * np.einsum("mgd,d->m", W * W, self.penalty))
        return objective, labeled, own

    def _gradient(self, W, rows, targets, labeled, own) -> np.ndarray:
        """Gradient of the objective with one more item at weights ``W`` (m, G, D)."""
        residual = self._proba(labeled, axis=0) - self.T_first
        flat = residual.reshape(-1, residual.shape[-1])  # (G * m, n)
        data = np.asarray((self.X.T @ flat.T).T).reshape(self.G, len(W), self.D)
        own_residual = self._proba(own) - targets
        return data.transpose(1, 0, 2) + W * self.penalty + own_residual[..., None] * rows[:, None, :]

    def _solver(self, rows: np.ndarray, n_classes: int):
        """``(v, A, pairs) -> (H + U A U^T)^-1 v`` for the candidate of each pair.

        ``rows`` (b, D) are the candidates, pair ``j`` is candidate ``j // n_classes``;
        ``v`` is (len(pairs), P), ``A`` (len(pairs), G, G) or one (G, G). In float32: the
        result is a step direction, and the line search judges it in float64.
        """
        b, G, D = len(rows), self.G, self.D
        P = G * D
        HU = np.einsum("pgd,bd->bpg", self.inverse.reshape(P, G, D), rows).astype(np.float32)
        M = np.einsum("bhdg,bd->bhg", HU.reshape(b, G, D, G), rows)

        def solve(v: np.ndarray, A: np.ndarray, pairs: np.ndarray) -> np.ndarray:
            owner = pairs // n_classes
            A = np.broadcast_to(A, (len(pairs), G, G))
            S = np.swapaxes(np.linalg.solve(np.eye(G) + A @ M[owner], A), -1, -2)
            v32 = v.astype(np.float32)
            HU_pairs = HU[owner]
            t = np.einsum("jpg,jp->jg", HU_pairs, v32)
            out = v32 @ self.inverse32
            out -= np.einsum("jpg,jg->jp", HU_pairs, np.einsum("jgh,jh->jg", S, t).astype(np.float32))
            return out.astype(float)

        return solve

    def updated_weights(self, rows: Any) -> np.ndarray:
        """The weights after adding each candidate with each class: (b, classes, G, D).

        Each step tries ``W - t * H'^-1 grad`` for ``t`` = 1, 1/2, 1/4, 1/8 and keeps the
        first that lowers the pair's objective, with ``H'`` holding the new item's
        curvature at ``W``; a pair that none lowers tries again with the softmax's upper
        bound on that curvature (Boehning's ``(I - 1 1^T / G) / 2``), a shorter, safe
        step. The objective never rises.
        """
        X = _with_intercept(rows, self.intercept)
        X = X.toarray() if sp.issparse(X) else X
        b, K, G, D = len(X), len(self.targets), self.G, self.D
        solve = self._solver(X, K)
        pair_rows = np.repeat(X, K, axis=0)
        targets = np.tile(self.targets, (b, 1))
        W = np.broadcast_to(self.weights, (b * K, G, D)).copy()
        state = self._state(W, pair_rows, targets)
        for _ in range(self.steps):
            gradient = self._gradient(W, pair_rows, targets, state[1], state[2])
            gradient = gradient.reshape(b * K, G * D)
            curvature = self._curvature(self._proba(state[2]))
            todo = np.arange(b * K)
            for exact in (True, False):
                if len(todo) == 0:
                    break
                A = curvature[todo] if exact else self._bound()
                step = np.zeros_like(W)
                step[todo] = solve(gradient[todo], A, todo).reshape(-1, G, D)
                todo = self._line_search(W, step, todo, state, pair_rows, targets)
        return W.reshape(b, K, G, D)

    def _line_search(self, W, step, todo, state, rows, targets) -> np.ndarray:
        """Move the pairs ``todo`` along ``-step`` where that lowers their objective.

        Updates ``W`` and ``state`` (objective, labeled logits, own logits) in place and
        returns the pairs that no step length of 1, 1/2, 1/4 or 1/8 improved. Logits are
        linear in the weights, so every step length reuses one product for the step.
        """
        objective, labeled, own = state
        every = len(todo) == len(W)
        pick = slice(None) if every else todo  # a view, not a copy, when all pairs move
        s, w = step[pick], W[pick]
        d_labeled, d_own = self._logits(s), np.einsum("mgd,md->mg", s, rows[pick])
        quad = np.stack([np.einsum("mgd,mgd,d->m", u, v, self.penalty)
                         for u, v in ((w, w), (w, s), (s, s))])
        left: Any = slice(None)
        scale = 1.0
        for _ in range(4):
            at = todo[left]
            t_labeled = (labeled if every and isinstance(left, slice) else labeled[:, at])
            t_labeled = t_labeled - scale * d_labeled[:, left]
            t_own = own[at] - scale * d_own[left]
            penalty = 0.5 * (quad[0, left] - 2 * scale * quad[1, left] + scale**2 * quad[2, left])
            t_objective = (self._losses(t_labeled, self.T_first, axis=0).sum(axis=-1)
                           + self._losses(t_own, targets[at]) + penalty)
            better = t_objective <= objective[at]
            done = at[better]
            W[done] -= scale * step[done]
            objective[done] = t_objective[better]
            labeled[:, done], own[done] = t_labeled[:, better], t_own[better]
            left = np.arange(len(todo))[left][~better]
            if len(left) == 0:
                break
            scale /= 2
        return todo[left]

    def future_losses(self, rows: Any, eval_chunks: list[Any], loss: str) -> np.ndarray:
        n_rows = rows.shape[0]
        n_classes = len(self.targets)
        out = np.zeros((n_rows, n_classes))
        # the future logits and losses in float32: they are summed in float64
        evals = [_with_intercept(chunk, self.intercept).astype(np.float32) for chunk in eval_chunks]
        longest = max(e.shape[0] for e in evals)
        for block in _blocks(n_rows, longest * n_classes * max(self.G, 2)):
            W = self.updated_weights(rows[block]).reshape(-1, self.G, self.D)
            flat = np.ascontiguousarray(W.transpose(1, 0, 2), dtype=np.float32).reshape(-1, self.D)
            for E in evals:
                logits = np.asarray(E @ flat.T).reshape(E.shape[0], self.G, -1)
                if self.G == 1:
                    logits = np.concatenate([np.zeros_like(logits), logits], axis=1)
                out[block] += summed_loss(logits, loss, classes_axis=1).reshape(-1, n_classes)
        return out


class GaussianNBUpdate:
    """GaussianNB with one more item, in closed form: the refit model's predictions.

    Adding ``x`` to class ``y`` updates that class's count, mean and variance (Welford),
    the class priors, and the variance smoothing ``var_smoothing * max(var(X))`` over all
    labeled items; the other classes keep their means and unsmoothed variances.
    """

    def __init__(self, model: Any, X: Any, y: np.ndarray) -> None:
        self.priors = None if model.priors is None else np.asarray(model.priors, float)
        self.smoothing = float(model.var_smoothing)
        self.counts = np.asarray(model.class_count_, float)
        self.means = np.asarray(model.theta_, float)
        self.raw_var = np.asarray(model.var_, float) - model.epsilon_
        labeled = _dense(X)
        self.n = len(labeled)
        self.mean_all = labeled.mean(axis=0)
        self.m2_all = ((labeled - self.mean_all) ** 2).sum(axis=0)

    @staticmethod
    def _jll(E: np.ndarray, means: np.ndarray, var: np.ndarray) -> np.ndarray:
        """Log-likelihoods without the prior, (n_eval, K), as GaussianNB computes them."""
        constant = -0.5 * np.log(2.0 * np.pi * var).sum(axis=-1)
        squared = np.empty((len(E), len(means)))
        for rows in _blocks(len(E), means.size):  # at most BLOCK_ELEMENTS at a time
            squared[rows] = ((E[rows, None, :] - means[None]) ** 2 / var[None]).sum(axis=-1)
        return constant[None] - 0.5 * squared

    def future_losses(self, rows: Any, eval_chunks: list[Any], loss: str) -> np.ndarray:
        X = _dense(rows)
        K = len(self.counts)
        evals = [_dense(chunk) for chunk in eval_chunks]
        out = np.zeros((len(X), K))
        for i, x in enumerate(X):
            n = self.n + 1
            mean_all = self.mean_all + (x - self.mean_all) / n
            epsilon = self.smoothing * ((self.m2_all + (x - self.mean_all) * (x - mean_all)) / n).max()
            count = self.counts + 1.0
            means = self.means + (x - self.means) / count[:, None]
            raw_var = (self.raw_var * self.counts[:, None]
                       + (x - self.means) * (x - means)) / count[:, None]
            if self.priors is None:
                log_prior = np.log((self.counts + np.eye(K)) / n)  # row y: priors if x is y
            else:
                log_prior = np.broadcast_to(np.log(self.priors), (K, K))
            for E in evals:
                old = self._jll(E, self.means, self.raw_var + epsilon)
                new = self._jll(E, means, raw_var + epsilon)
                jll = np.broadcast_to(old[:, None, :], (len(E), K, K)).copy()
                jll[:, np.arange(K), np.arange(K)] = new
                out[i] += summed_loss(jll + log_prior[None], loss)
        return out


class MultinomialNBUpdate:
    """MultinomialNB with one more item, in closed form: the refit model's predictions.

    Adding ``x`` to class ``y`` adds ``x`` to that class's feature counts and one to its
    count; the smoothed log-probabilities follow as in ``MultinomialNB``.
    """

    def __init__(self, model: Any) -> None:
        alpha = model._check_alpha() if hasattr(model, "_check_alpha") else model.alpha
        self.smoothed = np.asarray(model.feature_count_, float) + alpha
        self.counts = np.asarray(model.class_count_, float)
        self.class_prior = model.class_prior
        self.fit_prior = model.fit_prior

    def _log_prior(self, counts: np.ndarray) -> np.ndarray:
        if self.class_prior is not None:
            return np.broadcast_to(np.log(np.asarray(self.class_prior, float)), counts.shape)
        if self.fit_prior:
            with np.errstate(divide="ignore"):
                return np.log(counts) - np.log(counts.sum(axis=-1, keepdims=True))
        return np.full(counts.shape, -np.log(counts.shape[-1]))

    def future_losses(self, rows: Any, eval_chunks: list[Any], loss: str) -> np.ndarray:
        K, d = self.smoothed.shape
        log_prob = np.log(self.smoothed) - np.log(self.smoothed.sum(axis=1, keepdims=True))
        log_prior = self._log_prior(self.counts + np.eye(K))  # row y: priors if x is y
        out = np.zeros((rows.shape[0], K))
        longest = max(chunk.shape[0] for chunk in eval_chunks)
        evals = [sp.csr_matrix(chunk, dtype=float) if sp.issparse(chunk) else _dense(chunk)
                 for chunk in eval_chunks]
        for block in _blocks(rows.shape[0], max(longest * K * K, K * d)):
            X = _dense(rows[block])  # only a block of candidates is ever dense
            grown = self.smoothed[None] + X[:, None, :]  # (b, K, d): class y's counts with x
            new = np.log(grown) - np.log(grown.sum(axis=2, keepdims=True))
            b = len(grown)
            for E in evals:
                old = np.asarray(E @ log_prob.T)
                changed = np.asarray(E @ new.reshape(b * K, -1).T).reshape(-1, b, K)
                jll = np.broadcast_to(old[:, None, None, :], (len(old), b, K, K)).copy()
                jll[:, :, np.arange(K), np.arange(K)] = changed
                out[block] += summed_loss(jll + log_prior, loss)
        return out


def _logistic_ok(model: Any) -> bool:
    """A bare, fitted, L2-penalised, multinomial (or binary) LogisticRegression."""
    from sklearn.linear_model import LogisticRegression

    if type(model) is not LogisticRegression or not hasattr(model, "coef_"):
        return False
    params = model.get_params()
    penalty = params.get("penalty", "l2")
    l1_ratio = params.get("l1_ratio")
    if penalty not in ("l2", "deprecated") or l1_ratio not in (None, 0, 0.0):
        return False
    if params.get("class_weight") is not None or params.get("solver") == "liblinear":
        return False
    if params.get("multi_class", "auto") == "ovr" and len(model.classes_) > 2:
        return False
    C = float(params["C"])
    weights = np.shape(model.coef_)[0] * (np.shape(model.coef_)[1] + 1)
    return 0 < C < np.inf and weights <= MAX_LOGISTIC_WEIGHTS


def fast_update_for(model: Any, X: Any, y: np.ndarray) -> Any:
    """The closed-form or Newton update for ``model`` fit on ``(X, y)``, or ``None``.

    ``None`` for any model other than a bare fitted ``LogisticRegression`` (L2 penalty,
    no class weights, not liblinear, at most :data:`MAX_LOGISTIC_WEIGHTS` weights),
    ``GaussianNB`` or ``MultinomialNB``, and for labeled items that are not numeric rows.
    """
    from sklearn.naive_bayes import GaussianNB, MultinomialNB

    if not _numeric(X):
        return None
    if _logistic_ok(model):
        try:
            return LogisticUpdate(model, X, y)
        except np.linalg.LinAlgError:
            return None
    if type(model) is GaussianNB and hasattr(model, "theta_"):
        return GaussianNBUpdate(model, X, y)
    if type(model) is MultinomialNB and hasattr(model, "feature_count_"):
        return MultinomialNBUpdate(model)
    return None

