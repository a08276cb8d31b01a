"""Expected error reduction over a whole pool: activelab against modAL, and under load.

    python benchmarks/expected_error.py [--timeout 600] [--agreement 100] [--skip-modal]

The pool: ``make_classification`` (1,000 items, 50 features, 10 classes, seed 0), 100 of
them labeled (10 per class), logistic regression (``max_iter=300``) fit on those. Every
one of the 900 unlabeled items is a candidate (no shortlist) and the expected zero-one
loss is summed over all 900 unlabeled items.

1. **Against modAL.** activelab's ``eer_01`` (``update="auto"``: Newton updates of the
   logistic regression) and modAL 0.4.2.1's ``expected_error_reduction`` (``loss="binary"``,
   a refit per candidate and class, the loss summed over the pool without the candidate)
   each run in a fresh process of the side environment that ``benchmarks/peers.py``
   builds (``benchmarks/.peer-venv``: same NumPy and scikit-learn), one BLAS thread, as
   there; activelab before and after modAL. Prints the times and modAL's time over the
   slower activelab run. (modAL 0.4.2.1 annotates with ``np.float``, gone from NumPy 2:
   the child sets ``np.float = float`` before importing it.)
2. **Agreement with exact refits.** Refitting for all 900 candidates takes minutes, so a
   random sample of ``--agreement`` candidates (seed 1) is scored both ways, by the fast
   update and by refitting a clone per candidate and class (``update="refit"``), over
   the same 900 evaluation items; prints the overlap of the two top-10s.
3. **On a busy machine.** One busy loop per core, each a separate process bounded to the
   measurement's duration, runs while ``eer_01`` runs again: with the default BLAS
   threading and with ``OMP_NUM_THREADS=1`` (likewise OpenBLAS and MKL), alternated
   ``--rounds`` times, best of each kept. Also for the exact refit path on a
   50-candidate shortlist. Prints default ÷ one-thread time.

Writes ``benchmarks/results/expected_error.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from peers import DATA, REPO, RESULTS, peer_python, versions  # noqa: E402

POOL = DATA / "eer-pool.npz"
ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def write_pool() -> Path:
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=1000, n_features=50, n_informative=20, n_classes=10,
                               n_clusters_per_class=1, random_state=0)
    labeled = np.sort(np.concatenate([np.flatnonzero(y == c)[:10] for c in range(10)]))
    DATA.mkdir(parents=True, exist_ok=True)
    np.savez(POOL, X=X, y=y, labeled=labeled)
    return POOL


# ---- the child: one measurement in a fresh process -------------------------------------------


def _setup(case: dict):
    import warnings

    from sklearn.linear_model import LogisticRegression

    warnings.filterwarnings("ignore")
    data = np.load(case["pool"])
    X, y, labeled = data["X"], data["y"], data["labeled"]
    unlabeled = np.setdiff1d(np.arange(len(X)), labeled)
    model = LogisticRegression(max_iter=300).fit(X[labeled], y[labeled])
    return X, y, labeled, unlabeled, model


def child(case: dict) -> dict:
    X, y, labeled, unlabeled, model = _setup(case)
    if case["lib"] == "modal":
        np.float = float  # modAL 0.4.2.1 annotates with np.float, which NumPy 2 removed
        from modAL.expected_error import expected_error_reduction
        from modAL.models import ActiveLearner

        learner = ActiveLearner(estimator=model, X_training=X[labeled], y_training=y[labeled])

        def query():
            chosen = expected_error_reduction(learner, X[unlabeled], loss="binary", n_instances=10)
            return unlabeled[np.asarray(chosen[0] if isinstance(chosen, tuple) else chosen)]
    else:
        from activelab import Pool
        from activelab.strategies.expected import ExpectedErrorReduction

        pool = Pool(X)
        pool.add_labels(labeled, y[labeled])
        strategy = ExpectedErrorReduction(shortlist=case.get("shortlist", len(X)),
                                          eval_sample=len(X), update=case.get("update", "auto"))

        def query():
            return strategy.query(model, pool, 10, random_state=0).ids

    started = time.perf_counter()
    ids = query()
    return {"seconds": time.perf_counter() - started, "ids": [int(i) for i in ids]}


def agreement(sample: int) -> dict:
    """Top-10 overlap of the fast update and exact refits on ``sample`` random candidates."""
    from activelab import Pool
    from activelab.strategies.expected import refit_losses
    from activelab.strategies.model_updates import fast_update_for

    X, y, labeled, unlabeled, model = _setup({"pool": str(POOL)})
    pool = Pool(X)
    pool.add_labels(labeled, y[labeled])
    candidates = np.sort(np.random.default_rng(1).choice(unlabeled, sample, replace=False))
    proba = model.predict_proba(X[candidates])
    started = time.perf_counter()
    fast = fast_update_for(model, X[labeled], y[labeled])
    fast_scores = -(proba * fast.future_losses(X[candidates], [X[unlabeled]], "zero_one")).sum(1)
    fast_seconds = time.perf_counter() - started
    started = time.perf_counter()
    exact = refit_losses(model, pool, candidates, model.classes_, [X[unlabeled]], "zero_one", 0)
    exact_scores = -(proba * exact).sum(1)
    refit_seconds = time.perf_counter() - started
    top_fast = set(candidates[np.argsort(-fast_scores, kind="stable")[:10]].tolist())
    top_exact = set(candidates[np.argsort(-exact_scores, kind="stable")[:10]].tolist())
    return {"candidates": sample, "top10_overlap": len(top_fast & top_exact),
            "spearman": float(_spearman(fast_scores, exact_scores)),
            "fast_seconds": fast_seconds, "refit_seconds": refit_seconds}


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    ranks_a, ranks_b = np.argsort(np.argsort(a)), np.argsort(np.argsort(b))
    return float(np.corrcoef(ranks_a, ranks_b)[0, 1])


# ---- the driver ------------------------------------------------------------------------------


def run_child(python: Path, case: dict, timeout: float, threads_one: bool = True) -> dict:
    env = {key: value for key, value in os.environ.items() if key not in ONE_THREAD}
    env.update({"PYTHONPATH": str(REPO), "PYTHONWARNINGS": "ignore"})
    if threads_one:
        env.update(ONE_THREAD)
    try:
        done = subprocess.run([str(python), __file__, "--child", json.dumps(case)],
                              capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {**case, "status": f"timed out after {timeout:.0f} s"}
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        tail = (done.stderr.strip().splitlines() or ["?"])[-1]
        return {**case, "status": f"failed: {tail[:160]}"}
    return {**case, **json.loads(lines[-1]), "status": "ok"}


def busy(seconds: float) -> list[subprocess.Popen]:
    """One bounded busy loop per core, each in its own process."""
    code = f"import time\nend = time.time() + {seconds}\nwhile time.time() < end:\n    pass\n"
    return [subprocess.Popen([sys.executable, "-c", code]) for _ in range(os.cpu_count() or 1)]


def under_load(python: Path, case: dict, timeout: float, rounds: int) -> dict:
    """Default threading and one thread, alternated ``rounds`` times, each under busy loops.

    Keeps every time and the best of each setting: the load of a shared machine only
    ever adds time, and alternating spreads its drift over both settings.
    """
    results: dict = {"default threads": [], "one thread": []}
    for _ in range(rounds):
        for label, one in (("default threads", False), ("one thread", True)):
            loops = busy(timeout)
            try:
                results[label].append(run_child(python, case, timeout, threads_one=one))
            finally:
                for loop in loops:
                    loop.terminate()
                    loop.wait()
    return {label: _best(runs) for label, runs in results.items()}


def _best(runs: list[dict]) -> dict:
    ok = [r for r in runs if r["status"] == "ok"]
    if not ok:
        return runs[-1]
    best = min(ok, key=lambda r: r["seconds"])
    return {**best, "all_seconds": [r["seconds"] for r in ok]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per measurement")
    parser.add_argument("--agreement", type=int, default=100,
                        help="candidates scored by exact refits for the agreement")
    parser.add_argument("--skip-modal", action="store_true")
    parser.add_argument("--rounds", type=int, default=2,
                        help="alternations of default and one-thread runs on the busy machine")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return
    python = peer_python()
    info = versions(python)
    print(json.dumps(info), flush=True)
    case = {"pool": str(write_pool())}
    report: dict = {"versions": info}
    ours = run_child(python, {**case, "lib": "activelab"}, args.timeout)
    print(f"activelab eer_01, 900 candidates: {_show(ours)}", flush=True)
    report["activelab"] = ours
    if not args.skip_modal:
        modal = run_child(python, {**case, "lib": "modal"}, args.timeout)
        report["modal"] = modal
        print(f"modAL expected_error_reduction:   {_show(modal)}", flush=True)
        # activelab again after modAL: the slower of its two runs is the one compared,
        # since the load on a shared machine changes over modAL's minutes
        again = run_child(python, {**case, "lib": "activelab"}, args.timeout)
        report["activelab_after"] = again
        print(f"activelab eer_01 again:           {_show(again)}", flush=True)
        if ours["status"] == again["status"] == modal["status"] == "ok":
            slower = max(ours["seconds"], again["seconds"])
            print(f"  modAL ÷ activelab (slower run): {modal['seconds'] / slower:.1f}×; "
                  f"top-10 overlap with modAL's {len(set(ours['ids']) & set(modal['ids']))}/10",
                  flush=True)
    report["agreement"] = agreement(args.agreement)
    a = report["agreement"]
    print(f"agreement on {a['candidates']} random candidates: top-10 overlap "
          f"{a['top10_overlap']}/10, Spearman {a['spearman']:.3f} (fast {a['fast_seconds']:.2f} s, "
          f"exact refits {a['refit_seconds']:.1f} s)", flush=True)
    for label, extra in (("fast, 900 candidates", {}),
                         ("refit, shortlist 50", {"update": "refit", "shortlist": 50})):
        loaded = under_load(python, {**case, "lib": "activelab", **extra}, args.timeout,
                            args.rounds)
        report[f"busy: {label}"] = loaded
        default, one = loaded["default threads"], loaded["one thread"]
        ratio = (f"{default['seconds'] / one['seconds']:.2f}×"
                 if default["status"] == one["status"] == "ok" else "—")
        print(f"busy machine, {label}: default threads {_show(default)}, one thread "
              f"{_show(one)} (best of {args.rounds} each, alternated), default ÷ one: {ratio}",
              flush=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "expected_error.json").write_text(json.dumps(report, indent=1))


def _show(result: dict) -> str:
    return f"{result['seconds']:.2f} s" if result["status"] == "ok" else result["status"]


if __name__ == "__main__":
    main()
