"""The site definition (site.yaml): which reports to build, from which notebook, with which
parameters. An entry with ``fan_out`` expands into one report per value.

``needs:`` says what a report reads (see :mod:`.needs` for what its fingerprint hashes)::

    needs:
      sources: ["cac_*"]                    # source ids (globs) of data/sources.yaml
      curated: [compute_assumptions]         # curated tables by name (globs allowed)
      modules: [cnai_helpers.analysis.compute]  # helper modules (imports followed)
      reports: [who-files, "geo-*"]          # other reports whose results it reads

Reports run in stages that follow from ``needs.reports``: a report runs after every report it
reads (a cycle is an error naming it). The older keys still work: top-level ``sources:`` is
``needs.sources``; ``stage: N`` makes the report read every report of a lower stage.
"""

from __future__ import annotations

import fnmatch
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
    stage: int = 0  # derived from needs.reports: 1 + the highest stage of what it reads
    sources: tuple[str, ...] = ("*",)  # needs.sources
    curated: tuple[str, ...] = ("*",)  # needs.curated (default: every curated table)
    modules: tuple[str, ...] = ()  # needs.modules (plus what the notebook imports)
    needs_reports: tuple[str, ...] = ()  # needs.reports, expanded to report ids
    notebooks_dir: str | None = None  # default: the project's notebooks/
    folder: str | None = None  # output folder under the site root (default: the id)
    key_figures: tuple[str, ...] = ()  # results keys shown as "the answer" (page and index)
    # (results key, short label) of the key figures given one in site.yaml (``key: label``)
    key_labels: tuple[tuple[str, str], ...] = ()
    headline: str = ""  # the page's first sentence: a template over results keys (headline.py)
    # what the headline leaves out, after it on the page only (not on the index): same template
    detail: str = ""

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
    return dataclasses.replace(report, parameters=params, folder=f"{VARIANTS}/{report.id}--{short}")


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
        raise SiteError(
            f"{where}: unknown values_from {name!r} (a function of "
            "cnai_helpers/loaders.py, or module:function)"
        )
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


# names the site (or its results store) uses beside the report folders: a report id equal to one
# would overwrite the front page, the stylesheet, the search index or the variants
RESERVED_IDS = ("index", "assets", "pagefind", "_variants", "citation", "readme", "404", "search")
REPORT_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")


def check_report_id(rid: str, path: Path) -> None:
    """A report id is a folder name of the site: letters, digits, ``-`` and ``_`` (no dot, no
    slash, no leading ``_`` or ``-``), and none of :data:`RESERVED_IDS`."""
    if not isinstance(rid, str) or not REPORT_ID_RE.fullmatch(rid):
        raise SiteError(
            f"{path.name}: report id {rid!r} must be letters, digits, - and _ (starting with a "
            "letter or digit), as it names the report's folder in the site"
        )
    if rid.lower() in RESERVED_IDS:
        raise SiteError(
            f"{path.name}: report id {rid!r} is reserved for the site itself "
            f"({', '.join(RESERVED_IDS)}); choose another id"
        )


NEEDS_KEYS = ("sources", "curated", "modules", "reports")
EXAMPLES = {
    "sources": '"cac_*"',
    "curated": "compute_assumptions",
    "modules": "cnai_helpers.analysis.compute",
    "reports": "who-files",
}


def _needs(e: dict, where: str) -> dict[str, tuple[str, ...]]:
    needs = e.get("needs") or {}
    if not isinstance(needs, dict):
        raise SiteError(f"{where}: needs must be a mapping with keys {', '.join(NEEDS_KEYS)}")
    unknown = sorted(set(needs) - set(NEEDS_KEYS))
    if unknown:
        raise SiteError(f"{where}: unknown needs key(s) {unknown} (known: {', '.join(NEEDS_KEYS)})")
    if "sources" in e and "sources" in needs:
        raise SiteError(f"{where}: both sources and needs.sources; keep needs.sources")
    out = {}
    for k in NEEDS_KEYS:
        v = needs.get(k, e.get(k) if k == "sources" else None)
        if v is None:
            continue
        if isinstance(v, str) or not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            raise SiteError(f"{where}: needs.{k} must be a list, e.g. {k}: [{EXAMPLES[k]}]")
        out[k] = tuple(v)
    from .needs import NeedsError, check_module, curated_files

    try:
        for m in out.get("modules", ()):
            check_module(m, where)
        curated_files(out.get("curated", ()), where)
    except NeedsError as err:
        raise SiteError(str(err)) from None
    return out


def _headline(e: dict, where: str, key: str = "headline") -> str:
    """The entry's ``headline:`` (or ``detail:``) template (its filters checked; its keys are
    results keys, checked against the results when the page is built)."""
    from .headline import HeadlineError, placeholders

    text = e.get(key) or ""
    if not isinstance(text, str):
        raise SiteError(f"{where}: {key} must be a text with {{results_key}} placeholders")
    try:
        placeholders(text)
    except HeadlineError as err:
        raise SiteError(f"{where}: {key}: {err}") from err
    return " ".join(text.split())


def _fan_out_headline(template: str, values: dict) -> str:
    """A fan-out's ``{label}`` and ``{value}`` filled in; results placeholders left as they are."""
    for k, v in values.items():
        template = template.replace("{" + k + "}", str(v))
    return template


def _key_figures(e: dict, where: str) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """(results keys, (key, short label) pairs) of an entry's ``key_figures``: each item a
    results key, or ``key: "Short label"`` (the answer box's label; the figure's description
    becomes its tooltip)."""
    v = e.get("key_figures") or []
    if isinstance(v, str) or not isinstance(v, list):
        raise SiteError(f"{where}: key_figures must be a list of results keys, e.g. [n_filings]")
    keys, labels = [], []
    for x in v:
        if isinstance(x, dict) and len(x) == 1:
            ((k, label),) = x.items()
            if not isinstance(label, str) or not label.strip() or len(label) > MAX_KEY_LABEL:
                raise SiteError(
                    f"{where}: key figure {k!r}: its label must be a few words "
                    f"(at most {MAX_KEY_LABEL} characters), got {label!r}"
                )
            keys.append(str(k))
            labels.append((str(k), label.strip()))
        elif isinstance(x, str):
            keys.append(x)
        else:
            raise SiteError(
                f"{where}: key_figures items are results keys or 'key: Short label', got {x!r}"
            )
    if len(keys) > MAX_KEY_FIGURES:
        raise SiteError(
            f"{where}: at most {MAX_KEY_FIGURES} key_figures (the answer box shows at most "
            f"{MAX_KEY_FIGURES}; the other figures are in the page's body)"
        )
    return tuple(keys), tuple(labels)


MAX_KEY_FIGURES = 4  # a reader takes in four numbers at a glance, not six
MAX_KEY_LABEL = 40


def _stages(
    out: list[Report], entries: dict[str, tuple], skipped: list[str], path: Path
) -> list[Report]:
    """Expand ``needs.reports`` (and legacy ``stage:``) to ids; stage = depth in the graph."""
    import dataclasses

    ids = [r.id for r in out]
    deps: dict[str, list[str]] = {}
    for r in out:
        patterns, legacy_stage = entries[r.id]
        found = []
        for p in patterns:
            hits = [i for i in ids if fnmatch.fnmatchcase(i, p) and i != r.id]
            if not hits and not any(may_select(t, [p]) for t in skipped):
                raise SiteError(
                    f"{path.name}: report {r.id!r}: needs.reports {p!r} matches no "
                    f"report of the site definition"
                )
            found += hits
        if legacy_stage:
            found += [o.id for o in out if entries[o.id][1] < legacy_stage]
        deps[r.id] = list(dict.fromkeys(found))
    stage: dict[str, int] = {}

    def visit(rid: str, trail: list[str]) -> int:
        if rid in trail:
            cycle = trail[trail.index(rid) :] + [rid]
            raise SiteError(
                f"{path.name}: needs.reports form a cycle: {' -> '.join(cycle)}; "
                "a report cannot read its own results"
            )
        if rid not in stage:
            stage[rid] = 1 + max((visit(d, [*trail, rid]) for d in deps[rid]), default=-1)
        return stage[rid]

    for r in out:
        visit(r.id, [])
    return [dataclasses.replace(r, stage=stage[r.id], needs_reports=tuple(deps[r.id])) for r in out]


def load_site(
    path: Path | None = None,
    expand: bool = True,
    notebooks_dir: Path | None = None,
    only: list[str] | None = None,
) -> list[Report]:
    """The reports of the site definition. ``only`` (``--only`` patterns): fan-out entries that
    cannot produce a matching id are left out unexpanded, so their values (which may need the
    registry tables) are not computed."""
    path = Path(path or paths.SITE)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise SiteError(f"{path}: site definition not found") from e
    except yaml.YAMLError as e:  # one line, with the line and column of the problem
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise SiteError(f"{path}: not valid YAML ({where}{getattr(e, 'problem', e)})") from e
    except (UnicodeDecodeError, IsADirectoryError) as e:
        raise SiteError(f"{path}: not a readable site definition ({e})") from e
    if not isinstance(doc, dict):
        raise SiteError(f"{path}: expected a mapping with a 'reports:' list")
    out: list[Report] = []
    entries: dict[str, tuple] = {}  # id -> (needs.reports patterns, legacy stage)
    skipped: list[str] = []  # id templates of fan-outs left unexpanded (--only)
    nb_dir = (
        Path(notebooks_dir)
        if notebooks_dir
        else path.parent / doc.get("notebooks_dir", "notebooks")
    )
    if not isinstance(doc.get("reports") or [], list):
        raise SiteError(f"{path}: 'reports:' must be a list of report entries")
    for i, e in enumerate(doc.get("reports") or [], start=1):
        where = f"{path.name} entry {i}"
        if not isinstance(e, dict):
            raise SiteError(f"{where}: expected a mapping (id, notebook, title, question, …)")
        missing = [k for k in ("id", "notebook", "title", "question") if not e.get(k)]
        if missing:
            raise SiteError(f"{where}: missing {', '.join(missing)}")
        needs = _needs(e, where)
        key_keys, key_labels = _key_figures(e, where)
        base = dict(
            notebook=e["notebook"],
            key_figures=key_keys,
            key_labels=key_labels,
            headline=_headline(e, where),
            detail=_headline(e, where, "detail"),
            sources=needs.get("sources", ("*",)),
            curated=needs.get("curated", ("*",)),
            modules=needs.get("modules", ()),
            notebooks_dir=str(nb_dir),
        )
        try:
            legacy_stage = int(e.get("stage", 0))
        except (TypeError, ValueError) as err:
            raise SiteError(f"{where}: stage must be a whole number") from err
        n_before = len(out)
        params = dict(e.get("parameters") or {})
        if "fan_out" in e:
            if expand and only and not may_select(e["id"], only):
                skipped.append(e["id"])
                continue
            spec = e["fan_out"]
            if not expand:
                out.append(
                    Report(
                        id=e["id"],
                        title=e["title"],
                        question=e["question"],
                        parameters=params,
                        **base,
                    )
                )
                entries[e["id"]] = (needs.get("reports", ()), legacy_stage)
                continue
            for v in _fan_out_values(spec, where):
                # {value}, {label} and any other word the value gives (e.g. {unit}: a list of
                # registrations says "registrations", not "filings")
                extra = {k: x for k, x in v.items() if k not in ("value", "label")}
                fmt = {**extra, "value": v["value"], "label": v.get("label", v["value"])}
                out.append(
                    Report(
                        id=e["id"].format(**fmt),
                        title=e["title"].format(**fmt),
                        question=e["question"].format(**fmt),
                        parameters={**params, spec["parameter"]: v["value"]},
                        **{
                            **base,
                            "headline": _fan_out_headline(base["headline"], fmt),
                            "detail": _fan_out_headline(base["detail"], fmt),
                            "key_labels": tuple(
                                (k, _fan_out_headline(x, fmt)) for k, x in base["key_labels"]
                            ),
                        },
                    )
                )
        else:
            out.append(
                Report(
                    id=e["id"], title=e["title"], question=e["question"], parameters=params, **base
                )
            )
        for r in out[n_before:]:
            entries[r.id] = (needs.get("reports", ()), legacy_stage)
    ids = [r.id for r in out]
    for rid in ids:
        if "{" not in rid:  # fan-out templates (expand=False) are checked once expanded
            check_report_id(rid, path)
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise SiteError(f"{path.name}: duplicate report ids {dup}")
    return _stages(out, entries, skipped, path)
