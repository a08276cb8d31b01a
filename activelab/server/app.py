"""The FastAPI application: the JSON API (``/api/...``, OpenAPI at ``/openapi.json``) and
the server-rendered pages. Built by :func:`create_app`; ``activelab serve`` runs it.

Scripts authenticate with ``Authorization: Bearer <token>``; the browser with a session
cookie (``HttpOnly``, ``SameSite=Strict``) plus a CSRF token on every state-changing
request (a hidden form field, or the ``X-CSRF-Token`` header). The routes are routers per
area in :mod:`activelab.server.routes`; what they share is in :mod:`activelab.server.deps`.
"""

from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import InterfaceError, OperationalError

from ..errors import ActiveLabError
from ..store import Store
from .agreement import disagreement_rows as disagreement_rows  # importable from here as before
from .formats import to_csv as to_csv
from .formats import to_jsonl as to_jsonl
from .limits import MAX_BODY_BYTES, MAX_UPLOAD_BYTES, BodyLimit, limits_by_path
from .routes import ROUTERS
from .trainer import Trainer
from .uploads import ItemColumns, import_upload

__all__ = ["MAX_BODY_BYTES", "MAX_UPLOAD_BYTES", "ItemColumns", "create_app", "import_upload"]


def create_app(
    store: Store,
    trainers: dict[str, Trainer] | None = None,
    data_folders: dict[str, Path] | None = None,
    item_columns: ItemColumns | None = None,
    max_upload_bytes: int = MAX_UPLOAD_BYTES,
    guesses: bool | None = None,
) -> FastAPI:
    """The web app over ``store``; ``trainers`` retrain their project as labels arrive.

    Admins can add items to a project by uploading a CSV or JSONL file of at most
    ``max_upload_bytes``; its columns default to ``item_columns[project]``. ``guesses``
    shows (True) or hides (False) the model's guess on every project, overriding the
    projects' ``show_guess`` setting (None: each project's setting).
    """
    app = FastAPI(title="activelab serve", version="1",
                  description="Label what the active learning strategy asks for.")
    app.state.store = store
    app.state.trainers = trainers if trainers is not None else {}
    app.state.item_columns = dict(item_columns or {})
    app.state.data_folders = data_folders or {}
    app.state.max_upload_bytes = max_upload_bytes
    app.state.guesses = guesses
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"),
              name="static")
    app.add_middleware(BodyLimit, limit_for=limits_by_path(max_upload_bytes))
    app.add_middleware(SecurityHeaders)
    app.add_exception_handler(ActiveLabError, on_error)
    app.add_exception_handler(OperationalError, on_database_down)
    app.add_exception_handler(InterfaceError, on_database_down)
    for router in ROUTERS:
        app.include_router(router)
    return app


CSP = (b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'")


class SecurityHeaders:
    """No sniffing, no framing, and only this server's own scripts, styles and images
    (a plain ASGI middleware: it adds the headers as the response starts)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _value in headers}
                headers += [(b"x-content-type-options", b"nosniff"),
                            (b"x-frame-options", b"DENY")]
                if b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", CSP))
                message = {**message, "headers": headers}
            await send(message)

        return await self.app(scope, receive, with_headers)


async def on_error(request: Request, err: ActiveLabError) -> JSONResponse:
    """A user error answers with its message and its status (422 unless it names one)."""
    return JSONResponse({"detail": str(err)}, status_code=getattr(err, "status", 422))


async def on_database_down(request: Request, err: Exception) -> JSONResponse:
    return JSONResponse(
        {"detail": "the database is unavailable (nothing was recorded); retry shortly"},
        status_code=503, headers={"Retry-After": "5"})
