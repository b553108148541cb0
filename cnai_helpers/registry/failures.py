"""The registry's errors, in a module without pandas: the command line catches them in a process
that does not import pandas (registry/isolate.py)."""

from __future__ import annotations

from ..errors import CnaiError


class BuildError(CnaiError, RuntimeError):
    """The core tables cannot be built (a raw file missing or changed, a malformed notice)."""


class ListFormatError(CnaiError, ValueError):
    """The file is not a CAC algorithm list we can read."""
