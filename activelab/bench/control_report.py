"""The control slice in the bench's and the suite's reports (see :mod:`.control_slice`)."""

from __future__ import annotations

from typing import Any

__all__ = ["CONTROL_COLUMNS", "control_headlines", "control_lines", "control_rows",
           "gain_sentence", "suite_control_headlines", "suite_control_lines"]

CONTROL_COLUMNS = ["strategy", "rounds", "interval covers the pool truth", "mean error",
                   "covers test accuracy", "AULC cost (without − with)",
                   "final round: gain over random"]


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def gain_sentence(final_gain: dict[str, Any]) -> str:
    """"active learning is ahead of random by X ± Y points at N labels", from the mean over
    the seeds of the last round's gain estimate and the half width of its interval."""
    mean = final_gain.get("mean")
    if mean is None:
        return "no gain estimate (too few control items)"
    word = "ahead of" if mean >= 0 else "behind"
    return (f"active learning is {word} random by {100 * abs(mean):.1f} ± "
            f"{100 * final_gain['mean_half_width']:.1f} points at "
            f"{final_gain['mean_at_labels']:.0f} labels")


def control_rows(results: dict[str, Any]) -> list[list[str]]:
    """One row per strategy of a bench run with a control share, in :data:`CONTROL_COLUMNS`
    order; empty without one."""
    rows = []
    for name, entry in results["strategies"].items():
        control = entry.get("control")
        if control is None:
            continue
        pool, test = control["coverage"]["pool_truth"], control["coverage"]["test_accuracy"]
        error = "–" if pool["mean_error"] is None else f"{pool['mean_error']:+.4f}"
        cost = control["aulc_cost"]
        rows.append([name, str(pool["rounds"]), _percent(pool["covered"]), error,
                     _percent(test["covered"]), f"{cost['mean']:+.4f} ± {cost['std']:.4f}",
                     gain_sentence(control["final_gain"])])
    return rows


def control_lines(results: dict[str, Any]) -> list[str]:
    """The control section of a bench run's summary.md; empty without a control share."""
    rows = control_rows(results)
    if not rows:
        return []
    share, level = results["control"]["share"], f"{100 * results['control']['confidence']:g}%"
    return [
        "", f"Control slice: {100 * share:g}% of each batch drawn at random; its {level} "
        "accuracy interval against the truth (the pool truth: the accuracy on the unlabeled "
        "pool of the models it pools, which it estimates), every round of every seed; the "
        "AULC cost: the same strategy without the slice minus with it, mean ± std over "
        "paired seeds; the gain: the last round's estimate, mean over seeds ± the mean half "
        "width of its interval.", "",
        "| " + " | ".join(CONTROL_COLUMNS) + " |", "|" + "---|" * len(CONTROL_COLUMNS),
        *("| " + " | ".join(row) + " |" for row in rows),
    ]


def suite_control_lines(results: dict[str, Any]) -> list[str]:
    """The control section of a suite's summary.md; empty without a control share."""
    control = results.get("control")
    if not control:
        return []
    level = f"{100 * control['confidence']:g}%"
    lines = [
        "", f"Control slice ({100 * control['share']:g}% of each batch at random), over every "
        f"round of every seed and data set: how often the stated {level} interval held the "
        "truth, and the AULC cost of the slice (without minus with, mean over data sets; "
        "data sets where the paired test finds the slice costly / helpful):", "",
        "| strategy | rounds | covers the pool truth | mean error | covers test accuracy | "
        "AULC cost | costly / helpful data sets |", "|---|---|---|---|---|---|---|",
    ]
    for name, entry in control["strategies"].items():
        pool, test = entry["coverage"]["pool_truth"], entry["coverage"]["test_accuracy"]
        error = "–" if pool["mean_error"] is None else f"{pool['mean_error']:+.4f}"
        lines.append(f"| {name} | {pool['rounds']} | {_percent(pool['covered'])} | {error} | "
                     f"{_percent(test['covered'])} | {entry['aulc_cost_mean']:+.4f} | "
                     f"{entry['costly_datasets']} / {entry['gainful_datasets']} |")
    names = list(control["strategies"])
    datasets = list(control["strategies"][names[0]]["coverage_per_dataset"])
    lines += ["", "Per data set: coverage of the pool truth / AULC cost.", "",
              "| data set | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for data in datasets:
        cells = [f"{_percent(control['strategies'][n]['coverage_per_dataset'][data])} / "
                 f"{control['strategies'][n]['aulc_cost_per_dataset'][data]:+.4f}"
                 for n in names]
        lines.append(f"| {data} | " + " | ".join(cells) + " |")
    return lines


def control_headlines(results: dict[str, Any]) -> list[str]:
    """One line per strategy of a bench run with a control share: the gain sentence and the
    coverage of the accuracy interval."""
    lines = []
    for name, entry in results["strategies"].items():
        control = entry.get("control")
        if control is not None:
            pool = control["coverage"]["pool_truth"]
            lines.append(f"{name}, control slice: {gain_sentence(control['final_gain'])}; "
                         f"its accuracy interval held the truth in {_percent(pool['covered'])}"
                         f" of {pool['rounds']} rounds")
    return lines


def suite_control_headlines(results: dict[str, Any]) -> list[str]:
    """One line per strategy of a suite run with a control share."""
    control = results.get("control") or {"strategies": {}}
    return [f"{name}, control slice: interval held the truth in "
            f"{_percent(entry['coverage']['pool_truth']['covered'])} of "
            f"{entry['coverage']['pool_truth']['rounds']} rounds; AULC cost "
            f"{entry['aulc_cost_mean']:+.4f}" for name, entry in control["strategies"].items()]
