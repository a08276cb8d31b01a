"""Writing a suite run out: results.json, summary.md, critical_difference.png, and one
ordinary bench folder per data set (``datasets/NAME/``, see :mod:`.report`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from .cd_plot import plot_critical_difference
from .control_report import suite_control_lines
from .metrics import METRIC_LABELS
from .report import write_outputs

__all__ = ["dataset_rows", "strategy_rows", "suite_markdown", "write_suite_outputs"]

_MARK = {"win": " ▲", "loss": " ▼", "tie": ""}


def strategy_rows(results: dict[str, Any]) -> list[list[str]]:
    """Per strategy, best mean rank first: ``[strategy, mean rank, W/T/L vs random,
    mean AULC difference to random over the data sets]``."""
    comparison = results["comparison"]
    ranks = comparison["mean_ranks"]
    versus = comparison.get("vs_baseline", {})
    rows = []
    for name in sorted(ranks, key=lambda n: (ranks[n], n)):
        if name in versus:
            record = versus[name]
            wtl = f"{record['win']}/{record['tie']}/{record['loss']}"
            gain = np.mean([t["mean_difference"] for t in record["per_dataset"].values()])
            difference = f"{gain:+.4f}"
        else:
            wtl = difference = "baseline" if name == comparison["baseline"] else "–"
        rows.append([name, f"{ranks[name]:.2f}", wtl, difference])
    return rows


def dataset_rows(results: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """The header and one row per data set: its budget and each strategy's mean AULC,
    marked ▲ (▼) where the paired test finds it above (below) random."""
    comparison = results["comparison"]
    names = comparison["strategies"]
    versus = comparison.get("vs_baseline", {})
    rows = []
    for data in comparison["datasets"]:
        cells = [data, str(results["datasets"][data]["budget"])]
        for name in names:
            outcome = versus[name]["per_dataset"][data]["outcome"] if name in versus else "tie"
            cells.append(f"{comparison['mean_aulc'][data][name]:.4f}{_MARK[outcome]}")
        rows.append(cells)
    return ["data set", "budget", *names], rows


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header),
            *("| " + " | ".join(row) + " |" for row in rows)]


def suite_markdown(results: dict[str, Any]) -> str:
    """The suite's tables and tests as Markdown."""
    suite, settings, comparison = results["suite"], results["settings"], results["comparison"]
    metric = METRIC_LABELS.get(results["metric"], results["metric"])
    alpha = comparison["alpha"]
    lines = [
        f"Suite `{suite['name']}`: {len(comparison['datasets'])} data sets, model "
        f"{settings['model']}, {settings['repeats']} seeds from {settings['seed']}, "
        f"{suite['initial']} initial labels, batches of {suite['batch_size']}, budget "
        f"{suite['budget']} (at most half the training split), AULC of test {metric}; "
        f"{results['elapsed_seconds']:.0f} s.",
        "",
        *_table(["strategy", "mean rank", "win/tie/loss vs random", "mean AULC − random"],
                strategy_rows(results)),
        "",
        f"Win/tie/loss: two-sided Wilcoxon signed-rank test per data set on the paired "
        f"per-seed AULCs, alpha {alpha}, no correction across data sets. Mean rank: "
        "strategies ranked by mean AULC on each data set (1 = best, ties share), averaged.",
    ]
    if "friedman" in comparison:
        friedman, cd = comparison["friedman"], comparison["critical_difference"]
        groups = "; ".join(", ".join(g) for g in cd["groups"]) or "none"
        lines += [
            "",
            f"Friedman test: chi² = {friedman['chi2']:.2f} (p = {friedman['chi2_p_value']:.3g}), "
            f"Iman-Davenport F = {friedman['f']:.2f} (p = {friedman['f_p_value']:.3g}). "
            f"Nemenyi critical difference at alpha {alpha}: {cd['cd']:.2f} "
            f"(q = {cd['q_alpha']:.3f}); groups not significantly different: {groups}.",
        ]
    header, rows = dataset_rows(results)
    lines += ["", f"Mean AULC per data set (▲/▼: above/below random, paired test at "
              f"alpha {alpha}):", "", *_table(header, rows)]
    lines += suite_control_lines(results)
    return "\n".join(lines) + "\n"


def write_suite_outputs(results: dict[str, Any], out_dir: Path) -> dict[str, Path]:
    """Write results.json (without the per-data-set runs), summary.md,
    critical_difference.png (with two strategies or more) and ``datasets/NAME/`` (each data
    set's own bench outputs) into ``out_dir``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"results": out_dir / "results.json", "summary": out_dir / "summary.md",
             "plot": out_dir / "critical_difference.png"}
    document = {key: value for key, value in results.items() if key != "runs"}
    paths["results"].write_text(json.dumps(document, indent=1) + "\n")
    paths["summary"].write_text(suite_markdown(results))
    title = (f"suite {results['suite']['name']} · {results['settings']['model']} · "
             f"{results['settings']['repeats']} seeds · mean rank of AULC")
    if not plot_critical_difference(results["comparison"], paths["plot"], title):
        del paths["plot"]
    for name, run in results.get("runs", {}).items():
        write_outputs(run, out_dir / "datasets" / name)
    return paths
