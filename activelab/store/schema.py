"""The labeling store's tables (SQLAlchemy 2), the same on SQLite and PostgreSQL.

``events`` is the append-only log: every label, skip, retraction (undo) and review
resolution is one row and no row is ever updated or deleted. ``answers`` is a
projection of that log (the current answer of each annotator for each item) kept in the
same transaction, so that choosing the next item is one indexed query. Times are Unix
seconds (``float``) so that both databases compare them the same way.

The schema is created by the Alembic migrations in ``activelab/store/migrations``;
``tests/test_store.py`` checks that the migrated database matches these tables.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "AccountChange",
    "Answer",
    "Base",
    "Event",
    "Guess",
    "Item",
    "Lease",
    "LoginFailure",
    "Membership",
    "ModelVersion",
    "Project",
    "QueryRound",
    "Score",
    "Session",
    "ServerSecret",
    "SettingChange",
    "TrainingLease",
    "User",
]

ROLES = ("admin", "annotator", "reviewer")
EVENT_KINDS = ("label", "skip", "unsure", "retract", "resolve")


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[float] = mapped_column(Float)
    # Accounts are never deleted (the event log names them): disabled instead.
    disabled_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    last_login_at: Mapped[float | None] = mapped_column(Float, nullable=True)


class AccountChange(Base):
    """Who changed which account, when, and how (created, disabled, role, ...): never updated."""

    __tablename__ = "account_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)  # None: CLI
    action: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[float] = mapped_column(Float)


class LoginFailure(Base):
    """A failed login, counted per account name and per client address for throttling."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_key", "scope", "key", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(10))  # "account" or "address"
    key: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[float] = mapped_column(Float)


class Session(Base):
    """A browser session: the cookie holds a random secret, the table its SHA-256."""

    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[float] = mapped_column(Float)
    expires_at: Mapped[float] = mapped_column(Float)


class Project(Base):
    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    labels: Mapped[list[str]] = mapped_column(JSON)
    strategy: Mapped[str] = mapped_column(String(100))
    model: Mapped[str] = mapped_column(String(100))
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)
    item_kind: Mapped[str] = mapped_column(String(10))  # "text" or "image"
    source: Mapped[str] = mapped_column(Text)
    created_at: Mapped[float] = mapped_column(Float)
    # The newest trained model (shown to annotators) and the scores the queue follows.
    current_version_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    queue_version_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class Item(Base):
    __tablename__ = "items"
    __table_args__ = (
        UniqueConstraint("project_id", "external_id", name="uq_items_project_external"),
        Index("ix_items_project_random", "project_id", "random_rank"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    external_id: Mapped[str] = mapped_column(String(255))
    content: Mapped[str] = mapped_column(Text)  # the text, or the image's path
    position: Mapped[int] = mapped_column(Integer)  # row in the imported file
    random_rank: Mapped[int] = mapped_column(Integer)  # a seeded shuffle, for exploration


class Event(Base):
    """One row per label / skip / retract / resolve, never updated: the audit trail."""

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("user_id", "idempotency_key", name="uq_events_user_idempotency"),
        Index("ix_events_project_item", "project_id", "item_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(10))
    label: Mapped[str | None] = mapped_column(Text, nullable=True)  # a task type's value
    rationale: Mapped[str | None] = mapped_column(Text, nullable=True)
    model_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    retracts_event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"), nullable=True)
    lease_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[float] = mapped_column(Float)
    # The model's guess shown with the item (from its lease), and whether the answer took it.
    guess: Mapped[str | None] = mapped_column(Text, nullable=True)
    guess_accepted: Mapped[bool | None] = mapped_column(Boolean, nullable=True)


class Answer(Base):
    """The current answer of one user for one item (a projection of ``events``)."""

    __tablename__ = "answers"
    __table_args__ = (Index("ix_answers_project", "project_id"),)

    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    kind: Mapped[str] = mapped_column(String(10))  # label, skip or resolve
    label: Mapped[str | None] = mapped_column(Text, nullable=True)  # a task type's value
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"))


class Lease(Base):
    __tablename__ = "leases"
    __table_args__ = (
        Index("ix_leases_item", "item_id", "released_at"),
        Index("ix_leases_user", "user_id", "released_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[float] = mapped_column(Float)
    expires_at: Mapped[float] = mapped_column(Float)
    released_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    reason: Mapped[str | None] = mapped_column(String(20), nullable=True)  # exploration, ...
    # The model's guess shown with the item when it was handed out (None: none shown).
    guess: Mapped[str | None] = mapped_column(Text, nullable=True)
    guess_confidence: Mapped[float | None] = mapped_column(Float, nullable=True)


class ModelVersion(Base):
    """Number 0 is the cold-start diversity order; 1, 2, ... are trained models."""

    __tablename__ = "model_versions"
    __table_args__ = (UniqueConstraint("project_id", "number", name="uq_versions_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))  # "diversity" or "model"
    n_labels: Mapped[int] = mapped_column(Integer)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[float] = mapped_column(Float)


class Score(Base):
    __tablename__ = "scores"
    __table_args__ = (Index("ix_scores_version_rank", "model_version_id", "rank"),)

    model_version_id: Mapped[int] = mapped_column(ForeignKey("model_versions.id"), primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), primary_key=True)
    rank: Mapped[int] = mapped_column(Integer)  # 0 = asked first
    score: Mapped[float] = mapped_column(Float)


class QueryRound(Base):
    """One retraining + re-scoring job: why it ran, what it scored, when it finished."""

    __tablename__ = "query_rounds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    model_version_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    trigger: Mapped[str] = mapped_column(String(20))  # "auto", "manual", "cold-start"
    strategy: Mapped[str] = mapped_column(String(100))
    n_scored: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))  # "done" or "failed: ..."
    started_at: Mapped[float] = mapped_column(Float)
    finished_at: Mapped[float] = mapped_column(Float)


class Membership(Base):
    """A user's role in one project; without a row the user's global role applies there."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("project_id", "user_id", name="uq_memberships_project_user"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    role: Mapped[str] = mapped_column(String(20))  # a role of ROLES, or "none"


class SettingChange(Base):
    """One explicit change of a project setting: who, when, the old and the new value."""

    __tablename__ = "setting_changes"
    __table_args__ = (Index("ix_setting_changes_project", "project_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    changed_by: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(50))
    old: Mapped[str] = mapped_column(Text)  # JSON of the value
    new: Mapped[str] = mapped_column(Text)
    changed_at: Mapped[float] = mapped_column(Float)


class Guess(Base):
    """A model version's guess for one item: the answer value and its predicted probability."""

    __tablename__ = "guesses"

    model_version_id: Mapped[int] = mapped_column(ForeignKey("model_versions.id"), primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), primary_key=True)
    value: Mapped[str] = mapped_column(Text)  # the answer value string (rules of Event.label)
    confidence: Mapped[float] = mapped_column(Float)  # the predicted probability of value


class TrainingLease(Base):
    """Which server process trains the project's model (``host:pid:random``) until
    ``expires_at``; renewed while it trains, taken over by another once expired."""

    __tablename__ = "training_leases"

    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    acquired_at: Mapped[float] = mapped_column(Float)
    expires_at: Mapped[float] = mapped_column(Float)


class ServerSecret(Base):
    """A random secret created once and shared by every server process of the database."""

    __tablename__ = "server_secrets"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
