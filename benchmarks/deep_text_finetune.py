"""Fine-tuned MiniLM (SetFit-style) against frozen MiniLM vectors, on the generated sentences.

Run: OMP_NUM_THREADS=1 nice -n 5 python benchmarks/deep_text_finetune.py \
         [--models minilm-setfit,minilm-frozen] [--repeats 3] [--budget 100] [--out DIR]
     OMP_NUM_THREADS=1 nice -n 5 python benchmarks/deep_text_finetune.py --ablation

The bench models ``minilm-setfit`` and ``minilm-frozen`` take raw texts, which
``activelab bench --data`` (numeric files) cannot hold, so this script builds the text
data set (``load_sentences(n_per_topic=120)``, the corpus of benchmarks/deep_text.py, in
the same order) and calls the bench runner itself, one model at a time, writing the usual
outputs to ``DIR/<model>``. Splits and initial sets depend only on the seed and the labels,
so they are the ones ``activelab bench --data sentences.npz --model minilm-head`` uses.

``--ablation`` instead fits each configuration of :class:`FineTunedTextClassifier` (frozen,
SetFit-style on all or the top two layers, cross-entropy) on fixed random label sets of 20
and 60 texts, 3 seeds, and prints the accuracy on 150 held-out texts and the CPU seconds
per fit (predicting the 150 included): the measurement behind the model's defaults.

Printed per model: AULC (mean ± std over repeats), labels to 95% of the full-data
accuracy, and CPU time — the process's CPU seconds for the whole run (every round of every
strategy and repeat, plus the full-data fits) divided by the number of rounds.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from activelab.bench.report import write_outputs
from activelab.bench.runner import BenchSettings, run_bench
from activelab.data.dataset import Dataset
from activelab.models.text import load_sentences


def sentences_dataset(n_per_topic: int = 120) -> Dataset:
    """The generated sentences as a one-column object array of texts."""
    texts, labels = load_sentences(n_per_topic=n_per_topic, random_state=0)
    X = np.array(texts, dtype=object).reshape(-1, 1)
    what = f"generated topic sentences (load_sentences, {n_per_topic} per topic, seed 0)"
    return Dataset("sentences", X, labels, ["text"], what)


ABLATION = [
    {"n_steps": 0, "C": 10.0},
    {"n_steps": 0, "C": 100.0},
    {"objective": "cosine", "trainable_layers": 6, "C": 100.0, "n_steps": 8},
    {"objective": "cosine", "trainable_layers": 6, "C": 100.0, "n_steps": 20},
    {"objective": "cosine", "trainable_layers": 2, "C": 100.0, "n_steps": 20},
    {"objective": "cross_entropy", "trainable_layers": 6, "C": 100.0, "n_steps": 20},
]


def ablation(n_per_topic: int = 120, seeds: int = 3) -> None:
    from activelab.models.text_finetune import FineTunedTextClassifier

    texts, labels = load_sentences(n_per_topic=n_per_topic, random_state=0)
    texts = np.array(texts, dtype=object)
    order = np.random.default_rng(0).permutation(len(texts))
    test, train = order[:150], order[150:]
    for n_labels in (20, 60):
        for params in ABLATION:
            accuracy = []
            start = time.process_time()
            for seed in range(seeds):
                rows = np.random.default_rng(seed + 10).choice(train, n_labels, replace=False)
                model = FineTunedTextClassifier(device="cpu", random_state=seed, **params)
                model.fit(list(texts[rows]), labels[rows])
                accuracy.append(float((model.predict(list(texts[test])) == labels[test]).mean()))
            cpu = (time.process_time() - start) / seeds
            print(f"{n_labels} labels {params}: accuracy {np.mean(accuracy):.3f} "
                  f"({', '.join(f'{a:.3f}' for a in accuracy)}), {cpu:.1f} s CPU per fit",
                  flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="minilm-setfit,minilm-frozen")
    parser.add_argument("--strategies", default="margin,random")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--initial", type=int, default=10)
    parser.add_argument("--budget", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=10)
    parser.add_argument("--n-per-topic", type=int, default=120)
    parser.add_argument("--out", default="docs/results/deep-text-finetune")
    parser.add_argument("--ablation", action="store_true")
    args = parser.parse_args()
    if args.ablation:
        ablation(args.n_per_topic)
        return
    dataset = sentences_dataset(args.n_per_topic)
    strategies = args.strategies.split(",")
    rounds = args.repeats * len(strategies) * ((args.budget - args.initial) // args.batch_size + 1)
    for model in args.models.split(","):
        settings = BenchSettings(
            data="sentences", model=model, strategies=strategies, initial=args.initial,
            budget=args.budget, batch_size=args.batch_size, repeats=args.repeats,
        )
        start = time.process_time()
        results = run_bench(dataset, settings)
        cpu = time.process_time() - start
        write_outputs(results, Path(args.out) / model)
        full = results["full_data_accuracy"]
        print(f"{model}: full-data accuracy {full['mean']:.4f} ± {full['std']:.4f}; "
              f"{cpu:.0f} s CPU for {rounds} rounds = {cpu / rounds:.1f} s "
              f"({cpu / rounds / 60:.3f} min) per round")
        for name, entry in results["strategies"].items():
            to_target = entry["labels_to_target"]
            print(f"  {name:8s} AULC {entry['aulc']['mean']:.4f} ± {entry['aulc']['std']:.4f}  "
                  f"final {entry['final_accuracy']['mean']:.4f}  labels to target "
                  f"{'≥ ' if to_target['mean_is_lower_bound'] else ''}{to_target['mean']:.0f} "
                  f"({to_target['reached']}/{args.repeats})  "
                  f"fit {entry['mean_fit_time']:.1f} s  query {entry['mean_query_time']:.2f} s",
                  flush=True)


if __name__ == "__main__":
    main()
