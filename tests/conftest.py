"""Helpers shared by the test modules."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from threadpoolctl import threadpool_limits

from activelab import ActiveLabError

# The suite fits thousands of tiny models; BLAS threads only fight over the cores there.
threadpool_limits(1)


@contextmanager
def raises_user_error(match: str) -> Iterator[pytest.ExceptionInfo[ActiveLabError]]:
    """pytest.raises(ActiveLabError, match=...) that also demands a one-line message."""
    with pytest.raises(ActiveLabError, match=match) as excinfo:
        yield excinfo
    message = str(excinfo.value)
    assert message and "\n" not in message
