"""Every table's metadata, declared once in ``cnai_helpers/tables.yaml``, and what is made of it.

- :func:`schema` builds the pandera schema of a table (core tables are checked on every build,
  curated tables on every read); a failure raises :class:`TableError` with one line per problem
  naming the table (or file), the row (core: its ``row_id`` columns; curated: the CSV line) and
  the column.
- :func:`columns` gives a table's column list (build's column order, the curated readers'
  required columns).
- :func:`read_curated` is the one reader of ``data/curated/<name>.csv``: declared columns, types,
  allowed values and the source rule, checked row by row.
- :func:`field_frame`, :func:`overview` and :func:`row_counts` feed the data dictionary page.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from . import paths
from .errors import CnaiError

if TYPE_CHECKING:
    import pandera.pandas as pa

SPEC = Path(__file__).with_name("tables.yaml")
SPEC_NAME = "cnai_helpers/tables.yaml"  # as named in messages
TYPES = {"str": str, "int": "int64", "Int64": "Int64", "float": "float64", "bool": bool}
NUMERIC = ("int", "Int64", "float")
LAYERS = ("core", "curated")
MAX_PROBLEMS = 5  # problems listed in one error message
SOURCE_COLUMN = "source_url"


class TableError(CnaiError, ValueError):
    """A table (built or curated) that breaks its declared rules; the message names where."""


class MetadataError(CnaiError, ValueError):
    """tables.yaml itself is malformed."""


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    description: str
    unit: str | None = None
    nullable: bool = False
    allowed: tuple[str, ...] | None = None
    pattern: str | None = None
    min: float | None = None
    max: float | None = None
    min_length: int | None = None
    unique: bool = False

    def rule(self) -> str:
        """The field's checks in words (for the dictionary page)."""
        parts = []
        if self.allowed:
            parts.append("one of " + ", ".join(self.allowed))
        if self.pattern:
            parts.append(f"matches {self.pattern}")
        if self.min is not None and self.max is not None:
            parts.append(f"between {self.min:g} and {self.max:g}")
        elif self.min is not None:
            parts.append(f">= {self.min:g}")
        elif self.max is not None:
            parts.append(f"<= {self.max:g}")
        if self.min_length:
            n = self.min_length
            parts.append("not empty" if n == 1 else f"at least {n} characters")
        if self.unique:
            parts.append("unique")
        parts.append("may be empty" if self.nullable else "required")
        return "; ".join(parts)


@dataclass(frozen=True)
class Table:
    name: str
    layer: str
    description: str
    grain: str
    source_rule: str
    fields: tuple[Field, ...]
    unique: tuple[str, ...] = ()
    row_id: tuple[str, ...] = ()

    @property
    def columns(self) -> list[str]:
        return [f.name for f in self.fields]

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"table {self.name!r} has no field {name!r}")

    @property
    def path(self) -> Path:
        """Where the table lives: data/curated/<name>.csv or data/processed/<name>.parquet."""
        if self.layer == "curated":
            return curated_dir() / f"{self.name}.csv"
        return paths.PROCESSED / f"{self.name}.parquet"


def curated_dir() -> Path:
    """data/curated (follows ``paths.DATA``, which tests redirect)."""
    return paths.DATA / "curated"


# ---------------------------------------------------------------- reading tables.yaml


def _field(name: str, spec: dict, vocab: dict[str, list[str]], where: str) -> Field:
    known = set(Field.__dataclass_fields__) - {"name"}
    extra = set(spec) - known
    if extra:
        raise MetadataError(f"{SPEC_NAME}: {where}: unknown keys {sorted(extra)}")
    spec = {k: v for k, v in spec.items() if v is not None}
    if spec.get("type") not in TYPES:
        raise MetadataError(f"{SPEC_NAME}: {where}: type must be one of {list(TYPES)}")
    if not spec.get("description"):
        raise MetadataError(f"{SPEC_NAME}: {where}: a description is required")
    allowed = spec.get("allowed")
    if isinstance(allowed, str):
        if allowed not in vocab:
            raise MetadataError(f"{SPEC_NAME}: {where}: unknown vocabulary {allowed!r}")
        allowed = vocab[allowed]
    if allowed is not None:
        spec["allowed"] = tuple(str(a) for a in allowed)
    return Field(name=name, **spec)


def _spec() -> dict:
    """tables.yaml, read with libyaml's parser when PyYAML has it (the same document; the
    pure-Python parser took ~0.15 s of every registry command)."""
    from .reference import load_yaml

    return load_yaml(SPEC.read_text(encoding="utf-8"))


@functools.cache
def tables() -> dict[str, Table]:
    """Every declared table, by name, in declaration order."""
    doc = _spec()
    vocab, shared = doc.get("vocabularies", {}), doc.get("fields", {})
    out = {}
    for name, t in doc["tables"].items():
        if t.get("layer") not in LAYERS:
            raise MetadataError(f"{SPEC_NAME}: table {name}: layer must be one of {LAYERS}")
        fields = []
        for col, spec in t["columns"].items():
            base = dict(shared.get(col) or {})
            base.update(spec or {})  # the table's keys win; `key: ~` removes a shared rule
            fields.append(_field(col, base, vocab, f"table {name}, column {col}"))
        for key in ("unique", "row_id"):
            unknown = set(t.get(key, ())) - {f.name for f in fields}
            if unknown:
                raise MetadataError(f"{SPEC_NAME}: table {name}: {key} names {sorted(unknown)}")
        out[name] = Table(
            name=name,
            layer=t["layer"],
            description=t["description"],
            grain=t.get("grain", ""),
            source_rule=t["source_rule"],
            fields=tuple(fields),
            unique=tuple(t.get("unique", ())),
            row_id=tuple(t.get("row_id", ())),
        )
    return out


def vocabulary(name: str) -> tuple[str, ...]:
    doc = _spec()
    return tuple(doc["vocabularies"][name])


def table(name: str) -> Table:
    try:
        return tables()[name]
    except KeyError:
        raise TableError(
            f"unknown table {name!r}: declare it in {SPEC_NAME} (known: {', '.join(tables())})"
        ) from None


def names(layer: str | None = None) -> tuple[str, ...]:
    return tuple(n for n, t in tables().items() if layer is None or t.layer == layer)


def columns(name: str) -> list[str]:
    """The table's columns, in declared order (the build writes them in this order)."""
    return table(name).columns


# ---------------------------------------------------------------- pandera schemas


def _checks(f: Field) -> list[pa.Check]:
    import pandera.pandas as pa  # here: a notebook that only reads tables never loads it (~1 s)

    checks = []
    if f.allowed:
        checks.append(pa.Check.isin(f.allowed, error="must be one of " + ", ".join(f.allowed)))
    if f.pattern:
        checks.append(pa.Check.str_matches(f.pattern, error=f"must match {f.pattern}"))
    if f.min is not None and f.max is not None:
        checks.append(pa.Check.in_range(f.min, f.max, error=f"must be in {f.min:g}..{f.max:g}"))
    elif f.min is not None:
        checks.append(pa.Check.ge(f.min, error=f"must be >= {f.min:g}"))
    elif f.max is not None:
        checks.append(pa.Check.le(f.max, error=f"must be <= {f.max:g}"))
    if f.min_length:
        checks.append(
            pa.Check.str_length(
                min_value=f.min_length, error=f"must have at least {f.min_length} characters"
            )
        )
    return checks


@dataclass
class TableSchema:
    """A table's pandera schema (``.pandera``) whose failures raise :class:`TableError` naming
    the table, the row and the column. With ``csv_path`` (set by :func:`read_curated`) rows are
    named as lines of that CSV file."""

    name: str
    pandera: pa.DataFrameSchema
    csv_path: str | None = None

    @property
    def columns(self) -> dict[str, pa.Column]:
        return self.pandera.columns

    def validate(self, df: pd.DataFrame, lazy: bool = True) -> pd.DataFrame:
        if df.empty:  # an empty column has no type of its own: give it the declared one
            declared = {f.name: TYPES[f.type] for f in table(self.name).fields}
            df = df.astype({c: declared[c] for c in df.columns if c in declared})
        import pandera.pandas as pa

        try:
            return self.pandera.validate(df, lazy=lazy)
        except (pa.errors.SchemaErrors, pa.errors.SchemaError) as e:
            cases = getattr(e, "failure_cases", None)
            if not isinstance(cases, pd.DataFrame):  # a single (non-lazy) SchemaError
                cases = pd.DataFrame([{"column": None, "check": str(e), "failure_case": None}])
            raise TableError(describe_failures(self.name, df, cases, self.csv_path)) from e


@functools.cache
def _pandera_type(kind: str) -> Any:
    """The pandera type of a declared column type. For text columns, pandera's own string type
    (``str`` resolves to it) with a check that answers one True for a column of that type:
    pandera's answers one True per row, after which its type check builds and formats an empty
    table of failure cases for every text column that passes (half the time of validating the
    core tables, measured in bench/README.md). The same columns pass and fail: a check that
    fails returns pandera's own answer, failure cases included."""
    import numpy as np
    import pandera.pandas as pa
    from pandera.engines import pandas_engine

    base = pandas_engine.Engine.dtype(TYPES[kind])
    if not isinstance(base, pandas_engine.STRING):  # a numeric type, or pandas < 3's strings
        return TYPES[kind]

    class Text(type(base)):
        def check(self, pandera_dtype, data_container=None):
            result = super().check(pandera_dtype, data_container)
            if isinstance(result, bool) or not bool(np.all(result)):
                return result
            return True  # pandera passes a column when every row's answer is True

    assert issubclass(Text, pa.DataType)
    return Text(storage=base.storage)


def schema(name: str) -> TableSchema:
    """The pandera schema of a declared table: every column declared (no others allowed), its
    type, nullability and checks, and the table's unique key."""
    import pandera.pandas as pa

    t = table(name)
    cols = {
        f.name: pa.Column(
            _pandera_type(f.type), _checks(f), nullable=f.nullable, unique=f.unique, title=f.name
        )
        for f in t.fields
    }
    unique = list(t.unique) or None
    return TableSchema(name, pa.DataFrameSchema(cols, unique=unique, strict=True, name=name))


# ---------------------------------------------------------------- failure messages


def _row_label(name: str, df: pd.DataFrame, index: Any, csv: bool) -> str:
    t = table(name)
    if csv:  # index i is line i + 2 (line 1 is the header)
        return _row_label_csv(t, df, index)
    ident = ", ".join(f"{c}={df.at[index, c]}" for c in t.row_id if c in df.columns)
    return f"row {index}" + (f" ({ident})" if ident else "")


def _problem(name: str, col: str | None, check: str, case: Any) -> str:
    if check == "column_in_schema":
        return f"column {case!r} is not declared in {SPEC_NAME} (declare it or remove it)"
    if check == "column_in_dataframe":
        return f"column {case!r} missing"
    if check == "multiple_fields_uniqueness":
        return f"duplicate {', '.join(table(name).unique)}"
    if check == "field_uniqueness":
        return f"{col} {case!r} repeated (must be unique)"
    if check.startswith("dtype("):
        return f"{col} has type {case}, declared {table(name).field(col).type}"
    if col == SOURCE_COLUMN and check in ("not_nullable", f"must match {_pattern(name, col)}"):
        return f"no {SOURCE_COLUMN} (every row needs one starting http), got {_show(case)}"
    if check == "not_nullable":
        return f"{col} is empty"
    return f"{col} {check}, got {_show(case)}"


def _pattern(name: str, col: str) -> str | None:
    try:
        return table(name).field(col).pattern
    except KeyError:
        return None


def _show(value: Any) -> str:
    return "''" if value is None or (isinstance(value, float) and pd.isna(value)) else repr(value)


def describe_failures(
    name: str, df: pd.DataFrame, cases: pd.DataFrame, csv_path: str | None = None
) -> str:
    """One line per problem (the first few), naming the table or file, the row and the column."""
    lines, seen = [], set()
    for r in cases.to_dict("records"):
        idx = r.get("index")
        has_row = idx is not None and not (isinstance(idx, float) and pd.isna(idx))
        check = str(r.get("check"))
        key = (idx, check) if check == "multiple_fields_uniqueness" else (idx, r.get("column"))
        if key in seen:
            continue
        seen.add(key)
        problem = _problem(name, r.get("column"), check, r.get("failure_case"))
        label = _row_label(name, df, idx, csv_path is not None) if has_row else None
        lines.append(f"{label}: {problem}" if label else problem)
    head = csv_path or f"table {name}"
    shown = [f"{head} {line}" if line.startswith("line ") else f"{head}: {line}" for line in lines]
    more = len(lines) - MAX_PROBLEMS
    tail = [f"... and {more} more problem(s)"] if more > 0 else []
    return "\n".join(shown[:MAX_PROBLEMS] + tail)


# ---------------------------------------------------------------- curated tables


def _to_numbers(t: Table, raw: pd.DataFrame, where: Path) -> pd.DataFrame:
    """Numeric columns parsed (empty -> missing); a value that is not a number is named."""
    out = raw.copy()
    for f in t.fields:
        if f.type not in NUMERIC:
            continue
        text = raw[f.name]
        num = pd.to_numeric(text.where(text != ""), errors="coerce")
        bad = text.index[(text != "") & (num.isna() | ((f.type != "float") & (num % 1 != 0)))]
        if len(bad):
            i = bad[0]
            what = "a number" if f.type == "float" else "a whole number"
            line = _row_label_csv(t, raw, i)
            raise TableError(f"{where} {line}: {f.name} must be {what}, got {text[i]!r}")
        if f.type == "float":
            num = num.astype("float64")
        elif f.type == "int" and not num.isna().any():
            num = num.astype("int64")
        else:
            num = num.astype("Int64")
        out[f.name] = num
    return out


def _row_label_csv(t: Table, df: pd.DataFrame, index: int) -> str:
    ident = " ".join(str(df.at[index, c]) for c in t.row_id if c in df.columns)
    return f"line {int(index) + 2}" + (f" ({ident})" if ident else "")


def read_curated(name: str, path: Path | str | None = None) -> pd.DataFrame:
    """data/curated/<name>.csv, checked against its declaration: exactly the declared columns,
    numbers parsed, allowed values, patterns, the source rule. Text columns keep ``""`` for an
    empty cell; numeric ones hold NaN / <NA>. Raises :class:`TableError` naming file, line and
    column."""
    t = table(name)
    if t.layer != "curated":
        raise TableError(f"{name} is a core table: load it with cnai_helpers.loaders")
    where = Path(path) if path is not None else t.path
    try:
        raw = pd.read_csv(where, dtype=str, keep_default_na=False)
    except FileNotFoundError as e:
        raise TableError(f"{where}: curated table missing") from e
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as e:
        raise TableError(f"{where}: not a readable CSV ({str(e).splitlines()[0]})") from e
    missing = [c for c in t.columns if c not in raw.columns]
    if missing:
        raise TableError(f"{where}: columns {missing} missing (declared in {SPEC_NAME})")
    extra = [c for c in raw.columns if c not in t.columns]
    if extra:
        raise TableError(
            f"{where}: columns {extra} not declared: add them to {SPEC_NAME} or remove them"
        )
    df = _to_numbers(t, raw[t.columns], where)
    checked = df.mask(df.eq("") & df.columns.isin([f.name for f in t.fields if f.type == "str"]))
    checker = schema(name)
    checker.csv_path = str(where)
    checker.validate(checked)
    return df


# ---------------------------------------------------------------- the data dictionary


def field_frame(name: str) -> pd.DataFrame:
    """One row per field of a table: field, type, unit, rule, description."""
    return pd.DataFrame(
        [
            {
                "field": f.name,
                "type": f.type,
                "unit": f.unit or "",
                "rule": f.rule(),
                "description": f.description,
            }
            for f in table(name).fields
        ]
    )


def row_counts(processed: Path | None = None) -> dict[str, int | None]:
    """Rows of every declared table: core tables from the last build's ``build_info.json``
    (None if not built), curated ones from their CSV."""
    try:
        info = json.loads((Path(processed or paths.PROCESSED) / "build_info.json").read_text())
        built = info.get("rows", {})
    except (FileNotFoundError, json.JSONDecodeError):
        built = {}
    out: dict[str, int | None] = {}
    for n, t in tables().items():
        out[n] = built.get(n) if t.layer == "core" else len(read_curated(n))
    return out


def overview(processed: Path | None = None, counts: dict | None = None) -> pd.DataFrame:
    """One row per table: name, layer, file, rows (``counts``, default :func:`row_counts`;
    "not built" for a core table without a build), one row is, description, source rule."""
    counts = row_counts(processed) if counts is None else counts
    rows = []
    for n, t in tables().items():
        rows.append(
            {
                "table": n,
                "layer": t.layer,
                "file": str(t.path.relative_to(paths.ROOT))
                if t.path.is_relative_to(paths.ROOT)
                else str(t.path),
                "rows": "not built" if counts.get(n) is None else counts[n],
                "one row is": t.grain,
                "description": t.description,
                "source rule": t.source_rule,
            }
        )
    return pd.DataFrame(rows)


def examples(name: str, n: int = 2, processed: Path | None = None) -> pd.DataFrame | None:
    """The first ``n`` rows of a table, transposed (one line per field), for the dictionary;
    None for a core table not built yet (this never builds)."""
    t = table(name)
    if t.layer == "curated":
        df = read_curated(name)
    else:
        from .loaders import load_table  # the one reader of core tables (never builds)
        from .registry.fingerprint import StaleRegistryError

        try:
            df = load_table(name, processed)
        except StaleRegistryError:
            return None
    return df.head(n).T.rename(columns=lambda i: f"example {i + 1}")
