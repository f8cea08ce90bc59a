"""The base of every user error: bad input, a missing file or activation, a failed check.

The command line prints a ``SaeprobeError`` as one line and exits 1; any other exception is a
bug and keeps its traceback. This module imports nothing, so every layer (the dataset registry
included) can raise its own subclasses.
"""

from __future__ import annotations


class SaeprobeError(Exception):
    """A problem with what the user asked for or supplied; the message is one line."""

    def __str__(self) -> str:  # KeyError subclasses would otherwise print their repr
        return str(self.args[0]) if self.args else ""
