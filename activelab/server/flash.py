"""Flash messages: a message the server shows once on the page it redirects to.

The message travels in a short-lived cookie (``HttpOnly``, ``SameSite=Strict``, 60 s) that
carries an HMAC-SHA256 signature, so that only this server can put a banner on a page: not a
link (no ``?message=`` is read), and not a cookie set from elsewhere. The page that shows
the message clears the cookie.

The signing key is ``ACTIVELAB_SECRET_KEY`` when set, else derived from a secret the
database keeps for every server process (:func:`use_store_secret`, called when the server
is built), so several processes behind one address show each other's messages; random per
process until then.

>>> value = sign("Nothing to undo.", now=100.0)
>>> verify(value, now=130.0)
'Nothing to undo.'
>>> verify(value, now=200.0) is None  # expired
True
>>> verify("You are fired", now=100.0) is None  # not signed here
True
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

__all__ = ["FLASH_COOKIE", "FLASH_SECONDS", "read_flash", "set_flash", "sign",
           "use_store_secret", "verify"]

FLASH_COOKIE = "activelab_flash"
FLASH_SECONDS = 60
_MAX_CHARS = 300
_KEY = os.environ.get("ACTIVELAB_SECRET_KEY", "").encode() or secrets.token_bytes(32)


def use_store_secret(store: Any) -> None:
    """Sign with ``ACTIVELAB_SECRET_KEY`` when set, else with a key derived from the
    database's shared secret (the same in every server process of that database)."""
    global _KEY
    given = os.environ.get("ACTIVELAB_SECRET_KEY", "").encode()
    _KEY = given or hmac.new(store.shared_secret("server").encode(), b"flash messages",
                             hashlib.sha256).digest()


def _mac(payload: bytes) -> str:
    return hmac.new(_KEY, payload, hashlib.sha256).hexdigest()


def sign(message: str, now: float | None = None) -> str:
    """The cookie value for ``message`` (its first 300 characters), valid for 60 s."""
    expires = (time.time() if now is None else now) + FLASH_SECONDS
    payload = json.dumps([message[:_MAX_CHARS], expires]).encode()
    return base64.urlsafe_b64encode(payload).decode() + "." + _mac(payload)


def verify(value: str, now: float | None = None) -> str | None:
    """The message of a cookie value this server signed and that has not expired, else None."""
    encoded, _, mac = value.partition(".")
    try:
        payload = base64.urlsafe_b64decode(encoded.encode())
    except ValueError:
        return None
    if not hmac.compare_digest(mac, _mac(payload)):
        return None
    message, expires = json.loads(payload)
    return message if (time.time() if now is None else now) < expires else None


def set_flash(response: Response, message: str) -> None:
    response.set_cookie(FLASH_COOKIE, sign(message), max_age=FLASH_SECONDS, path="/",
                        httponly=True, samesite="strict")


def read_flash(request: Request) -> str | None:
    """The request's flash message, if this server signed it and it is fresh."""
    value = request.cookies.get(FLASH_COOKIE)
    return verify(value) if value else None
