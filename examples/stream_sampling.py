"""Stream-based selective sampling, after scikit-activeml's stream tutorial.

Items of a two-class stream arrive one at a time; for each, a decision rule says at once
whether to buy its label, within a budget of 10% of the stream. The model is a logistic
regression refit on the most recent labels. Evaluation is test-then-train: every item is
predicted before its label, if bought, can teach the model. scikit-activeml's
``qs.query(candidates, clf=...)`` / ``qs.update(candidates, queried_indices)`` with a
budget manager becomes :class:`~activelab.StreamLearner`'s ``ask`` / ``tell`` (or
``run`` over the whole stream), with the budget held in every window of items.

Run: python examples/stream_sampling.py [--items 4000] [--budget 0.1]
"""

from __future__ import annotations

import argparse

from sklearn.datasets import make_blobs
from sklearn.linear_model import LogisticRegression

from activelab import StreamLearner

RULES = ("random", "fixed_uncertainty", "variable_uncertainty", "split")


def blob_stream(n_items: int, random_state: int = 0):
    """Two overlapping blobs, one item at a time, as ``(X, y)`` pairs of one row."""
    X, y = make_blobs(n_samples=n_items, centers=[[0, 0], [2, 2]], cluster_std=1.5,
                      random_state=random_state)
    for i in range(n_items):
        yield X[i : i + 1], y[i : i + 1]


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description="stream-based selective sampling")
    parser.add_argument("--items", type=int, default=4000)
    parser.add_argument("--budget", type=float, default=0.1)
    args = parser.parse_args(argv)

    accuracy = {}
    for rule in RULES:
        learner = StreamLearner(
            LogisticRegression(), rule, budget=args.budget, window=100,
            training="window", window_labels=100, refit_every=5, random_state=0,
        )
        history = learner.run(blob_stream(args.items))
        accuracy[rule] = history.accuracy()
        print(f"{rule:21s} {history.n_queried:4d} labels bought of {args.items}, "
              f"at most {history.max_window_spend(100)} in any 100 items; "
              f"prequential accuracy {accuracy[rule]:.3f}")
    return accuracy


if __name__ == "__main__":
    main()
