"""Helpers shared by the test modules."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from activelab import ActiveLabError


@contextmanager
def raises_user_error(match: str) -> Iterator[pytest.ExceptionInfo[ActiveLabError]]:
    """pytest.raises(ActiveLabError, match=...) that also demands a one-line message."""
    with pytest.raises(ActiveLabError, match=match) as excinfo:
        yield excinfo
    message = str(excinfo.value)
    assert message and "\n" not in message
