"""Run the bench over the bundled classification data sets and compile one table.

    python examples/bench_catalogue.py --strategies margin,entropy,coreset,random \
        --model logreg --repeats 10 --out docs/results/catalogue-logreg

For each data set it writes results.json, learning_curves.png and summary.md into
OUT/<data set>/ (not report.html, which repeats them), and then
OUT/README.md: mean AULC per strategy and data set, the difference to random, and
whether the strategy beat random by more than the spread of the two (std over repeats).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from activelab.bench import BenchSettings, run_bench, write_outputs
from activelab.data.datasets import load

#: data set -> (initial labels, budget, batch size); budgets fit each training split
SETTINGS = {
    "iris": (6, 60, 3),
    "wine": (6, 60, 3),
    "breast_cancer": (10, 150, 10),
    "digits": (10, 200, 10),
    "blobs": (10, 200, 10),
    "moons": (10, 150, 10),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strategies", default="margin,entropy,least_confidence,random")
    parser.add_argument("--model", default="logreg")
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--datasets", default=",".join(SETTINGS))
    parser.add_argument("--out", default="docs/results/catalogue")
    args = parser.parse_args()

    names = [s.strip() for s in args.strategies.split(",") if s.strip()]
    out = Path(args.out)
    rows: dict[str, dict[str, dict]] = {}
    for data in args.datasets.split(","):
        initial, budget, batch = SETTINGS[data]
        settings = BenchSettings(data=data, strategies=names, model=args.model, initial=initial,
                                 budget=budget, batch_size=batch, repeats=args.repeats,
                                 jobs=args.jobs)
        started = time.perf_counter()
        results = run_bench(load(data), settings)
        paths = write_outputs(results, out / data)
        paths["report"].unlink()  # the catalogue keeps the JSON, plot and summary it repeats
        rows[data] = results["strategies"]
        print(f"{data}: {time.perf_counter() - started:.0f} s")

    command = (f"python examples/bench_catalogue.py --strategies {args.strategies} "
               f"--model {args.model} --repeats {args.repeats} --out {args.out}")
    lines = [
        f"# Strategies against random: {args.model}, {args.repeats} repeats",
        "",
        f"Made by `{command}`.",
        "Each cell: mean AULC (accuracy, see docs/bench.md) and, in brackets, the difference to",
        "random. **Bold**: better than random by more than the larger of the two standard",
        "deviations over repeats; *italic*: worse than random by more than that.",
        "",
        "| strategy | " + " | ".join(rows) + " |",
        "|---|" + "---|" * len(rows),
    ]
    for name in names:
        cells = []
        for entries in rows.values():
            mine, base = entries[name]["aulc"], entries.get("random", {}).get("aulc")
            text = f"{mine['mean']:.3f}"
            if base is not None and name != "random":
                diff = mine["mean"] - base["mean"]
                spread = max(mine["std"], base["std"])
                text += f" ({diff:+.3f})"
                if diff > spread:
                    text = f"**{text}**"
                elif diff < -spread:
                    text = f"*{text}*"
            cells.append(text)
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", "Settings per data set (initial, budget, batch): " + ", ".join(
        f"{d} {SETTINGS[d]}" for d in rows)]
    wins = {
        name: int(sum(
            entries[name]["aulc"]["mean"] > entries["random"]["aulc"]["mean"]
            for entries in rows.values() if "random" in entries
        ))
        for name in names if name != "random"
    }
    lines += ["", "Data sets where the mean AULC beats random's: " + ", ".join(
        f"{n} {w}/{len(rows)}" for n, w in sorted(wins.items(), key=lambda kv: -kv[1]))]
    (out / "README.md").write_text("\n".join(lines) + "\n")
    print(f"wrote {out / 'README.md'}")
    print("\n".join(lines[7:]))


if __name__ == "__main__":
    main()
