"""The FastAPI application: the JSON API (``/api/...``, OpenAPI at ``/openapi.json``) and
the server-rendered pages. Built by :func:`create_app`; ``activelab serve`` runs it.

Scripts authenticate with ``Authorization: Bearer <token>``; the browser with a session
cookie (``HttpOnly``, ``SameSite=Strict``) plus a CSRF token on every state-changing
request (a hidden form field, or the ``X-CSRF-Token`` header).
"""


import csv
import io
import json
import re
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import (
    Depends,
    FastAPI,
    File,
    Form,
    Header,
    HTTPException,
    Query,
    Request,
    Response,
    UploadFile,
)
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import InterfaceError, OperationalError

from ..errors import ActiveLabError
from ..store import Store
from ..store.importer import parse_items
from ..store.store import LeasedItem, UserInfo
from .limits import BodyLimit
from .trainer import Trainer

__all__ = ["MAX_BODY_BYTES", "MAX_UPLOAD_BYTES", "ItemColumns", "create_app", "import_upload"]

#: Ids are 32-bit integers in both databases; larger ones are refused by validation (422).
ItemId = Annotated[int, Field(ge=1, le=2**31 - 1)]

#: Requests with a larger body are refused with 413.
MAX_BODY_BYTES = 64 * 1024
#: The largest item upload (the whole multipart request), unless create_app is told otherwise.
MAX_UPLOAD_BYTES = 20 * 2**20
UPLOAD_API = re.compile(r"^/api/projects/[^/]+/items$")
UPLOAD_PAGE = re.compile(r"^/projects/[^/]+/upload$")
SESSION_COOKIE = "activelab_session"
LOGIN_CSRF_COOKIE = "activelab_login_csrf"
ANYONE = ("admin", "annotator", "reviewer")
REVIEWERS = ("admin", "reviewer")


# ---- request and response bodies (they make the OpenAPI schema) ---------------------------


class ItemOut(BaseModel):
    item_id: int
    external_id: str
    content: str
    lease_id: str
    expires_at: str = Field(description="When the lease ends (ISO 8601, UTC)")
    reason: str = Field(description="Why this item: strategy, diversity, exploration, undo")


class AnnotationIn(BaseModel):
    item_id: ItemId
    label: str = Field(max_length=200)
    lease_id: str | None = Field(default=None, max_length=36)
    rationale: str | None = Field(default=None, max_length=2000)


class SkipIn(BaseModel):
    item_id: ItemId
    lease_id: str | None = Field(default=None, max_length=36)


class ResolveIn(BaseModel):
    item_id: ItemId
    label: str = Field(max_length=200)


class AnswerOut(BaseModel):
    event_id: int
    kind: str
    item_id: int
    external_id: str
    label: str | None
    model_version: int | None
    replayed: bool = Field(description="True when an Idempotency-Key repeated an earlier request")


class UndoOut(BaseModel):
    retracted_event_id: int
    retract_event_id: int
    kind: str
    label: str | None
    item: ItemOut


class UserIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    role: str = Field(pattern="^(admin|annotator|reviewer)$")


class UserOut(BaseModel):
    name: str
    role: str
    token: str = Field(description="Shown once; only its hash is stored")


class Health(BaseModel):
    status: str
    database: str
    projects: list[str]


class RetrainOut(BaseModel):
    status: str


class ImportOut(BaseModel):
    project: str
    imported: int = Field(description="Items added by this upload")
    n_items: int = Field(description="Items in the project now")
    retrain: str | None = Field(description="The retrain that will rank the new items "
                                "(started, pending, already pending), or null without a model")


#: Per project: the column of the item's content and of its id (None: ``id`` or
#: ``external_id``), as the project was imported with.
ItemColumns = dict[str, tuple[str, str | None]]


def _item_out(leased: LeasedItem) -> ItemOut:
    return ItemOut(**leased.to_json())


# ---- the application ---------------------------------------------------------------------


def create_app(
    store: Store,
    trainers: dict[str, Trainer] | None = None,
    data_folders: dict[str, Path] | None = None,
    item_columns: ItemColumns | None = None,
    max_upload_bytes: int = MAX_UPLOAD_BYTES,
) -> FastAPI:
    """The web app over ``store``; ``trainers`` retrain their project as labels arrive.

    Admins can add items to a project by uploading a CSV or JSONL file of at most
    ``max_upload_bytes``; its columns default to ``item_columns[project]``.
    """
    from fastapi.staticfiles import StaticFiles

    trainers = trainers or {}
    data_folders = data_folders or {}
    app = FastAPI(title="activelab serve", version="1",
                  description="Label what the active learning strategy asks for.")
    app.state.store = store
    app.state.trainers = trainers
    app.state.item_columns = dict(item_columns or {})
    app.state.data_folders = data_folders
    app.state.max_upload_bytes = max_upload_bytes
    here = Path(__file__).parent
    app.mount("/static", StaticFiles(directory=here / "static"), name="static")

    def body_limit(path: str) -> tuple[int, bool]:
        if UPLOAD_PAGE.match(path):
            return max_upload_bytes, False  # the page answers with a page of its own
        return (max_upload_bytes if UPLOAD_API.match(path) else MAX_BODY_BYTES), True

    app.add_middleware(BodyLimit, limit_for=body_limit)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Callable[[Request], Any]) -> Any:
        response = await call_next(request)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers.setdefault("Content-Security-Policy",
                                    "default-src 'self'; img-src 'self' data:; "
                                    "style-src 'self'; script-src 'self'")
        return response

    @app.exception_handler(ActiveLabError)
    async def on_error(request: Request, err: ActiveLabError) -> JSONResponse:
        return JSONResponse({"detail": str(err)}, status_code=getattr(err, "status", 422))

    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    async def on_database_down(request: Request, err: Exception) -> JSONResponse:
        return JSONResponse(
            {"detail": "the database is unavailable (nothing was recorded); retry shortly"},
            status_code=503, headers={"Retry-After": "5"})

    # ---- who is asking ----

    def authenticate(request: Request) -> UserInfo:
        header = request.headers.get("authorization", "")
        if header.lower().startswith("bearer "):
            user = store.user_by_token(header[7:].strip())
            if user is None:
                raise HTTPException(401, "unknown or revoked token",
                                    headers={"WWW-Authenticate": "Bearer"})
            return user
        found = store.session_user(request.cookies.get(SESSION_COOKIE, ""))
        if found is None:
            raise HTTPException(401, "log in, or send Authorization: Bearer <token>",
                                headers={"WWW-Authenticate": "Bearer"})
        user, csrf = found
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            sent = request.headers.get("x-csrf-token", "")
            if not secrets.compare_digest(sent.encode(), csrf.encode()):
                raise HTTPException(403, "missing or wrong X-CSRF-Token header")
        return user

    def role(*allowed: str) -> Callable[..., UserInfo]:
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

    def after_answer(project: str) -> None:
        trainer = trainers.get(project)
        if trainer is not None:
            trainer.labels_changed(store.count_labels(project))

    # ---- the JSON API ----

    @app.get("/api/health", response_model=Health, tags=["api"])
    def health() -> Health:
        """Liveness: the database answers."""
        return Health(status="ok", database=store.engine.dialect.name,
                      projects=store.project_names())

    @app.post("/api/projects/{project}/next", response_model=ItemOut, tags=["api"],
              responses={204: {"description": "Nothing is left for you to label"}})
    def next_item(project: str, user: Anyone) -> Any:
        """Lease the next item the strategy asks for (the same one while your lease lasts)."""
        leased = store.next_item(project, user)
        if leased is None:
            return Response(status_code=204)
        return _item_out(leased)

    @app.post("/api/projects/{project}/annotations", response_model=AnswerOut, tags=["api"])
    def annotate(project: str, body: AnnotationIn, user: Anyone,
                 idempotency_key: IdempotencyKey = None) -> AnswerOut:
        """Record a label. A retry with the same ``Idempotency-Key`` records nothing new."""
        reply = store.annotate(project, user, body.item_id, body.label, body.lease_id,
                               body.rationale, idempotency_key)
        if not reply["replayed"]:
            after_answer(project)
        return AnswerOut(**reply)

    @app.post("/api/projects/{project}/skip", response_model=AnswerOut, tags=["api"])
    def skip(project: str, body: SkipIn, user: Anyone,
             idempotency_key: IdempotencyKey = None) -> AnswerOut:
        """Skip an item (the project's skip policy says who sees it again)."""
        return AnswerOut(**store.skip(project, user, body.item_id, body.lease_id,
                                      idempotency_key))

    @app.post("/api/projects/{project}/undo", response_model=UndoOut, tags=["api"],
              responses={204: {"description": "Nothing to undo"}})
    def undo(project: str, user: Anyone) -> Any:
        """Retract your latest label or skip; the item is leased back to you."""
        reply = store.undo(project, user)
        if reply is None:
            return Response(status_code=204)
        return UndoOut(**{**reply, "item": ItemOut(**reply["item"])})

    @app.get("/api/projects/{project}/stats", tags=["api"])
    def stats(project: str, user: Anyone) -> dict[str, Any]:
        """Progress, labels per class and per annotator, model versions and their metrics."""
        result = store.stats(project)
        trainer = trainers.get(project)
        result["training"] = trainer.status() if trainer else None
        return result

    @app.get("/api/projects/{project}/export", tags=["api"],
             responses={200: {"content": {"text/csv": {}, "application/x-ndjson": {}}}})
    def export(project: str, user: Reviewer,
               format: Annotated[str, Query(pattern="^(csv|jsonl)$")] = "csv",
               kind: Annotated[str, Query(pattern="^(labels|events)$")] = "labels") -> Response:
        """Resolved labels (``kind=labels``) or every event of the log (``kind=events``)."""
        rows = store.export_rows(project, kind)
        body = to_jsonl(rows) if format == "jsonl" else to_csv(rows, kind)
        media = "application/x-ndjson" if format == "jsonl" else "text/csv"
        return Response(body, media_type=media, headers={
            "Content-Disposition": f'attachment; filename="{kind}.{format}"'})

    @app.get("/api/projects/{project}/disagreements", tags=["api"])
    def disagreements(project: str, user: Reviewer) -> list[dict[str, Any]]:
        """Items whose votes tie, with the votes, for review."""
        return disagreement_rows(store, project)

    @app.post("/api/projects/{project}/resolve", response_model=AnswerOut, tags=["api"])
    def resolve(project: str, body: ResolveIn, user: Reviewer) -> AnswerOut:
        """A reviewer's final label for an item."""
        return AnswerOut(**store.resolve(project, user, body.item_id, body.label))

    @app.post("/api/projects/{project}/retrain", response_model=RetrainOut, status_code=202,
              tags=["api"])
    def retrain(project: str, user: Admin) -> RetrainOut:
        """Retrain now (at most one job runs and one waits)."""
        trainer = trainers.get(project)
        if trainer is None:
            store.project_info(project)  # 404 for an unknown project
            raise HTTPException(409, f"project {project!r} has no model in this server")
        return RetrainOut(status=trainer.request("manual"))

    @app.post("/api/projects/{project}/items", response_model=ImportOut, status_code=201,
              tags=["api"], responses={413: {"description": "The upload is too large"}})
    async def upload_items(
        project: str, user: Admin,
        file: Annotated[UploadFile, File(description="A .csv or .jsonl file, one item a row, "
                                         "with an id column")],
        column: Annotated[str | None, Form(max_length=200, description=(
            "The column of the text (or image path); default: the project's"))] = None,
        id_column: Annotated[str | None, Form(max_length=200, description=(
            "The id column; default: the project's, else id or external_id"))] = None,
    ) -> ImportOut:
        """Add items from a file, all or nothing: any problem refuses the whole file (422,
        naming the line), an id the project already has too (409), a file over the upload
        limit too (413)."""
        from starlette.concurrency import run_in_threadpool

        raw = await file.read()
        return ImportOut(**await run_in_threadpool(import_upload, app, project, raw,
                                                   file.filename, column, id_column))

    @app.post("/api/users", response_model=UserOut, status_code=201, tags=["api"])
    def add_user(body: UserIn, user: Admin) -> UserOut:
        """Create an account; the token is in this answer only."""
        return UserOut(name=body.name.strip(), role=body.role,
                       token=store.add_user(body.name, body.role))

    @app.get("/api/projects/{project}/items/{item_id}/image", tags=["api"],
             response_class=FileResponse)
    def image(project: str, item_id: Annotated[int, PathParam(ge=1, le=2**31 - 1)], user: Anyone) -> FileResponse:
        """The image of an item of an image project."""
        info = store.project_info(project)
        if info["item_kind"] != "image" or project not in data_folders:
            raise HTTPException(404, f"project {project!r} has no images")
        folder = data_folders[project].resolve()
        path = (folder / store.item(project, item_id)["content"]).resolve()
        if not path.is_relative_to(folder) or not path.is_file():
            raise HTTPException(404, "image not found")
        return FileResponse(path)

    from .pages import add_pages

    add_pages(app, store, trainers, authenticate_cookie=_cookie_user(store))
    return app


def import_upload(app: FastAPI, project: str, raw: bytes, filename: str | None,
                  column: str | None = None, id_column: str | None = None) -> dict[str, Any]:
    """Check an uploaded file and add its items to ``project`` in one transaction, then
    ask the project's trainer to featurize and rank them. Raises ActiveLabError."""
    store: Store = app.state.store
    info = store.project_info(project)  # 404 first
    kind = info["item_kind"]
    default_column, default_id = app.state.item_columns.get(project, (kind, None))
    column = column or default_column
    name = Path(filename or "upload").name or "upload"
    items = parse_items(
        raw, name, text_column=column if kind == "text" else None,
        image_column=column if kind == "image" else None, id_column=id_column or default_id,
        image_folder=app.state.data_folders.get(project), require_id_column=True)
    n_items = store.add_items(project, items)
    trainer = app.state.trainers.get(project)
    retrain = trainer.items_added() if trainer is not None else None
    return {"project": project, "imported": len(items), "n_items": n_items, "retrain": retrain}


def _cookie_user(store: Store) -> Callable[[Request], tuple[UserInfo, str] | None]:
    def find(request: Request) -> tuple[UserInfo, str] | None:
        return store.session_user(request.cookies.get(SESSION_COOKIE, ""))
    return find


def disagreement_rows(store: Store, project: str) -> list[dict[str, Any]]:
    resolved = store.resolved_labels(project)
    rows = []
    for item_id, entry in resolved.items():
        if entry["status"] == "disagreement":
            item = store.item(project, item_id)
            rows.append({**item, "votes": entry["votes"]})
    return rows


def to_csv(rows: list[dict[str, Any]], kind: str) -> str:
    columns = list(rows[0]) if rows else (
        ["event_id", "kind", "item_id", "external_id", "label", "annotator", "rationale",
         "model_version", "retracts_event_id", "time"] if kind == "events" else
        ["external_id", "content", "label", "n_votes", "agreement", "reviewed"])
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows({key: _spreadsheet_safe(value) for key, value in row.items()} for row in rows)
    return out.getvalue()


def _spreadsheet_safe(value: Any) -> Any:
    """Text a spreadsheet would run as a formula gets a leading ``'`` (numbers stay as they are)."""
    if not isinstance(value, str) or value[:1] not in ("=", "+", "-", "@", "\t", "\r"):
        return value
    try:
        float(value)
    except ValueError:
        return "'" + value
    return value


def to_jsonl(rows: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)

