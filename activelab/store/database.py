"""Opening a store's database: the engine, SQLite's WAL mode, and the Alembic migrations.

>>> engine = open_engine("sqlite://")
>>> migrate(engine)
>>> 'answers' in inspect_tables(engine) and 'guesses' in inspect_tables(engine)
True
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.pool import StaticPool

from ..errors import ActiveLabError

__all__ = ["default_url", "inspect_tables", "migrate", "open_engine"]

MIGRATIONS = Path(__file__).with_name("migrations")


def default_url(data_path: str | Path) -> str:
    """The default database: a SQLite file next to the data, ``data.csv -> data.activelab.db``."""
    path = Path(data_path).resolve()
    return f"sqlite:///{path.with_suffix('.activelab.db')}"


def open_engine(url: str) -> Engine:
    """An engine for ``url``: ``sqlite:///file.db`` (WAL mode) or ``postgresql://...``.

    On SQLite every transaction starts with ``BEGIN IMMEDIATE``, so that two writers never
    interleave (the lease allocation depends on it); PostgreSQL uses row locks instead.
    """
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    try:
        if url.startswith("sqlite"):
            engine = _sqlite_engine(url)
        else:
            engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    except Exception as err:  # unknown dialect, missing driver, malformed URL
        raise ActiveLabError(f"cannot open database {_safe(url)}: {err}") from err
    return engine


def _sqlite_engine(url: str) -> Engine:
    memory = url in ("sqlite://", "sqlite:///:memory:")
    kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False, "timeout": 30}}
    if memory:
        kwargs["poolclass"] = StaticPool
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        if not memory:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def migrate(engine: Engine) -> None:
    """Bring the database to the newest schema (Alembic ``upgrade head``); safe to repeat."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def inspect_tables(engine: Engine) -> list[str]:
    return inspect(engine).get_table_names()


def _safe(url: str) -> str:
    """The URL without its password, for messages."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://...@{rest.split('@', 1)[1]}"
    return url
