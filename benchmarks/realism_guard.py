"""Does the realism guard keep GAAL-style queries recognisable? Share of queries the stand-in
oracle labels with confidence above 0.9, with and without the guard, for both searches.

Run: OMP_NUM_THREADS=1 nice -n 5 python benchmarks/realism_guard.py

Per seed (5): the digits bench's split and VAE (activelab.bench.image_synthesis_bench),
30 random pool items labeled, and two learners fit on them: logistic regression (so
LatentSearch runs its derivative-free search) and a TorchClassifier MLP (the gradient
search). Each proposes 20 queries (20 starts, 30 steps) with the guard at ``radius="auto"``,
at 4x that radius, and without it. Reported per case: the share of queries the stand-in
oracle (the calibrated RBF SVM on all digits) labels with confidence > 0.9, the mean
distance from a query's code to the nearest encoded pool item, and the mean margin score
reached (higher: more informative to the learner). References from the same seeds: 20
random real pool items and 20 VAE reconstructions of pool items.
"""

from __future__ import annotations

import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression

from activelab.bench.image_synthesis_bench import (
    ImageSynthesisSettings,
    digits_split,
    stand_in_oracle,
)
from activelab.models import TorchClassifier
from activelab.scenarios.generative import LatentSearch, nearest_code_distance
from activelab.scenarios.space import InputSpace


def confident(oracle, X: np.ndarray) -> float:
    return float(np.mean(oracle.predict_proba(X).max(axis=1) > 0.9))


def main(seeds: int = 5, n: int = 20) -> None:
    X, y = load_digits(return_X_y=True)
    oracle = stand_in_oracle(X, y)
    settings = ImageSynthesisSettings(methods=["gaal"])
    space = InputSpace(np.zeros(64), np.full(64, 16.0))
    rows: dict[str, list[tuple[float, float, float]]] = {}
    for seed in range(seeds):
        data = digits_split(X, y, seed, settings)
        rng = np.random.default_rng(seed)
        labeled = rng.choice(len(data.X_pool), 30, replace=False)
        sample = rng.choice(len(data.X_pool), n, replace=False)
        rows.setdefault("real pool items", []).append(
            (confident(oracle, data.X_pool[sample]), 0.0, np.nan))
        rows.setdefault("VAE reconstructions of pool items", []).append(
            (confident(oracle, data.vae.reconstruct(data.X_pool[sample])), 0.0, np.nan))
        learners = {
            "logreg (derivative-free)": LogisticRegression(max_iter=3000),
            "torch MLP (gradient)": TorchClassifier(hidden=(64,), epochs=30, random_state=seed),
        }
        for learner_name, model in learners.items():
            model.fit(data.X_pool[labeled], data.y_pool[labeled])
            auto = LatentSearch(data.vae, refit=False).fit(data.X_pool).radius_
            for guard, radius in [("guard auto", "auto"), ("guard 4x auto", 4 * auto),
                                  ("no guard", None)]:
                search = LatentSearch(data.vae, n_starts=n, radius=radius, refit=False)
                search.fit(data.X_pool)
                queries = search.propose(model, data.X_pool[labeled], data.y_pool[labeled],
                                         space, n, np.random.default_rng(seed))
                distance = nearest_code_distance(search.last_codes_, search.codes_)[1].mean()
                rows.setdefault(f"{learner_name}, {guard}", []).append(
                    (confident(oracle, queries), float(distance),
                     float(search.found_scores_.mean())))
    print(f"| queries ({seeds} seeds x {n}) | oracle-confident (> 0.9) | latent distance to "
          "nearest pool code | mean margin score |")
    print("|---|---|---|---|")
    for name, values in rows.items():
        share, distance, score = np.nanmean(np.array(values, dtype=float), axis=0) \
            if not np.isnan(values[0][2]) else (*np.mean(np.array(values)[:, :2], axis=0), np.nan)
        score_text = "" if np.isnan(score) else f"{score:.3f}"
        print(f"| {name} | {100 * share:.0f}% | {distance:.2f} | {score_text} |")


if __name__ == "__main__":
    main()
