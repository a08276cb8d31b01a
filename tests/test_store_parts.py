"""The store's parts: one Store made of mixins, each owning its methods, old names kept."""

from __future__ import annotations

import importlib

import pytest

pytest.importorskip("sqlalchemy")

from activelab.store.base import StoreBase  # noqa: E402
from activelab.store.store import Store  # noqa: E402

PARTS = [cls for cls in Store.__mro__ if issubclass(cls, StoreBase) and cls not in (Store, StoreBase)]


def test_every_part_defines_its_own_methods():
    """No method is defined by two parts: one would silently hide the other."""
    owners: dict[str, str] = {}
    for cls in [*PARTS, StoreBase]:
        for name, value in vars(cls).items():
            if callable(value) and not name.startswith("__"):
                assert name not in owners, f"{name} is defined in {owners[name]} and {cls.__name__}"
                owners[name] = cls.__name__
    assert {"next_item", "annotate", "add_user", "add_model_version", "stats"} <= set(owners)
    assert owners["next_item"] == "LeaseQueue"


def test_parts_are_the_documented_modules():
    modules = {cls.__module__.rsplit(".", 1)[1] for cls in PARTS}
    assert modules == {"accounts", "projects", "queue", "labels", "imported", "versions", "reports",
                       "account_admin", "login_throttle", "browse",
                       "memberships", "guesses", "workers"}


def test_names_from_before_the_split_still_import():
    old = importlib.import_module("activelab.store.store")
    for name in ("ConflictError", "ForbiddenError", "GoneError", "LeasedItem", "NotFoundError",
                 "ProjectSettings", "Store", "UserInfo", "ImportedItem", "hash_secret",
                 "SKIP_POLICIES", "MAX_RATIONALE_CHARS", "SESSION_SECONDS"):
        assert hasattr(old, name), name
    assert old.NotFoundError("x").status == 404
