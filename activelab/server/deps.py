"""What the routes share: the app's store and trainers, who is asking, and page rendering.

The JSON API takes ``Authorization: Bearer <token>``, or the session cookie plus the
``X-CSRF-Token`` header on state-changing requests (:func:`authenticate`, :func:`role`).
The pages take the session cookie plus the CSRF token of their form (:func:`signed_in`);
what the pages answer when that fails is a page too (a redirect to ``/login``, or an
error page).
"""

import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Header, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from ..store import Store
from ..store.store import UserInfo
from .task_models import task_view
from .trainer import Trainer

__all__ = [
    "ANYONE",
    "LOGIN_CSRF_COOKIE",
    "REVIEWERS",
    "SESSION_COOKIE",
    "Admin",
    "Anyone",
    "IdempotencyKey",
    "Reviewer",
    "StoreDep",
    "authenticate",
    "cookie_user",
    "csrf_matches",
    "get_store",
    "go",
    "labels_changed",
    "page",
    "role",
    "signed_in",
    "training_status",
]

SESSION_COOKIE = "activelab_session"
LOGIN_CSRF_COOKIE = "activelab_login_csrf"
ANYONE = ("admin", "annotator", "reviewer")
REVIEWERS = ("admin", "reviewer")

# ---- the app's state -----------------------------------------------------------------------


def get_store(request: Request) -> Store:
    """The store the app was built over."""
    return request.app.state.store


async def _store(request: Request) -> Store:  # async: no trip to the thread pool for this
    return get_store(request)


StoreDep = Annotated[Store, Depends(_store)]


def _trainers(request: Request) -> dict[str, Trainer]:
    return request.app.state.trainers


def training_status(request: Request, project: str) -> dict[str, Any] | None:
    """The project's trainer's status, or ``None`` where the project has no model."""
    trainer = _trainers(request).get(project)
    return trainer.status() if trainer else None


def labels_changed(request: Request, project: str) -> None:
    """Tell the project's trainer (if any) how many labels it has now."""
    trainer = _trainers(request).get(project)
    if trainer is not None:
        trainer.labels_changed(get_store(request).count_labels(project))


# ---- who is asking: the JSON API -------------------------------------------------------------


def csrf_matches(sent: str, csrf: str) -> bool:
    return secrets.compare_digest(sent.encode(), csrf.encode())


def cookie_user(request: Request) -> tuple[UserInfo, str] | None:
    """The user of the session cookie and the session's CSRF token, or ``None``."""
    return get_store(request).session_user(request.cookies.get(SESSION_COOKIE, ""))


def authenticate(request: Request) -> UserInfo:
    """The bearer token's user, else the session cookie's (with the CSRF header checked on
    every state-changing request); 401 or 403 otherwise."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        user = get_store(request).user_by_token(header[7:].strip())
        if user is None:
            raise HTTPException(401, "unknown or revoked token",
                                headers={"WWW-Authenticate": "Bearer"})
        return user
    found = cookie_user(request)
    if found is None:
        raise HTTPException(401, "log in, or send Authorization: Bearer <token>",
                            headers={"WWW-Authenticate": "Bearer"})
    user, csrf = found
    changes_state = request.method not in ("GET", "HEAD", "OPTIONS")
    if changes_state and not csrf_matches(request.headers.get("x-csrf-token", ""), csrf):
        raise HTTPException(403, "missing or wrong X-CSRF-Token header")
    return user


def role(*allowed: str) -> Callable[..., UserInfo]:
    """A dependency: the authenticated user, if their role is one of ``allowed`` (else 403)."""
    def check(user: Annotated[UserInfo, Depends(authenticate)]) -> UserInfo:
        if user.role not in allowed:
            raise HTTPException(403, f"the {user.role} role cannot do this; it needs "
                                f"{' or '.join(allowed)}")
        return user
    return check


Anyone = Annotated[UserInfo, Depends(role(*ANYONE))]
Reviewer = Annotated[UserInfo, Depends(role(*REVIEWERS))]
Admin = Annotated[UserInfo, Depends(role("admin"))]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]

# ---- who is asking: the pages ----------------------------------------------------------------

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))
TEMPLATES.env.globals["task_view"] = task_view  # the task type's widgets and display


def page(request: Request, name: str, status: int = 200, **context: Any) -> Response:
    """The template ``name`` rendered with ``context`` (Jinja2 escapes every value)."""
    return TEMPLATES.TemplateResponse(request, name, context, status_code=status)


def go(url: str, message: str | None = None) -> RedirectResponse:
    """See other: ``url``, with ``?message=`` when there is one to show."""
    query = f"?{urlencode({'message': message[:300]})}" if message else ""
    return RedirectResponse(url + query, status_code=303)


def signed_in(request: Request, csrf_form: str | None = None,
              roles: tuple[str, ...] = ANYONE,
              project: str | None = None) -> tuple[UserInfo, str] | Response:
    """The signed-in user and their CSRF token, or the page that says why not (not
    signed in, a stale form, a role that may not open it, an unknown ``project``)."""
    found = cookie_user(request)
    if found is None:
        return go("/login")
    user, csrf = found
    if csrf_form is not None and not csrf_matches(csrf_form, csrf):
        return page(request, "error.html", 403, user=user,
                    message="This form is stale or forged (CSRF check failed); reload.")
    if user.role not in roles:
        return page(request, "error.html", 403, user=user,
                    message=f"The {user.role} role cannot open this page.")
    if project is not None and project not in get_store(request).project_names():
        return page(request, "error.html", 404, user=user, message=f"No project {project!r}.")
    return user, csrf
