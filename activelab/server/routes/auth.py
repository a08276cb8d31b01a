"""The pages that sign in and out: the login form (with a double-submit CSRF cookie), the
session cookie it sets (``HttpOnly``, ``SameSite=Strict``), and logging out.

Failed logins are throttled per account and per client address
(:mod:`activelab.store.login_throttle`): while one must wait, the login page answers 429
with ``Retry-After`` and says for how long, without checking the password."""

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from ...store.errors import ForbiddenError
from ..deps import LOGIN_CSRF_COOKIE, SESSION_COOKIE, cookie_user, get_store, go, page, signed_in

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

SECURE_COOKIE = dict(httponly=True, samesite="strict")


@router.get("/")
def home(request: Request) -> Response:
    if cookie_user(request) is None:
        return go("/login")
    return go("/projects")


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> Response:
    token = secrets.token_urlsafe(16)
    response = page(request, "login.html", csrf=token, user=None, message=None)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, **SECURE_COOKIE)
    return response


@router.post("/login")
def login(request: Request, name: Annotated[str, Form(max_length=100)],
          password: Annotated[str, Form(max_length=500)],
          csrf_token: Annotated[str, Form(max_length=100)]) -> Response:
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not secrets.compare_digest(cookie.encode(), csrf_token.encode()):
        return page(request, "login.html", 403, csrf=cookie, user=None,
                    message="The login form expired; try again.")
    store = get_store(request)
    address = request.client.host if request.client else ""
    wait = store.login_wait(name, address)
    if wait is not None:
        response = page(request, "login.html", 429, csrf=cookie, user=None,
                        message=wait.message, typed_name=name)
        response.headers["Retry-After"] = str(wait.seconds)
        return response
    try:
        user = store.check_login(name, password)
    except ForbiddenError as err:  # the right secret, a disabled account
        return page(request, "login.html", 403, csrf=cookie, user=None,
                    message=f"{str(err)[0].upper()}{str(err)[1:]}.", typed_name=name)
    if user is None:
        store.record_login_failure(name, address)
        return page(request, "login.html", 401, csrf=cookie, user=None,
                    message="Unknown name or wrong password/token.", typed_name=name)
    store.clear_login_failures(name)
    secret, _csrf = store.create_session(user)
    names = store.visible_projects(user)
    target = "/projects" if len(names) != 1 else (
        f"/projects/{names[0]}/label" if store.role_in(names[0], user) == "annotator"
        else f"/projects/{names[0]}/dashboard")
    response = go(target)
    response.set_cookie(SESSION_COOKIE, secret, **SECURE_COOKIE)
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/logout")
def logout(request: Request, csrf_token: Annotated[str, Form(max_length=100)]) -> Response:
    found = signed_in(request, csrf_token)
    if isinstance(found, Response):
        return found
    get_store(request).end_session(request.cookies.get(SESSION_COOKIE, ""))
    response = go("/login")
    response.delete_cookie(SESSION_COOKIE)
    return response
