"""Writing a bench run out: results.json, learning_curves.png, report.html, and a summary.

Every label names the run's primary metric (``results["metric"]``: accuracy, R² or
micro-F1); a results document without one is read as accuracy.
"""

from __future__ import annotations

import base64
import html
import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from .control_report import CONTROL_COLUMNS, control_lines, control_rows
from .metrics import METRIC_LABELS

__all__ = [
    "columns",
    "headline",
    "markdown_summary",
    "output_folder",
    "secondary_rows",
    "summary_rows",
    "write_outputs",
]

_SHORT = {"accuracy": "acc"}


def _percent(results: dict[str, Any]) -> str:
    return f"{100 * results['target_fraction']:g}%"


def _metric(results: dict[str, Any]) -> str:
    return str(results.get("metric", "accuracy"))


def _label(name: str) -> str:
    return METRIC_LABELS.get(name, name)


def _target(results: dict[str, Any]) -> float:
    return float(results[f"target_{_metric(results)}"])


def _full(results: dict[str, Any]) -> dict[str, Any]:
    return results[f"full_data_{_metric(results)}"]


def columns(results: dict[str, Any]) -> list[str]:
    """The summary table's column names."""
    metric = _metric(results)
    return ["strategy", "AULC ± std", f"final {_SHORT.get(metric, _label(metric))}",
            f"labels to {_percent(results)}", "saved vs random", "query ms"]


def _labels_to_target_text(entry: dict[str, Any], repeats: int) -> str:
    info = entry["labels_to_target"]
    if info["mean"] is None:
        return f"not reached (0/{repeats})"
    bound = "≥ " if info.get("mean_is_lower_bound") else ""
    return f"{bound}{info['mean']:.0f} ({info['reached']}/{repeats})"


def _saved_text(name: str, entry: dict[str, Any]) -> str:
    vs = entry.get("vs_random")
    if vs is None:
        return "–"
    if name == "random":
        return "baseline"
    saved = vs["labels_saved_at_target"]
    if saved is not None:
        return f"{'≥ ' if vs['labels_saved_at_target_is_lower_bound'] else ''}{saved:+d}"
    saved = vs["labels_saved_at_random_final"]
    if saved is None:
        return "never matched random"
    return f"{saved:+d} (at random's final)"


def summary_rows(results: dict[str, Any]) -> list[list[str]]:
    """One row per strategy, best mean AULC first, in the order of :func:`columns`."""
    repeats = results["settings"]["repeats"]
    entries = sorted(results["strategies"].items(), key=lambda kv: -kv[1]["aulc"]["mean"])
    return [
        [
            name,
            f"{e['aulc']['mean']:.4f} ± {e['aulc']['std']:.4f}",
            f"{e[f'final_{_metric(results)}']['mean']:.4f}",
            _labels_to_target_text(e, repeats),
            _saved_text(name, e),
            f"{1000 * e['mean_query_time']:.1f}",
        ]
        for name, e in entries
    ]


def secondary_rows(results: dict[str, Any]) -> list[list[str]]:
    """``[strategy, final mean of each secondary metric...]``, in the order of :func:`summary_rows`.

    Empty when the run recorded no secondary metrics (classification).
    """
    others = results.get("secondary_metrics", [])
    if not others:
        return []
    entries = sorted(results["strategies"].items(), key=lambda kv: -kv[1]["aulc"]["mean"])
    return [[name, *(f"{e[f'final_{m}']['mean']:.4f}" for m in others)] for name, e in entries]


def headline(results: dict[str, Any]) -> str:
    """One or two sentences on what active learning saved against random."""
    target = _target(results)
    label = _label(_metric(results))
    entries = results["strategies"]
    best = max(entries, key=lambda n: entries[n]["aulc"]["mean"])
    if "random" not in entries:
        return f"Best mean AULC: {best} ({entries[best]['aulc']['mean']:.4f})."
    if best == "random":
        return (
            "No strategy beat random sampling on mean AULC in this run "
            f"(random: {entries['random']['aulc']['mean']:.4f})."
        )
    vs = entries[best]["vs_random"]
    text = (
        f"{best} has the best mean AULC ({entries[best]['aulc']['mean']:.4f} vs random "
        f"{entries['random']['aulc']['mean']:.4f})."
    )
    mine, theirs = vs["labels_to_target_mean_curve"], vs["random_labels_to_target_mean_curve"]
    if mine is not None and theirs is not None:
        text += (
            f" On the mean learning curve it reached {_percent(results)} of full-data {label} "
            f"({target:.3f}) with {mine} labels; random needed {theirs} "
            f"({theirs - mine} labels saved)."
        )
    elif mine is not None:
        last = int(entries["random"]["mean_curve"][-1][0])
        text += (
            f" It reached {_percent(results)} of full-data {label} ({target:.3f}) with {mine} labels; "
            f"random did not within {last} (more than {last - mine} labels saved)."
        )
    elif vs["labels_to_match_random_final"] is not None:
        text += (
            f" It matched random's final {label} with {vs['labels_to_match_random_final']} "
            f"labels ({vs['labels_saved_at_random_final']} saved)."
        )
    return text


def markdown_summary(results: dict[str, Any]) -> str:
    """The summary table and headline as Markdown, ready to paste into a report."""
    names = columns(results)
    lines = ["| " + " | ".join(names) + " |", "|" + "---|" * len(names)]
    lines += ["| " + " | ".join(row) + " |" for row in summary_rows(results)]
    full = _full(results)
    label = _label(_metric(results))
    lines += [
        "",
        f"Full-data {label} (same model on the whole training split): "
        f"{full['mean']:.4f} ± {full['std']:.4f}. {headline(results)}",
    ]
    lines += [f"\n**Warning:** {why}." for why in results.get("warnings", [])]
    extra = secondary_rows(results)
    if extra:
        names = ["strategy", *(f"final {_label(m)}" for m in results["secondary_metrics"])]
        lines += ["", "| " + " | ".join(names) + " |", "|" + "---|" * len(names)]
        lines += ["| " + " | ".join(row) + " |" for row in extra]
    lines += control_lines(results)
    return "\n".join(lines) + "\n"


def plot_learning_curves(results: dict[str, Any], path: Path) -> None:
    """Mean learning curve of every strategy with a ±1 std band, and the targets."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5), dpi=110)
    for name, entry in results["strategies"].items():
        curve = np.array(entry["mean_curve"])
        line = ax.plot(curve[:, 0], curve[:, 1], label=name, lw=2,
                       ls="--" if name == "random" else "-")[0]
        ax.fill_between(curve[:, 0], curve[:, 1] - curve[:, 2], curve[:, 1] + curve[:, 2],
                        color=line.get_color(), alpha=0.15)
    full = _full(results)["mean"]
    target = _target(results)
    ax.axhline(full, color="black", lw=1, ls=":", label=f"full data ({full:.3f})")
    ax.axhline(target, color="grey", lw=1, ls="-.",
               label=f"{_percent(results)} of full ({target:.3f})")
    settings = results["settings"]
    ax.set_xlabel("labeled items")
    ax.set_ylabel(f"test {_label(_metric(results))}")
    ax.set_title(f"{results['data']['name']} · {settings['model']} · "
                 f"{settings['repeats']} repeats (mean ± std)")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_cost_curves(results: dict[str, Any], path: Path) -> None:
    """Mean test metric against the cumulative labeling cost (the initial labels cost 0)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5), dpi=110)
    for name, entry in results["strategies"].items():
        curve = np.array(entry["mean_cost_curve"])
        ax.plot(curve[:, 0], curve[:, 1], label=name, lw=2, ls="--" if name == "random" else "-")
    ax.axhline(_target(results), color="grey", lw=1, ls="-.", label=f"{_percent(results)} of full")
    ax.set_xlabel("cumulative labeling cost")
    ax.set_ylabel(f"test {_label(_metric(results))}")
    ax.set_title(f"{results['data']['name']} · metric against cost (mean of repeats)")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _html(results: dict[str, Any], png: bytes) -> str:
    esc = html.escape
    head = "".join(f"<th>{esc(c)}</th>" for c in columns(results))
    body = "".join(
        "<tr>" + "".join(f"<td>{esc(cell)}</td>" for cell in row) + "</tr>"
        for row in summary_rows(results)
    )
    settings = "".join(
        f"<tr><th>{esc(k)}</th><td>{esc(str(v))}</td></tr>" for k, v in results["settings"].items()
    )
    image = base64.b64encode(png).decode()
    warned = "".join(f'<p class="warning"><strong>Warning:</strong> {esc(why)}.</p>'
                     for why in results.get("warnings", []))
    data = results["data"]
    label = esc(_label(_metric(results)))
    negative = (
        " R² is negative while the model predicts worse than the test mean; the AULC is still "
        "the mean over the range."
        if _metric(results) == "r2" else ""
    )
    extra = secondary_rows(results)
    secondary = ""
    if extra:
        heads = "".join(
            f"<th>final {esc(_label(m))}</th>" for m in results["secondary_metrics"]
        )
        cells = "".join(
            "<tr>" + "".join(f"<td>{esc(cell)}</td>" for cell in row) + "</tr>" for row in extra
        )
        secondary = (
            "<h2>Other metrics</h2><p>Mean over repeats at the end of the budget; the full "
            "curves are in results.json (<code>secondary_curves</code>).</p>"
            f"<table><tr><th>strategy</th>{heads}</tr>{cells}</table>"
        )
    control = _control_html(results)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>activelab bench: {esc(data['name'])}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; color: #222; }}
table {{ border-collapse: collapse; margin: 1rem 0; }}
td, th {{ border: 1px solid #ccc; padding: .3rem .6rem; text-align: left; }}
img {{ max-width: 100%; }}
</style></head><body>
<h1>activelab bench: {esc(data['name'])}</h1>
<p>{esc(data['description'])}</p>
<p><strong>{esc(headline(results))}</strong></p>
{warned}
<table><tr>{head}</tr>{body}</table>
<p>AULC is the mean test {label} over the labeling range (trapezoidal area under the
learning curve divided by its width).{negative} "Labels to {_percent(results)}" is the mean over
repeats of the first label count whose {label} is at least {_percent(results)} of the {label} of
the same model trained on the whole training split ({_full(results)['mean']:.4f} on
average); a repeat that never got there counts as the budget, and the mean is then marked ≥
(a lower bound). In brackets: how many repeats got there. "Saved vs random" compares the mean
learning curves. Raw numbers: <a href="results.json">results.json</a>.</p>
<img alt="learning curves" src="data:image/png;base64,{image}">
{secondary}
{control}
<h2>Settings</h2><table>{settings}</table>
<p>activelab {esc(results['activelab_version'])}, {results['elapsed_seconds']:.1f} s.</p>
</body></html>
"""


def _control_html(results: dict[str, Any]) -> str:
    """The control slice's table for report.html; empty without a control share."""
    rows = control_rows(results)
    if not rows:
        return ""
    esc = html.escape
    head = "".join(f"<th>{esc(c)}</th>" for c in CONTROL_COLUMNS)
    body = "".join("<tr>" + "".join(f"<td>{esc(cell)}</td>" for cell in row) + "</tr>"
                   for row in rows)
    explained = esc(control_lines(results)[1])
    return f"<h2>Control slice</h2><p>{explained}</p><table><tr>{head}</tr>{body}</table>"


@contextmanager
def output_folder(path: Path) -> Iterator[Path]:
    """Make the folder ``path`` (and its missing parents) for the block's writing; if the
    block fails, remove what was made here, so a refused run leaves nothing behind."""
    path = Path(path)
    made = next((p for p in [*reversed(path.parents), path] if not p.exists()), None)
    try:
        path.mkdir(parents=True, exist_ok=True)
        yield path
    except BaseException:
        if made is not None:
            shutil.rmtree(made, ignore_errors=True)
        raise


def write_outputs(results: dict[str, Any], out_dir: Path) -> dict[str, Path]:
    """Write results.json, learning_curves.png, report.html and summary.md into ``out_dir``.

    Also cost_curves.png (the metric against cumulative labeling cost) when the results
    hold cost curves.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "results": out_dir / "results.json",
        "plot": out_dir / "learning_curves.png",
        "report": out_dir / "report.html",
        "summary": out_dir / "summary.md",
    }
    paths["results"].write_text(json.dumps(results, indent=1) + "\n")
    paths["summary"].write_text(markdown_summary(results))
    plot_learning_curves(results, paths["plot"])
    if all("mean_cost_curve" in entry for entry in results["strategies"].values()):
        paths["cost_plot"] = out_dir / "cost_curves.png"
        plot_cost_curves(results, paths["cost_plot"])
    paths["report"].write_text(_html(results, paths["plot"].read_bytes()))
    return paths


def write_scenario_outputs(
    results: dict[str, Any], out_dir: Path, summary: str, plot_name: str, plot: Any
) -> dict[str, Path]:
    """results.json, summary.md and ``plot_name`` (drawn by ``plot(results, path)``; a plot
    that returns ``None`` drew nothing and is left out) into ``out_dir``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"results": out_dir / "results.json", "summary": out_dir / "summary.md",
             "plot": out_dir / plot_name}
    paths["results"].write_text(json.dumps(results, indent=1))
    paths["summary"].write_text(summary)
    if plot(results, paths["plot"]) is None:
        del paths["plot"]
    return paths
