"""The ``activelab`` command line.

Every foreseeable mistake (a missing file, an unknown strategy, a budget larger than the
pool, ...) ends with one line on stderr that says what to do, and exit status 2.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .bench.synthesis_bench import BLACK_BOXES, METHODS
from .errors import ActiveLabError
from .models.catalog import DEFAULT_MODELS, TASK_MODELS
from .scenarios.stream_rules import RULES
from .validation import (
    MAX_ITEMS,
    MAX_JOBS,
    MAX_REPEATS,
    MAX_SEED,
    check_options_apply,
    check_out_folder,
)


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


_NO_ARGS_IS_HELP = getattr(click.exceptions, "NoArgsIsHelpError", ())


class _Group(click.Group):
    """Turns ActiveLabError and click's usage errors into one line on stderr, exit status 2."""

    def main(self, *args: object, **kwargs: object) -> object:
        if kwargs.pop("standalone_mode", True) is False:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            return super().main(*args, standalone_mode=False, **kwargs)
        except click.exceptions.Exit as done:
            sys.exit(done.exit_code)
        except click.Abort:
            click.echo("aborted", err=True)
            sys.exit(1)
        except _NO_ARGS_IS_HELP as shown:
            click.echo(shown.format_message())
            sys.exit(0)
        except click.ClickException as err:
            command = err.ctx.command_path if getattr(err, "ctx", None) else "activelab"
            _fail(f"{err.format_message()} (see `{command} --help`)")
        return None

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except ActiveLabError as err:
            _fail(str(err))
        return None


@click.group(cls=_Group)
@click.version_option(package_name="activelab")
def main() -> None:
    """activelab: active learning that picks the labels worth paying for."""


def _csv_list(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _models_help() -> str:
    """The --model help: every model of the catalog, by task, the default first."""
    parts = []
    for task, models in TASK_MODELS.items():
        names = [f"{name} (default)" if name == DEFAULT_MODELS[task] else name
                 for name in models.available()]
        parts.append(f"{task}: {', '.join(names)}")
    return "; ".join(parts) + ". The torch-* models need activelab[torch], minilm-head " \
        "activelab[text]."


@main.command()
@click.option("--scenario", default="pool", show_default=True,
              type=click.Choice(["pool", "stream", "synthesis"], case_sensitive=False),
              help="pool: strategies on a labeled data set. stream: decision rules on a drifting "
              "stream (docs/stream.md). synthesis: synthesised queries to a black box "
              "(docs/synthesis.md).")
@click.option("--data", default=None, help="A bundled data set name (see `activelab datasets`) "
              "or a .csv, .parquet, .npz, .svm or .jsonl file. stream: hyperplane (default), "
              "sea or a CSV file whose last column is the label; synthesis: black boxes "
              f"{', '.join(BLACK_BOXES.available())} (default all).")
@click.option("--rules", default=None, help="stream: decision rules "
              f"{', '.join(RULES.available())} (default all); synthesis: methods "
              f"{', '.join(METHODS.available())} (default all).")
@click.option("--label-fraction", default=0.05, show_default=True, type=float,
              help="stream: share of the stream that may be labeled, in (0, 1].")
@click.option("--items", default=100_000, show_default=True, type=int,
              help=f"stream: items in the stream (at most {MAX_ITEMS:,}).")
@click.option("--target", default=None, help="The label column of a table file; several "
              "comma-separated 0/1 columns (a,b,c) make multi-label data.")
@click.option("--task", default="auto", show_default=True,
              type=click.Choice(["auto", "classification", "regression", "multilabel"],
                                case_sensitive=False),
              help="What the labels are. auto: a 0/1 label matrix is multilabel, real numbers "
              "with more than 20 distinct values are regression, anything else classification.")
@click.option("--strategies", "strategy_names", default="margin,entropy,random",
              show_default=True, help="Comma-separated strategy names (see `activelab strategies`).")
@click.option("--model", default=None, help=_models_help())
@click.option("--initial", default=10, show_default=True, type=int,
              help="Labels drawn at random before the first query.")
@click.option("--budget", default=200, show_default=True, type=int,
              help="Total labels at the end, the initial ones included.")
@click.option("--batch-size", default=10, show_default=True, type=int,
              help="Labels asked for per round.")
@click.option("--repeats", default=5, show_default=True, type=int,
              help=f"Repeats, each with its own split and initial set (at most {MAX_REPEATS}).")
@click.option("--test-size", default=0.25, show_default=True, type=float,
              help="Share of the data held out for testing.")
@click.option("--seed", default=0, show_default=True, type=int, help=f"Seed of the first repeat; repeat r uses seed + r, at most {MAX_SEED}.")
@click.option("--jobs", default=1, show_default=True, type=int,
              help=f"Parallel worker processes (joblib; at most {MAX_JOBS}).")
@click.option("--training", default="full", show_default=True,
              type=click.Choice(["full", "incremental", "self-training", "ceal"]),
              help="How the model is retrained each round: full refit, incremental "
              "(partial_fit / warm start), self-training or CEAL (see docs/training.md).")
@click.option("--out", default="bench-output", show_default=True, type=click.Path(),
              help="Folder for results.json, learning_curves.png and report.html.")
@click.option("--executor", default="joblib", show_default=True,
              type=click.Choice(["joblib", "dask"]),
              help="Where the repeats run: joblib processes, or Dask (needs activelab[dask]).")
@click.option("--scheduler", default=None,
              help="With --executor dask: a scheduler address (tcp://host:8786); "
              "default: a local cluster of --jobs workers.")
@click.option("--categorical", default=None,
              help="Table columns to one-hot encode as categories even though they hold "
              "numbers (COL[,COL]); needed for a mostly-numeric column with a few words in it.")
def bench(
    scenario: str, data: str | None, rules: str | None, label_fraction: float, items: int,
    target: str | None, task: str, strategy_names: str, model: str | None,
    initial: int, budget: int, batch_size: int, repeats: int, test_size: float, seed: int,
    jobs: int, out: str, training: str = "full", executor: str = "joblib",
    scheduler: str | None = None, categorical: str | None = None,
) -> None:
    """Compare strategies by simulated active learning on labeled data."""
    scenario = scenario.lower()
    check_options_apply(_given_options(), f"--scenario {scenario}", SCENARIO_OPTIONS[scenario])
    out_dir = check_out_folder(out)
    if scenario == "stream":
        from .bench.stream_bench import run_from_cli as run_stream

        return run_stream(data, rules, items, label_fraction, repeats, seed, model, out_dir)
    if scenario == "synthesis":
        from .bench.synthesis_bench import run_from_cli as run_synthesis

        return run_synthesis(data, rules, initial, budget, repeats, seed, out_dir)
    if data is None:
        raise click.UsageError("Missing option '--data'.")
    from .bench.runner import BenchSettings

    settings = BenchSettings(
        data=data, target=target, strategies=_csv_list(strategy_names), model=model,
        initial=initial, budget=budget, batch_size=batch_size, repeats=repeats,
        test_size=test_size, seed=seed, jobs=jobs, task=task, training=training,
    )
    if scheduler is not None and executor != "dask":
        raise ActiveLabError("--scheduler needs --executor dask")
    _run_pool_bench(settings, _csv_list(categorical or ""), out_dir, executor, scheduler)
    return None


#: The options each --scenario reads; any other option given is refused (exit status 2).
SCENARIO_OPTIONS = {
    "pool": ("--scenario", "--data", "--target", "--task", "--strategies", "--model",
             "--initial", "--budget", "--batch-size", "--repeats", "--test-size", "--seed",
             "--jobs", "--training", "--out", "--executor", "--scheduler", "--categorical"),
    "stream": ("--scenario", "--data", "--rules", "--label-fraction", "--items", "--repeats",
               "--seed", "--model", "--out"),
    "synthesis": ("--scenario", "--data", "--rules", "--initial", "--budget", "--repeats",
                  "--seed", "--out"),
}


def _given_options() -> list[str]:
    """The options of the running command that the user gave (not left at their default)."""
    from click.core import ParameterSource

    ctx = click.get_current_context()
    given = []
    for param in ctx.command.params:
        source = ctx.get_parameter_source(param.name) if param.name else None
        if source in (ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT):
            given.append(max(param.opts, key=len))
    return given


def _run_pool_bench(settings: object, categorical: list[str], out_dir: Path, executor: str,
                    scheduler: str | None) -> None:
    """The pool bench after its options passed: load, check, simulate, write, print."""
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
    from rich.table import Table

    from .bench.report import columns, headline, output_folder, summary_rows, write_outputs
    from .bench.runner import BenchSettings, run_bench
    from .data.datasets import load

    assert isinstance(settings, BenchSettings)
    console = Console(width=None if sys.stdout.isatty() else 110)
    dataset = load(settings.data, target=settings.target,
                   categorical=categorical).for_task(settings.task)
    settings.check(dataset)
    console.print(f"[bold]{escape(dataset.name)}[/]: {escape(dataset.description)}")
    with Progress(
        "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=console, transient=True,
    ) as progress:
        bar = progress.add_task("simulating", total=None)
        results = run_bench(
            dataset, settings,
            on_task_done=lambda done, total: progress.update(bar, completed=done, total=total),
            executor=executor, scheduler=scheduler,
        )
    try:
        with output_folder(out_dir):
            paths = write_outputs(results, out_dir)
    except OSError as err:
        raise ActiveLabError(f"could not write the results into {out_dir}: {err.strerror}") from err

    ran = results["settings"]
    table = Table(title=escape(f"{dataset.name} · {ran['task']} · {ran['model']} · "
                               f"{settings.repeats} repeats · budget {settings.budget}"))
    for column in columns(results):
        table.add_column(escape(column))
    for row in summary_rows(results):
        table.add_row(*map(escape, row))
    console.print(table)
    console.print(escape(headline(results)))
    console.print(escape(f"Report: {paths['report']}  (results: {paths['results']}, "
                         f"plot: {paths['plot']})"))


@main.command("strategies")
def list_strategies() -> None:
    """List the strategy names that --strategies accepts."""
    from . import strategies

    for name in strategies.available():
        doc = (type(strategies.get(name)).__doc__ or "").strip().splitlines()[0]
        click.echo(f"{name:20s} {doc}")


@main.command("datasets")
def list_datasets() -> None:
    """List the bundled data sets that --data accepts."""
    from .data.datasets import bundled_names, load

    for name in bundled_names():
        click.echo(f"{name:17s} {load(name).description}")


from .server.cli import export, serve, users  # noqa: E402  (the labeling server, issue 8)

main.add_command(serve)
main.add_command(users)
main.add_command(export)

from .integrations.label_studio.cli import ml_backend  # noqa: E402  (issue 15)

main.add_command(ml_backend)

if __name__ == "__main__":
    main()
