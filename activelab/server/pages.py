"""The server-rendered pages: log in, label (keyboard-first), review, dashboard.

Jinja2 escapes every value it renders, so an item whose text holds ``<script>`` shows that
text. Every form carries the session's CSRF token; the login form a double-submit cookie.
"""


import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from ..errors import ActiveLabError
from ..store import Store
from ..store.store import UserInfo
from .agreement import agreement
from .trainer import Trainer

__all__ = ["add_pages"]

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))
SECURE_COOKIE = dict(httponly=True, samesite="strict")


def _go(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def add_pages(app: FastAPI, store: Store, trainers: dict[str, Trainer],
              authenticate_cookie: Callable[[Request], tuple[UserInfo, str] | None]) -> None:
    from .app import LOGIN_CSRF_COOKIE, SESSION_COOKIE, disagreement_rows

    def page(request: Request, name: str, status: int = 200, **context: Any) -> Response:
        return TEMPLATES.TemplateResponse(request, name, context, status_code=status)

    def signed_in(request: Request, csrf_form: str | None = None,
                  roles: tuple[str, ...] = ("admin", "annotator", "reviewer"),
                  project: str | None = None) -> tuple[UserInfo, str] | Response:
        """The signed-in user and their CSRF token, or the page that says why not (not
        signed in, a stale form, a role that may not open it, an unknown ``project``)."""
        found = authenticate_cookie(request)
        if found is None:
            return _go("/login")
        user, csrf = found
        if csrf_form is not None and not secrets.compare_digest(csrf_form.encode(),
                                                                csrf.encode()):
            return page(request, "error.html", 403, user=user,
                        message="This form is stale or forged (CSRF check failed); reload.")
        if user.role not in roles:
            return page(request, "error.html", 403, user=user,
                        message=f"The {user.role} role cannot open this page.")
        if project is not None and project not in store.project_names():
            return page(request, "error.html", 404, user=user, message=f"No project {project!r}.")
        return user, csrf

    @app.get("/", include_in_schema=False)
    def home(request: Request) -> Response:
        names = store.project_names()
        found = authenticate_cookie(request)
        if found is None or not names:
            return _go("/login")
        return _go(f"/projects/{names[0]}/label")

    @app.get("/login", response_class=HTMLResponse, include_in_schema=False)
    def login_form(request: Request) -> Response:
        token = secrets.token_urlsafe(16)
        response = page(request, "login.html", csrf=token, user=None, message=None)
        response.set_cookie(LOGIN_CSRF_COOKIE, token, **SECURE_COOKIE)
        return response

    @app.post("/login", include_in_schema=False)
    def login(request: Request, name: Annotated[str, Form(max_length=100)],
              password: Annotated[str, Form(max_length=500)],
              csrf_token: Annotated[str, Form(max_length=100)]) -> Response:
        cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
        if not cookie or not secrets.compare_digest(cookie.encode(), csrf_token.encode()):
            return page(request, "login.html", 403, csrf=cookie, user=None,
                        message="The login form expired; try again.")
        user = store.check_login(name, password)
        if user is None:
            return page(request, "login.html", 401, csrf=cookie, user=None,
                        message="Unknown name or wrong password/token.")
        secret, _csrf = store.create_session(user)
        names = store.project_names()
        target = "/login" if not names else (
            f"/projects/{names[0]}/label" if user.role == "annotator"
            else f"/projects/{names[0]}/dashboard")
        response = _go(target)
        response.set_cookie(SESSION_COOKIE, secret, **SECURE_COOKIE)
        response.delete_cookie(LOGIN_CSRF_COOKIE)
        return response

    @app.post("/logout", include_in_schema=False)
    def logout(request: Request, csrf_token: Annotated[str, Form(max_length=100)]) -> Response:
        found = signed_in(request, csrf_token)
        if isinstance(found, Response):
            return found
        store.end_session(request.cookies.get(SESSION_COOKIE, ""))
        response = _go("/login")
        response.delete_cookie(SESSION_COOKIE)
        return response

    @app.get("/projects/{project}/label", response_class=HTMLResponse, include_in_schema=False)
    def label_page(request: Request, project: str, message: str | None = None) -> Response:
        found = signed_in(request, project=project)
        if isinstance(found, Response):
            return found
        user, csrf = found
        leased = store.next_item(project, user)
        info = store.project_info(project)
        stats = store.stats(project)
        trainer = trainers.get(project)
        return page(request, "label.html", user=user, csrf=csrf, project=project, info=info,
                    item=leased, stats=stats, message=message,
                    training=trainer.status() if trainer else None,
                    mine=stats["labels_per_annotator"].get(user.name, 0))

    @app.post("/projects/{project}/label", include_in_schema=False)
    def label_submit(request: Request, project: str,
                     item_id: Annotated[int, Form(ge=1, le=2**31 - 1)], label: Annotated[str, Form(max_length=200)],
                     csrf_token: Annotated[str, Form(max_length=100)],
                     lease_id: Annotated[str, Form(max_length=36)] = "",
                     rationale: Annotated[str, Form(max_length=2000)] = "") -> Response:
        found = signed_in(request, csrf_token)
        if isinstance(found, Response):
            return found
        user, _ = found
        try:
            store.annotate(project, user, item_id, label, lease_id or None, rationale or None)
        except ActiveLabError as err:
            return _go_with(project, str(err))
        trainer = trainers.get(project)
        if trainer is not None:
            trainer.labels_changed(store.count_labels(project))
        return _go(f"/projects/{project}/label")

    @app.post("/projects/{project}/skip", include_in_schema=False)
    def skip_submit(request: Request, project: str, item_id: Annotated[int, Form(ge=1, le=2**31 - 1)],
                    csrf_token: Annotated[str, Form(max_length=100)],
                    lease_id: Annotated[str, Form(max_length=36)] = "") -> Response:
        found = signed_in(request, csrf_token)
        if isinstance(found, Response):
            return found
        try:
            store.skip(project, found[0], item_id, lease_id or None)
        except ActiveLabError as err:
            return _go_with(project, str(err))
        return _go(f"/projects/{project}/label")

    @app.post("/projects/{project}/undo", include_in_schema=False)
    def undo_submit(request: Request, project: str,
                    csrf_token: Annotated[str, Form(max_length=100)]) -> Response:
        found = signed_in(request, csrf_token)
        if isinstance(found, Response):
            return found
        try:
            done = store.undo(project, found[0])
        except ActiveLabError as err:
            return _go_with(project, str(err))
        return _go_with(project, None if done else "Nothing to undo.")

    @app.get("/projects/{project}/review", response_class=HTMLResponse, include_in_schema=False)
    def review_page(request: Request, project: str) -> Response:
        found = signed_in(request, roles=("admin", "reviewer"), project=project)
        if isinstance(found, Response):
            return found
        user, csrf = found
        return page(request, "review.html", user=user, csrf=csrf, project=project,
                    info=store.project_info(project), rows=disagreement_rows(store, project))

    @app.post("/projects/{project}/review", include_in_schema=False)
    def review_submit(request: Request, project: str, item_id: Annotated[int, Form(ge=1, le=2**31 - 1)],
                      label: Annotated[str, Form(max_length=200)],
                      csrf_token: Annotated[str, Form(max_length=100)]) -> Response:
        found = signed_in(request, csrf_token, roles=("admin", "reviewer"))
        if isinstance(found, Response):
            return found
        store.resolve(project, found[0], item_id, label)
        return _go(f"/projects/{project}/review")

    def upload_page(request: Request, user: UserInfo, csrf: str, project: str,
                    status: int = 200, message: str | None = None,
                    **form: Any) -> Response:
        kind = store.project_info(project)["item_kind"]
        column, id_column = app.state.item_columns.get(project, (kind, None))
        context = {"column": column, "id_column": id_column, **form}
        return page(request, "upload.html", status, user=user, csrf=csrf, project=project,
                    message=message, limit_mib=app.state.max_upload_bytes // 2**20, **context)

    @app.get("/projects/{project}/upload", response_class=HTMLResponse, include_in_schema=False)
    def upload_form(request: Request, project: str) -> Response:
        found = signed_in(request, roles=("admin",), project=project)
        if isinstance(found, Response):
            return found
        user, csrf = found
        return upload_page(request, user, csrf, project)

    @app.post("/projects/{project}/upload", include_in_schema=False)
    async def upload_submit(request: Request, project: str) -> Response:
        from starlette.concurrency import run_in_threadpool

        from .app import import_upload
        from .limits import BodyTooLarge, too_large_message

        found = await run_in_threadpool(signed_in, request, None, ("admin",))
        if isinstance(found, Response):
            return found
        user, csrf = found
        if project not in await run_in_threadpool(store.project_names):
            return page(request, "error.html", 404, user=user, message=f"No project {project!r}.")
        limit = app.state.max_upload_bytes
        length = request.headers.get("content-length", "")
        try:
            if length and (not length.isdigit() or int(length) > limit):
                raise BodyTooLarge(limit)
            form = await request.form(max_files=1, max_fields=10, max_part_size=10_000)
        except BodyTooLarge:
            return await run_in_threadpool(upload_page, request, user, csrf, project, 413,
                                           "The file is too large: " + too_large_message(limit))
        except HTTPException as err:  # a malformed multipart body
            return await run_in_threadpool(upload_page, request, user, csrf, project,
                                           err.status_code, f"The upload failed: {err.detail}")
        sent = form.get("csrf_token")
        if not isinstance(sent, str) or not secrets.compare_digest(sent.encode(), csrf.encode()):
            return page(request, "error.html", 403, user=user,
                        message="This form is stale or forged (CSRF check failed); reload.")
        file = form.get("file")
        column = form.get("column")
        id_column = form.get("id_column")
        fields = {"column": column if isinstance(column, str) and column else None,
                  "id_column": id_column if isinstance(id_column, str) and id_column else None}
        if file is None or isinstance(file, str):
            return await run_in_threadpool(upload_page, request, user, csrf, project, 422,
                                           "Choose a .csv or .jsonl file to upload.")
        raw = await file.read()
        await form.close()
        try:
            done = await run_in_threadpool(import_upload, app, project, raw, file.filename,
                                           fields["column"], fields["id_column"])
        except ActiveLabError as err:
            status = getattr(err, "status", 422)
            return await run_in_threadpool(
                upload_page, request, user, csrf, project, status,
                f"Nothing was imported: {err}")
        return await run_in_threadpool(upload_page, request, user, csrf, project, 200, None,
                                       imported=done["imported"], n_items=done["n_items"])

    @app.get("/projects/{project}/dashboard", response_class=HTMLResponse,
             include_in_schema=False)
    def dashboard(request: Request, project: str) -> Response:
        found = signed_in(request, roles=("admin", "reviewer"), project=project)
        if isinstance(found, Response):
            return found
        user, csrf = found
        info = store.project_info(project)
        stats = store.stats(project)
        votes = [(item, who, label) for item, who, kind, label in store.answers(project)
                 if kind == "label"]
        models = [v for v in stats["versions"] if v["kind"] == "model"]
        trainer = trainers.get(project)
        return page(request, "dashboard.html", user=user, csrf=csrf, project=project, info=info,
                    stats=stats, agreement=agreement(votes, info["labels"]), models=models,
                    curve=_curve_points(models), rounds=store.query_rounds(project),
                    training=trainer.status() if trainer else None)


def _go_with(project: str, message: str | None) -> RedirectResponse:
    from urllib.parse import urlencode

    query = f"?{urlencode({'message': message[:300]})}" if message else ""
    return _go(f"/projects/{project}/label{query}")


def _curve_points(models: list[dict[str, Any]], width: int = 420,
                  height: int = 160) -> dict[str, Any] | None:
    """SVG polyline points of cross-validated accuracy against labels, one per version."""
    points = [(v["n_labels"], v["metrics"]["cv_accuracy"]) for v in models
              if v["metrics"].get("cv_accuracy") is not None]
    if len(points) < 1:
        return None
    max_x = max(x for x, _ in points) or 1
    coords = [(round(20 + (width - 40) * x / max_x, 1), round(height - 20 - (height - 40) * y, 1))
              for x, y in points]
    return {"points": " ".join(f"{x},{y}" for x, y in coords), "dots": coords,
            "width": width, "height": height, "max_x": max_x}
