"""A scripted annotator against the real server for each task type beyond single choice:
the strategy's order against random order.

    python benchmarks/server_tasks.py [--tasks multi,rating,spans] [--items 300]
        [--budget 80] [--seeds 5] [--target-multi 0.85] [--target-rating 0.80]
        [--target-spans 0.95] [--strategy NAME]

For each task and seed it generates a pool (``activelab.server.demo_tasks``) and a separate
held-out set of 300 items, then runs ``activelab serve --task TASK`` on 127.0.0.1 twice:
with the task's default strategy (multi: br_uncertainty over one logistic regression per
label; rating: igs, improved greedy sampling, over ridge regression; spans: the token
model's uncertainty) and with
``--exploration 1`` (every item served at random). Both retrain every 10 labels with the
same cold start. The annotator is the library's :class:`~activelab.oracles.SimulatedOracle`
answering each item the server serves from the ground truth, over the HTTP API. After
every 10 labels it waits for the retrain (``server_al_vs_random.label_and_measure``), exports
the labels and measures the held-out quality of the same model recipe trained on them:
micro-F1 (multi), R^2 (rating), token F1 (spans). It prints, per task, the labels from
which the quality stays at or above the target to the end of the budget (mean over the
seeds; a seed that never gets there counts as the budget plus 10), and the mean quality
over the curve.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np
from server_al_vs_random import BATCH, label_and_measure, labels_to_reach

from activelab.oracles import SimulatedOracle
from activelab.server.demo_tasks import TASK_LABELS, make_task_rows, write_task_csv
from activelab.server.testing import free_port, start_server, stop_server
from activelab.store import Store

RATING_CONFIG = {"min": 1, "max": 5, "step": 1}


class HeldOut:
    """The held-out quality of a task's model recipe trained on exported labels."""

    def __init__(self, task: str, pool: list[dict[str, str]], test: list[dict[str, str]]):
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.task = task
        self.texts = {row["id"]: row["text"] for row in pool}
        self.test = test
        # The server's featurizer: TF-IDF fitted on the pool's texts.
        self.vectorizer = TfidfVectorizer(sublinear_tf=True, max_features=50_000)
        self.vectorizer.fit([row["text"] for row in pool])
        self.test_X = self.vectorizer.transform([row["text"] for row in test])

    def quality(self, rows: list[dict[str, str]]) -> float:
        from sklearn.metrics import f1_score, r2_score

        from activelab.models.catalog import make_model
        from activelab.models.span_tagger import SpanTagger
        from activelab.server.task_models import token_counts

        texts = [self.texts[row["external_id"]] for row in rows]
        values = [row["label"] for row in rows]
        if self.task == "spans":
            spans = [[tuple(s) for s in json.loads(v)] for v in values]
            if not any(spans):
                return 0.0
            tagger = SpanTagger(TASK_LABELS["spans"]).fit(texts, spans)
            test_texts = [row["text"] for row in self.test]
            right, predicted, truth = token_counts(
                test_texts, [[tuple(s) for s in json.loads(row["answer"])] for row in self.test],
                tagger.predict(test_texts))
            return float(2 * right / (predicted + truth))
        X = self.vectorizer.transform(texts)
        if self.task == "rating":
            model = make_model("ridge", 0, sparse=True, task="regression")
            model.fit(X, [float(v) for v in values])
            return float(r2_score([float(r["answer"]) for r in self.test],
                                  model.predict(self.test_X)))
        labels = TASK_LABELS["multi"]

        def matrix(answers: list[str]) -> np.ndarray:
            return np.array([[label in json.loads(a) for label in labels] for a in answers],
                            dtype=np.int64)

        model = make_model("logreg", 0, sparse=True, task="multilabel").fit(X, matrix(values))
        return float(f1_score(matrix([r["answer"] for r in self.test]),
                              model.predict(self.test_X), average="micro"))


def run_arm(task: str, random_order: bool, seed: int, items: int, budget: int,
            folder: Path, held_out: HeldOut, strategy: str | None = None) -> list[tuple[int, float]]:
    pool = make_task_rows(task, items, seed=seed)
    oracle = SimulatedOracle(np.array([row["answer"] for row in pool], dtype=object),
                             ids=[row["id"] for row in pool], name="scripted")
    data = write_task_csv(folder / f"{task}{seed}.csv", task, items, seed=seed)
    arm = "random" if random_order else "strategy"
    url = f"sqlite:///{folder / f'{task}-{arm}-{seed}.db'}"
    store = Store(url)
    token = store.add_user("scripted", "annotator")
    reviewer = store.add_user("reviewer", "reviewer")
    store.close()
    config = folder / "rating.json"
    config.write_text(json.dumps(RATING_CONFIG))
    extra = ["--label-config", str(config)] if task == "rating" else []
    if strategy:
        extra += ["--strategy", strategy]
    port = free_port()
    server = start_server(data, url, port, ",".join(TASK_LABELS[task]), "--task", task,
                          "--exploration", "1" if random_order else "0", "--retrain-every",
                          str(BATCH), "--seed", str(seed), *extra, timeout=300)
    try:
        return label_and_measure(port, f"{task}{seed}", budget, token, reviewer,
                                 lambda external: oracle.label([external]).labels[0],
                                 held_out.quality)
    finally:
        stop_server(server)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", default="multi,rating,spans")
    parser.add_argument("--items", type=int, default=300)
    parser.add_argument("--budget", type=int, default=80)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--target-multi", type=float, default=0.85)
    parser.add_argument("--target-rating", type=float, default=0.80)
    parser.add_argument("--target-spans", type=float, default=0.95)
    parser.add_argument("--strategy", default=None,
                        help="the strategy of the strategy arm (default: the task's own)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for task in args.tasks.split(","):
            target = getattr(args, f"target_{task}")
            reached: dict[str, list[int]] = {"strategy": [], "random": []}
            means: dict[str, list[float]] = {"strategy": [], "random": []}
            for seed in range(args.seeds):
                held_out = HeldOut(task, make_task_rows(task, args.items, seed=seed),
                                   make_task_rows(task, 300, seed=seed + 1000))
                for arm in ("strategy", "random"):
                    curve = run_arm(task, arm == "random", seed, args.items, args.budget,
                                    Path(tmp), held_out, args.strategy)
                    found = labels_to_reach(curve, target)
                    reached[arm].append(found if found is not None else args.budget + BATCH)
                    means[arm].append(statistics.mean(q for _n, q in curve))
                    print(f"{task} seed {seed} {arm:8s} reach {found} · " +
                          " ".join(f"{n}:{q:.3f}" for n, q in curve), flush=True)
            for arm in ("strategy", "random"):
                print(f"{task:6s} {arm:8s} labels to reach {target:.2f}: mean "
                      f"{statistics.mean(reached[arm]):.0f} ({', '.join(map(str, reached[arm]))});"
                      f" mean quality over the curve {statistics.mean(means[arm]):.3f}",
                      flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
