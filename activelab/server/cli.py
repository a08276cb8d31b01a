"""``activelab serve``, ``activelab users add`` and ``activelab export``.

Only click is imported here at module level; the web stack loads when a command runs.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

import click

from ..errors import ActiveLabError
from ..strategies.registry import DEFAULT_STRATEGY
from ..validation import check_existing_file, check_number, check_port, check_seed
from .accounts_cli import account_commands

__all__ = ["export", "serve", "users"]

_SERVE_FIRST = "start the project with `activelab serve --data FILE ...` first, or check --db"


def _url(db: str | None, data: str | None) -> str:
    from ..store.database import default_url

    if db:
        return db
    if data:
        return default_url(data)
    raise ActiveLabError("give --db URL, or --data FILE for the database next to that file")


def _existing_url(db: str | None, data: str | None) -> str:
    """The URL of a database that already exists: the commands that only read or add to
    one (``users``, ``export``) never create a SQLite file."""
    if data is not None and db is None and not Path(data).is_dir():
        check_existing_file(data, "--data", "give the data file the project was served from")
    url = _url(db, data)
    if url.startswith("sqlite") and _sqlite_file(url) is None:
        raise ActiveLabError(f"--db {url} is an in-memory database, which holds no project; "
                             "give the database the project was served with")
    path = _sqlite_file(url)
    if path is not None:
        check_existing_file(path, "the database", _SERVE_FIRST)
        _check_sqlite_header(path)
    return url


def _sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (None for other databases and in-memory SQLite)."""
    if not url.startswith("sqlite"):
        return None
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        database = make_url(url).database
    except ArgumentError as err:
        raise ActiveLabError(f"--db {url!r} is not a database URL: {err}") from None
    return Path(database) if database and database != ":memory:" else None


def _check_new_database(url: str) -> None:
    """A SQLite file for ``serve`` must go into an existing folder, or be a database."""
    path = _sqlite_file(url)
    if path is not None and not path.parent.is_dir():
        raise ActiveLabError(f"--db {url}: the folder {path.parent} does not exist; create it first")
    if path is not None and path.exists():
        _check_sqlite_header(path)


def _check_sqlite_header(path: Path) -> None:
    """Refuse a file that is not a SQLite database (an empty file is a new one)."""
    try:
        with path.open("rb") as handle:
            header = handle.read(16)
    except OSError as err:
        raise ActiveLabError(f"cannot read the database {path}: {err.strerror}") from None
    if header and header != b"SQLite format 3\x00":
        raise ActiveLabError(f"{path} is not a SQLite database; give the project's database "
                             "with --db, or its data file with --data")


def _check_can_listen(host: str, port: int) -> None:
    """Refuse a host or port the server could not listen on, before anything is written."""
    import socket

    check_port(port)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        with socket.socket(infos[0][0], socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(infos[0][4])
    except (OSError, UnicodeError, IndexError) as err:
        reason = getattr(err, "strerror", None) or str(err) or type(err).__name__
        raise ActiveLabError(
            f"cannot listen on --host {host} --port {port}: {reason}; pick another port or host"
        ) from None


def _project(store: object, project: str | None) -> str:
    names = store.project_names()  # type: ignore[attr-defined]
    if project is not None:
        if project not in names:
            raise ActiveLabError(f"no project {project!r}; projects: {', '.join(names) or 'none'}")
        return project
    if len(names) != 1:
        raise ActiveLabError(f"the database has {len(names)} projects; pick one with --project "
                             f"({', '.join(names) or 'none'})")
    return names[0]


def _labels(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


@click.command()
@click.option("--data", default=None, type=click.Path(),
              help="A .csv or .jsonl file with one item per row, Label Studio's exported "
              ".json (its annotations become labels), or a folder saved by Hugging Face "
              "datasets (its label column becomes labels). Without it, --db's projects "
              "are served (the others are served with it too).")
@click.option("--text-column", default=None, help="The column holding each item's text "
              "(Label Studio: the data key; found by itself when there is one).")
@click.option("--image-column", default=None,
              help="The column holding each item's image path (relative to the file).")
@click.option("--id-column", default=None,
              help="The column with your own item ids (default: id or external_id, else the "
              "line number).")
@click.option("--labels", "label_list", default=None,
              help="The label set, e.g. pos,neg,neutral (default for Label Studio JSON and "
              "saved datasets: the labels they use).")
@click.option("--db", default=None, help="Database URL (default: a SQLite file next to --data; "
              "postgresql://user:pass@host/db for a shared server).")
@click.option("--project", default=None, help="Project name (default: the data file's stem).")
@click.option("--strategy", default=None,
              help=f"Query strategy (see `activelab strategies`; default {DEFAULT_STRATEGY}, "
              "which chooses by itself; multi: br_uncertainty, rating: igs).")
@click.option("--model", default=None,
              help="logreg, svm, rf, knn, nb or mlp (default logreg; rating: ridge, rf, gp "
              "or knn, default ridge).")
@click.option("--task", default="single", show_default=True,
              type=click.Choice(["single", "multi", "rating", "spans"]),
              help="single choice, multi (several labels per item), rating (a number on a "
              "scale) or spans (tag spans of the text with labels); see docs/server.md.")
@click.option("--label-config", default=None, type=click.Path(),
              help="A JSON file: per label a description, color and hotkey; for rating the "
              "scale's min, max, step and the tolerance of disagreement.")
@click.option("--retrain-every", default=20, show_default=True, type=int,
              help="Retrain after this many new labels.")
@click.option("--labels-per-item", default=1, show_default=True, type=int,
              help="Annotators per item (above 1: agreement and review of disagreements).")
@click.option("--exploration", default=0.1, show_default=True, type=float,
              help="Share of items served at random instead of from the strategy's queue.")
@click.option("--skip-policy", default="others", show_default=True,
              type=click.Choice(["others", "me", "ignore"]),
              help="Who sees a skipped item again.")
@click.option("--lease-seconds", default=600.0, show_default=True, type=float,
              help="How long an annotator holds an item before it returns to the queue.")
@click.option("--training", default="full_refit", show_default=True,
              help="How the model is retrained: full_refit, incremental (partial_fit / warm "
              "start), self_training or ceal (see docs/training.md).")
@click.option("--stopping", default="stabilizing_predictions", show_default=True,
              help="The stopping signal: stabilizing_predictions, overall_uncertainty or "
              "max_uncertainty (the dashboard always shows the stability kappa).")
@click.option("--stop-threshold", default=None, type=float,
              help="The stopping rule's threshold (default 0.99 for stabilizing_predictions; "
              "needed for the uncertainty rules).")
@click.option("--stop-window", default=3, show_default=True, type=int,
              help="Stabilizing predictions: how many consecutive kappas are averaged.")
@click.option("--control", default=0.1, show_default=True, type=float,
              help="Share of the queue drawn at random as a control: the dashboard's "
              "accuracy estimate, gain over random and stop recommendation (0: off).")
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--guesses/--no-guesses", default=None,
              help="Show annotators the model's guess, pre-selected (default: the project's "
              "show_guess setting, on for a new project).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int,
              help="Server processes (PostgreSQL only): they share the port, and one of "
              "them trains each project at a time (see docs/server.md).")
@click.option("--training-lease", default=60.0,  # store.workers.TRAINING_LEASE_SECONDS
              show_default=True, type=float,
              help="Seconds a training process holds a project's training lease between "
              "heartbeats: if it dies, another process trains after at most this long.")
def serve(data: str | None, text_column: str | None, image_column: str | None, id_column: str | None,
          label_list: str | None, db: str | None, project: str | None, strategy: str | None,
          model: str | None, task: str, label_config: str | None, retrain_every: int,
          labels_per_item: int, exploration: float, skip_policy: str, lease_seconds: float, training: str, stopping: str, stop_threshold: float | None,
          stop_window: int, control: float, seed: int, guesses: bool | None, host: str,
          port: int, workers: int, training_lease: float) -> None:
    """Run the labeling web app: annotators label what the strategy asks for.

    It serves every project of the database, each with its own model and queue."""
    import uvicorn
    from click.core import ParameterSource

    check_seed(seed, "--seed")
    check_number(lease_seconds, "--lease-seconds", low=0)
    check_number(training_lease, "--training-lease", low=1)
    check_port(port)
    prepared = prepare_server(
        data=data, text_column=text_column, image_column=image_column, id_column=id_column,
        labels=_labels(label_list or ""), db=db, project=project, strategy=strategy, model=model,
        task=task, label_config=read_label_config(label_config), retrain_every=retrain_every,
        labels_per_item=labels_per_item, exploration=exploration,
        skip_policy=skip_policy, lease_seconds=lease_seconds, seed=seed, training=training,
        stopping=stopping, stop_threshold=stop_threshold, stop_window=stop_window,
        control=control, guesses=guesses, before_writing=lambda: _check_can_listen(host, port),
        given=_typed_flags(ParameterSource), workers=workers, say=click.echo)
    store, name = prepared.store, prepared.name
    if not any(user.role == "admin" for user in store.users()):  # imported annotators
        token = store.add_user("admin", "admin")                   # are not admins
        click.echo(f"created user admin (role admin); its token, shown once: {token}")
    served = ", ".join(repr(each) for each in store.project_names())
    click.echo(f"serving project {name!r} on http://{host}:{port}/ (database "
               f"{store.url.split('@')[-1]}; projects {served}"
               + (f"; {workers} processes" if workers > 1 else "") + ")")
    if workers > 1:
        from .workers import run_workers

        return run_workers(prepared, workers, host, port, None, guesses, training_lease)
    from .workers import serving_app

    uvicorn.run(serving_app(prepared, None, guesses, training_lease), host=host, port=port, log_level="warning")
    return None


def read_label_config(path: str | None) -> dict[str, Any] | None:
    """The JSON object of ``--label-config``, or ``None`` without one."""
    if path is None:
        return None
    check_existing_file(path, "--label-config", "give a JSON file of labels and scale")
    try:
        found = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise ActiveLabError(f"--label-config {path} is not readable JSON: {err}") from None
    if not isinstance(found, dict):
        raise ActiveLabError(f"--label-config {path} holds a JSON object, e.g. "
                             '{"labels": {"PER": {"hotkey": "p"}}}')
    return found


def _typed_flags(sources: Any) -> list[str]:
    """The options of the running command given on the command line or by environment."""
    context = click.get_current_context()
    return [name for name in context.params if context.get_parameter_source(name)
            in (sources.COMMANDLINE, sources.ENVIRONMENT)]


def build_server(*, max_upload_bytes: int | None = None, guesses: bool | None = None,
                 **options: Any):  # type: ignore[no-untyped-def]
    """Import (or resume) the project of ``data`` and build the app over every project of
    the database; ``(app, store, project name)`` (without ``data``: the first project).
    The options are :func:`prepare_server`'s; ``max_upload_bytes`` and ``guesses`` are
    the app's (:func:`~activelab.server.app.create_app`)."""
    from .workers import serving_app

    prepared = prepare_server(guesses=guesses, **options)
    return serving_app(prepared, max_upload_bytes, guesses), prepared.store, prepared.name


def prepare_server(*, data: str | None, text_column: str | None = None,
                   image_column: str | None = None, id_column: str | None = None,
                   labels: tuple[str, ...] = (), db: str | None = None,
                   project: str | None = None, strategy: str | None = None,
                   model: str | None = None, retrain_every: int = 20, task: str = "single",
                   label_config: dict[str, Any] | None = None,
                   labels_per_item: int = 1, exploration: float = 0.1,
                   skip_policy: str = "others", lease_seconds: float = 600.0, seed: int = 0,
                   training: str = "full_refit", stopping: str = "stabilizing_predictions",
                   stop_threshold: float | None = None, stop_window: int = 3,
                   control: float = 0.1, guesses: bool | None = None,
                   before_writing: Callable[[], None] | None = None,
                   given: Collection[str] = (), workers: int = 1,
                   say: Callable[[str], None] | None = None) -> Any:
    """Import (or resume) the project of ``data`` in the database, before any app is built.

    A resumed project keeps its stored settings: for each setting named in ``given`` (the
    flags the user typed) that differs, ``say`` gets a line saying what was kept and how to
    change it; rows appended to the data file since are imported (new ids only) and
    re-scored. ``before_writing`` runs once every input is checked, just before the
    database is opened (``serve`` checks there that it can listen on its port).
    ``guesses`` shows or hides the model's guess (``None``: each project's ``show_guess``
    setting; a new project gets ``guesses``, or on). ``workers`` above 1 needs a database
    server: one process writes a SQLite file."""
    from ..store import ProjectSettings, Store
    from .project_setup import task_defaults
    from .workers import Prepared, check_workers

    say = say or (lambda _line: None)
    url = _url(db, data) if data is not None else _existing_url(db, None)
    check_workers(url, workers)
    wanted = None
    if data is not None:
        strategy, model, labels = task_defaults(task, strategy, model, label_config, labels)
        wanted = _data_project(data, text_column, image_column, id_column, labels, project,
                               ProjectSettings(
            labels=labels, strategy=strategy, model=model, retrain_every=retrain_every,
            labels_per_item=labels_per_item, exploration=exploration, skip_policy=skip_policy,
            lease_seconds=lease_seconds, seed=seed, training=training, stopping=stopping,
            stop_threshold=stop_threshold, stop_window=stop_window, control=control,
            show_guess=guesses is not False, task=task, label_config=label_config))
    _check_new_database(url)
    if before_writing is not None:
        before_writing()
    store = Store(url)
    prepared = Prepared(store=store, url=url)
    if wanted is not None:
        prepared.name, added = _create_or_resume(store, url, wanted, given, say)
        prepared.added = prepared.name if added else None
        prepared.folders[prepared.name] = str(Path(data).resolve().parent)  # type: ignore[arg-type]
        prepared.columns[prepared.name] = (wanted["labeled"].content_column, id_column)
    names = store.project_names()
    if not names:
        raise ActiveLabError("the database has no project; give --data FILE to create one, or "
                             "create one with `activelab project create`")
    prepared.name = prepared.name or names[0]
    return prepared


def _data_project(data: str, text_column: str | None, image_column: str | None,
                  id_column: str | None, labels: tuple[str, ...], project: str | None,
                  settings: Any) -> dict[str, Any]:
    """The project ``--data`` asks for, read and checked before anything is written."""
    from dataclasses import replace

    from ..store.imported import check_answers
    from ..store.importer import read_labeled_items
    from ..strategies import get as get_strategy
    from .project_setup import checked_settings

    if settings.task != "spans":  # the span model has its own score, not a strategy
        get_strategy(settings.strategy)  # unknown names fail before the file is read
    labeled = read_labeled_items(data, text_column=text_column, image_column=image_column,
                                 id_column=id_column)
    if settings.task != "single" and labeled.answers:
        raise ActiveLabError(f"{data} holds labels; importing them is for single-choice "
                             f"projects, not --task {settings.task}")
    settings = checked_settings(replace(settings, labels=labels or tuple(labeled.labels)))
    check_answers(labeled.answers, settings.labels)
    return {"name": project or Path(data).stem, "labeled": labeled, "settings": settings,
            "source": str(Path(data).resolve())}


def _create_or_resume(store: Any, url: str, wanted: dict[str, Any], given: Collection[str],
                      say: Callable[[str], None]) -> tuple[str, int]:
    """Create the ``--data`` project, or resume it: say what was kept, import appended rows.
    ``(name, number of rows added)``."""
    from .project_setup import import_appended, resume_notes

    name, labeled, settings = wanted["name"], wanted["labeled"], wanted["settings"]
    new = name not in store.project_names()
    store.create_project(name, labeled.items, settings, item_kind=labeled.kind,
                         source=wanted["source"])
    if new:
        if labeled.answers:
            store.import_answers(name, labeled.answers)
        return name, 0
    fields = {"labels" if flag == "label_list" else flag for flag in given}
    for line in resume_notes(name, store.settings_of(name), settings, sorted(fields),
                             url if "@" not in url else "URL"):
        say(line)
    added = import_appended(store, name, labeled.items)
    if added:
        say(f"imported {added} rows added to {wanted['source']} since project {name!r} was "
            "created; they are scored by the retrain that starts now")
    return name, added


@click.group()
def users() -> None:
    """Manage the labeling server's accounts."""


@users.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(["admin", "annotator", "reviewer"]))
@click.option("--db", default=None, help="Database URL.")
@click.option("--data", default=None, type=click.Path(),
              help="Use the SQLite database next to this data file.")
@click.option("--password", is_flag=True, help="Also set a password for the browser (prompted).")
def users_add(name: str, role: str, db: str | None, data: str | None, password: bool) -> None:
    """Create an account and print its API token (shown once; only its hash is kept)."""
    from ..store import Store

    url = _existing_url(db, data)
    secret = click.prompt("password", hide_input=True, confirmation_prompt=True) \
        if password else None
    store = Store(url)
    token = store.add_user(name, role, password=secret)
    store.close()
    click.echo(token)


@users.command("list")
@click.option("--db", default=None, help="Database URL.")
@click.option("--data", default=None, type=click.Path())
def users_list(db: str | None, data: str | None) -> None:
    """List accounts and roles."""
    from ..store import Store

    store = Store(_existing_url(db, data))
    for account in store.accounts():
        click.echo(f"{account.name:20s} {account.role}" + ("  disabled" if account.disabled else ""))
    store.close()


for _command in account_commands(_existing_url):  # disable, enable, reset-..., set-role
    users.add_command(_command)


@click.command()
@click.option("--db", default=None, help="Database URL.")
@click.option("--data", default=None, type=click.Path(),
              help="Use the SQLite database next to this data file (or folder).")
@click.option("--project", default=None, help="Project name (needed when there are several).")
@click.option("--format", "fmt", default="csv", show_default=True,
              type=click.Choice(["csv", "jsonl", "label-studio", "hf"]),
              help="csv, jsonl; label-studio: Label Studio's task JSON (annotations and the "
              "model's predictions); hf: a Hugging Face dataset folder (save_to_disk).")
@click.option("--kind", default="labels", show_default=True,
              type=click.Choice(["labels", "events"]),
              help="csv and jsonl: labels: one resolved label per item; events: the whole log.")
@click.option("--out", default="-", show_default=True, type=click.Path(),
              help="Output file, - for standard output (hf: a new folder).")
@click.option("--predictions/--no-predictions", default=True, show_default=True,
              help="label-studio: add the model's guess and the strategy's score per task.")
@click.option("--from-name", default=None,
              help="label-studio: the Choices tag's name (default: as in the imported "
              "Label Studio file, else label).")
@click.option("--to-name", default=None,
              help="label-studio: the Text or Image tag's name (default: as imported, else "
              "the item kind, text or image).")
def export(db: str | None, data: str | None, project: str | None, fmt: str, kind: str,
           out: str, predictions: bool, from_name: str | None, to_name: str | None) -> None:
    """Write a labeling project's labels out, without a running server."""
    from ..store import Store
    from ..writing import check_writable, write_atomically
    from .app import to_csv, to_jsonl

    if fmt == "hf":
        _check_new_folder(out)
    elif out != "-":
        check_writable(out)
    store = Store(_existing_url(db, data))
    name = _project(store, project)
    if fmt == "hf":
        return _export_dataset(store, name, Path(out))
    if fmt == "label-studio":
        from .interop import label_studio_tasks

        rows = label_studio_tasks(store, name, from_name, to_name, predictions=predictions)
        body = json.dumps(rows, ensure_ascii=False, indent=1) + "\n"
    else:
        rows = store.export_rows(name, kind)
        body = to_jsonl(rows) if fmt == "jsonl" else to_csv(rows, kind)
    store.close()
    if out == "-":
        sys.stdout.write(body)
        return None
    write_atomically(out, body)
    click.echo(f"wrote {len(rows)} {'tasks' if fmt == 'label-studio' else 'rows'} to {out}",
               err=True)
    return None


def _check_new_folder(out: str) -> None:
    if out == "-":
        raise ActiveLabError("--format hf writes a folder; give --out DIR (a new folder)")
    from ..writing import check_writable

    if Path(out).exists():
        raise ActiveLabError(f"--out {out} already exists; give a new folder for the dataset")
    check_writable(out)


def _export_dataset(store: Any, name: str, out: Path) -> None:
    """The project as a saved Hugging Face dataset, written next to ``out`` and renamed
    into place, so ``out`` is the whole dataset or nothing."""
    import shutil
    import tempfile

    from .interop import hf_dataset

    dataset = hf_dataset(store, name)
    store.close()
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.resolve().parent))
    try:
        dataset.save_to_disk(str(staging / "dataset"))
        (staging / "dataset").rename(out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    click.echo(f"wrote {len(dataset)} rows to the dataset folder {out}", err=True)
