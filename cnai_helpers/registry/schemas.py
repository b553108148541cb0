"""Schemas of the core tables, generated from their declaration in ``cnai_helpers/tables.yaml``
(see :mod:`cnai_helpers.metadata`) and checked with pandera on every build.

Each value of :data:`SCHEMAS` validates a table (``.validate(df)``) and raises
:class:`cnai_helpers.metadata.TableError` naming the table, the row and the column of each problem;
its pandera schema is ``.pandera``.
"""

from __future__ import annotations

from ..metadata import names, schema

SCHEMAS = {name: schema(name) for name in names("core")}
