"""Accounts: users and their API tokens, passwords, and browser sessions.

Tokens and session secrets are stored as SHA-256 hashes, passwords as argon2 hashes.

>>> len(hash_secret("a token"))
64
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, select

from ..errors import ActiveLabError
from .base import StoreBase
from .errors import ConflictError
from .importer import MAX_FIELD_CHARS
from .schema import ROLES, Session, User

__all__ = ["SESSION_SECONDS", "Accounts", "UserInfo", "hash_secret"]

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

    def add_user(self, name: str, role: str, password: str | None = None) -> str:
        """Create a user and return its API token (only its hash is stored)."""
        name = name.strip()
        if not name or len(name) > 100:
            raise ActiveLabError("a user name has 1 to 100 characters")
        if role not in ROLES:
            raise ActiveLabError(f"role must be one of {', '.join(ROLES)}; got {role!r}")
        token = secrets.token_urlsafe(32)
        with self._transaction() as session:
            if session.scalar(select(User.id).where(User.name == name)) is not None:
                raise ConflictError(f"user {name!r} already exists")
            session.add(User(name=name, role=role, token_hash=hash_secret(token),
                             password_hash=_hash_password(password) if password else None,
                             created_at=self.clock()))
        return token

    def users(self) -> list[UserInfo]:
        with self._session() as session:
            return [UserInfo(u.id, u.name, u.role)
                    for u in session.scalars(select(User).order_by(User.id))]

    def user_by_token(self, token: str) -> UserInfo | None:
        if not token or len(token) > 200:
            return None
        with self._session() as session:
            user = session.scalar(select(User).where(User.token_hash == hash_secret(token)))
            return UserInfo(user.id, user.name, user.role) if user else None

    def check_login(self, name: str, secret: str) -> UserInfo | None:
        """The user whose password (argon2) or API token is ``secret``, else ``None``."""
        from argon2 import PasswordHasher
        from argon2.exceptions import Argon2Error

        with self._session() as session:
            user = session.scalar(select(User).where(User.name == name.strip()))
            if user is None:
                return None
            if secrets.compare_digest(user.token_hash, hash_secret(secret)):
                return UserInfo(user.id, user.name, user.role)
            if user.password_hash:
                try:
                    PasswordHasher().verify(user.password_hash, secret)
                    return UserInfo(user.id, user.name, user.role)
                except Argon2Error:
                    return None
        return None

    def create_session(self, user: UserInfo) -> tuple[str, str]:
        """A new browser session: ``(cookie secret, CSRF token)``."""
        secret, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = self.clock()
        with self._transaction() as session:
            session.add(Session(user_id=user.id, secret_hash=hash_secret(secret),
                                csrf_token=csrf, created_at=now,
                                expires_at=now + SESSION_SECONDS))
        return secret, csrf

    def session_user(self, secret: str) -> tuple[UserInfo, str] | None:
        if not secret or len(secret) > 200:
            return None
        with self._session() as session:
            row = session.execute(
                select(User, Session.csrf_token).join(Session, Session.user_id == User.id)
                .where(Session.secret_hash == hash_secret(secret),
                       Session.expires_at > self.clock())
            ).first()
            if row is None:
                return None
            user, csrf = row
            return UserInfo(user.id, user.name, user.role), csrf

    def end_session(self, secret: str) -> None:
        with self._transaction() as session:
            session.execute(delete(Session).where(Session.secret_hash == hash_secret(secret)))


def _hash_password(password: str) -> str:
    from argon2 import PasswordHasher

    if len(password) > MAX_FIELD_CHARS:
        raise ActiveLabError("the password is too long")
    return PasswordHasher().hash(password)
