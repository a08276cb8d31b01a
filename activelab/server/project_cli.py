"""``activelab project``: create, list, show and change a labeling server's projects, and
give users a role in one project.

A running server picks these up: a project created here gets its trainer on its first
request, and a setting changed here is applied at its next retrain (the settings page
applies it at once).
"""

from __future__ import annotations

import click

from ..strategies.registry import DEFAULT_STRATEGY
from .cli import _existing_url, _labels, _url

__all__ = ["project"]

_DB = click.option("--db", default=None, help="Database URL (sqlite:///file.db or "
                   "postgresql://user:pass@host/db).")


@click.group()
def project() -> None:
    """Manage the labeling server's projects."""


@project.command("create")
@click.argument("name")
@click.option("--data", required=True, type=click.Path(),
              help="A .csv or .jsonl file with one item per row (also Label Studio .json or a "
              "saved Hugging Face dataset folder, as for serve).")
@click.option("--labels", "label_list", default=None, help="The label set, e.g. pos,neg.")
@click.option("--task", default="single", show_default=True,
              type=click.Choice(["single", "multi", "rating", "spans"]))
@click.option("--text-column", default=None, help="The column of each item's text.")
@click.option("--id-column", default=None, help="The column of your own item ids.")
@click.option("--strategy", default=None,
              help=f"Query strategy (default {DEFAULT_STRATEGY}; multi, rating, spans: the task's own).")
@click.option("--model", default=None, help="Model (default logreg; rating: ridge).")
@click.option("--retrain-every", default=20, show_default=True, type=int)
@click.option("--labels-per-item", default=1, show_default=True, type=int)
@click.option("--seed", default=0, show_default=True, type=int)
@_DB
def create(name: str, data: str, label_list: str | None, task: str, text_column: str | None,
           id_column: str | None, strategy: str | None, model: str | None, retrain_every: int,
           labels_per_item: int, seed: int, db: str | None) -> None:
    """Create the project NAME from a data file (refused if NAME exists)."""
    from pathlib import Path

    from ..store import ProjectSettings, Store
    from ..store.importer import read_labeled_items
    from .cli import _check_new_database
    from .project_setup import checked_settings, create_new_project, task_defaults

    labeled = read_labeled_items(data, text_column=text_column, id_column=id_column)
    strategy, model, labels = task_defaults(task, strategy, model, None, _labels(label_list or ""))
    settings = checked_settings(ProjectSettings(
        labels=labels or tuple(labeled.labels), task=task,
        strategy=strategy, model=model, retrain_every=retrain_every,
        labels_per_item=labels_per_item, seed=seed))
    url = _url(db, None)
    _check_new_database(url)
    store = Store(url)
    create_new_project(store, name, labeled.items, settings, kind=labeled.kind,
                       source=str(Path(data).resolve()))
    if labeled.answers:
        store.import_answers(name, labeled.answers)
    store.close()
    click.echo(f"created project {name!r} with {len(labeled.items)} items; serve it with "
               f"`activelab serve --db {url if '@' not in url else 'URL'}`")


@project.command("list")
@_DB
def list_projects(db: str | None) -> None:
    """Every project: task, items, labeled items, model version."""
    from ..store import Store

    store = Store(_existing_url(db, None))
    click.echo(f"{'project':24s} {'task':7s} {'items':>7s} {'labeled':>8s} model")
    for name in store.project_names():
        info, stats = store.project_info(name), store.stats(name)
        click.echo(f"{name:24s} {info['settings'].get('task', 'single'):7s} "
                   f"{stats['n_items']:7d} {stats['n_labeled_items']:8d} v{info['model_version']}")
    store.close()


@project.command("show")
@click.argument("name")
@_DB
def show(name: str, db: str | None) -> None:
    """A project's settings, members and latest settings changes."""
    from dataclasses import asdict

    from ..store import Store

    store = Store(_existing_url(db, None))
    for key, value in asdict(store.settings_of(name)).items():
        shown = ",".join(value) if isinstance(value, tuple) else value
        click.echo(f"{key:22s} {shown}")
    for member in store.members(name):
        click.echo(f"member {member['name']}: {member['role']} (global {member['global_role']})")
    for change in store.setting_changes(name, 10):
        click.echo(f"changed {change['at']} by {change['by']}: {change['name']} "
                   f"{change['old']} -> {change['new']}")
    store.close()


@project.command("set")
@click.argument("name")
@click.argument("assignments", nargs=-1, required=True)
@click.option("--by", default=None, help="Who changes it, for the log (default: $USER).")
@_DB
def set_settings(name: str, assignments: tuple[str, ...], by: str | None,
                 db: str | None) -> None:
    """Change settings given as SETTING=VALUE pairs; checked, applied, logged.

    For example `activelab project set news strategy=entropy retrain_every=5`: checked as
    at creation; logged with who, when, old and new value."""
    import getpass

    from ..store import Store
    from .project_setup import change_settings, parse_assignments

    changes = parse_assignments(assignments)
    store = Store(_existing_url(db, None))
    done = change_settings(store, name, changes, by or f"{getpass.getuser()} (cli)")
    store.close()
    for key, old, new in done:
        click.echo(f"{key}: {old} -> {new}")
    if not done:
        click.echo("no setting changed")
    else:
        click.echo("a running server applies this at its next retrain (the settings page and "
                   "its API apply changes at once)")


@project.command("member")
@click.argument("name")
@click.argument("user")
@click.option("--role", required=True,
              type=click.Choice(["admin", "reviewer", "annotator", "none", "default"]),
              help="The user's role in this project; none: no access; default: remove the "
              "membership (the global role applies).")
@_DB
def member(name: str, user: str, role: str, db: str | None) -> None:
    """Give USER a role in the project NAME only."""
    from ..store import Store

    store = Store(_existing_url(db, None))
    if role == "default":
        removed = store.remove_member(name, user)
        click.echo(f"{user} has their global role in {name}"
                   + ("" if removed else " (they had no membership)"))
    else:
        store.set_member(name, user, role)
        click.echo(f"{user} is {role} in {name}")
    store.close()
