"""Parameter validation against a notebook's ``parameters`` cell, before anything runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ..errors import CnaiError

TYPES: dict[str, tuple[type, ...]] = {
    "int": (int,),
    "float": (float, int),
    "str": (str,),
    "bool": (bool,),
    "list": (list, tuple),
    "dict": (dict,),
}


class ParameterError(CnaiError, ValueError):
    pass


def notebook_parameters(notebook: Path, cache: Path | None = None) -> dict[str, dict]:
    """name -> {'type': inferred type name, 'default': source text}, from papermill's
    inspection of the ``parameters`` cell. Cached by the notebook's sha256, because importing
    papermill costs seconds (jsonschema's format checkers) and a no-op build must not."""
    import hashlib
    import json

    from .. import paths
    from ..atomic import write_text

    notebook = Path(notebook)
    if not notebook.is_file():
        raise ParameterError(f"notebook {notebook} not found")
    key = hashlib.sha256(notebook.read_bytes()).hexdigest()
    cache = Path(cache or paths.REPORTS / ".params-cache.json")
    try:
        cached = json.loads(cache.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        cached = {}
    if key in cached:
        return cached[key]
    import papermill as pm

    found = {k: {"type": v["inferred_type_name"], "default": v["default"]}
             for k, v in pm.inspect_notebook(str(notebook)).items()}
    cached[key] = found
    cache.parent.mkdir(parents=True, exist_ok=True)
    write_text(cache, json.dumps(cached, indent=1))
    return found


def parse_cli_value(text: str) -> Any:
    """``-p KEY=VALUE`` values are YAML scalars: 50 -> int, 0.5 -> float, a,b -> str."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def validate(notebook: Path, params: dict[str, Any], report_id: str = "") -> None:
    declared = notebook_parameters(notebook)
    if not declared:
        raise ParameterError(f"{notebook.name}: no cell tagged 'parameters'")
    where = f"report {report_id!r} ({notebook.name})" if report_id else notebook.name
    for name, value in params.items():
        if name not in declared:
            raise ParameterError(
                f"{where}: unknown parameter {name!r}; the notebook declares "
                f"{', '.join(sorted(declared))}")
        tname = declared[name]["type"]
        ok = TYPES.get(tname)
        if ok is None or value is None:
            continue  # None default or an unannotated expression: no type to check
        if isinstance(value, bool) and tname != "bool":
            ok = ()
        if not isinstance(value, ok):
            raise ParameterError(
                f"{where}: parameter {name!r} must be {tname} (default "
                f"{declared[name]['default']}), got {type(value).__name__} {value!r}")
