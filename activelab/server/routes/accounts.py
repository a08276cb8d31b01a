"""The accounts page, for admins: every account with its role, status and last login; disable,
enable, reset a password or an API token (shown once, on the answer to that form only), change
a role; and the log of every such change (who, when, what).

The same operations are ``activelab users ...`` on the command line
(:mod:`activelab.server.accounts_cli`); both go through :mod:`activelab.store.account_admin`.
"""

import secrets
import time
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from ...errors import ActiveLabError
from ...store.store import UserInfo
from ..deps import get_store, go, page, signed_in

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

PAGE = "/admin/accounts"
ACTIONS = ("disable", "enable", "reset-password", "reset-token", "role")
NameField = Annotated[str, Form(max_length=100)]
CsrfField = Annotated[str, Form(max_length=100)]


def when(seconds: float | None) -> str:
    """Unix seconds as ``2026-12-03 12:05 UTC``; ``never`` for None."""
    if seconds is None:
        return "never"
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(seconds))


def accounts_page(request: Request, user: UserInfo, csrf: str, status: int = 200,
                  message: str | None = None, secret: dict[str, str] | None = None) -> Response:
    store = get_store(request)
    response = page(request, "accounts.html", status, user=user, csrf=csrf, message=message,
                    accounts=store.accounts(), changes=store.account_changes(50),
                    secret=secret, when=when, me=user.name)
    if secret:
        response.headers["Cache-Control"] = "no-store"
    return response


@router.get(PAGE, response_class=HTMLResponse)
def show(request: Request) -> Response:
    found = signed_in(request, roles=("admin",))
    if isinstance(found, Response):
        return found
    return accounts_page(request, *found)


@router.post(PAGE + "/{action}")
def change(request: Request, action: str, name: NameField, csrf_token: CsrfField,
           role: Annotated[str, Form(max_length=20)] = "") -> Response:
    """One change to the account ``name``; a reset answers with the page showing the new
    secret once, the others redirect back with a message."""
    found = signed_in(request, csrf_token, roles=("admin",))
    if isinstance(found, Response):
        return found
    user, csrf = found
    store = get_store(request)
    try:
        if action == "reset-password":
            password = secrets.token_urlsafe(12)
            store.reset_password(name, password, actor=user)
            return accounts_page(request, user, csrf, secret={
                "name": name, "kind": "password", "value": password})
        if action == "reset-token":
            token = store.reset_token(name, actor=user)
            return accounts_page(request, user, csrf, secret={
                "name": name, "kind": "API token", "value": token})
        if action in ("disable", "enable"):
            store.set_disabled(name, action == "disable", actor=user)
            return go(PAGE, f"{name} is {action}d" + (
                "; their sessions have ended." if action == "disable" else "."))
        if action == "role":
            store.set_role(name, role, actor=user)
            return go(PAGE, f"{name} is now {role}.")
    except ActiveLabError as err:
        return accounts_page(request, user, csrf, getattr(err, "status", 422),
                             f"Nothing changed: {err}.")
    return accounts_page(request, user, csrf, 404,
                         f"No such change {action!r}; use one of {', '.join(ACTIONS)}.")
