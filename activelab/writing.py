"""Writing a result file whole or not at all.

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "out.csv"
>>> write_atomically(path, "id\\n1\\n")
>>> path.read_text()
'id\\n1\\n'
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from .errors import ActiveLabError

__all__ = ["check_writable", "write_atomically"]


def check_writable(path: str | os.PathLike[str], option: str = "--out") -> Path:
    """``path`` if its folder exists (checked before any work is done)."""
    path = Path(path)
    if path.is_dir():
        raise ActiveLabError(f"{option} {path} is a folder; give a file name")
    if not path.resolve().parent.is_dir():
        raise ActiveLabError(f"cannot write {option} {path}: its folder does not exist; "
                             "create it first")
    return path


def write_atomically(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to a temporary file next to ``path``, then rename it over ``path``:
    a reader sees the old file or the whole new one, never part of it."""
    path = check_writable(path)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp",
                                         dir=path.resolve().parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        os.replace(temporary, path)
    except OSError as err:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise ActiveLabError(f"cannot write {path}: {err.strerror}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
