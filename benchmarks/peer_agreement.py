"""Agreement with scikit-activeml: the methods activelab added after its peers, side by side.

    python benchmarks/peer_agreement.py [--python PATH]

Runs in the peer environment of ``benchmarks/peers.py`` (``benchmarks/.peer-venv``, made on
first use with scikit-activeml from PyPI), or in the interpreter given by ``--python``
(one where ``import skactiveml`` works; this checkout is put first on its path). On the
same small data sets, it compares:

* the Parzen window classifier's frequencies (``ParzenWindowClassifier``);
* McPAL's gain (``cost_reduction``) on random frequency vectors, and ``mcpal`` against
  ``ProbabilisticAL`` with a Parzen window classifier;
* ``emvr`` against ``ExpectedModelVarianceReduction`` and ``kl_divergence(target=
  "prediction")`` against ``KLDivergenceMaximization``, both with a GP whose
  hyperparameters are fixed (scikit-activeml sums the KL over the unlabeled items only,
  activelab averages it over the labeled ones too, so that one is compared by rank);
* the stream rules: ``periodic`` against ``PeriodicSampling``, the gain of ``pal``
  against ``StreamProbabilisticAL``'s utilities, ``pal``'s quantile filter against
  ``BalancedIncrementalQuantileFilter``, and ``cogdqs``'s density factor against
  ``CognitiveDualQueryStrategy``'s (whose window holds one item more than its size).

Prints one line per comparison (largest absolute difference, or Spearman's rho) and
writes ``benchmarks/results/peer_agreement.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results"


def _parzen_and_mcpal(rows: dict) -> None:
    from skactiveml.classifier import ParzenWindowClassifier as PeerParzen
    from skactiveml.pool import ProbabilisticAL as PeerPAL
    from skactiveml.pool._probabilistic_al import cost_reduction

    from activelab import Pool
    from activelab.models.parzen import ParzenWindowClassifier
    from activelab.strategies.probabilistic import ProbabilisticAL, expected_error_reduction_mcpal

    rng = np.random.default_rng(0)
    k = rng.gamma(1.0, 2.0, size=(200, 3))
    for m_max in (1, 2, 3):
        ours = expected_error_reduction_mcpal(k, 1.0, m_max)
        rows[f"mcpal gain, 3 classes, m_max={m_max}"] = float(np.abs(
            ours - cost_reduction(k, m_max=m_max, prior=1.0)).max())
    X = np.vstack([rng.normal(-1, 1, (60, 2)), rng.normal(1, 1, (60, 2))])
    y = np.repeat([0, 1], 60)
    labeled = np.r_[0:5, 60:65]
    y_missing = np.full(len(y), np.nan)
    y_missing[labeled] = y[labeled]
    peer = PeerParzen(metric_dict={"gamma": 0.5}, classes=[0, 1]).fit(X, y_missing)
    mine = ParzenWindowClassifier(gamma=0.5).fit(X[labeled], y[labeled])
    rows["parzen predict_freq"] = float(np.abs(peer.predict_freq(X) - mine.predict_freq(X)).max())
    pool = Pool(X)
    pool.add_labels(labeled, y[labeled])
    query = ProbabilisticAL(prior=1.0, m_max=2, density=False).query(mine, pool, pool.n_unlabeled)
    ours = dict(zip(query.ids.tolist(), query.scores.tolist()))
    _, utilities = PeerPAL(prior=1.0, m_max=2).query(X, y_missing, peer, fit_clf=False,
                                                     return_utilities=True)
    unlabeled = pool.unlabeled_ids
    rows["mcpal vs ProbabilisticAL utilities"] = float(np.abs(
        np.array([ours[i] for i in unlabeled]) - utilities[0][unlabeled]).max())


def _regression(rows: dict) -> None:
    from scipy.stats import spearmanr
    from skactiveml.pool import ExpectedModelVarianceReduction as PeerEMVR
    from skactiveml.pool import KLDivergenceMaximization as PeerKL
    from skactiveml.regressor import SklearnNormalRegressor
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import RBF, WhiteKernel

    from activelab import Pool
    from activelab.strategies.bayesian_regression import (
        ExpectedModelVarianceReduction,
        KLDivergenceMaximization,
    )

    rng = np.random.default_rng(1)
    X = rng.uniform(-2, 2, (60, 2))
    y = np.sin(X[:, 0]) + 0.5 * X[:, 1] + rng.normal(scale=0.1, size=60)
    labeled = np.arange(8)
    y_missing = np.full(len(y), np.nan)
    y_missing[labeled] = y[labeled]
    gp = GaussianProcessRegressor(RBF(1.0) + WhiteKernel(0.05), optimizer=None)
    peer = SklearnNormalRegressor(gp).fit(X, y_missing)
    mine = gp.fit(X[labeled], y[labeled])
    pool = Pool(X)
    pool.add_labels(labeled, y[labeled])
    unlabeled = pool.unlabeled_ids
    for name, ours_strategy, theirs in (
        ("emvr vs ExpectedModelVarianceReduction", ExpectedModelVarianceReduction(n_eval=10**6),
         PeerEMVR()),
        ("kl_divergence vs KLDivergenceMaximization (Spearman rho)",
         KLDivergenceMaximization(target="prediction", n_eval=10**6), PeerKL()),
    ):
        query = ours_strategy.query(mine, pool, pool.n_unlabeled)
        ours = dict(zip(query.ids.tolist(), query.scores.tolist()))
        _, utilities = theirs.query(X, y_missing, peer, fit_reg=False, return_utilities=True)
        mine_scores = np.array([ours[i] for i in unlabeled])
        if "rho" in name:
            rows[name] = float(spearmanr(mine_scores, utilities[0][unlabeled])[0])
        else:
            rows[name] = float(np.abs(mine_scores - utilities[0][unlabeled]).max())


def _stream(rows: dict) -> None:
    from skactiveml.classifier import ParzenWindowClassifier as PeerParzen
    from skactiveml.stream import (
        CognitiveDualQueryStrategyRanVarUn,
        PeriodicSampling,
        StreamProbabilisticAL,
    )
    from skactiveml.stream.budgetmanager import BalancedIncrementalQuantileFilter

    from activelab.scenarios.stream_rules import CognitiveDualQuery, Periodic, StreamPAL

    rng = np.random.default_rng(2)
    stream = rng.normal(size=(400, 2))
    peer, mine = PeriodicSampling(budget=0.1), Periodic()
    mine.start(0.1)
    agree = 0
    for x in stream:
        theirs = len(peer.query(x[None, :])) > 0
        peer.update(x[None, :], [0] if theirs else [])
        agree += theirs == mine.decide(x, 0.0, True, rng)
    rows["periodic vs PeriodicSampling, share of equal decisions"] = agree / len(stream)

    X_lab, y_lab = rng.normal(size=(20, 2)), rng.integers(0, 2, 20)
    pal = StreamPAL(gamma=0.7)
    pal.start(0.1)
    pal.learn(X_lab, y_lab)
    clf = PeerParzen(metric_dict={"gamma": 0.7}, classes=[0, 1]).fit(X_lab, y_lab)
    _, utilities = StreamProbabilisticAL(budget=0.1).query(stream, clf, return_utilities=True)
    rows["pal gain vs StreamProbabilisticAL utilities"] = float(np.abs(
        np.array([pal.gain(x) for x in stream]) - utilities).max())

    gains = iter(utilities.tolist())

    class Replay(StreamPAL):
        def gain(self, x):
            return next(gains)

    replay, peer_filter = Replay(), BalancedIncrementalQuantileFilter(budget=0.1)
    replay.start(0.1)
    agree = 0
    for u in utilities:
        theirs = len(peer_filter.query_by_utility(np.array([u]))) > 0
        peer_filter.update(np.zeros((1, 1)), [0] if theirs else [], utilities=[u])
        agree += theirs == replay.decide(None, 0.0, True, rng)
    rows["pal filter vs BalancedIncrementalQuantileFilter, share of equal decisions"] = \
        agree / len(utilities)

    peer_cog = CognitiveDualQueryStrategyRanVarUn(cognition_window_size=10, budget=0.1)
    peer_cog.update(stream[:0], [])
    mine_cog = CognitiveDualQuery(memory=11)
    mine_cog.start(0.1)
    agree = 0
    for x in stream:
        theirs = peer_cog._calculate_ldf([x])
        peer_cog.t_ += 1
        agree += int(theirs) == mine_cog.density_factor(x)
    rows["cogdqs density factor vs CognitiveDualQueryStrategy, share equal"] = agree / len(stream)


def child() -> dict:
    rows: dict = {}
    for part in (_parzen_and_mcpal, _regression, _stream):
        try:
            part(rows)
        except Exception as err:  # report what ran; a peer API change breaks one part only
            rows[f"{part.__name__} failed"] = f"{type(err).__name__}: {err}"
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", help="an interpreter where skactiveml imports")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child()))
        return
    if args.python:
        python = args.python
    else:
        sys.path.insert(0, str(HERE))
        from peers import peer_python

        python = str(peer_python())
    env = dict(os.environ, PYTHONPATH=str(REPO))
    out = subprocess.run([python, str(Path(__file__).resolve()), "--child"], env=env,
                         capture_output=True, text=True, check=True).stdout
    rows = json.loads(out.strip().splitlines()[-1])
    width = max(len(k) for k in rows)
    for name, value in rows.items():
        print(f"{name:<{width}}  {value if isinstance(value, str) else f'{value:.3g}'}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "peer_agreement.json").write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
