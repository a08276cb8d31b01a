"""The VAE's training time and peak memory on the CPU, against the Gaussian mixture it sits beside.

Run: OMP_NUM_THREADS=1 nice -n 5 python benchmarks/generative_training.py

Cases: the 1,347 digits of a 75% pool (8x8, the bench's pool size) and 2,000 generated
28x28 images (a bar of random thickness and place, with noise), each with the VAE's
defaults (latent 8, 60 epochs, batch 64; MLP 256-128, or convolutional with 16 channels)
and with ``GaussianMixture(5)``, the default generator of ``LatentSynthesis``, as the
baseline measured in the same run. Each case runs in a fresh process: the data are made
and torch / scikit-learn imported first, then the process's peak resident memory is reset
(``/proc/self/clear_refs``) and the fit alone is measured: wall time, and peak resident
memory above what the process held just before the fit. Ratios are against the mixture
on the same data. The machine is shared: times drift, the ratios less.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np


def _kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def bars_28(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    images = rng.uniform(0, 0.1, (n, 28, 28))
    for image, down, place, width in zip(images, rng.integers(0, 2, n), rng.integers(0, 22, n),
                                         rng.integers(2, 7, n)):
        if down:
            image[:, place:place + width] = 1.0
        else:
            image[place:place + width, :] = 1.0
    return images.reshape(n, -1)


def one_case(case: dict) -> dict:
    from sklearn.datasets import load_digits
    from sklearn.mixture import GaussianMixture
    from sklearn.model_selection import train_test_split

    from activelab.models.vae import VAE

    if case["data"] == "digits":
        X, y = load_digits(return_X_y=True)
        X = train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)[0]
        shape = (1, 8, 8)
    else:
        X, shape = bars_28(2000), (1, 28, 28)
    if case["model"] == "gmm":
        model = GaussianMixture(5, random_state=0)
    else:
        model = VAE(architecture=case["model"], input_shape=shape, random_state=0)
    Path("/proc/self/clear_refs").write_text("5")
    before = _kib("VmRSS")
    started = time.perf_counter()
    model.fit(X)
    seconds = time.perf_counter() - started
    extra = {"final_loss": model.loss_history_[-1]} if case["model"] != "gmm" else {}
    return {**case, "rows": len(X), "features": X.shape[1], "seconds": seconds,
            "peak_mib": (_kib("VmHWM") - before) / 1024, **extra}


def main() -> None:
    rows = []
    for data in ("digits", "bars-28x28"):
        for model in ("gmm", "mlp", "conv"):
            out = subprocess.run([sys.executable, __file__, json.dumps({"data": data,
                                  "model": model})], capture_output=True, text=True, check=True)
            rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print("| data | generator | fit time (s) | x GMM | peak memory above baseline (MiB) | x GMM |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        base = next(r for r in rows if r["data"] == row["data"] and r["model"] == "gmm")
        name = {"gmm": "GaussianMixture(5)", "mlp": "VAE (MLP)", "conv": "VAE (conv)"}[row["model"]]
        print(f"| {row['data']} ({row['rows']} x {row['features']}) | {name} | "
              f"{row['seconds']:.1f} | {row['seconds'] / base['seconds']:.1f} | "
              f"{row['peak_mib']:.1f} | {row['peak_mib'] / max(base['peak_mib'], 0.1):.1f} |")


if __name__ == "__main__":
    if len(sys.argv) > 1:
        print(json.dumps(one_case(json.loads(sys.argv[1]))))
    else:
        main()
