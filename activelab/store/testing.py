"""Databases for the store and server tests: a SQLite file, and PostgreSQL when CI gives one.

``ACTIVELAB_TEST_PG_URL`` names an empty PostgreSQL database the tests may wipe (``.ci/run``
creates one on 127.0.0.1). Without it the PostgreSQL variants skip, except under
``CI=true``, where a missing database is an error rather than a silent skip.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import text

from .database import open_engine

__all__ = ["BACKENDS", "database_url", "postgres_url"]

BACKENDS = ("sqlite", "postgresql")
PG_VARIABLE = "ACTIVELAB_TEST_PG_URL"


def postgres_url() -> str | None:
    return os.environ.get(PG_VARIABLE) or None


def database_url(backend: str, folder: Path) -> str:
    """A fresh, empty database of ``backend``; calls ``pytest.skip`` / ``pytest.fail`` when
    PostgreSQL is not configured (fail under CI)."""
    import pytest

    if backend == "sqlite":
        return f"sqlite:///{folder / 'test.db'}"
    url = postgres_url()
    if url is None:
        message = f"PostgreSQL tests need {PG_VARIABLE} (see .ci/run)"
        if os.environ.get("CI") == "true":
            pytest.fail(message + "; under CI it must be set")
        pytest.skip(message)
    wipe_postgres(url)
    return url


def wipe_postgres(url: str) -> None:
    """Drop every table of the test database (its ``public`` schema, recreated empty)."""
    engine = open_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()
