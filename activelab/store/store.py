"""The labeling store: one :class:`Store` made of the parts under ``activelab/store/``.

=================  ======================================================================
``base.py``        the engine, the clock, transactions, project and item lookups
``accounts.py``    users, API tokens, passwords, browser sessions
``projects.py``    projects, their settings and items
``queue.py``       leases: which item an annotator gets next (``next_item``)
``labels.py``      the append-only event log: label, skip, undo, resolve; reading it back
``imported.py``    answers made in another tool, imported with their annotator and time
``versions.py``    model versions, their scores and the atomic switch
``browse.py``      pages of items under filters (SQL), one item's history
``guesses.py``     the model's guess for every item, by model version
``reports.py``     statistics and export rows
``errors.py``      the errors, each with its HTTP status
=================  ======================================================================

Accounts also have ``account_admin.py`` (disable, enable, resets, roles, and the account
change log) and ``login_throttle.py`` (failed logins per account and address, and the wait
they impose).
Per-project roles and the log of settings changes are in ``memberships.py``; the training
lease and the secrets several server processes share are in ``workers.py``.

Next to them: ``schema.py`` (the tables), ``database.py`` (the engine and the Alembic
migrations) and ``importer.py`` (reading the items of a CSV or JSONL file).

Every write is one transaction. On SQLite each takes the one write lock (``BEGIN
IMMEDIATE``); on PostgreSQL lease allocation and labeling lock the annotator's row, then
the item's (:mod:`activelab.store.base`), so two annotators are never handed the same item
at once, whatever the number of server threads or processes.

>>> store = Store("sqlite://")
>>> items = [ImportedItem(f"x{i}", f"text {i}", i + 2) for i in range(3)]
>>> store.create_project("demo", items, ProjectSettings(labels=("pos", "neg")))
'demo'
>>> token = store.add_user("ann", "annotator")
>>> ann = store.user_by_token(token)
>>> leased = store.next_item("demo", ann)
>>> store.annotate("demo", ann, leased.item_id, "pos", lease_id=leased.lease_id)["label"]
'pos'
>>> store.stats("demo")["n_labels"]
1
"""

from __future__ import annotations

# ``name as name``: re-exported, since this module defined them before the store was split.
from .account_admin import AccountAdmin
from .accounts import SESSION_SECONDS as SESSION_SECONDS
from .accounts import Accounts, UserInfo
from .accounts import hash_secret as hash_secret
from .errors import ConflictError, ForbiddenError, GoneError, NotFoundError
from .guesses import Guesses
from .imported import ImportedAnswers
from .importer import ImportedItem as ImportedItem
from .labels import MAX_RATIONALE_CHARS as MAX_RATIONALE_CHARS
from .labels import LabelLog
from .login_throttle import LoginThrottle
from .memberships import Memberships
from .projects import SKIP_POLICIES as SKIP_POLICIES
from .projects import Projects, ProjectSettings
from .queue import LeasedItem, LeaseQueue
from .reports import Reports
from .versions import ModelVersions
from .workers import Workers

__all__ = [
    "ConflictError",
    "ForbiddenError",
    "GoneError",
    "LeasedItem",
    "NotFoundError",
    "ProjectSettings",
    "Store",
    "UserInfo",
]


# The bases follow the parts' own: Reports builds on Browse, which builds on LabelLog, which
# builds on Projects and LeaseQueue; every part builds on StoreBase.
class Store(Reports, ImportedAnswers, LabelLog, Projects, LeaseQueue, Guesses, ModelVersions,
            Accounts, AccountAdmin, LoginThrottle, Memberships, Workers):
    """A labeling database at ``url`` (``sqlite:///file.db`` or ``postgresql://...``).

    The schema is migrated to the newest version on opening. Its methods come from the
    parts listed in :mod:`activelab.store.store`, one concern each.
    """
