"""The project's expected errors: one base class, caught once at the command-line entry point.

An expected error is a problem with the user's inputs or environment (a missing or changed raw
file, a broken YAML file, a folder that cannot be written). Its message names the file and the
fix; the command line prints it in one or two lines, without a traceback (``cnai --debug`` or
``CNAI_DEBUG=1`` shows the traceback). Anything else is a bug and keeps its traceback.

Kept free of heavy imports: the entry point imports it on every command.
"""

from __future__ import annotations


class CnaiError(Exception):
    """Base class of every expected error (ManifestError, PullError, BuildError, SiteError…)."""
