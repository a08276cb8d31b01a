"""Binary text classification, after small-text's introductory tutorial.

small-text builds a ``PoolBasedActiveLearner(clf_factory, query_strategy, train)``,
starts it with ``initialize_data(indices, labels)``, and then alternates
``query(num_samples=...)`` and ``update(labels)``. Here the pool holds the raw texts, the
model is a scikit-learn pipeline (TF-IDF + logistic regression, the default) or MiniLM
fine-tuned on the labels SetFit-style (``--model setfit``, needs activelab[text]), and
the loop's ``ask`` / ``tell`` replace query / update. small-text's ``BreakingTies`` is
the ``margin`` strategy. The texts are two topics of the generated demo corpus
(:func:`activelab.models.load_sentences`); half of the sentences borrow words from the
other topic.

Run: python examples/text_classification.py [--model tfidf|setfit] [--rounds 10]
"""

from __future__ import annotations

import argparse

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from activelab import ActiveLoop, Pool, strategies
from activelab.models import load_sentences


def make_model(name: str, steps: int):
    if name == "tfidf":
        return make_pipeline(TfidfVectorizer(ngram_range=(1, 2)), LogisticRegression(C=10.0))
    from activelab.models import FineTunedTextClassifier

    return FineTunedTextClassifier(n_steps=steps, device="cpu", random_state=0)


def main(argv: list[str] | None = None) -> dict[str, list[float]]:
    parser = argparse.ArgumentParser(description="binary text classification")
    parser.add_argument("--model", choices=["tfidf", "setfit"], default="tfidf")
    parser.add_argument("--steps", type=int, default=20, help="fine-tuning steps (setfit)")
    parser.add_argument("--per-topic", type=int, default=150)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=10)
    args = parser.parse_args(argv)

    texts, topics = load_sentences(n_per_topic=args.per_topic, random_state=0)
    keep = np.isin(topics, ["sports", "music"])
    texts, labels = [t for t, k in zip(texts, keep) if k], topics[keep]
    train, test = np.arange(0, len(texts), 2), np.arange(1, len(texts), 2)
    test_texts = [texts[i] for i in test]
    # small-text's random_initialization_balanced: one labeled text of each class
    start = [int(train[labels[train] == topic][0]) for topic in ("sports", "music")]

    accuracy = {}
    for name in ("margin", "random"):
        pool = Pool([texts[i] for i in train], ids=train)
        pool.add_labels(start, labels[start])          # small-text: initialize_data(...)
        model = make_model(args.model, args.steps)
        loop = ActiveLoop(model, pool, strategies.get(name), batch_size=args.batch_size,
                          random_state=0)
        accuracy[name] = []
        for _ in range(args.rounds):
            query = loop.ask()                         # small-text: query(num_samples=...)
            accuracy[name].append(float((model.predict(test_texts) == labels[test]).mean()))
            loop.tell(query.ids, labels[query.ids])    # small-text: update(y)
        loop.fit()
        accuracy[name].append(float((model.predict(test_texts) == labels[test]).mean()))
        steps = ", ".join(f"{len(start) + i * args.batch_size}: {a:.3f}"
                          for i, a in enumerate(accuracy[name]))
        print(f"{name:6s} test accuracy by labels  {steps}")
    return accuracy


if __name__ == "__main__":
    main()
