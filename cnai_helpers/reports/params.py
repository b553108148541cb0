"""Parameter validation against a notebook's ``parameters`` cell, before anything runs.

Besides its type annotation, a parameter may declare the values it accepts at the end of its
comment, in one of three forms (checked before any notebook runs; a violation exits 2):

    pue: float = 1.42  # data-centre PUE [range: 1.0..3.0]          (inclusive; ``1..`` or ``..9``
                                                                     leave one side open)
    registry: str = "deep_synthesis"  # [choices: deep_synthesis, genai_filings]
    batch_from: str = ""  # YYYY-MM or empty [pattern: (\\d{4}-\\d{2})?]   (a full-match regex)

For a ``list`` parameter, ``choices`` and ``pattern`` apply to every element, and a last
``[min_items: N]`` (after any of the three) sets the fewest elements it accepts::

    hubs: list = ["Beijing", "Shenzhen"]  # hub cities [min_items: 1]

Float parameters must also be finite (no NaN or infinity), declared range or not. Across
parameters: a pair ``<name>_from`` / ``<name>_to`` (``batch_from``, ``batch_to``) must be in order
when both are set (``batch_from`` after ``batch_to`` selects nothing).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
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
DECLARATION_RE = re.compile(r"\[(range|choices|pattern):\s*(.*)\]\s*$")
MIN_ITEMS_RE = re.compile(r"\s*\[min_items:\s*([^\]]*)\]\s*$")
# YAML 1.1 (PyYAML) reads 1e25 and -1e-3 as strings: a float needs a dot there
SCIENTIFIC_RE = re.compile(r"[-+]?(\d+(\.\d*)?|\.\d+)[eE][-+]?\d+")
INT_RE = re.compile(r"[-+]?\d+")


class ParameterError(CnaiError, ValueError):
    pass


@dataclass(frozen=True)
class Constraint:
    kind: str  # "range" | "choices" | "pattern"
    value: Any  # (low, high) with None for an open side | tuple of str | regex source
    text: str  # as declared, for messages


def _number(text: str) -> int | float | None:
    text = text.strip()
    if not text:
        return None
    return int(text) if INT_RE.fullmatch(text) else float(text)


def parse_min_items(comment: str | None) -> tuple[int | None, str]:
    """(N of a trailing ``[min_items: N]`` or None, the comment without it)."""
    comment = comment or ""
    m = MIN_ITEMS_RE.search(comment)
    if not m:
        return None, comment
    if not m.group(1).strip().isdigit():
        raise ValueError(f"[min_items: {m.group(1).strip()}] is not a whole number")
    return int(m.group(1)), comment[: m.start()]


def check_pairs(values: dict[str, Any], where: str) -> None:
    """``<name>_from`` after ``<name>_to`` (both set): ParameterError before anything runs."""
    for name, low in values.items():
        if not name.endswith("_from"):
            continue
        high = values.get(name[: -len("_from")] + "_to")
        if low in (None, "") or high in (None, ""):
            continue
        try:
            reversed_ = low > high
        except TypeError:
            continue  # types are checked one by one; a mixed pair is reported there
        if reversed_:
            to = name[: -len("_from")] + "_to"
            raise ParameterError(
                f"{where}: parameter {name!r} = {low!r} is after {to!r} = {high!r}; "
                f"{name} must not come after {to}"
            )


def parse_constraint(comment: str | None) -> Constraint | None:
    """The ``[range: a..b]``, ``[choices: x, y]`` or ``[pattern: regex]`` at the end of a
    parameter's comment (before any ``[min_items: N]``); None when there is none. ValueError
    when it is malformed."""
    m = DECLARATION_RE.search(parse_min_items(comment)[1])
    if not m:
        return None
    kind, text = m.group(1), m.group(2).strip()
    if kind == "range":
        parts = text.split("..")
        try:
            if len(parts) != 2:
                raise ValueError
            low, high = _number(parts[0]), _number(parts[1])
        except ValueError as e:
            raise ValueError(f"[range: {text}] is not LOW..HIGH (numbers, one may be empty)") from e
        if low is not None and high is not None and low > high:
            raise ValueError(f"[range: {text}] has LOW > HIGH")
        return Constraint("range", (low, high), text)
    if kind == "choices":
        choices = tuple(c.strip() for c in text.split(",") if c.strip())
        if not choices:
            raise ValueError("[choices: ] lists no value")
        return Constraint("choices", choices, ", ".join(choices))
    try:
        re.compile(text)
    except re.error as e:
        raise ValueError(f"[pattern: {text}] is not a regular expression ({e})") from e
    return Constraint("pattern", text, text)


def notebook_parameters(notebook: Path, cache: Path | None = None) -> dict[str, dict]:
    """name -> {'type': inferred type name, 'default': source text, 'help': the comment}, from
    papermill's inspection of the ``parameters`` cell. Cached by the notebook's sha256, because
    importing papermill costs seconds (jsonschema's format checkers) and a no-op build must not."""
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
    if key in cached and all("help" in v for v in cached[key].values()):
        return cached[key]
    import papermill as pm

    found = {
        k: {"type": v["inferred_type_name"], "default": v["default"], "help": v.get("help", "")}
        for k, v in pm.inspect_notebook(str(notebook)).items()
    }
    cached[key] = found
    cache.parent.mkdir(parents=True, exist_ok=True)
    write_text(cache, json.dumps(cached, indent=1))
    return found


def parse_cli_value(text: str) -> Any:
    """``-p KEY=VALUE`` values are YAML scalars: 50 -> int, 0.5 -> float, a,b -> str, null ->
    None; scientific notation (1e25, -1e-3, 1E+25) -> float."""
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    if isinstance(value, str) and SCIENTIFIC_RE.fullmatch(value.strip()):
        return float(value)
    return value


def _is_nonfinite_text(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        return not math.isfinite(float(value))
    except ValueError:
        return False


def _check_type(name: str, spec: dict, value: Any) -> str | None:
    """The problem with ``value``'s type, or None."""
    tname = spec["type"]
    ok = TYPES.get(tname)
    if ok is None:
        return None  # an unannotated parameter (e.g. ``x = None``): no type to check
    if value is None and spec["default"] == "None":
        return None
    if tname == "float" and (
        _is_nonfinite_text(value) or (isinstance(value, float) and not math.isfinite(value))
    ):
        return f"parameter {name!r} must be a finite number, got {value!r}"
    if isinstance(value, bool) and tname != "bool":
        ok = ()
    if not isinstance(value, ok):
        return (
            f"parameter {name!r} must be {tname} (default {spec['default']}), "
            f"got {type(value).__name__} {value!r}"
        )
    return None


def _check_constraint(name: str, c: Constraint, value: Any) -> str | None:
    if c.kind == "range":
        low, high = c.value
        if (low is not None and value < low) or (high is not None and value > high):
            return f"parameter {name!r} = {value!r} is outside {c.text}"
        return None
    items = value if isinstance(value, (list, tuple)) else [value]
    for item in items:
        if c.kind == "choices" and item not in c.value:
            return f"parameter {name!r} = {item!r} is not one of {c.text}"
        if c.kind == "pattern" and not (isinstance(item, str) and re.fullmatch(c.value, item)):
            return f"parameter {name!r} = {item!r} does not match {c.text}"
    return None


def validate(notebook: Path, params: dict[str, Any], report_id: str = "") -> None:
    """Names, types, finiteness and declared ranges/choices/patterns, or ParameterError."""
    declared = notebook_parameters(notebook)
    if not declared:
        raise ParameterError(f"{notebook.name}: no cell tagged 'parameters'")
    where = f"report {report_id!r} ({notebook.name})" if report_id else notebook.name
    for name, value in params.items():
        if name not in declared:
            raise ParameterError(
                f"{where}: unknown parameter {name!r}; the notebook declares "
                f"{', '.join(sorted(declared))}"
            )
        spec = declared[name]
        try:
            min_items, _ = parse_min_items(spec.get("help"))
            constraint = parse_constraint(spec.get("help"))
        except ValueError as e:
            raise ParameterError(f"{notebook.name}: parameter {name!r}: {e}") from e
        problem = _check_type(name, spec, value)
        if problem is not None:
            allowed = f" (allowed: [{constraint.kind}: {constraint.text}])" if constraint else ""
            raise ParameterError(f"{where}: {problem}{allowed}")
        if constraint is not None and TYPES.get(spec["type"]) is not None:
            problem = _check_constraint(name, constraint, value)
            if problem:
                raise ParameterError(f"{where}: {problem}")
        if min_items is not None and isinstance(value, (list, tuple)) and len(value) < min_items:
            raise ParameterError(
                f"{where}: parameter {name!r} = {value!r} needs at least {min_items} "
                f"item{'s' if min_items != 1 else ''}"
            )
    check_pairs(params, where)
