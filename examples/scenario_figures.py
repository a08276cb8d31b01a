"""Redraw the stream and synthesis figures of the docs from the committed bench results.

The numbers come from (see docs/stream.md and docs/synthesis.md):

    activelab bench --scenario stream --data hyperplane --items 100000 --label-fraction 0.05 \
        --repeats 5 --seed 0 --out docs/results/stream-hyperplane
    activelab bench --scenario synthesis --repeats 10 --initial 4 --budget 300 --seed 0 \
        --out docs/results/synthesis

Run:  python examples/scenario_figures.py   (a few seconds; writes docs/images/*.png)
"""

from __future__ import annotations

import json
from pathlib import Path

from activelab.bench.stream_bench import plot_curves
from activelab.bench.synthesis_bench import plot_queries

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    images = ROOT / "docs" / "images"
    images.mkdir(parents=True, exist_ok=True)
    synthesis = json.loads((ROOT / "docs/results/synthesis/results.json").read_text())
    plot_queries(synthesis, images / "synthesis_queries.png", seed=0)
    for name in ("hyperplane", "sea"):
        results = ROOT / f"docs/results/stream-{name}/results.json"
        if results.exists():
            plot_curves(json.loads(results.read_text()), images / f"stream_{name}.png")
    print(f"wrote figures into {images}")


if __name__ == "__main__":
    main()
