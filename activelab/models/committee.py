"""Committees: several models that vote, for query by committee.

:class:`Committee` fits clones of several models of your choice, on the same labeled data
or each on its own bootstrap sample or starting set, and averages their class
probabilities. Committee strategies also accept any fitted
scikit-learn ensemble that exposes its members as ``estimators_``
(``BaggingClassifier``, ``RandomForestClassifier``, ``ExtraTreesClassifier``,
``VotingClassifier``...): :func:`committee_members` reads each member's view of the
ensemble — the feature subset it was trained on and which of the ensemble's classes its
outputs stand for.

>>> import numpy as np
>>> from sklearn.linear_model import LogisticRegression
>>> from sklearn.naive_bayes import GaussianNB
>>> from activelab.models.committee import Committee
>>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
>>> committee = Committee([LogisticRegression(), GaussianNB()]).fit(X, [0, 0, 1, 1])
>>> len(committee.estimators_), committee.predict([[0.2], [2.9]]).tolist()
(2, [0, 1])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, clone

from ..errors import ActiveLabError

__all__ = ["Committee", "Member", "committee_members", "row_keys", "stratified_bootstrap"]


class Committee(ClassifierMixin, BaseEstimator):
    """A meta-estimator: clones of ``models``, each fit on its own view of the data, voting.

    Parameters
    ----------
    models : sequence of estimators
        Unfitted classifiers (any mix of types). ``fit`` fits a clone of each; the
        originals are never touched. Five copies of one model make a committee too, once
        ``bootstrap`` or ``start_share`` gives each its own data.
    bootstrap : bool, default False
        Fit each member on a bootstrap sample of its rows, drawn again at every fit
        (re-bagging, Abe & Mamitsuka 1998). The draw is stratified: each class keeps its
        count, so every member sees every class.
    start_share : float, optional
        Per-member starting sets, as modAL's query-by-committee tutorial gives each
        learner its own initial data: at the first fit each member keeps this share of
        each class's rows (at least one), drawn at random; the first fit's other rows stay
        out of that member for good, and every row labeled later goes to every member.
        Rows are recognised by their content (equal rows count as one item).
    random_state : int, optional
        Seeds the starting sets, the bootstrap draws (together with the fit count, so
        two runs with one seed agree) and every member whose own ``random_state`` is
        ``None`` (member ``i`` gets ``seed + i``). An :class:`~activelab.ActiveLoop` with
        an int ``random_state`` sets it when it is ``None``.

    Attributes
    ----------
    estimators_ : list
        The fitted clones, in the order of ``models``.
    classes_ : ndarray
        The labels seen in ``fit``, sorted.
    n_fits_ : int
        How many times ``fit`` ran (re-bagging draws from it).

    ``predict_proba`` is the mean of the members' probabilities, each aligned to
    ``classes_``; a member without ``predict_proba`` counts as a one-hot vote for the
    class it predicts. Fitting costs the sum of the members' fits; predicting, the sum
    of their predictions.
    """

    def __init__(self, models: Sequence[Any], bootstrap: bool = False,
                 start_share: float | None = None, random_state: int | None = None) -> None:
        self.models = models
        self.bootstrap = bootstrap
        self.start_share = start_share
        self.random_state = random_state

    def fit(self, X: Any, y: Any) -> Committee:
        models = list(self.models) if isinstance(self.models, (list, tuple)) else None
        if not models:
            raise ActiveLabError(
                "Committee needs a non-empty list of models, e.g. "
                "Committee([LogisticRegression(), GaussianNB()])"
            )
        y = np.asarray(y)
        if y.ndim != 1:
            raise ActiveLabError(
                f"Committee takes one label per item (a flat y); got shape {y.shape}"
            )
        self._check_options()
        first = not hasattr(self, "n_fits_") or not hasattr(self, "left_out_")
        self.n_fits_ = 0 if first else self.n_fits_
        self.classes_ = np.unique(y)
        keys = row_keys(X) if self.start_share is not None else None
        if first:
            self.left_out_ = self._starting_sets(keys, y, len(models))
        self.estimators_ = []
        for i, model in enumerate(models):
            rows = np.arange(len(y))
            if keys is not None and self.left_out_[i]:
                rows = rows[~np.isin(keys, list(self.left_out_[i]))]
            if self.bootstrap:
                rows = rows[stratified_bootstrap(y[rows], self._rng(i, 1, self.n_fits_))]
            self.estimators_.append(self._member(model, i).fit(_take(X, rows), y[rows]))
        self.n_fits_ += 1
        return self

    def _check_options(self) -> None:
        if self.bootstrap not in (True, False):
            raise ActiveLabError(f"bootstrap must be True or False; got {self.bootstrap!r}")
        share = self.start_share
        if share is not None and not (isinstance(share, (int, float)) and 0 < share <= 1):
            raise ActiveLabError(f"start_share must be None or a share in (0, 1]; got {share!r}")

    def _rng(self, member: int, purpose: int, fit: int = 0) -> np.random.Generator:
        """Draws for ``member``: ``purpose`` 0 the starting set, 1 the bootstrap of ``fit``."""
        base = 0 if self.random_state is None else int(self.random_state)
        return np.random.default_rng([base, member, purpose, fit])

    def _member(self, model: Any, i: int) -> Any:
        member = clone(model)
        if self.random_state is not None and "random_state" in member.get_params(deep=False) \
                and member.get_params(deep=False)["random_state"] is None:
            member.set_params(random_state=int(self.random_state) + i)
        return member

    def _starting_sets(self, keys: np.ndarray | None, y: np.ndarray, n_members: int) -> list[set]:
        """Per member, the keys of the first fit's rows it leaves out (none without a share)."""
        if keys is None:
            return [set() for _ in range(n_members)]
        out = []
        for i in range(n_members):
            rng = self._rng(i, 0)
            kept = np.zeros(len(y), dtype=bool)
            for label in np.unique(y):
                rows = np.flatnonzero(y == label)
                size = max(1, int(round(self.start_share * len(rows))))
                kept[rng.choice(rows, size=size, replace=False)] = True
            out.append(set(keys[~kept].tolist()) - set(keys[kept].tolist()))
        return out

    def predict_proba(self, X: Any) -> np.ndarray:
        self._check_fitted()
        members = committee_members(self)
        total = members[0].proba(X)
        for member in members[1:]:
            total += member.proba(X)
        return total / len(members)

    def predict(self, X: Any) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def _check_fitted(self) -> None:
        if not hasattr(self, "estimators_"):
            raise ActiveLabError("this Committee is not fitted; call fit(X, y) first")


def stratified_bootstrap(y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Row positions drawn with replacement within each class, each class keeping its count."""
    parts = [rng.choice(np.flatnonzero(y == label), size=int((y == label).sum()))
             for label in np.unique(y)]
    return np.sort(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)


def row_keys(X: Any) -> np.ndarray:
    """A content key per row (a hash of its values), to recognise items across fits."""
    import hashlib

    if _is_dataframe(X):
        X = X.to_numpy()
    if sp.issparse(X):
        X = X.tocsr()
        rows = (X.data[X.indptr[i]:X.indptr[i + 1]].tobytes()
                + X.indices[X.indptr[i]:X.indptr[i + 1]].tobytes() for i in range(X.shape[0]))
    else:
        values = np.asarray(X)
        rows = (repr(v).encode() if values.dtype == object else v.tobytes() for v in values)
    return np.array([hashlib.blake2b(r, digest_size=8).hexdigest() for r in rows])


def _take(X: Any, rows: np.ndarray) -> Any:
    if _is_dataframe(X):
        return X.iloc[rows]
    if sp.issparse(X):
        return X.tocsr()[rows]
    return np.asarray(X)[rows] if not isinstance(X, np.ndarray) else X[rows]


@dataclass(frozen=True)
class Member:
    """One member of a fitted ensemble, seen through the ensemble.

    ``features`` are the columns the member was trained on (``None``: all of them) and
    ``columns[j]`` is the position in the ensemble's ``classes_`` of the member's ``j``-th
    class. :meth:`proba` and :meth:`vote` take items as the ensemble takes them.
    """

    estimator: Any
    features: np.ndarray | None
    columns: np.ndarray
    n_classes: int

    def proba(self, X: Any) -> np.ndarray:
        """Class probabilities aligned to the ensemble's classes; zero for classes the member lacks.

        A member without ``predict_proba`` gives a one-hot row for the class it predicts.
        """
        rows = self._rows(X)
        if not hasattr(self.estimator, "predict_proba"):
            votes = self._positions(self.estimator.predict(rows))
            out = np.zeros((len(votes), self.n_classes))
            out[np.arange(len(votes)), votes] = 1.0
            return out
        own = np.asarray(self.estimator.predict_proba(rows), dtype=float)
        out = np.zeros((own.shape[0], self.n_classes))
        out[:, self.columns] = own
        return out

    def vote(self, X: Any) -> np.ndarray:
        """The position in the ensemble's ``classes_`` of the class the member predicts."""
        return self._positions(self.estimator.predict(self._rows(X)))

    def _positions(self, predicted: Any) -> np.ndarray:
        own_classes = np.asarray(self.estimator.classes_)
        index = np.searchsorted(own_classes, predicted)
        index = np.clip(index, 0, len(own_classes) - 1)
        if not np.array_equal(own_classes[index], np.asarray(predicted)):
            raise ActiveLabError(
                f"a {type(self.estimator).__name__} member predicted a label outside its "
                "classes_; committee members must be classifiers"
            )
        return self.columns[index]

    def _rows(self, X: Any) -> Any:
        if self.features is not None:
            return _as_matrix(X)[:, self.features]
        if _is_dataframe(X) and not hasattr(self.estimator, "feature_names_in_"):
            return _as_matrix(X)
        return X


def committee_members(model: Any) -> list[Member]:
    """The members of a fitted ensemble (anything with ``estimators_`` and ``classes_``).

    Raises :class:`~activelab.errors.ActiveLabError` for a model that is no ensemble, an
    ensemble that is not fitted, or members that are not classifiers.
    """
    if model is None:
        raise ActiveLabError("query by committee needs a fitted ensemble; got model=None")
    name = type(model).__name__
    estimators = getattr(model, "estimators_", None)
    if estimators is None:
        if isinstance(model, Committee) or hasattr(model, "n_estimators"):
            raise ActiveLabError(f"this {name} is not fitted; fit it on pool.labeled_data() first")
        raise ActiveLabError(
            f"query by committee needs an ensemble with estimators_, and {name} has none; "
            "use activelab.models.committee.Committee([model_a, model_b, ...]) or a BaggingClassifier"
        )
    classes = getattr(model, "classes_", None)
    if classes is None or isinstance(classes, list) or np.ndim(classes) != 1:
        raise ActiveLabError(
            f"query by committee needs a single-output classifier ensemble; {name} has no "
            "flat classes_ (multi-output and regression ensembles are not supported here)"
        )
    flat = estimators.ravel().tolist() if isinstance(estimators, np.ndarray) else list(estimators)
    members_list = [e for e in flat if not (isinstance(e, str) and e == "drop")]
    if not members_list:
        raise ActiveLabError(f"this {name} has no members in estimators_; fit it with some")
    feature_sets = getattr(model, "estimators_features_", None)
    by_position = _trains_members_on_positions(model)
    members = []
    for i, estimator in enumerate(members_list):
        if not hasattr(estimator, "predict") or not hasattr(estimator, "classes_"):
            raise ActiveLabError(
                f"member {i} of this {name} is a {type(estimator).__name__}, not a fitted "
                "classifier; query by committee needs classifier members"
            )
        features = None if feature_sets is None else np.asarray(feature_sets[i])
        columns = _columns(np.asarray(estimator.classes_), np.asarray(classes), by_position, i)
        members.append(Member(estimator, features, columns, len(classes)))
    return members


def _trains_members_on_positions(model: Any) -> bool:
    """Ensembles whose members learn ``0..k-1`` (positions in ``classes_``), not the labels."""
    from sklearn.ensemble import (
        BaggingClassifier,
        ExtraTreesClassifier,
        RandomForestClassifier,
        StackingClassifier,
        VotingClassifier,
    )

    return isinstance(
        model,
        (BaggingClassifier, ExtraTreesClassifier, RandomForestClassifier, StackingClassifier,
         VotingClassifier),
    )


def _columns(
    member_classes: np.ndarray, classes: np.ndarray, by_position: bool, i: int
) -> np.ndarray:
    if by_position:
        positions = np.asarray(member_classes, dtype=float)
        columns = positions.astype(int)
        if np.all(positions == columns) and np.all((columns >= 0) & (columns < len(classes))):
            return columns
    else:
        columns = np.searchsorted(classes, member_classes)
        columns = np.clip(columns, 0, len(classes) - 1)
        if np.array_equal(classes[columns], member_classes):
            return columns
    raise ActiveLabError(
        f"member {i} knows classes {member_classes[:5].tolist()} that the ensemble's classes_ "
        f"{classes[:5].tolist()} do not hold; fit the members on the ensemble's labels"
    )


def _is_dataframe(X: Any) -> bool:
    return hasattr(X, "iloc") and hasattr(X, "columns")


def _as_matrix(X: Any) -> Any:
    """Items as the scikit-learn ensembles see them: a CSR/CSC matrix or a NumPy array."""
    if sp.issparse(X):
        return X.tocsr() if X.format not in ("csr", "csc") else X
    if _is_dataframe(X):
        return X.to_numpy()
    return np.asarray(X)
