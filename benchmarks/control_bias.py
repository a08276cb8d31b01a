"""Is the random control's accuracy estimate biased? Runs ``_run`` of tests/test_control.py
(800 items, logistic regression, batches of 20 with 5 control items, 20 to 160 labels)
over a range of seeds and checks, at every control draw, what it rests on.

    OMP_NUM_THREADS=1 nice -n 5 python benchmarks/control_bias.py --strategies margin,auto \
        --seeds 0-29 [--loop-seed-offset 1000]

Per strategy it prints:

* ``coverage`` and ``mean error``: every round's 90% interval and estimate against the
  truth the estimate targets (the models' accuracy on the items unlabeled when they were
  fit, weighted as the estimate weights them), as the test computes them; ``se`` is the
  standard error of the mean error from the seeds' means;
* ``excess``: the control items' mean 0/1 correctness minus their own model's accuracy on
  the pool, with its exact standard error (each round draws ``n`` of ``N`` candidates
  without replacement: variance ``n p (1 - p) (N - n) / (N - 1)``) and ``z``;
* ``premise``: at every draw, whether the candidates the control sampled were exactly
  the items the truth is measured on, and the model's accuracy on them was the truth;
* ``after batch``: the same model's accuracy on the pool minus the round's whole batch,
  minus its accuracy on the pool the control sampled (what an estimate of the pool
  *after* the batch would have to add).

``--loop-seed-offset`` seeds the loop (and so the control draws) with ``seed + offset``
while keeping each seed's data set and initial labels.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from test_control import _run  # noqa: E402

from activelab import control as control_module  # noqa: E402


class DrawLog:
    """Wraps RandomControl.draw: what each draw sampled from and the model's predictions."""

    def __init__(self) -> None:
        self.rows: list[dict] = []
        self._draw = control_module.RandomControl.draw

    def __enter__(self) -> DrawLog:
        log, draw = self, self._draw

        def logged(control, model, pool, candidates, k, seed, round_, n_labeled, chosen):
            ids = draw(control, model, pool, candidates, k, seed, round_, n_labeled, chosen)
            if len(ids):
                log.rows.append({
                    "round": round_, "n": len(ids),
                    "same_set": set(candidates.tolist()) == set(pool.unlabeled_ids.tolist()),
                    "predicted": dict(zip(candidates.tolist(),
                                          model.predict(pool.items(candidates))))})
            return ids

        control_module.RandomControl.draw = logged
        return self

    def __exit__(self, *exc: object) -> None:
        control_module.RandomControl.draw = self._draw


def measure(strategy: str, seeds: range, offset: int) -> dict:
    errors, covered, gains, seed_errors = [], [], [], []
    excess = variance = items = 0.0
    premise, after_batch = True, []
    for seed in seeds:
        with DrawLog() as log:
            loop, history, truth = _run(seed, strategy=strategy, loop_seed=seed + offset)
        y = loop.oracle.labels
        first = len(errors)
        for record in history:
            if record.control is None:
                continue
            accuracy, weights = record.control["accuracy"], dict(record.control["rounds"])
            target = sum(truth[r] * w for r, w in weights.items()) / sum(weights.values())
            errors.append(accuracy["estimate"] - target)
            covered.append(accuracy["low"] <= target <= accuracy["high"])
            if record.control.get("gain"):
                gains.append(record.control["gain"]["estimate"])
        seed_errors.append(np.mean(errors[first:]))
        drawn = {}
        for draw in loop.control.draws:
            drawn.setdefault(draw.round, []).append(draw.correct)
        for row in log.rows:
            ids = np.array(list(row["predicted"]))
            right = np.array(list(row["predicted"].values())) == y[ids]
            p, N, n = right.mean(), len(ids), row["n"]
            premise &= row["same_set"] and abs(p - truth[row["round"]]) < 1e-12
            excess += sum(drawn[row["round"]]) - n * p
            variance += n * p * (1 - p) * (N - n) / (N - 1)
            items += n
            batch = np.isin(ids, history[row["round"]].query_ids)
            after_batch.append(right[~batch].mean() - p)
    return {"rounds": len(errors), "coverage": np.mean(covered),
            "mean_error": np.mean(errors),
            "se": np.std(seed_errors, ddof=1) / math.sqrt(len(seed_errors)),
            "gain": np.mean(gains), "items": int(items), "excess": excess / items,
            "excess_se": math.sqrt(variance) / items, "z": excess / math.sqrt(variance),
            "premise": premise, "after_batch": np.mean(after_batch)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--strategies", default="margin,auto")
    parser.add_argument("--seeds", default="0-29", help="first-last, inclusive")
    parser.add_argument("--loop-seed-offset", type=int, default=0)
    args = parser.parse_args()
    first, last = (int(v) for v in args.seeds.split("-"))
    print("| strategy | seeds | loop seed | rounds | coverage | mean error (se) | mean gain "
          "| items | excess (se, z) | premise | after batch | time |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for strategy in args.strategies.split(","):
        started = time.perf_counter()
        m = measure(strategy, range(first, last + 1), args.loop_seed_offset)
        print(f"| {strategy} | {first}-{last} | seed + {args.loop_seed_offset} | {m['rounds']} "
              f"| {100 * m['coverage']:.1f}% | {m['mean_error']:+.4f} ({m['se']:.4f}) "
              f"| {m['gain']:+.4f} | {m['items']} | {m['excess']:+.4f} ({m['excess_se']:.4f}, "
              f"{m['z']:+.2f}) | {'holds' if m['premise'] else 'FAILS'} "
              f"| {100 * m['after_batch']:+.2f} points | {time.perf_counter() - started:.0f} s |",
              flush=True)


if __name__ == "__main__":
    main()
