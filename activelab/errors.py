"""The one exception activelab raises for bad input."""

from __future__ import annotations


class ActiveLabError(ValueError):
    """Bad input or an impossible request, with a message that says what to do.

    The command line prints the message on one line and exits with status 2.
    It subclasses :class:`ValueError` so code that already catches ``ValueError``
    keeps working.
    """
