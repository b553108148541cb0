"""The site definition (site.yaml): which reports to build, from which notebook, with which
parameters. An entry with ``fan_out`` expands into one report per value."""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from .. import paths
from ..errors import CnaiError


class SiteError(CnaiError, ValueError):
    pass


@dataclass(frozen=True)
class Report:
    id: str
    notebook: str
    title: str
    question: str
    parameters: dict[str, Any] = field(default_factory=dict)
    stage: int = 0  # reports of a higher stage run after all lower ones (e.g. the claims ledger)
    sources: tuple[str, ...] = ("*",)
    notebooks_dir: str | None = None  # default: the project's notebooks/
    folder: str | None = None  # output folder under the site root (default: the id)

    @property
    def notebook_path(self) -> Path:
        return Path(self.notebooks_dir or paths.NOTEBOOKS) / self.notebook

    @property
    def out_folder(self) -> str:
        return self.folder or self.id

    @property
    def is_variant(self) -> bool:
        return self.out_folder != self.id


VARIANTS = "_variants"


def with_overrides(report: Report, overrides: dict[str, Any]) -> Report:
    """The report with ``-p`` overrides. Parameters that differ from the site definition's make a
    variant, published apart in ``_variants/<id>--<hash of the parameters>/`` so the site keeps
    showing the site definition's parameters."""
    import dataclasses
    import hashlib
    import json

    params = {**report.parameters, **overrides}
    if params == report.parameters:
        return report
    key = json.dumps(params, sort_keys=True, ensure_ascii=False, default=repr)
    short = hashlib.sha256(key.encode()).hexdigest()[:10]
    return dataclasses.replace(report, parameters=params,
                               folder=f"{VARIANTS}/{report.id}--{short}")


def _fan_out_values(spec: dict, where: str) -> list[dict]:
    if "values" in spec:
        return [v if isinstance(v, dict) else {"value": v, "label": str(v)} for v in spec["values"]]
    if "values_from" in spec:
        return _values_function(spec["values_from"], where)(**spec.get("args", {}))
    raise SiteError(f"{where}: fan_out needs 'values' or 'values_from'")


def _values_function(name: str, where: str) -> Callable[..., list[dict]]:
    """``values_from``: a function of cnai_helpers/loaders.py by name
    ("provinces_with_min_filings") or any ``module:function``. The values come from the data
    layer; the report machinery itself reads no table."""
    module, _, attr = name.rpartition(":")
    try:
        fn = getattr(importlib.import_module(module or "cnai_helpers.loaders"), attr, None)
    except ImportError:
        fn = None
    if not callable(fn):
        raise SiteError(f"{where}: unknown values_from {name!r} (a function of "
                        "cnai_helpers/loaders.py, or module:function)")
    return fn


def _glob_tokens(glob: str) -> tuple[str, ...]:
    """'*', '?' or one literal character per token; a [set] counts as '?' (may overlap more)."""
    return tuple("?" if t.startswith("[") else t for t in re.findall(r"\[[^\]]*\]|.", glob))


@lru_cache(maxsize=4096)
def _overlap(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    if not a or not b:
        return all(t == "*" for t in a + b)
    if a[0] == "*":
        return _overlap(a[1:], b) or _overlap(a, b[1:])
    if b[0] == "*":
        return _overlap(a, b[1:]) or _overlap(a[1:], b)
    return (a[0] == b[0] or "?" in (a[0], b[0])) and _overlap(a[1:], b[1:])


def may_select(id_template: str, patterns: list[str]) -> bool:
    """Could any of the ``--only`` patterns match a report id made from ``id_template``
    ("province-{value}")? Decided without computing the fan-out's values."""
    template = _glob_tokens(re.sub(r"\{[^}]*\}", "*", id_template))
    return any(_overlap(_glob_tokens(p), template) for p in patterns)


def load_site(path: Path | None = None, expand: bool = True,
              notebooks_dir: Path | None = None, only: list[str] | None = None) -> list[Report]:
    """The reports of the site definition. ``only`` (``--only`` patterns): fan-out entries that
    cannot produce a matching id are left out unexpanded, so their values (which may need the
    registry tables) are not computed."""
    path = Path(path or paths.SITE)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise SiteError(f"{path}: site definition not found") from e
    out: list[Report] = []
    nb_dir = Path(notebooks_dir) if notebooks_dir else path.parent / doc.get("notebooks_dir",
                                                                             "notebooks")
    for i, e in enumerate(doc.get("reports") or [], start=1):
        where = f"{path.name} entry {i}"
        missing = [k for k in ("id", "notebook", "title", "question") if not e.get(k)]
        if missing:
            raise SiteError(f"{where}: missing {', '.join(missing)}")
        base = dict(notebook=e["notebook"], stage=int(e.get("stage", 0)),
                    sources=tuple(e.get("sources", ["*"])),
                    notebooks_dir=str(nb_dir))
        params = dict(e.get("parameters") or {})
        if "fan_out" in e:
            if expand and only and not may_select(e["id"], only):
                continue
            spec = e["fan_out"]
            if not expand:
                out.append(Report(id=e["id"], title=e["title"], question=e["question"],
                                  parameters=params, **base))
                continue
            for v in _fan_out_values(spec, where):
                fmt = {"value": v["value"], "label": v.get("label", v["value"])}
                out.append(Report(
                    id=e["id"].format(**fmt), title=e["title"].format(**fmt),
                    question=e["question"].format(**fmt),
                    parameters={**params, spec["parameter"]: v["value"]}, **base))
        else:
            out.append(Report(id=e["id"], title=e["title"], question=e["question"],
                              parameters=params, **base))
    ids = [r.id for r in out]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise SiteError(f"{path.name}: duplicate report ids {dup}")
    return out
