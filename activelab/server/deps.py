"""What the routes share: the app's store and trainers, who is asking, and page rendering.

The JSON API takes ``Authorization: Bearer <token>``, or the session cookie plus the
``X-CSRF-Token`` header on state-changing requests (:func:`authenticate`, :func:`role`).
The pages take the session cookie plus the CSRF token of their form (:func:`signed_in`);
what the pages answer when that fails is a page too (a redirect to ``/login``, or an
error page).
"""

import secrets
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Header, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from ..store import Store
from ..store.store import UserInfo
from .flash import FLASH_COOKIE, read_flash, set_flash
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
    "error_page",
    "get_store",
    "go",
    "labels_changed",
    "page",
    "project_role",
    "role",
    "show_guess",
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


def show_guess(request: Request) -> bool | None:
    """``serve --guesses/--no-guesses``: show the model's guesses (True), hide them (False),
    or follow each project's ``show_guess`` setting (None, the default)."""
    return getattr(request.app.state, "guesses", None)


def labels_changed(request: Request, project: str) -> None:
    """Tell the project's trainer (if any) how many labels it has now."""
    trainer = _trainers(request).get(project)
    if trainer is not None:
        trainer.labels_changed(*get_store(request).label_progress(project))


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
        token, project = header[7:].strip(), request.path_params.get("project")
        if project is None:
            user = get_store(request).user_by_token(token)
        else:  # the role in the path's project comes with the same query
            found = get_store(request).token_user_in(token, project)
            user = None if found is None else found[0]
            if found is not None:
                request.state.project_role = (project, user.id, found[1])
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
    """A dependency: the authenticated user, if their role (in the path's project, see
    :func:`project_role`) is one of ``allowed`` (else 403)."""
    def check(request: Request, user: Annotated[UserInfo, Depends(authenticate)]) -> UserInfo:
        user = project_role(request, user)
        if user.role not in allowed:
            raise HTTPException(403, f"the {user.role} role cannot do this; it needs "
                                f"{' or '.join(allowed)}")
        return user
    return check


def project_role(request: Request, user: UserInfo, project: str | None = None) -> UserInfo:
    """``user`` with their role in ``project`` (default: the path's ``{project}``): a
    membership's role where they have one (``none``: no access), else their global role."""
    project = project or request.path_params.get("project")
    if project is None:
        return user
    known = getattr(request.state, "project_role", None)
    if known is not None and known[:2] == (project, user.id):
        return replace(user, role=known[2])
    return replace(user, role=get_store(request).role_in(project, user))


Anyone = Annotated[UserInfo, Depends(role(*ANYONE))]
Reviewer = Annotated[UserInfo, Depends(role(*REVIEWERS))]
Admin = Annotated[UserInfo, Depends(role("admin"))]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]

# ---- who is asking: the pages ----------------------------------------------------------------

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))
TEMPLATES.env.globals["task_view"] = task_view  # the task type's widgets and display


def page(request: Request, name: str, status: int = 200, **context: Any) -> Response:
    """The template ``name`` rendered with ``context`` (Jinja2 escapes every value).

    Without a ``message`` of its own, the page shows the flash message :func:`go` left
    (only the server can leave one: see :mod:`..flash`), and clears it."""
    flash = read_flash(request) if not context.get("message") else None
    if flash:
        context["message"] = flash
    response = TEMPLATES.TemplateResponse(request, name, context, status_code=status)
    if flash or (FLASH_COOKIE in request.cookies and not context.get("message")):
        response.delete_cookie(FLASH_COOKIE, path="/", httponly=True, samesite="strict")
    return response


def error_page(request: Request, status: int, message: str, user: UserInfo | None = None,
               csrf: str = "", project: str | None = None) -> Response:
    """The error page: ``message``, and the ways on (the project, your projects, log out to
    log in as someone else). ``project`` only when it exists."""
    return page(request, "error.html", status, user=user, csrf=csrf, project=project,
                message=message, error_status=status)


def go(url: str, message: str | None = None) -> RedirectResponse:
    """See other: ``url``, showing ``message`` there once (a signed flash cookie)."""
    response = RedirectResponse(url, status_code=303)
    if message:
        set_flash(response, message)
    return response


def signed_in(request: Request, csrf_form: str | None = None,
              roles: tuple[str, ...] = ANYONE,
              project: str | None = None) -> tuple[UserInfo, str] | Response:
    """The signed-in user and their CSRF token, or the page that says why not (not
    signed in, a stale form, a role that may not open it, an unknown ``project``)."""
    found = cookie_user(request)
    if found is None:
        ended = SESSION_COOKIE in request.cookies
        return go("/login", "Your session has ended (it expired, or an admin changed the "
                  "account); log in again." if ended else None)
    user, csrf = found
    known = project is not None and project in get_store(request).project_names()
    here = project if known else None
    user = project_role(request, user, project)
    if csrf_form is not None and not csrf_matches(csrf_form, csrf):
        return error_page(request, 403, "This form is stale or forged (CSRF check failed); "
                          "go back and reload the page.", user, csrf, here)
    if user.role not in roles:
        return error_page(request, 403, f"The {user.role} role cannot open this page; it "
                          f"needs {' or '.join(roles)}.", user, csrf, here)
    if project is not None and not known:
        return error_page(request, 404, f"No project {project!r}.", user, csrf)
    return user, csrf
