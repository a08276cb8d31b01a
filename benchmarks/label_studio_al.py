"""A scripted annotator in a real Label Studio: activelab's order against Label Studio's.

    .ci/label-studio.sh install .ls-venv
    .ci/label-studio.sh start .ls-venv /tmp/ls-bench 8089
    python benchmarks/label_studio_al.py --url http://127.0.0.1:8089 \\
        --token activelab-ci-token-0123456789 [--items 600] [--budget 150] [--seeds 5] \\
        [--target 0.80] [--strategy margin]
    .ci/label-studio.sh stop /tmp/ls-bench

For each seed it generates a text pool (``activelab.server.demo.make_texts``, three
imbalanced topics) and a separate test set of 1000 texts, and makes two Label Studio
projects with the pool as tasks. In the "activelab" project, ``activelab ml-backend`` (one
process on 127.0.0.1, retraining every 10 annotations) is connected; after each batch of 10
the annotator waits for the retrain, runs "Retrieve predictions" and labels the 10 tasks at
the top of the task list sorted by prediction score. In the "default" project it labels
the tasks in Label Studio's default order (by id, the import order). Annotations go
through Label Studio's API, with the true label. After every batch the test accuracy of
the backend's recipe (TF-IDF + logistic regression) trained on the labels so far is
measured. It prints, per arm, the labels from which accuracy stays at or above
``--target`` until the budget, per seed and on average.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from functools import partial
from pathlib import Path

import numpy as np

from activelab.integrations.label_studio.client import LabelStudio, choice_result, wait_healthy
from activelab.models.catalog import make_model
from activelab.server.demo import TOPICS, make_texts
from activelab.server.testing import free_port

sys.path.insert(0, str(Path(__file__).parent))
from server_al_vs_random import labels_to_reach  # noqa: E402

BATCH = 10
CONFIG = ('<View><Text name="text" value="$text"/><Choices name="topic" toName="text">'
          + "".join(f'<Choice value="{label}"/>' for label in sorted(TOPICS))
          + "</Choices></View>")


def backend_status(url: str, project: int) -> dict:
    with urllib.request.urlopen(url + "/status") as reply:
        statuses = json.load(reply)
    return next((s for uid, s in statuses.items() if uid.split(".")[0] == str(project)), {})


def run_arm(ls: LabelStudio, backend: str | None, rows: list[dict], budget: int,
            score: callable) -> list[tuple[int, float]]:
    project = ls.create_project(f"bench {'activelab' if backend else 'default'}", CONFIG)
    ids = ls.import_tasks(project, [{"text": r["text"]} for r in rows])
    truth = dict(zip(ids, rows))
    if backend:
        ls.connect_backend(project, backend)
    labeled: list[int] = []
    curve = []
    while len(labeled) < budget:
        started = time.perf_counter()
        if backend and labeled:
            ls.retrieve_predictions(project)
            # Annotated tasks score lowest: the top BATCH are unlabeled.
            order = [t["id"] for t in ls.ordered_by_score(project, limit=BATCH)]
        else:
            order = sorted(ids)
        batch = [i for i in order if i not in set(labeled)][:BATCH]
        for task in batch:
            ls.annotate(task, choice_result("topic", "text", [truth[task]["label"]]))
        labeled += batch
        if backend:
            n = len(labeled)
            ls.wait_for(lambda: (lambda s: s.get("n_answers", 0) >= n  # noqa: B023
                                 and not s.get("training"))(backend_status(backend, project)),
                        300, "the retrain")
        curve.append((len(labeled), score([truth[i] for i in labeled])))
        print(f"  {len(labeled)} labels, accuracy {curve[-1][1]:.3f} "
              f"({time.perf_counter() - started:.1f} s)", file=sys.stderr, flush=True)
    return curve


def test_accuracy(vectorizer, test_X, test_y, labeled: list[dict]) -> float:
    """Test accuracy of the backend's recipe (TF-IDF + logistic regression) on ``labeled``."""
    y = [r["label"] for r in labeled]
    if len(set(y)) < 2:
        return float(np.mean(test_y == y[0]))
    X = vectorizer.transform([r["text"] for r in labeled])
    return float(make_model("logreg", 0, sparse=True).fit(X, y).score(test_X, test_y))


def main() -> int:
    from sklearn.feature_extraction.text import TfidfVectorizer

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--items", type=int, default=600)
    parser.add_argument("--budget", type=int, default=150)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--target", type=float, default=0.80)
    parser.add_argument("--strategy", default="margin")
    args = parser.parse_args()
    ls = LabelStudio(args.url, args.token)
    port = free_port()
    backend = f"http://127.0.0.1:{port}"
    folder = Path(tempfile.mkdtemp())
    process = subprocess.Popen(
        [sys.executable, "-m", "activelab.cli", "ml-backend", "--db", str(folder / "v.db"),
         "--port", str(port), "--strategy", args.strategy, "--retrain-every", str(BATCH)])
    reach: dict[str, list] = {"activelab": [], "default": []}
    final: dict[str, list] = {"activelab": [], "default": []}
    try:
        wait_healthy(backend, 120)
        for seed in range(args.seeds):
            rows = make_texts(args.items, seed=seed)
            test = make_texts(1000, seed=1000 + seed)
            vectorizer = TfidfVectorizer(sublinear_tf=True, max_features=50_000).fit(
                [r["text"] for r in rows])
            test_X = vectorizer.transform([r["text"] for r in test])
            test_y = np.array([r["label"] for r in test])

            score = partial(test_accuracy, vectorizer, test_X, test_y)

            for arm, url in (("activelab", backend), ("default", None)):
                started = time.perf_counter()
                curve = run_arm(ls, url, rows, args.budget, score)
                reach[arm].append(labels_to_reach(curve, args.target))
                final[arm].append(curve[-1][1])
                print(f"seed {seed} {arm:9s}: labels to reach {args.target:.2f}: "
                      f"{reach[arm][-1]}; accuracy at {curve[-1][0]} labels "
                      f"{curve[-1][1]:.3f} ({time.perf_counter() - started:.0f} s)", flush=True)
    finally:
        process.terminate()
        process.wait(30)
    for arm, values in reach.items():
        known = [v for v in values if v is not None]
        mean = f"{statistics.mean(known):.1f}" if known else "n/a"
        print(f"{arm:9s}: mean labels to reach {args.target:.2f} over {len(known)}/"
              f"{len(values)} seeds that reached it within {args.budget}: {mean} {values}; "
              f"mean accuracy at {args.budget} labels {statistics.mean(final[arm]):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
