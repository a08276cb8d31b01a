"""Accounts: users and their API tokens, passwords, and browser sessions.

Tokens and session secrets are stored as SHA-256 hashes, passwords as argon2 hashes. A
disabled account (see :mod:`.account_admin`) is refused here: at login, by token, and by
every existing session on its next request.

>>> len(hash_secret("a token"))
64
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session as OrmSession

from ..errors import ActiveLabError
from .base import StoreBase
from .errors import ConflictError, ForbiddenError
from .importer import MAX_FIELD_CHARS
from .schema import ROLES, AccountChange, Session, User

__all__ = ["SESSION_SECONDS", "Accounts", "UserInfo", "check_role", "hash_password",
           "hash_secret", "record_change"]

#: How long a browser session lasts.
SESSION_SECONDS = 12 * 3600


@dataclass(frozen=True)
class UserInfo:
    id: int
    name: str
    role: str


def hash_secret(secret: str) -> str:
    """SHA-256 of a random token: tokens carry 256 bits of entropy, so a fast hash is safe
    (a slow password hash is for guessable secrets: see :meth:`Accounts.check_login`)."""
    return hashlib.sha256(secret.encode()).hexdigest()


class Accounts(StoreBase):
    """The store's users, their logins and browser sessions."""

    def add_user(self, name: str, role: str, password: str | None = None,
                 actor: UserInfo | None = None) -> str:
        """Create a user and return its API token (only its hash is stored). ``actor`` is
        the admin who did it, for the account change log (``None``: the command line)."""
        name = name.strip()
        if not name or len(name) > 100:
            raise ActiveLabError("a user name has 1 to 100 characters")
        check_role(role)
        token = secrets.token_urlsafe(32)
        with self._transaction() as session:
            if session.scalar(select(User.id).where(User.name == name)) is not None:
                raise ConflictError(f"user {name!r} already exists")
            user = User(name=name, role=role, token_hash=hash_secret(token),
                        password_hash=hash_password(password) if password else None,
                        created_at=self.clock())
            session.add(user)
            session.flush()
            record_change(session, user.id, actor, f"created as {role}", self.clock())
        return token

    def users(self) -> list[UserInfo]:
        with self._session() as session:
            return [UserInfo(u.id, u.name, u.role)
                    for u in session.scalars(select(User).order_by(User.id))]

    def user_by_token(self, token: str) -> UserInfo | None:
        if not token or len(token) > 200:
            return None
        with self._session() as session:
            user = session.scalar(select(User).where(User.token_hash == hash_secret(token),
                                                     User.disabled_at.is_(None)))
            return UserInfo(user.id, user.name, user.role) if user else None

    def check_login(self, name: str, secret: str) -> UserInfo | None:
        """The user whose password (argon2) or API token is ``secret``, else ``None``;
        :class:`ForbiddenError` when the secret is right but the account is disabled."""
        with self._session() as session:
            user = session.scalar(select(User).where(User.name == name.strip()))
            if user is None or not _secret_matches(user, secret):
                return None
            if user.disabled_at is not None:
                raise ForbiddenError(f"the account {user.name!r} is disabled; ask an admin "
                                     "to enable it again")
            return UserInfo(user.id, user.name, user.role)

    def create_session(self, user: UserInfo) -> tuple[str, str]:
        """A new browser session: ``(cookie secret, CSRF token)``."""
        secret, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = self.clock()
        with self._transaction() as session:
            session.add(Session(user_id=user.id, secret_hash=hash_secret(secret),
                                csrf_token=csrf, created_at=now,
                                expires_at=now + SESSION_SECONDS))
            session.execute(update(User).where(User.id == user.id).values(last_login_at=now))
        return secret, csrf

    def session_user(self, secret: str) -> tuple[UserInfo, str] | None:
        if not secret or len(secret) > 200:
            return None
        with self._session() as session:
            row = session.execute(
                select(User, Session.csrf_token).join(Session, Session.user_id == User.id)
                .where(Session.secret_hash == hash_secret(secret),
                       Session.expires_at > self.clock(), User.disabled_at.is_(None))
            ).first()
            if row is None:
                return None
            user, csrf = row
            return UserInfo(user.id, user.name, user.role), csrf

    def end_session(self, secret: str) -> None:
        with self._transaction() as session:
            session.execute(delete(Session).where(Session.secret_hash == hash_secret(secret)))


def check_role(role: str) -> None:
    if role not in ROLES:
        raise ActiveLabError(f"role must be one of {', '.join(ROLES)}; got {role!r}")


def record_change(session: OrmSession, user_id: int, actor: UserInfo | None, action: str,
                  now: float) -> None:
    """One row of the account change log, in the caller's transaction."""
    session.add(AccountChange(user_id=user_id, actor_id=actor.id if actor else None,
                              action=action, created_at=now))


def _secret_matches(user: User, secret: str) -> bool:
    """Is ``secret`` the user's API token, or their password (argon2)?"""
    from argon2 import PasswordHasher
    from argon2.exceptions import Argon2Error

    if secrets.compare_digest(user.token_hash, hash_secret(secret)):
        return True
    if not user.password_hash:
        return False
    try:
        return PasswordHasher().verify(user.password_hash, secret)
    except Argon2Error:
        return False


def hash_password(password: str) -> str:
    from argon2 import PasswordHasher

    if len(password) > MAX_FIELD_CHARS:
        raise ActiveLabError("the password is too long")
    return PasswordHasher().hash(password)
