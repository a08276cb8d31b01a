"""One measurement, run in a fresh process by benchmarks/peers.py and benchmarks/scale.py.

    python benchmarks/measure.py '{"task": "uncertainty", "lib": "activelab", "n": 100000, ...}'

Loads the synthetic pool written by the driver, fits the model and sets up the
library's own state (pool, labels, learner) outside the measurement; then resets the
process's peak resident memory (``/proc/self/clear_refs``), runs one query, and prints
one JSON line: the query's wall time, and its peak resident memory above what the
process held just before the query (data and model included in that baseline).
With ``"repeats"`` the query runs again in the same process (while the runs so far
took under ``"repeat_within"`` seconds, default 20) and the best time is reported:
other processes on a shared machine only ever add time.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
import warnings
from pathlib import Path

import numpy as np

warnings.filterwarnings("ignore")


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def load(case: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    folder = Path(case["data"])
    mmap = "r" if case.get("mmap") else None
    X = np.load(folder / "X.npy", mmap_mode=mmap)
    y = np.load(folder / "y.npy")
    labeled = np.load(folder / "labeled.npy")
    return X, y, labeled


def fit_model(case: dict, X: np.ndarray, y: np.ndarray, labeled: np.ndarray):
    from sklearn.linear_model import LogisticRegression

    # Fit on the float32 rows as they are: scikit-learn then keeps float32 coefficients and
    # predicts without a float64 copy of the pool (modAL's ActiveLearner refits the model
    # it is given on the same rows, so every library sees this very model).
    Xl = np.asarray(X[labeled])
    if case["task"] == "qbc":
        return [
            LogisticRegression(C=c, max_iter=300).fit(Xl, y[labeled])
            for c in (0.01, 0.1, 1.0, 10.0, 100.0)
        ]
    return LogisticRegression(max_iter=300).fit(Xl, y[labeled])


# ---- the libraries -------------------------------------------------------------------------


def setup_floor(case, X, y, labeled, model):
    unlabeled = np.setdiff1d(np.arange(len(X)), labeled)
    batch = case["batch"]

    def query():
        proba = model.predict_proba(X[unlabeled])
        utility = 1.0 - proba.max(axis=1)
        if batch < len(utility):
            return unlabeled[np.argpartition(-utility, batch)[:batch]]
        return unlabeled

    return query


ACTIVELAB_STRATEGY = {
    "uncertainty": "least_confidence",
    "kcenter": "coreset",
    "ranked": "ranked_batch",
    "badge": "badge",
    "qbc": "vote_entropy",
}


def setup_activelab(case, X, y, labeled, model):
    from activelab import Pool, strategies
    from activelab.models.committee import Committee

    if case.get("mmap"):  # the pool is built inside the measurement: its memory counts
        from activelab.data.sources import NpyRows

        def query():
            pool = Pool(NpyRows(Path(case["data"]) / "X.npy"))
            pool.add_labels(labeled, y[labeled])
            strategy = strategies.get(ACTIVELAB_STRATEGY[case["task"]])
            return strategy.query(model, pool, case["batch"], random_state=0).ids

        return query
    pool = Pool(X)
    pool.add_labels(labeled, y[labeled])
    if case["task"] == "qbc":
        committee = Committee([m for m in model])
        committee.estimators_, committee.classes_ = list(model), model[0].classes_
        model = committee
    strategy = strategies.get(ACTIVELAB_STRATEGY[case["task"]])
    return lambda: strategy.query(model, pool, case["batch"], random_state=0).ids


def setup_skactiveml(case, X, y, labeled, model):
    from skactiveml.classifier import SklearnClassifier
    from skactiveml.pool import Badge, CoreSet, QueryByCommittee, UncertaintySampling
    from skactiveml.utils import MISSING_LABEL

    classes = np.unique(y)
    y_al = np.full(len(X), MISSING_LABEL)
    y_al[labeled] = y[labeled]
    Xf = np.asarray(X)

    def wrapped(estimator):
        return SklearnClassifier(estimator, classes=classes, random_state=0).fit(
            Xf[labeled], y[labeled]
        )

    task, batch = case["task"], case["batch"]
    if task == "uncertainty":
        clf, qs = wrapped(model), UncertaintySampling(method="least_confident", random_state=0)
        return lambda: qs.query(Xf, y_al, clf, fit_clf=False, batch_size=batch)
    if task == "kcenter":
        qs = CoreSet(random_state=0)
        return lambda: qs.query(Xf, y_al, batch_size=batch)
    if task == "badge":
        clf, qs = wrapped(model), Badge(random_state=0)
        return lambda: qs.query(Xf, y_al, clf, fit_clf=False, batch_size=batch)
    if task == "qbc":
        ensemble = [wrapped(m) for m in model]
        qs = QueryByCommittee(method="vote_entropy", random_state=0)
        return lambda: qs.query(Xf, y_al, ensemble, fit_ensemble=False, batch_size=batch)
    raise SystemExit(f"scikit-activeml has no {task}")


def setup_modal(case, X, y, labeled, model):
    from modAL.batch import ranked_batch
    from modAL.disagreement import vote_entropy
    from modAL.models import ActiveLearner, Committee
    from modAL.uncertainty import classifier_uncertainty, uncertainty_sampling

    unlabeled = np.setdiff1d(np.arange(len(X)), labeled)
    Xf = np.asarray(X)
    task, batch = case["task"], case["batch"]

    def learner(estimator):
        active = ActiveLearner(estimator=estimator, X_training=Xf[labeled], y_training=y[labeled])
        active.estimator = estimator  # keep the model fitted above
        return active

    if task == "uncertainty":
        active = learner(model)
        return lambda: unlabeled[_indices(uncertainty_sampling(active, Xf[unlabeled],
                                                               n_instances=batch))]
    if task in ("kcenter", "ranked"):
        active = learner(model)

        def query():
            pool = Xf[unlabeled]
            scores = classifier_uncertainty(active, pool)
            return unlabeled[_indices(ranked_batch(active, pool, scores, batch, "euclidean", 1))]

        return query
    if task == "qbc":
        committee = Committee(learner_list=[learner(m) for m in model])

        def query():
            pool = Xf[unlabeled]
            utility = vote_entropy(committee, pool)
            return unlabeled[np.argsort(-utility, kind="stable")[:batch]]

        return query
    raise SystemExit(f"modAL has no {task}")


def _indices(answer) -> np.ndarray:
    """modAL answers ``(indices, items)`` from some functions and indices from others."""
    answer = answer[0] if isinstance(answer, tuple) else answer
    return np.asarray(answer, dtype=np.int64).reshape(-1)


SETUPS = {"floor": setup_floor, "activelab": setup_activelab,
          "skactiveml": setup_skactiveml, "modal": setup_modal}


def main() -> None:
    case = json.loads(sys.argv[1])
    X, y, labeled = load(case)
    model = fit_model(case, X, y, labeled)
    query = SETUPS[case["lib"]](case, X, y, labeled, model)
    exact = reset_peak()
    before = _status_kib("VmRSS")
    started = time.perf_counter()
    chosen = query()
    seconds = time.perf_counter() - started
    peak = _status_kib("VmHWM") if exact else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    times = [seconds]
    while len(times) < case.get("repeats", 1) and sum(times) < case.get("repeat_within", 20.0):
        started = time.perf_counter()
        query()
        times.append(time.perf_counter() - started)
    chosen = np.asarray(chosen[0] if isinstance(chosen, tuple) else chosen).reshape(-1)
    print(json.dumps({
        "seconds": min(times),
        "first_seconds": seconds,
        "repeats": len(times),
        "extra_mib": max(peak - before, 0) / 1024,
        "baseline_mib": before / 1024,
        "peak_reset": exact,
        "n_chosen": int(len(chosen)),
        "pid": os.getpid(),
    }))


if __name__ == "__main__":
    main()
