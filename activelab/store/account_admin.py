"""Running accounts: list them, disable and enable, reset a password or token, change a role.

Accounts are never deleted (the event log names its annotators); a disabled account is
refused at login and by token, and its browser sessions are ended in the same transaction.
Every change is one row of ``account_changes`` (who, when, what), listed by
:meth:`AccountAdmin.account_changes`. ``actor`` is the admin who made the change, ``None``
for the command line. The last enabled admin cannot be disabled or demoted, so a server
always keeps someone who can manage it.

>>> from activelab.store import Store
>>> store = Store("sqlite://")
>>> _ = store.add_user("ann", "annotator")
>>> store.set_disabled("ann", True)
>>> [(a.name, a.disabled) for a in store.accounts()]
[('ann', True)]
>>> [c.action for c in store.account_changes()]
['disabled', 'created as annotator']
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import aliased

from .accounts import UserInfo, check_role, hash_password, hash_secret, record_change
from .base import StoreBase
from .errors import ConflictError, NotFoundError
from .schema import AccountChange, Session, User

__all__ = ["AccountAdmin", "AccountChangeInfo", "AccountInfo"]


@dataclass(frozen=True)
class AccountInfo:
    name: str
    role: str
    disabled: bool
    has_password: bool
    created_at: float
    last_login_at: float | None


@dataclass(frozen=True)
class AccountChangeInfo:
    account: str
    actor: str | None  # None: the command line
    action: str
    at: float


class AccountAdmin(StoreBase):
    """Listing and changing accounts, each change logged."""

    def accounts(self) -> list[AccountInfo]:
        with self._session() as session:
            return [AccountInfo(u.name, u.role, u.disabled_at is not None,
                                u.password_hash is not None, u.created_at, u.last_login_at)
                    for u in session.scalars(select(User).order_by(User.id))]

    def account_changes(self, limit: int = 100) -> list[AccountChangeInfo]:
        """The newest ``limit`` changes, newest first."""
        actor = aliased(User)
        with self._session() as session:
            rows = session.execute(
                select(User.name, actor.name, AccountChange.action, AccountChange.created_at)
                .join(User, User.id == AccountChange.user_id)
                .outerjoin(actor, actor.id == AccountChange.actor_id)
                .order_by(AccountChange.id.desc()).limit(limit))
            return [AccountChangeInfo(*row) for row in rows]

    def set_disabled(self, name: str, disabled: bool, actor: UserInfo | None = None) -> None:
        """Disable (ending its sessions at once) or enable again; a no-op change is refused."""
        with self._transaction() as session:
            user = self._account(session, name)
            if (user.disabled_at is not None) == disabled:
                raise ConflictError(f"the account {name!r} is already "
                                    f"{'disabled' if disabled else 'enabled'}")
            if disabled:
                self._keep_an_admin(session, user)
                session.execute(delete(Session).where(Session.user_id == user.id))
            user.disabled_at = self.clock() if disabled else None
            record_change(session, user.id, actor, "disabled" if disabled else "enabled",
                          self.clock())

    def reset_password(self, name: str, password: str, actor: UserInfo | None = None) -> None:
        """A new password; the account's browser sessions end (its token still works)."""
        if not password:
            raise ConflictError("the new password is empty")
        with self._transaction() as session:
            user = self._account(session, name)
            user.password_hash = hash_password(password)
            session.execute(delete(Session).where(Session.user_id == user.id))
            record_change(session, user.id, actor, "password reset", self.clock())

    def reset_token(self, name: str, actor: UserInfo | None = None) -> str:
        """A new API token (returned once; the old one stops working at once)."""
        token = secrets.token_urlsafe(32)
        with self._transaction() as session:
            user = self._account(session, name)
            user.token_hash = hash_secret(token)
            record_change(session, user.id, actor, "token reset", self.clock())
        return token

    def set_role(self, name: str, role: str, actor: UserInfo | None = None) -> None:
        """A new role, in force from the account's next request."""
        check_role(role)
        with self._transaction() as session:
            user = self._account(session, name)
            if user.role == role:
                raise ConflictError(f"the account {name!r} is already {role}")
            if role != "admin":
                self._keep_an_admin(session, user)
            record_change(session, user.id, actor, f"role {user.role} -> {role}", self.clock())
            user.role = role

    def _account(self, session: OrmSession, name: str) -> User:
        """The user ``name``, its row locked for the transaction (404 if none)."""
        user = session.scalar(select(User).where(User.name == name.strip()).with_for_update())
        if user is None:
            raise NotFoundError(f"no account {name!r}; `activelab users list` lists them")
        return user

    def _keep_an_admin(self, session: OrmSession, user: User) -> None:
        """Refuse to disable or demote the last enabled admin."""
        if user.role != "admin" or user.disabled_at is not None:
            return
        # Locking every enabled admin's row: two admins demoting each other wait in turn.
        admins = session.scalars(select(User.id).where(
            User.role == "admin", User.disabled_at.is_(None)).with_for_update()).all()
        if len(admins) <= 1:
            raise ConflictError(f"{user.name!r} is the last enabled admin; make another "
                                "account admin first")
