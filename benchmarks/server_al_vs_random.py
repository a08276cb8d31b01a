"""A scripted annotator against the real server: the AL queue against random order.

    python benchmarks/server_al_vs_random.py [--items 1500] [--budget 300] [--seeds 3]
        [--target 0.80] [--strategy margin]

For each seed it generates a text pool (``activelab.server.demo.make_texts``, three
imbalanced topics) and a separate test set of 1000 texts, then runs ``activelab serve`` on
127.0.0.1 twice: with ``--strategy STRATEGY`` and with ``--strategy random`` (both with
``--exploration 0``, retraining every 10 labels, and the same cold start: the k-means
diversity order until each class has 2 labels). A scripted annotator asks ``next`` and
answers with the true label; after every 10 labels it waits for the retrain to finish (so
each arm sees the queue of its latest model, like batch-mode AL with batch 10), exports the
labels and measures test accuracy of the same model recipe the server uses (TF-IDF +
standardised logistic regression) trained on them. It prints, per arm and seed, the number
of labels from which test accuracy stays at or above ``--target`` until the budget (a
single lucky crossing does not count), and the mean accuracy over the whole curve.
"""

from __future__ import annotations

import argparse
import csv
import io
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from activelab.models.catalog import make_model
from activelab.server.demo import make_texts, write_csv
from activelab.server.testing import free_port, start_server, stop_server
from activelab.store import Store

LABELS = "sport,food,space"
BATCH = 10


def run_arm(strategy: str, seed: int, items: int, budget: int, folder: Path,
            vectorizer, test_X, test_y) -> list[tuple[int, float]]:
    data = write_csv(folder / f"pool{seed}.csv", items, seed=seed)
    truth = {row["id"]: row["label"] for row in make_texts(items, seed=seed)}
    url = f"sqlite:///{folder / f'{strategy}-{seed}.db'}"
    store = Store(url)
    token = store.add_user("scripted", "annotator")
    reviewer = store.add_user("reviewer", "reviewer")
    store.close()
    texts = {row["id"]: row["text"] for row in make_texts(items, seed=seed)}
    port = free_port()
    server = start_server(data, url, port, LABELS, "--strategy", strategy, "--exploration", "0",
                          "--retrain-every", str(BATCH), "--seed", str(seed), timeout=300)
    try:
        return label_and_measure(
            port, f"pool{seed}", budget, token, reviewer, truth.__getitem__,
            lambda rows: accuracy(rows, texts, vectorizer, test_X, test_y))
    finally:
        stop_server(server)


def label_and_measure(port: int, project: str, budget: int, token: str, reviewer: str,
                      answer: Callable[[str], Any],
                      measure: Callable[[list[dict[str, str]]], float]) -> list[tuple[int, float]]:
    """Label ``budget`` items in the server's order with ``answer(external id)``; after
    every ``BATCH`` labels wait for the retrain, export the labels (CSV) and ``measure``
    them. The curve ``[(labels, measure), ...]``."""
    curve = []
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120,
                      headers={"Authorization": f"Bearer {token}"}) as client:
        for n in range(1, budget + 1):
            item = client.post(f"/api/projects/{project}/next").json()
            client.post(f"/api/projects/{project}/annotations", json={
                "item_id": item["item_id"], "label": answer(item["external_id"]),
                "lease_id": item["lease_id"]}).raise_for_status()
            if n % BATCH == 0:
                wait_for_model(client, project, n)
                exported = client.get(f"/api/projects/{project}/export?format=csv",
                                      headers={"Authorization": f"Bearer {reviewer}"}).text
                curve.append((n, measure(list(csv.DictReader(io.StringIO(exported))))))
    return curve


def wait_for_model(client: httpx.Client, project: str, n_labels: int) -> None:
    for _ in range(1200):
        stats = client.get(f"/api/projects/{project}/stats").json()
        training = stats["training"]
        if not training["running"] and not training["pending"] and (
                stats["model_trained_on"] >= n_labels or len(set(
                    k for k, v in stats["labels_per_class"].items() if v)) < 2):
            return
        time.sleep(0.05)
    raise RuntimeError("the retrain did not finish in 60 s")


def accuracy(rows, texts, vectorizer, test_X, test_y) -> float:
    labels = [row["label"] for row in rows]
    if len(set(labels)) < 2:
        return float(np.mean(test_y == labels[0])) if labels else 0.0
    X = vectorizer.transform([texts[row["external_id"]] for row in rows])
    model = make_model("logreg", 0, sparse=True).fit(X, labels)
    return float(model.score(test_X, test_y))


def labels_to_reach(curve: list[tuple[int, float]], target: float) -> int | None:
    """The label count from which test accuracy stays at or above ``target`` to the end."""
    reached = None
    for n, acc in curve:
        if acc < target:
            reached = None
        elif reached is None:
            reached = n
    return reached


def main() -> int:
    from sklearn.feature_extraction.text import TfidfVectorizer

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1500)
    parser.add_argument("--budget", type=int, default=300)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--target", type=float, default=0.80)
    parser.add_argument("--strategy", default="margin")
    args = parser.parse_args()
    table = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(args.seeds):
            pool = make_texts(args.items, seed=seed)
            test = make_texts(1000, seed=seed + 1000)
            # The server's featurizer: TF-IDF fitted on the pool's texts.
            vectorizer = TfidfVectorizer(sublinear_tf=True, max_features=50_000)
            vectorizer.fit([row["text"] for row in pool])
            test_X = vectorizer.transform([row["text"] for row in test])
            test_y = np.array([row["label"] for row in test])
            full = make_model("logreg", 0, sparse=True).fit(
                vectorizer.transform([r["text"] for r in pool]), [r["label"] for r in pool])
            row = {"seed": seed, "full_pool_accuracy": float(full.score(test_X, test_y))}
            for strategy in (args.strategy, "random"):
                curve = run_arm(strategy, seed, args.items, args.budget, Path(tmp),
                                vectorizer, test_X, test_y)
                row[strategy] = curve
                row[f"{strategy}_reach"] = labels_to_reach(curve, args.target)
            table.append(row)
            print(f"seed {seed}: accuracy with all {args.items} labels "
                  f"{row['full_pool_accuracy']:.3f}; labels to reach {args.target:.2f}: "
                  f"{args.strategy} {row[f'{args.strategy}_reach']}, "
                  f"random {row['random_reach']}", flush=True)
            for strategy in (args.strategy, "random"):
                print(f"  {strategy:8s} " + " ".join(f"{n}:{acc:.3f}" for n, acc in
                                                     row[strategy][::3]), flush=True)
    for strategy in (args.strategy, "random"):
        reached = [r[f"{strategy}_reach"] for r in table]
        finals = [r[strategy][-1][1] for r in table]
        means = [statistics.mean(acc for _n, acc in r[strategy]) for r in table]
        shown = [str(x) if x is not None else f">{args.budget}" for x in reached]
        print(f"{strategy:8s} labels to reach {args.target:.2f}: {', '.join(shown)}; "
              f"accuracy at {args.budget} labels: mean {statistics.mean(finals):.3f}; "
              f"mean accuracy over the curve: {statistics.mean(means):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
