"""Slowing down password guessing: failed logins counted per account and per client address.

The failures are rows in the database, so every server process on the same database sees
the same counts. Within :data:`WINDOW_SECONDS`, an account may fail
:data:`FREE_FAILURES` ``["account"]`` times and an address ``["address"]`` times without a
wait; from then on each failure doubles the wait before the next attempt, from
:data:`FIRST_WAIT_SECONDS` up to :data:`MAX_WAIT_SECONDS` (exponential backoff). An attempt
made while waiting is refused without checking the password and is not counted; a
successful login clears its account's failures (not its address's).

>>> [wait_after(n, FREE_FAILURES["account"]) for n in (4, 5, 6, 7, 10, 40)]
[0.0, 30.0, 60.0, 120.0, 900.0, 900.0]
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import delete, func, select

from .base import StoreBase
from .schema import LoginFailure

__all__ = ["FIRST_WAIT_SECONDS", "FREE_FAILURES", "MAX_WAIT_SECONDS", "WINDOW_SECONDS",
           "LoginThrottle", "LoginWait", "wait_after"]

#: Failures older than this are forgotten.
WINDOW_SECONDS = 3600.0
#: Failures allowed without a wait: per account name, and per client address (higher, as
#: several people may share one address behind a NAT).
FREE_FAILURES = {"account": 5, "address": 20}
FIRST_WAIT_SECONDS = 30.0
MAX_WAIT_SECONDS = 900.0
_KEY_CHARS = 200


@dataclass(frozen=True)
class LoginWait:
    """Why and for how long a login is refused (``seconds``, rounded up)."""

    scope: str  # "account" or "address"
    seconds: int

    @property
    def message(self) -> str:
        whose = "for this account" if self.scope == "account" else "from your address"
        return f"Too many failed attempts {whose}; try again in {self.seconds} s."


def wait_after(failures: int, free: int) -> float:
    """Seconds to wait after the latest of ``failures`` when ``free`` come without a wait."""
    if failures < free:
        return 0.0
    return min(FIRST_WAIT_SECONDS * 2.0 ** (failures - free), MAX_WAIT_SECONDS)


class LoginThrottle(StoreBase):
    """Counting failed logins and saying how long the next attempt must wait."""

    def login_wait(self, name: str, address: str) -> LoginWait | None:
        """The longer wait of the account's and the address's, or ``None`` to go ahead."""
        now = self.clock()
        waits = []
        with self._session() as session:
            for scope, key in _keys(name, address):
                count, latest = session.execute(
                    select(func.count(), func.max(LoginFailure.created_at)).where(
                        LoginFailure.scope == scope, LoginFailure.key == key,
                        LoginFailure.created_at > now - WINDOW_SECONDS)).one()
                left = (latest or now) + wait_after(count, FREE_FAILURES[scope]) - now
                if left > 0:
                    waits.append(LoginWait(scope, math.ceil(left)))
        return max(waits, key=lambda wait: wait.seconds, default=None)

    def record_login_failure(self, name: str, address: str) -> None:
        now = self.clock()
        with self._transaction() as session:
            session.execute(delete(LoginFailure).where(
                LoginFailure.created_at <= now - WINDOW_SECONDS))
            for scope, key in _keys(name, address):
                session.add(LoginFailure(scope=scope, key=key, created_at=now))

    def clear_login_failures(self, name: str) -> None:
        """After a successful login: the account starts afresh."""
        with self._transaction() as session:
            session.execute(delete(LoginFailure).where(
                LoginFailure.scope == "account", LoginFailure.key == _key(name)))


def _key(value: str) -> str:
    return value.strip()[:_KEY_CHARS]


def _keys(name: str, address: str) -> tuple[tuple[str, str], ...]:
    return ("account", _key(name)), ("address", _key(address))
