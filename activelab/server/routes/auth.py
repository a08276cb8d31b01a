"""The pages that sign in and out: the login form (with a double-submit CSRF cookie), the
session cookie it sets (``HttpOnly``, ``SameSite=Strict``), and logging out."""

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

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
    user = store.check_login(name, password)
    if user is None:
        return page(request, "login.html", 401, csrf=cookie, user=None,
                    message="Unknown name or wrong password/token.")
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
