"""Multi-label: asking (item, label) pairs against asking whole label vectors, at equal cost.

    python benchmarks/partial_multilabel.py [--seeds 10] [--budget 300] [--item-cost 1]
        [--label-cost 0.5]

On the bundled ``multilabel_synth`` data set (1,000 items, 5 labels; 75/25 split) both
start from the same 10 fully labeled items and spend the same budget, 10 queries' worth of
cost per round: **vectors** asks the items with the highest mean per-label uncertainty for
all 5 labels (``item_cost + 5 · label_cost`` each); **pairs** asks the most uncertain
(item, label) pairs (``item_cost`` per distinct item plus ``label_cost`` per pair);
**grouped** takes items in the same order as vectors but asks only their labels with
uncertainty ``1 - |2p - 1| >= 0.5`` (``0.25 <= p <= 0.75``; the most uncertain one if
none), so the money saved buys more items. Both
fit :class:`~activelab.oracles.partial_labels.PartialBinaryRelevance` (logistic regression per
label). Prints test micro-F1 against cost, mean over seeds.
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
from sklearn.metrics import f1_score
from sklearn.model_selection import train_test_split

from activelab import Pool
from activelab.data.datasets import load
from activelab.oracles import LabelRequest, ask
from activelab.oracles.partial_labels import (
    PairOracle,
    PartialBinaryRelevance,
    PartialLabels,
    query_pairs,
)


def run(mode, seed, budget, item_cost, label_cost):
    data = load("multilabel_synth")
    X_train, X_test, Y_train, Y_test = train_test_split(data.X, data.y, test_size=0.25,
                                                        random_state=seed)
    L = Y_train.shape[1]
    pool, oracle = Pool(X_train), PairOracle(Y_train, item_cost, label_cost)
    known = PartialLabels(pool, L)
    start = np.random.default_rng(seed).choice(len(X_train), 10, replace=False)
    known.add(np.repeat(start, L), np.tile(np.arange(L), 10), Y_train[np.repeat(start, L),
                                                                     np.tile(np.arange(L), 10)])
    spent, curve = 0.0, []
    per_round = 10 * (item_cost + L * label_cost)
    while True:
        model = PartialBinaryRelevance().fit(*known.training_data())
        curve.append((spent, f1_score(Y_test, model.predict(X_test), average="micro")))
        if spent >= budget:
            return np.array(curve)
        if mode == "grouped":
            # items by mean uncertainty, as vectors do, but only their uncertain labels
            proba = model.predict_proba(X_train)
            score = np.where(~known.known, 1 - np.abs(2 * proba - 1), -1.0)
            order = np.lexsort((np.arange(len(score)), -np.where(score >= 0, score, 0).mean(1)))
            ids, labels, money = [], [], 0.0
            for item in order:
                wanted = np.flatnonzero(score[item] >= 0.5)
                if len(wanted) == 0:
                    wanted = np.flatnonzero(score[item] >= 0)[:1]
                price = item_cost + label_cost * len(wanted)
                if len(wanted) == 0 or money + price > per_round:
                    break
                ids += [item] * len(wanted)
                labels += wanted.tolist()
                money += price
            ids, labels = np.array(ids), np.array(labels)
        elif mode == "pairs":
            # as many pairs as a round of vectors would buy, if each pair came from a new item
            ids, labels, _ = query_pairs(model, known, int(per_round // (item_cost + label_cost)))
        else:
            unknown = ~known.known.all(axis=1)
            proba = model.predict_proba(X_train)
            score = np.where(unknown, (1 - np.abs(2 * proba - 1)).mean(axis=1), -1)
            items = np.lexsort((np.arange(len(score)), -score))[:10]
            ids, labels = np.repeat(items, L), np.tile(np.arange(L), len(items))
        answers = ask(oracle, LabelRequest(ids, labels=labels))
        known.add_answers(answers)
        spent += answers.total_cost


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--budget", type=float, default=300.0)
    parser.add_argument("--item-cost", type=float, default=1.0)
    parser.add_argument("--label-cost", type=float, default=0.5)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    grid = np.linspace(0, args.budget, 7)
    print(f"settings: {vars(args)}")
    print("| mode | " + " | ".join(f"cost {g:.0f}" for g in grid) + " |")
    print("|---|" + "---|" * len(grid))
    for mode in ("vectors", "pairs", "grouped"):
        curves = [run(mode, s, args.budget, args.item_cost, args.label_cost)
                  for s in range(args.seeds)]
        values = np.array([np.interp(grid, c[:, 0], c[:, 1]) for c in curves])
        cells = [f"{m:.3f} ± {s:.3f}" for m, s in zip(values.mean(0), values.std(0))]
        print(f"| {mode} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
