"""`cnai registry add FILE` / `cnai registry remove SOURCE_ID`: lists the manifest does not know.

The registry comes from the table header, the batch month from the title paragraph (or
``batch=``). A dry run parses and compares with the current database; a real run copies the file
into ``data/raw/local/`` as a local source (sha256 recorded in ``data/local_sources.yaml``) and
appends a CAC Word list's rows to the tables in place (registry/append.py: the tables of a full
build, without parsing any other list), or, when an append cannot give exactly those (a
generative-AI list, stale tables, a filer name the stray-character repair could change),
builds the tables from every list (their cached parses).

The add is atomic: the tables are built with the new source held in memory, the YAML entry is
written only once they are complete (just before the new tables folder is swapped in), and any
exit before that, Ctrl-C included, deletes the copied file and restores the YAML. A list that
looks damaged (too many unreadable filing numbers, ``--batch`` contradicting its title) is refused
unless ``force``.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from .. import paths
from ..atomic import atomic_path, recover_swap, signals_deferred, write_text
from ..errors import CnaiError
from ..manifest import ManifestError, Source, load_manifest, sha256_file, source_from_dict
from . import isolate
from .build import BuildError, build
from .failures import ListFormatError
from .fingerprint import SOURCE_FORMATS, built_from, registry_sources

# pandas and the parsers are imported where used: the command's own process never loads them,
# its child does (registry/isolate.py)
if TYPE_CHECKING:
    import pandas as pd

# Refuse a list when more than this share of its data rows has no readable filing number:
# real lists reject none or a handful; a majority of garbage means a damaged or foreign file.
MAX_REJECTED_SHARE = 0.20
REGISTRY_FORMATS = SOURCE_FORMATS  # what `registry build` reads, cancellation notices included


class AddError(CnaiError, ValueError):
    pass


# what the add reads of the filings already in the registry (the whole table is ~70 MiB in memory)
EXISTING_COLUMNS = ["registry", "filing_key", "batches", "source_id"]


def existing_filings() -> pd.DataFrame:
    """The registry's filings, the columns the add compares a new list with."""
    from ..loaders import load_table

    return load_table("filings", columns=EXISTING_COLUMNS)


def _refusals(
    registry_rows: int,
    rejected: int,
    batch: str | None,
    title_batch: str | None,
    number: str = "网信算备 filing number",
):
    """Reasons the add needs ``--force`` (each one line)."""
    out = []
    if registry_rows and rejected / registry_rows > MAX_REJECTED_SHARE:
        out.append(
            f"{rejected} of {registry_rows} rows ({rejected / registry_rows:.0%}) have no "
            f"readable {number}, more than the {MAX_REJECTED_SHARE:.0%} allowed"
        )
    if batch and title_batch and batch != title_batch:
        out.append(f"--batch {batch} disagrees with the list's title, which says {title_batch}")
    return out


def filed_after(df: pd.DataFrame, batch: str) -> list[str]:
    """A reason the add needs ``--force`` when filing numbers carry a filing year after the
    list's year: a list cannot list what was not yet filed (no real filing does), so the
    title or ``--batch`` is wrong."""
    import pandas as pd

    years = pd.to_numeric(df.get("filing_year"), errors="coerce") if "filing_year" in df else None
    if years is None or not re.fullmatch(r"\d{4}-\d{2}", str(batch)):
        return []
    late = years > int(str(batch)[:4])
    if not late.any():
        return []
    return [
        f"{int(late.sum())} of {len(df)} filing numbers carry a filing year after the list's "
        f"month {batch} (up to {int(years.max())}): is the title or --batch wrong?"
    ]


def check_month(file: Path, batch: str, today: dt.date | None = None) -> list[str]:
    """The batch month: a real month (an error otherwise), not after next month (a reason the
    add needs ``--force`` otherwise: a list from the future is a typo or a hoax)."""
    m = re.fullmatch(r"(\d{4})-(\d{2})", str(batch))
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise AddError(
            f"{file}: batch {batch!r} is not a month (YYYY-MM, month 1-12); check the list's "
            "title, or pass --batch YYYY-MM"
        )
    today = today or dt.date.today()
    latest = (today.year + (today.month == 12), today.month % 12 + 1)  # next month
    if (int(m.group(1)), int(m.group(2))) > latest:
        return [
            f"batch {batch} is after next month ({latest[0]}-{latest[1]:02d}): a list from the "
            "future? check the title or --batch"
        ]
    return []


def batch_keys(existing: pd.DataFrame | None, registries: tuple[str, ...]) -> dict:
    """(registry, batch) -> the filing keys listed in that batch, from the filings table."""
    if existing is None or not len(existing) or "batches" not in existing:
        return {}
    f = existing[existing["registry"].isin(registries)]
    f = f.assign(batch=f["batches"].fillna("").str.split(";")).explode("batch")
    return {k: set(g["filing_key"]) for k, g in f.groupby(["registry", "batch"])}


def repeats(
    keys_by_registry: dict[str, set], batch: str, existing: pd.DataFrame | None
) -> list[str]:
    """A list whose filing numbers are exactly those of a known batch of another month is a
    repeat (the same list under another title): a reason the add needs ``--force``. (A list of
    a month already held is refused, or compared, by the clash check of :func:`add_file`.)"""
    known = batch_keys(existing, tuple(keys_by_registry))
    out = []
    for reg, keys in keys_by_registry.items():
        same = [b for (r, b), k in known.items() if r == reg and b != batch and keys and k == keys]
        if same:
            out.append(
                f"the list repeats batch {same[0]} of {reg}: the same {len(keys)} filing "
                "numbers (a known list under another title?)"
            )
    return out


def unread_tables(tables: list[dict]) -> list[str]:
    """Tables whose rows could not be read (no header, another column count): lost rows."""
    return [
        f"{t['rows_not_read']} rows of table {t['table']} are not read (no header row, and "
        "not the previous table's column count)"
        for t in tables
        if t.get("rows_not_read")
    ]


def inspect_file(
    file: Path, batch: str | None = None, existing: pd.DataFrame | None = None
) -> dict:
    from .assemble import text_isin
    from .docx_lists import read_cac_docx
    from .numbers import name_key
    from .parse import enrich_cac, load_corrections, load_regions
    from .parse_cache import ParseCache, cache_folder
    from .stats import as_dict, province_counts

    file = Path(file)
    if not file.is_file():
        raise AddError(f"{file}: no such file")
    if is_genai_file(file):
        return inspect_genai(file, batch, existing)
    lst = read_cac_docx(file, source_id=f"local:{file.name}", batch=batch)
    if lst.rows.empty:
        raise ListFormatError(f"{file}: the list table has a header but no data rows")
    issues = list(lst.issues)
    df = lst.rows.assign(registry=lst.registry, batch=lst.batch, source_id=f"local:{file.name}")
    n_parser_issues = len(issues)
    load_regions(ParseCache(cache_folder(paths.PROCESSED)))  # the regions the build resolved
    df = enrich_cac(df, load_corrections(), issues, {f"local:{file.name}": file.name})
    if df.empty:
        raise ListFormatError(f"{file}: no row has a readable 网信算备 filing number")
    rejected = sum(i.action == "rejected" for i in issues[n_parser_issues:])
    refusals = check_month(file, lst.batch)
    refusals += _refusals(len(lst.rows), rejected, batch, lst.title_batch)
    refusals += unread_tables(lst.tables)
    refusals += filed_after(df, lst.batch)
    df["filing_key"] = df["filing_number"].map(name_key)
    unique = df.drop_duplicates("filing_key")
    refusals += repeats({lst.registry: set(unique["filing_key"])}, lst.batch, existing)
    known_keys: set[str] = set()
    if existing is not None and len(existing):
        known_keys = set(existing.loc[existing["registry"] == lst.registry, "filing_key"])
    known = text_isin(unique["filing_key"], known_keys)
    problems = [
        {k: v for k, v in asdict(i).items() if k in ("row", "action", "reason", "filing_number")}
        for i in issues
    ]
    problems += [
        {"row": None, "action": "refused", "reason": r, "filing_number": None} for r in refusals
    ]
    problems += conflicting_repeats(df)
    return {
        "registry": lst.registry,
        "batch": lst.batch,
        "title": lst.title,
        "rows": int(len(lst.rows)),
        "rejected_rows": int(rejected),
        "new_filings": int((~known).sum()),
        "known_filings": int(known.sum()),
        "by_province": as_dict(province_counts(unique)),
        "tables": lst.tables,
        "problems": problems,
        "needs_force": refusals,
    }


def conflicting_repeats(df: pd.DataFrame) -> list[dict]:
    """A filing number listed twice in the new list with another filer or algorithm: the
    filings table keeps the first row, so the add names both rows (a harmless repeat of the
    same row is only a data-quality line)."""
    out = []
    dup = df[df.duplicated("filing_key", keep=False)]
    for _, g in dup.groupby("filing_key", sort=False):
        if g["entity_name"].nunique() > 1 or g["algorithm_name"].nunique() > 1:
            rows = " and ".join(str(int(r)) for r in g["source_row"])
            out.append(
                {
                    "row": int(g["source_row"].iloc[1]),
                    "action": "flagged",
                    "reason": f"filing number listed in rows {rows} with different filers or "
                    "algorithms; the filings table keeps the first row",
                    "filing_number": g["filing_number"].iloc[0],
                }
            )
    return out


def is_genai_file(file: Path) -> bool:
    """A generative-AI list (any .xlsx; a .docx with a generative-AI table header)?"""
    from .genai_tables import SUFFIXES, has_genai_header, read_grids

    if file.suffix.lower() not in SUFFIXES:
        raise AddError(f"{file}: expected a Word (.docx) or Excel (.xlsx) list")
    if file.suffix.lower() == ".xlsx":
        return True
    return has_genai_header(read_grids(file)[1])


def _problem(i) -> dict:
    return {k: v for k, v in asdict(i).items() if k in ("row", "action", "reason", "filing_number")}


def inspect_genai(file: Path, batch: str | None, existing: pd.DataFrame | None) -> dict:
    """The dry-run report of a generative-AI list: one part per registry it feeds."""
    from .genai import REGISTRIES as GENAI_REGISTRIES
    from .genai_tables import read_genai_tables
    from .numbers import name_key
    from .stats import as_dict, province_counts

    lst = read_genai_tables(file, source_id=f"local:{file.name}", batch=batch)
    if lst.rows.empty:
        raise AddError(f"{file}: the generative-AI tables have a header but no data rows")
    df = lst.rows.assign(filing_key=lst.rows["filing_number"].map(name_key))
    unreadable = int((df["number_kind"] == "unknown").sum())
    refusals = check_month(file, lst.batch)
    refusals += _refusals(len(df), unreadable, batch, lst.title_batch, "generative-AI number")
    refusals += unread_tables(lst.table_rows)
    refusals += repeats(
        {
            reg: set(df.loc[df["registry"] == reg, "filing_key"])
            for reg in GENAI_REGISTRIES
            if (df["registry"] == reg).any()
        },
        lst.batch,
        existing,
    )
    parts = {}
    for reg in GENAI_REGISTRIES:
        rows = df[df["registry"] == reg]
        if rows.empty:
            continue
        unique = rows.drop_duplicates("filing_key")
        known_keys: set[str] = set()
        if existing is not None and len(existing):
            known_keys = set(existing.loc[existing["registry"] == reg, "filing_key"])
        known = unique["filing_key"].isin(known_keys)
        parts[reg] = {
            "rows": int(len(rows)),
            "new_filings": int((~known).sum()),
            "known_filings": int(known.sum()),
            "by_province": as_dict(province_counts(unique)),
        }
    problems = [_problem(i) for i in lst.issues]
    problems += [
        {"row": None, "action": "refused", "reason": r, "filing_number": None} for r in refusals
    ]
    return {
        "registry": "genai",
        "batch": lst.batch,
        "title": lst.title,
        "parts": parts,
        "tables": lst.table_rows,
        "problems": problems,
        "needs_force": refusals,
        "source_id": None,
    }


def _clash(file: Path, report: dict, sources: list[Source], existing: pd.DataFrame | None):
    """The source already holding this registry's batch, if any (the compiled generative-AI
    JSON holds many batches: its batches are those of the filings table)."""
    from .genai import REGISTRIES as GENAI_REGISTRIES

    reg, batch = report["registry"], report["batch"]
    for s in sources:
        if s.registry == reg and s.batch == batch:
            return s.id
    if reg == "genai" and existing is not None and len(existing):
        hit = existing[existing["registry"].isin(GENAI_REGISTRIES)]
        hit = hit[hit["batches"].fillna("").str.split(";").map(lambda b: batch in b)]
        if len(hit):
            return str(hit["source_id"].iloc[0])
    return None


FROM_TABLES = "the filings table"  # ``existing``: read by the add itself (in its child)


def add_file(
    file: Path,
    batch: str | None = None,
    dry_run: bool = False,
    existing: pd.DataFrame | str | None = None,
    force: bool = False,
) -> dict:
    """Inspect ``file`` and, unless ``dry_run``, ingest it. A dry run returns the report even
    when the add would need ``force`` (``report["needs_force"]``); a real run raises.
    ``existing``: the registry's filings (:func:`existing_filings`), or :data:`FROM_TABLES`
    to have the add read them. In a process without pandas (the command line) the list's
    inspection and the tables are made in one child process (registry/isolate.py)."""
    from .wordxml import remembered
    from .write import lean_memory

    # the list is parsed once for its kind, its report and the build (in one process)
    with remembered(), isolate.session():
        if isolate.splits():  # pyarrow imported once, before the fork, for both processes
            lean_memory()
        return _add_file(Path(file), batch, dry_run, existing, force)


def checked_report(
    file: Path, batch: str | None, dry_run: bool, existing: pd.DataFrame | str | None
) -> tuple[dict, str, list[Source]]:
    """The list's report, its sha256 and the sources; AddError if it is already held."""
    if isinstance(existing, str):
        existing = existing_filings()
    report = inspect_file(file, batch, existing)
    sha = sha256_file(file)
    sources = load_manifest()
    same = [s for s in sources if s.sha256 == sha]
    if same:
        raise AddError(f"{file}: already ingested as source {same[0].id!r} (same sha256)")
    clash = _clash(file, report, sources, existing)
    # a generative-AI list of a month the compiled JSON already holds: the dry run compares it
    # (every filing known), only a real add is refused
    if clash and not (dry_run and report["registry"] == "genai"):
        raise AddError(
            f"{file}: batch {report['batch']} of {report['registry']} already exists as source "
            f"{clash!r}; pass --batch YYYY-MM if this list belongs to another month"
        )
    report["dry_run"] = dry_run
    return report, sha, sources


def _add_file(
    file: Path, batch: str | None, dry_run: bool, existing: pd.DataFrame | str | None, force: bool
) -> dict:
    report, sha, sources = isolate.call(checked_report, file, batch, dry_run, existing)
    if dry_run:
        return report
    if report["needs_force"] and not force:
        raise AddError(
            f"{file}: refused: {'; '.join(report['needs_force'])}{rejected_rows(report)}; "
            "pass --force to add it"
        )
    report["source_id"] = _ingest(file, report, sha, sources)
    return report


def rejected_rows(report: dict, most: int = 5) -> str:
    """The rows the list's refusal is about, each with its problem (the first ``most``)."""
    rows = [p for p in report["problems"] if p["action"] == "rejected" and p["row"] is not None]
    if not rows:
        return ""
    shown = "; ".join(f"row {p['row']}: {p['reason']}" for p in rows[:most])
    more = f"; and {len(rows) - most} more rows" if len(rows) > most else ""
    return f" ({shown}{more})"


def _entry(file: Path, report: dict, sha: str) -> dict:
    reg, batch = report["registry"], report["batch"]
    title = report["title"] or f"{reg} list {batch}"
    ext = file.suffix.lower()
    return {
        "id": f"local_{reg}_{batch.replace('-', '_')}_{sha[:8]}",
        "format": f"genai_{ext[1:]}" if reg == "genai" else "cac_docx",
        "registry": reg,
        "batch": batch,
        "path": f"local/{reg}/{batch}-{sha[:8]}{ext}",
        "url": file.resolve().as_uri(),
        "sha256": sha,
        "size": file.stat().st_size,
        "title": title,
        "publisher": "Cyberspace Administration of China",
        "licence": "Official public notice",
        "announcement_url": "",
        "announcement_date": "",
        "citation": f"Cyberspace Administration of China, {title} (added locally from {file.name})",
    }


def _read_local() -> tuple[str | None, list[dict]]:
    """(text of data/local_sources.yaml or None, its entries)."""
    local_yaml = paths.LOCAL_SOURCES
    text = local_yaml.read_text(encoding="utf-8") if local_yaml.exists() else None
    try:
        doc = yaml.safe_load(text or "") or {}
    except yaml.YAMLError as e:
        raise AddError(f"{local_yaml}: not valid YAML ({e}); fix or delete the file") from e
    entries = doc.get("sources") if isinstance(doc, dict) else None
    if not isinstance(entries or [], list):
        raise AddError(f"{local_yaml}: expected a mapping with a 'sources' list")
    return text, list(entries or [])


def _write_local(entries: list[dict]) -> None:
    if entries:
        doc = {"sources": entries}
        write_text(paths.LOCAL_SOURCES, yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))
    else:
        paths.LOCAL_SOURCES.unlink(missing_ok=True)


def _restore_local(text: str | None) -> None:
    if text is None:
        paths.LOCAL_SOURCES.unlink(missing_ok=True)
    else:
        write_text(paths.LOCAL_SOURCES, text)


def _prune_empty_dirs(start: Path, stop: Path) -> None:
    """Remove empty folders from ``start`` up to, not including, ``stop``'s parent."""
    d = start
    while d != stop.parent and d.is_relative_to(stop) and d.is_dir() and not any(d.iterdir()):
        d.rmdir()
        d = d.parent


def _ingest(file: Path, report: dict, sha: str, sources: list[Source]) -> str:
    old_text, entries = _read_local()
    entry = _entry(file, report, sha)
    new = source_from_dict(entry, str(paths.LOCAL_SOURCES), local=True)
    target = paths.RAW / entry["path"]
    existed = target.exists()
    wrote_yaml = False

    def record() -> None:
        nonlocal wrote_yaml
        wrote_yaml = True
        _write_local([*entries, entry])

    try:
        with atomic_path(target) as tmp:
            shutil.copyfile(file, tmp)
        try:
            build(sources=[*registry_sources(), new], before_swap=record, append=True)
        except BuildError as e:  # the tables refuse the new list: name the file given
            raise AddError(f"{file}: not added: {e}") from e
    except BaseException:  # Ctrl-C included: leave the project exactly as it was
        with signals_deferred():
            recover_swap(paths.PROCESSED)  # a swap cut short: finished, no .processed.old
            if entry["id"] in (built_from() or ()):
                raise  # the new tables are in place: the add is complete, keep its entry
            if wrote_yaml:
                _restore_local(old_text)
            if not existed:
                target.unlink(missing_ok=True)
                _prune_empty_dirs(target.parent, paths.RAW / "local")
        raise
    return entry["id"]


def remove_source(source_id: str) -> dict:
    """Undo ``registry add``: drop the local source's entry and raw copy, rebuild the tables.
    Works when the entry is broken (its raw file missing), which blocks every build."""
    old_text, entries = _read_local()
    match = [e for e in entries if isinstance(e, dict) and e.get("id") == source_id]
    if not match:
        try:
            committed = {s.id for s in load_manifest(include_local=False)}
        except ManifestError:
            committed = set()
        if source_id in committed:
            raise AddError(
                f"{source_id!r} is not a local source: it is listed in {paths.MANIFEST.name}; "
                "only lists added with `cnai registry add` can be removed"
            )
        ids = ", ".join(str(e.get("id")) for e in entries if isinstance(e, dict)) or "none"
        raise AddError(f"no local source {source_id!r} (local sources: {ids})")
    keep = [e for e in entries if e is not match[0]]
    try:
        kept = [source_from_dict(e, str(paths.LOCAL_SOURCES), local=True) for e in keep]
        committed = load_manifest(include_local=False)
    except (ManifestError, AttributeError) as e:
        raise AddError(f"cannot read the remaining sources: {e}") from e
    sources = [s for s in [*committed, *kept] if s.format in REGISTRY_FORMATS]
    wrote_yaml = False

    def record() -> None:
        nonlocal wrote_yaml
        wrote_yaml = True
        _write_local(keep)

    try:
        build(sources=sources, before_swap=record)
    except BaseException:
        with signals_deferred():
            recover_swap(paths.PROCESSED)
            held = built_from()
            if held is None or source_id in held:  # not swapped in: undo
                if wrote_yaml:
                    _restore_local(old_text)
            else:  # the tables without the source are in place: finish the remove
                _drop_copy(match[0])
        raise
    with signals_deferred():  # never a half-pruned raw/local
        removed_file = _drop_copy(match[0])
    return {"source_id": source_id, "removed_file": removed_file}


def _drop_copy(entry: dict) -> str | None:
    """Delete a removed local source's copied file (only under data/raw/local)."""
    raw = (paths.RAW / str(entry.get("path", ""))).resolve()
    local_root = (paths.RAW / "local").resolve()
    if not (raw.is_relative_to(local_root) and raw.is_file()):
        return None
    raw.unlink()
    _prune_empty_dirs(raw.parent, local_root)
    return str(raw)
