"""The ``activelab`` command line.

Every foreseeable mistake (a missing file, an unknown strategy, a budget larger than the
pool, ...) ends with one line on stderr that says what to do, and exit status 2.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

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
              f"{', '.join(BLACK_BOXES.available())} (default all), or digits (generative "
              "active learning on images, needs activelab[torch]).")
@click.option("--rules", default=None, help="stream: decision rules "
              f"{', '.join(RULES.available())} (default all); synthesis: methods "
              f"{', '.join(METHODS.available())} (default all); with --data digits "
              "gaal, gaal-unguarded, latent-vae, latent-gmm, pool, pool-bgadl, pool-bgadl-plain, "
              "random.")
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
@click.option("--query-model", default=None,
              help="A model the strategies query instead of --model (fit on the same "
              "labels); the bench warns when it differs from --model.")
@click.option("--out", default="bench-output", show_default=True, type=click.Path(),
              help="Folder for results.json, learning_curves.png and report.html.")
@click.option("--executor", default="joblib", show_default=True,
              type=click.Choice(["joblib", "dask"]),
              help="Where the repeats run: joblib processes, or Dask (needs activelab[dask]).")
@click.option("--scheduler", default=None,
              help="With --executor dask: a scheduler address (tcp://host:8786); "
              "default: a local cluster of --jobs workers.")
@click.option("--suite", default=None,
              help="Run a benchmark suite instead of one data set: classification, low-budget, "
              "regression or tiny (see `activelab suites`); reads only --strategies (default: "
              "the suite's), --model, --repeats (default: the suite's), --seed, --jobs, --out, "
              "--control.")
@click.option("--control", default=0.0, show_default=True, type=float,
              help="pool and --suite: the share of each batch drawn at random (0 to below 1, "
              "e.g. 0.1); reports how often its 90% accuracy interval held the truth and "
              "what the slice cost in AULC (each strategy also runs without it).")
@click.option("--categorical", default=None,
              help="Table columns to one-hot encode as categories even though they hold "
              "numbers (COL[,COL]); needed for a mostly-numeric column with a few words in it.")
def bench(
    scenario: str, data: str | None, rules: str | None, label_fraction: float, items: int,
    target: str | None, task: str, strategy_names: str, model: str | None,
    initial: int, budget: int, batch_size: int, repeats: int, test_size: float, seed: int,
    jobs: int, out: str, training: str = "full", executor: str = "joblib",
    scheduler: str | None = None, categorical: str | None = None, suite: str | None = None,
    query_model: str | None = None, control: float = 0.0,
) -> None:
    """Compare strategies by simulated active learning on labeled data."""
    scenario = scenario.lower()
    check_options_apply(_given_options(), f"--scenario {scenario}", SCENARIO_OPTIONS[scenario])
    if suite is not None:
        check_options_apply(_given_options(), "--suite", SUITE_OPTIONS)
    out_dir = check_out_folder(out)
    if suite is not None:
        given = "--strategies" in _given_options()
        return _run_suite_bench(suite, _csv_list(strategy_names) if given else None, model,
                                repeats if "--repeats" in _given_options() else None,
                                seed, jobs, out_dir, control)
    if scenario == "stream":
        from .bench.stream_bench import run_from_cli as run_stream

        return run_stream(data, rules, items, label_fraction, repeats, seed, model, out_dir)
    if scenario == "synthesis" and data is not None and data.strip().lower() == "digits":
        from .bench.image_synthesis_bench import run_from_cli as run_on_digits

        return run_on_digits(rules, initial, budget, repeats, seed, out_dir)
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
        query_model=query_model, control=control,
    )
    if scheduler is not None and executor != "dask":
        raise ActiveLabError("--scheduler needs --executor dask")
    _run_pool_bench(settings, _csv_list(categorical or ""), out_dir, executor, scheduler)
    return None


#: The options each --scenario reads; any other option given is refused (exit status 2).
SCENARIO_OPTIONS = {
    "pool": ("--scenario", "--data", "--target", "--task", "--strategies", "--model",
             "--initial", "--budget", "--batch-size", "--repeats", "--test-size", "--seed",
             "--jobs", "--training", "--out", "--executor", "--scheduler", "--categorical",
             "--query-model", "--suite", "--control"),
    "stream": ("--scenario", "--data", "--rules", "--label-fraction", "--items", "--repeats",
               "--seed", "--model", "--out"),
    "synthesis": ("--scenario", "--data", "--rules", "--initial", "--budget", "--repeats",
                  "--seed", "--out"),
}


#: The options ``--suite`` reads; the suite sets the others per data set.
SUITE_OPTIONS = ("--scenario", "--suite", "--strategies", "--model", "--repeats", "--seed",
                 "--jobs", "--out", "--control")


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


@contextmanager
def _progress_bar(console: Any) -> Iterator[Callable[..., None]]:
    """A transient progress bar on ``console``; yields its ``update(**fields)``."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    with Progress(
        "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=console, transient=True,
    ) as progress:
        bar = progress.add_task("simulating", total=None)
        yield lambda **fields: progress.update(bar, **fields)


def _write_into(out_dir: Path, write: Callable[[Any, Path], dict[str, Path]],
                results: Any) -> dict[str, Path]:
    """``write(results, out_dir)``, leaving nothing behind and one clear line if it fails."""
    from .bench.report import output_folder

    try:
        with output_folder(out_dir):
            return write(results, out_dir)
    except OSError as err:
        raise ActiveLabError(f"could not write the results into {out_dir}: {err.strerror}") from err


def _run_pool_bench(settings: object, categorical: list[str], out_dir: Path, executor: str,
                    scheduler: str | None) -> None:
    """The pool bench after its options passed: load, check, simulate, write, print."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from .bench.control_report import control_headlines
    from .bench.report import columns, headline, summary_rows, write_outputs
    from .bench.runner import BenchSettings, run_bench
    from .data.datasets import load

    assert isinstance(settings, BenchSettings)
    console = Console(width=None if sys.stdout.isatty() else 110)
    dataset = load(settings.data, target=settings.target,
                   categorical=categorical).for_task(settings.task)
    settings.check(dataset)
    console.print(f"[bold]{escape(dataset.name)}[/]: {escape(dataset.description)}")
    with _progress_bar(console) as update:
        results = run_bench(
            dataset, settings,
            on_task_done=lambda done, total: update(completed=done, total=total),
            executor=executor, scheduler=scheduler,
        )
    paths = _write_into(out_dir, write_outputs, results)

    ran = results["settings"]
    table = Table(title=escape(f"{dataset.name} · {ran['task']} · {ran['model']} · "
                               f"{settings.repeats} repeats · budget {settings.budget}"))
    for column in columns(results):
        table.add_column(escape(column))
    for row in summary_rows(results):
        table.add_row(*map(escape, row))
    console.print(table)
    console.print(escape(headline(results)))
    for line in control_headlines(results):
        console.print(escape(line))
    console.print(escape(f"Report: {paths['report']}  (results: {paths['results']}, "
                         f"plot: {paths['plot']})"))


@main.command()
@click.option("--data", required=True, type=click.Path(),
              help="A table with a label column that is partly empty: .csv, .jsonl, .parquet "
              "(or a folder of them), or a folder saved by datasets' save_to_disk.")
@click.option("--target", default=None, help="The label column (default: the one called "
              "target, label, y or class). Empty cells are the rows not labeled yet.")
@click.option("--id-column", default=None,
              help="The column of row ids (default: id if there is one, else the row number "
              "from 0).")
@click.option("--model", default=None, help=_models_help())
@click.option("--strategy", default=None,
              help="Query strategy (see `activelab strategies`); default: the library's "
              "default strategy.")
@click.option("--batch-size", default=10, show_default=True, type=int,
              help="How many rows to ask for.")
@click.option("--seed", default=0, show_default=True, type=int,
              help="Seeds the model, the strategy and the cross-validation.")
@click.option("--categorical", default=None,
              help="Columns to one-hot encode as categories even though they hold numbers.")
@click.option("--exclude", default=None,
              help="Columns that are not features (COL[,COL]); annotator and labeled_at "
              "never are.")
@click.option("--out", default="-", show_default=True, type=click.Path(),
              help="Where the rows go: a .csv or .jsonl file (written whole or not at all), "
              "or - for standard output.")
@click.option("--format", "fmt", default=None, type=click.Choice(["csv", "jsonl"]),
              help="Output format (default: from --out's suffix; csv on standard output).")
def query(data: str, target: str | None, id_column: str | None, model: str | None,
          strategy: str | None, batch_size: int, seed: int, categorical: str | None,
          exclude: str | None, out: str, fmt: str | None) -> None:
    """Pick the rows of a partly labeled table to label next, with the model's guesses.

    The rows (rank, id, score, guess, confidence) go to --out; a summary (labels so far,
    an accuracy estimate, what the strategy saw) goes to standard error.
    """
    from .server.formats import to_csv, to_jsonl
    from .table_query import query_table
    from .writing import check_writable, write_atomically

    fmt = fmt or ("jsonl" if out.lower().endswith((".jsonl", ".ndjson")) else "csv")
    if out != "-":
        check_writable(out)
    result = query_table(data, target=target, id_column=id_column, model=model,
                         strategy=strategy, batch_size=batch_size, seed=seed,
                         categorical=_csv_list(categorical or ""),
                         exclude=_csv_list(exclude or ""))
    body = to_jsonl(result.rows) if fmt == "jsonl" else to_csv(result.rows, "query")
    if out == "-":
        sys.stdout.write(body)
    else:
        write_atomically(out, body)
    for line in result.summary:
        click.echo(line, err=True)
    if out != "-":
        click.echo(f"wrote {len(result.rows)} rows to {out}", err=True)


def _run_suite_bench(name: str, strategy_names: list[str] | None, model: str | None,
                     repeats: int | None, seed: int, jobs: int, out_dir: Path,
                     control: float = 0.0) -> None:
    """``bench --suite``: run every data set of the suite, compare, write, print."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from .bench.control_report import suite_control_headlines
    from .bench.suite_report import strategy_rows, write_suite_outputs
    from .bench.suites import SUITES, run_suite

    suite = SUITES.lookup(name)
    console = Console(width=None if sys.stdout.isatty() else 110)
    console.print(f"[bold]suite {escape(suite.name)}[/]: {escape(suite.description)}")
    with _progress_bar(console) as update:
        results = run_suite(
            suite, strategy_names, model, repeats, seed, jobs, control=control,
            on_progress=lambda data, done, total: update(
                description=data, completed=done, total=total),
        )
    paths = _write_into(out_dir, write_suite_outputs, results)
    table = Table(title=escape(f"suite {suite.name} · {results['settings']['model']} · "
                               f"{results['settings']['repeats']} seeds"))
    for column in ("strategy", "mean rank", "win/tie/loss vs random", "mean AULC − random"):
        table.add_column(column)
    for row in strategy_rows(results):
        table.add_row(*map(escape, row))
    console.print(table)
    for line in suite_control_headlines(results):
        console.print(escape(line))
    console.print(escape(f"Summary: {paths['summary']}  (results: {paths['results']})"))


@main.command("suites")
def list_suites() -> None:
    """List the benchmark suites that `bench --suite` accepts."""
    from .bench.suites import SUITES

    for name in SUITES.available():
        suite = SUITES[name]
        click.echo(f"{name:15s} {suite.description}: {', '.join(suite.datasets)}")


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
        try:
            description = load(name).description
        except ActiveLabError as missing:  # a table from an optional package not installed
            description = str(missing)
        click.echo(f"{name:17s} {description}")


from .server.cli import export, serve, users  # noqa: E402  (the labeling server, issue 8)

main.add_command(serve)
main.add_command(users)
main.add_command(export)
from .server.project_cli import project  # noqa: E402  (several projects per server)

main.add_command(project)

from .integrations.label_studio.cli import ml_backend  # noqa: E402  (issue 15)

main.add_command(ml_backend)

if __name__ == "__main__":
    main()
