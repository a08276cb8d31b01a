"""Query by committee on iris, after modAL's "Query by committee" tutorial.

A committee of three different models labels iris flowers one at a time: each round the
committee is fit on the labels so far, and the flower its members disagree about most
(vote entropy) is asked for. modAL's ``Committee(learner_list, query_strategy)`` with
``committee.query`` / ``committee.teach`` becomes a :class:`~activelab.models.Committee`
model, a strategy by name, and the loop's ``ask`` / ``tell``.

Run: python examples/query_by_committee.py [--queries 20] [--strategy vote_entropy]
"""

from __future__ import annotations

import argparse

import numpy as np
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier

from activelab import ActiveLoop, Pool, strategies
from activelab.models import Committee


def main(argv: list[str] | None = None) -> list[float]:
    parser = argparse.ArgumentParser(description="query by committee on iris")
    parser.add_argument("--queries", type=int, default=20, help="labels to ask for, one by one")
    parser.add_argument("--strategy", default="vote_entropy",
                        choices=["vote_entropy", "consensus_entropy", "max_disagreement"])
    args = parser.parse_args(argv)

    X, y = load_iris(return_X_y=True)
    pool = Pool(X)
    start = np.random.default_rng(0).choice(len(X), size=6, replace=False)
    pool.add_labels(start, y[start])               # modAL: X_training=..., y_training=...

    committee = Committee([
        RandomForestClassifier(n_estimators=25, random_state=0),
        KNeighborsClassifier(n_neighbors=3),
        LogisticRegression(max_iter=1000),
    ])
    loop = ActiveLoop(committee, pool, strategies.get(args.strategy), batch_size=1,
                      random_state=0)
    accuracy = []
    for _ in range(args.queries):
        query = loop.ask()                         # modAL: committee.query(X_pool)
        accuracy.append(float((committee.predict(X) == y).mean()))
        print(f"fit on {pool.n_labeled:3d} labels: accuracy on all 150 flowers "
              f"{accuracy[-1]:.3f}; asks for flower {query.ids[0]}")
        loop.tell(query.ids, y[query.ids])         # modAL: committee.teach(X, y)
    loop.fit()
    accuracy.append(float((committee.predict(X) == y).mean()))
    print(f"final: {pool.n_labeled} labels, accuracy {accuracy[-1]:.3f}")
    return accuracy


if __name__ == "__main__":
    main()
