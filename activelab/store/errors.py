"""The store's errors, each with the HTTP status the server answers it with.

>>> NotFoundError("no project 'demo'").status
404
"""

from __future__ import annotations

from ..errors import ActiveLabError

__all__ = ["ConflictError", "ForbiddenError", "GoneError", "NotFoundError"]


class NotFoundError(ActiveLabError):
    status = 404


class ForbiddenError(ActiveLabError):
    status = 403


class ConflictError(ActiveLabError):
    status = 409


class GoneError(ActiveLabError):
    status = 410
