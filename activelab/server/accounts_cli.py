"""``activelab users disable|enable|reset-password|reset-token|set-role``: running accounts
from a shell (``users add`` and ``users list`` are in :mod:`activelab.server.cli`).

:func:`account_commands` makes them for the ``users`` group, given how that group finds an
existing database (so that this module needs nothing from the group's). Every change is
logged in the account change log with "command line" as its author, and shown on the
accounts page (``/admin/accounts``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

__all__ = ["account_commands"]

ROLE_CHOICE = click.Choice(["admin", "annotator", "reviewer"])
UrlOf = Callable[[str | None, str | None], str]


def _database(command: Callable[..., Any]) -> Callable[..., Any]:
    """The ``--db`` / ``--data`` options every command here takes."""
    command = click.option("--data", default=None, type=click.Path(),
                           help="Use the SQLite database next to this data file.")(command)
    return click.option("--db", default=None, help="Database URL.")(command)


def account_commands(url_of: UrlOf) -> tuple[click.Command, ...]:
    """``disable``, ``enable``, ``reset-password``, ``reset-token`` and ``set-role``, which
    open the database ``url_of(db, data)``."""

    def change(db: str | None, data: str | None, do: Callable[[Any], Any]) -> Any:
        from ..store import Store

        store = Store(url_of(db, data))
        try:
            return do(store)
        finally:
            store.close()

    def switch(disabled: bool, help: str) -> click.Command:
        word = "disable" if disabled else "enable"

        @click.command(word, help=help)
        @click.argument("name")
        @_database
        def command(name: str, db: str | None, data: str | None) -> None:
            change(db, data, lambda store: store.set_disabled(name, disabled))
            click.echo(f"{name} is {word}d")
        return command

    users_disable = switch(True, "Disable an account: refused at login and by token; its "
                           "sessions end at once.")
    users_enable = switch(False, "Enable a disabled account again.")

    @click.command("reset-password")
    @click.argument("name")
    @_database
    def users_reset_password(name: str, db: str | None, data: str | None) -> None:
        """Set a new password (prompted twice); the account's browser sessions end."""
        password = click.prompt("new password", hide_input=True, confirmation_prompt=True)
        change(db, data, lambda store: store.reset_password(name, password))
        click.echo(f"the password of {name} is reset")

    @click.command("reset-token")
    @click.argument("name")
    @_database
    def users_reset_token(name: str, db: str | None, data: str | None) -> None:
        """Print a new API token (shown once); the old one stops working at once."""
        click.echo(change(db, data, lambda store: store.reset_token(name)))

    @click.command("set-role")
    @click.argument("name")
    @click.argument("role", type=ROLE_CHOICE)
    @_database
    def users_set_role(name: str, role: str, db: str | None, data: str | None) -> None:
        """Change an account's role (in force from its next request)."""
        change(db, data, lambda store: store.set_role(name, role))
        click.echo(f"{name} is now {role}")

    return (users_disable, users_enable, users_reset_password, users_reset_token,
            users_set_role)
