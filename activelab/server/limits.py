"""Request body size limits, checked on ``Content-Length`` and again while the body streams
in, so a chunked request without a length (or with a false one) cannot get past them.

A body over the limit gets a 413 with a one-line message; nothing of it is processed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi import HTTPException
from fastapi.responses import JSONResponse

__all__ = ["MAX_BODY_BYTES", "MAX_UPLOAD_BYTES", "BodyLimit", "BodyTooLarge", "limits_by_path",
           "too_large_message"]

#: Requests with a larger body are refused with 413.
MAX_BODY_BYTES = 64 * 1024
#: The largest item upload (the whole multipart request), unless create_app is told otherwise.
MAX_UPLOAD_BYTES = 20 * 2**20
UPLOAD_API = re.compile(r"^/api/projects/[^/]+/items$")
UPLOAD_PAGE = re.compile(r"^/projects/[^/]+/upload$")
NEW_PROJECT_PAGE = "/projects/new"  # uploads the new project's file


def limits_by_path(max_upload_bytes: int) -> Callable[[str], tuple[int, bool]]:
    """The app's ``limit_for`` of :class:`BodyLimit`: uploads may be ``max_upload_bytes``
    (the upload page checks the header itself, to answer with a page), the rest
    :data:`MAX_BODY_BYTES`."""
    def limit_for(path: str) -> tuple[int, bool]:
        if UPLOAD_PAGE.match(path) or path == NEW_PROJECT_PAGE:
            return max_upload_bytes, False
        return (max_upload_bytes if UPLOAD_API.match(path) else MAX_BODY_BYTES), True
    return limit_for


def too_large_message(limit: int) -> str:
    size = f"{limit // 2**20} MiB" if limit >= 2**20 else f"{limit // 1024} KiB"
    return f"the request body is larger than the limit of {size} ({limit} bytes)"


class BodyTooLarge(HTTPException):
    """Raised from inside ``receive`` when the streamed body passes its limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, too_large_message(limit))
        self.limit = limit


class BodyLimit:
    """ASGI middleware: ``limit_for(path)`` gives ``(limit in bytes, check the header here)``.

    With the header check off, the route reads ``Content-Length`` itself (to answer with a
    page of its own); the streamed-body check applies to every path.
    """

    def __init__(self, app: Any, limit_for: Callable[[str], tuple[int, bool]]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: dict[str, Any], receive: Callable[..., Any],
                       send: Callable[..., Any]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, check_header = self.limit_for(scope["path"])
        if check_header:
            length = dict(scope["headers"]).get(b"content-length")
            if length is not None and (not length.isdigit() or int(length) > limit):
                response = JSONResponse({"detail": too_large_message(limit)}, status_code=413)
                await response(scope, receive, send)
                return
        received = 0

        async def limited_receive() -> dict[str, Any]:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, limited_receive, send)
