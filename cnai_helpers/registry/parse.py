"""Parse and enrich: every registry raw file, checked against its recorded sha256 on the very
bytes that are parsed, into listing rows (CAC Word lists, generative-AI JSON) with the filing
number parsed and the region resolved, batch metadata, cancellation rows and data-quality issues.
"""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pandas as pd

from .. import paths
from ..manifest import Source, mismatch_message, restore_hint
from ..metadata import columns, read_curated
from . import cancellations
from .docx_lists import read_cac_docx
from .failures import BuildError  # re-exported: defined without pandas
from .fingerprint import GENAI_TABLE_FORMATS
from .genai import read_genai_json
from .genai_tables import read_genai_tables
from .geography import (
    geography_version,
    name_every_city,
    region,
    remember_regions,
    resolved_regions,
)
from .numbers import NumberError, parse_cac_number
from .parse_cache import ParseCache
from .quality import Issue


def read_checked(src: Source, raw_dir: Path) -> tuple[bytes | None, str | None]:
    """(bytes, None) if the raw file hashes to its recorded sha256, else (None, why): the check
    runs on the very bytes that are then parsed, whatever the stamp file says."""
    path = src.raw_path(raw_dir)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None, f"[{src.id}] raw file {path} missing: {restore_hint(src)}"
    got = hashlib.sha256(data).hexdigest()
    if got != src.sha256:
        return None, mismatch_message(src, path, got)
    return data, None


def parse_docx(args: tuple[Source, Path] | tuple[Source, Path, bytes]):
    """Parse one CAC Word list (run in a worker process). Returns (rows, issues, problem).
    ``args``: the source and raw folder, and its bytes if already read and checked."""
    src, raw_dir = args[:2]
    if len(args) > 2:
        data, problem = args[2], None
    else:
        data, problem = read_checked(src, raw_dir)
    if problem:
        return None, [], problem
    path, sid, reg, batch = str(src.raw_path(raw_dir)), src.id, src.registry, src.batch
    # the manifest's batch also serves lists with no title (``registry add --batch``)
    lst = read_cac_docx(path, source_id=sid, batch=batch, data=data)
    issues = list(lst.issues)
    checks = (
        ("registry", reg, lst.registry, f"file looks like {lst.registry}"),
        ("batch", batch, lst.title_batch or batch, f"title says batch {lst.title_batch}"),
    )
    for what, declared, found, said in checks:
        if declared and found != declared:
            issues.append(
                Issue(
                    sid,
                    Path(path).name,
                    None,
                    reg,
                    batch,
                    "flagged",
                    f"{said}; manifest says {what} {declared}; manifest used",
                )
            )
    df = lst.rows.assign(registry=reg or lst.registry, batch=batch or lst.batch, source_id=sid)
    return df, issues, None


def enrich_cac(
    df: pd.DataFrame, corrections: pd.DataFrame, issues: list[Issue], file_of: dict[str, str]
) -> pd.DataFrame:
    """CAC list rows with their filing number parsed and region resolved (corrections.csv
    applied); unreadable numbers are dropped, every repair, flag and rejection goes to
    ``issues`` (``file_of``: source id -> file name)."""
    out = []
    corr = {
        (r.registry, r.filing_number, r.field): (r.value, r.reason)
        for r in corrections.itertuples()
    }
    # records from whole columns: to_dict("records") boxes every arrow-backed cell one by one
    names = list(df.columns)
    cols = [df[c].astype(object).where(df[c].notna(), None).tolist() for c in names]
    numbers: dict[str, object] = {}  # a number's parse, once per distinct raw number
    for values in zip(*cols, strict=True):
        rec = dict(zip(names, values, strict=True))
        sid = rec["source_id"]

        def note(action, reason, number, _rec=rec, _sid=sid):
            issues.append(
                Issue(
                    _sid,
                    file_of[_sid],
                    _rec["source_row"],
                    _rec["registry"],
                    _rec["batch"],
                    action,
                    reason,
                    number,
                )
            )

        raw = rec["filing_number_raw"]
        if raw not in numbers:
            try:
                numbers[raw] = parse_cac_number(raw)
            except NumberError as e:
                numbers[raw] = e
        n = numbers[raw]
        if isinstance(n, NumberError):
            note("rejected", f"{n}; row not in the core tables", raw)
            continue
        for p in n.problems:
            note("flagged", p, n.number)
        code = n.region_code
        fix = corr.get((rec["registry"], n.number, "region_code"))
        if fix:
            code = str(fix[0])
            note(
                "repaired",
                f"region code {n.region_code} -> {code} (corrections.csv: {fix[1]})",
                n.number,
            )
        reg = region(code)
        if not reg.valid:
            note(
                "flagged",
                f"region prefix {code} is not a GB/T 2260 province; province 'unknown'",
                n.number,
            )
        rec.update(
            filing_number=n.number,
            region_code=code if reg.valid else None,
            filing_year=n.filing_year,
            serial=n.serial,
            province_code=reg.province_code,
            city_code=reg.city_code,
            city_zh=reg.city_zh,
            city_en=reg.city_en,
            district_code=reg.district_code,
            district_zh=reg.district_zh,
            lon=reg.lon,
            lat=reg.lat,
        )
        out.append(rec)
    return pd.DataFrame(out)


_CORRECTIONS: dict[tuple[str, str], pd.DataFrame] = {}


def load_corrections(path: Path | None = None) -> pd.DataFrame:
    """data/curated/corrections.csv (reviewed repairs to the official lists, a reason per row).
    Read and checked once per process and content (`registry add` reads it for its report and
    for the build); the frame is shared: read it, do not change it."""
    path = Path(path or paths.DATA / "curated" / "corrections.csv")
    if not path.exists():
        return pd.DataFrame(columns=columns("corrections"))
    k = (str(path.resolve()), hashlib.sha256(path.read_bytes()).hexdigest())
    if k not in _CORRECTIONS:
        _CORRECTIONS[k] = read_curated("corrections", path)
    return _CORRECTIONS[k]


def refuse(problems: list[str]) -> None:
    """Stop before any table is written if a raw file differs from its recorded checksum."""
    if len(problems) == 1:
        raise BuildError(f"refusing to build the registry: {problems[0]}")
    if problems:
        head = f"refusing to build the registry from {len(problems)} changed raw files:"
        raise BuildError("\n".join([head, *problems]))


def enrich_stage(corrections_path: Path | None = None) -> str:
    """Version of a CAC list's enrichment (the parse cache's ``stage``): the corrections table
    and the geography (code, reference files, the cpca and pypinyin releases it reads)."""
    path = Path(corrections_path or paths.DATA / "curated" / "corrections.csv")
    h = hashlib.sha256(path.read_bytes() if path.exists() else b"")
    h.update(geography_version().encode())
    return "cac_enriched:" + h.hexdigest()


def regions_name() -> str:
    """The parse cache's name for the regions resolved so far (geography.py's memo)."""
    return "regions:" + geography_version()


def load_regions(cache: ParseCache) -> int:
    """Remember the regions a build kept in ``cache``; returns how many."""
    known = cache.get_named(regions_name()) or {}
    remember_regions(known)
    return sum(map(len, known.values()))


def keep_regions(cache: ParseCache, before: int) -> None:
    """Keep the regions resolved in this process (and its workers') in ``cache``."""
    known = resolved_regions()
    if sum(map(len, known.values())) > before:
        cache.put_named(regions_name(), known)
    else:
        cache.keep_named(regions_name())


def parse_and_enrich(args: tuple):
    """One CAC list parsed (unless its parse is given) and enriched (run in a worker process).
    ``args``: source, raw folder, checked bytes, cached parse or None, corrections, file names,
    regions resolved before. Returns (parse, enrichment, regions): parse_docx's (rows, issues,
    problem), and ((the parsed columns, row count, parse issues), (enriched rows, the
    enrichment's issues)), or None with a problem; and the regions resolved."""
    src, raw_dir, data, parsed, corrections, file_of, regions = args
    remember_regions(regions)
    if parsed is None:
        parsed = parse_docx((src, raw_dir, data))
    df, iss, problem = parsed
    if problem:
        return parsed, None, {}
    more: list[Issue] = []
    rows = enrich_cac(df, corrections, more, file_of) if len(df) else df
    name_every_city()  # once per process: a later list's new city needs no pypinyin
    new = {
        part: {k: v for k, v in values.items() if k not in regions.get(part, ())}
        for part, values in resolved_regions().items()
    }
    return parsed, ((df.iloc[:0], len(df), list(iss)), (rows, more)), new


def parse_all(
    sources: list[Source],
    raw_dir: Path,
    jobs: int | None = None,
    corrections_path: Path | None = None,
    cache: ParseCache | None = None,
    parts: dict | None = None,
):
    """Parse every registry source. Returns (listings, batch metadata, issues). Every raw
    file's bytes are checked against its recorded sha256 first; a file whose parse is in the
    cache (registry/parse_cache.py) is not parsed again. ``parts`` gets where each kind of
    issue ends in ``issues``: ``cac_parse`` (the Word lists' parse issues), ``cac_enrich``
    (their enrichment's), ``listings`` (the generative-AI lists' after them)."""
    corrections = load_corrections(corrections_path)
    cache = cache or ParseCache(None)
    issues: list[Issue] = []
    docx_sources = [s for s in sources if s.format == "cac_docx"]
    for s in sources:
        if not s.raw_path(raw_dir).exists():
            raise BuildError(f"[{s.id}] raw file {s.raw_path(raw_dir)} missing: {restore_hint(s)}")
    data = {}
    problems = []
    for s in sources:  # checked before any parsing starts; the bytes hashed are the bytes parsed
        if s.format in ("cac_docx", "genai_json", *GENAI_TABLE_FORMATS):
            data[s.id], problem = read_checked(s, raw_dir)
            problems += [problem] if problem else []
    refuse(problems)
    file_of = file_names(sources)
    # per CAC list: its parse (parse_docx) and the parse's enrichment (enrich_cac: number,
    # region, corrections), each cached apart; a list whose enrichment is cached is not read
    stage = enrich_stage(corrections_path)
    enriched: dict[str, tuple] = {}
    todo = []
    for s in docx_sources:
        hit = cache.get(s, stage)
        if hit is not None:
            enriched[s.id] = hit
            cache.keep(s)  # its parse stays cached for a later change of the enrichment
        else:
            todo.append(s)
    if todo:  # the regions resolved by earlier builds: no pypinyin for a code seen before
        before = load_regions(cache)
        known = resolved_regions()
    else:
        cache.keep_named(regions_name())
    args = [(s, raw_dir, data[s.id], cache.get(s), corrections, file_of, known) for s in todo]
    jobs = jobs or min(len(todo), os.cpu_count() or 1, 4)
    if jobs > 1 and sum(a[3] is None for a in args) > 2:  # a pool costs more for a few files
        with ProcessPoolExecutor(jobs) as ex:
            fresh = list(ex.map(parse_and_enrich, args))
    else:
        fresh = [parse_and_enrich(a) for a in args]
    refuse([result[2] for result, _, _ in fresh if result[2]])
    for s, (result, done, regions) in zip(todo, fresh, strict=True):
        cache.put(s, result)
        cache.put(s, done, stage)
        enriched[s.id] = done
        remember_regions(regions)
    if todo:
        keep_regions(cache, before)
    heads, frames, parsed_rows, cac_issues = [], [], 0, []
    for s in docx_sources:  # parse issues of every list first, then the enrichment's
        (head, n, iss), (rows, more) = enriched[s.id]
        heads.append(head)
        frames += [rows] if len(rows) else []
        parsed_rows += n
        issues.extend(iss)
        cac_issues.extend(more)
    if parts is not None:
        parts["cac_parse"] = len(issues)
    issues.extend(cac_issues)
    if parts is not None:
        parts["cac_enrich"] = len(issues)
    if not parsed_rows:  # no rows: the parsed columns
        cac = pd.concat(heads, ignore_index=True) if heads else pd.DataFrame()
    else:  # every row rejected: no columns
        cac = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    meta = [batch_meta(s) for s in docx_sources]
    genai_frames = []
    for s in sources:
        if s.format != "genai_json":
            continue
        g = cache.get(s)
        if g is None:
            g = read_genai_json(s.raw_path(raw_dir), source_id=s.id, data=data[s.id])
            cache.put(s, g)
        issues.extend(g.issues)
        rows = g.rows.assign(source_id=s.id)
        genai_frames.append(rows)
        for b in g.batches.to_dict("records"):
            for reg in sorted(rows.loc[rows["batch"] == b["batch"], "registry"].unique()):
                meta.append(
                    {
                        "registry": reg,
                        "batch": b["batch"],
                        "source_id": s.id,
                        "title": b["title"],
                        "announcement_url": b["announcement_url"],
                        "announcement_date": None,
                    }
                )
    compiled = {b for f in genai_frames for b in f["batch"].unique()}
    for s in sources:
        if s.format in GENAI_TABLE_FORMATS:
            rows, table_meta = parse_genai_table(s, raw_dir, data[s.id], compiled, issues, cache)
            genai_frames.append(rows)
            meta += table_meta
    genai = pd.concat(genai_frames, ignore_index=True) if genai_frames else pd.DataFrame()
    listings = pd.concat([cac, genai], ignore_index=True)
    if parts is not None:
        parts["listings"] = len(issues)
    return listings, pd.DataFrame(meta), issues


def batch_meta(src: Source) -> dict:
    """A CAC list's row of batch metadata."""
    return {
        "registry": src.registry,
        "batch": src.batch,
        "source_id": src.id,
        "title": src.title,
        "announcement_url": src.announcement_url,
        "announcement_date": src.announcement_date,
    }


def parse_genai_table(
    src: Source,
    raw_dir: Path,
    data: bytes | None,
    compiled: set[str],
    issues: list[Issue],
    cache: ParseCache | None = None,
) -> tuple[pd.DataFrame, list[dict]]:
    """Rows and batch metadata of a generative-AI list in Word/Excel (``registry add``). A batch
    the compiled JSON also holds is taken from the JSON (its rows here are dropped and noted):
    a filing listed in both is one filing, its batch counted once."""
    path = src.raw_path(raw_dir)
    cache = cache or ParseCache(None)
    g = cache.get(src)
    if g is None:
        g = read_genai_tables(path, source_id=src.id, batch=src.batch, data=data)
        cache.put(src, g)
    issues.extend(g.issues)

    def note(action: str, reason: str) -> None:
        issues.append(Issue(src.id, path.name, None, None, src.batch, action, reason, None))

    if g.title_batch and src.batch and g.title_batch != src.batch:
        note(
            "flagged",
            f"title says batch {g.title_batch}; manifest says batch {src.batch}; manifest used",
        )
    if g.batch in compiled:
        note(
            "note",
            f"batch {g.batch} is also in the compiled generative-AI JSON; its {len(g.rows)} rows "
            "are taken from there (this file's are not counted twice)",
        )
        return pd.DataFrame(), []
    rows = g.rows.assign(source_id=src.id)
    meta = [
        {
            "registry": reg,
            "batch": g.batch,
            "source_id": src.id,
            "title": src.title,
            "announcement_url": src.announcement_url,
            "announcement_date": src.announcement_date or None,
        }
        for reg in sorted(rows["registry"].unique())
    ]
    return rows, meta


def parse_cancellations(
    sources: list[Source], raw_dir: Path, issues: list[Issue]
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Rows of the cancellation notices among ``sources`` (checksums checked first), and the file
    name of each source; parse issues go to ``issues``. The join is registry/assemble.py's."""
    srcs = [s for s in sources if s.format in cancellations.FORMATS]
    refuse([problem for s in srcs for problem in [read_checked(s, raw_dir)[1]] if problem])
    try:
        rows, parse_issues = cancellations.read_sources(srcs, raw_dir)
    except cancellations.CancelFormatError as e:
        raise BuildError(f"{e}; fix the file or its manifest entry") from e
    issues.extend(parse_issues)
    return rows, file_names(srcs)


def file_names(sources: list[Source]) -> dict[str, str]:
    """source id -> file name (the data-quality table names the file)."""
    return {s.id: Path(s.path).name for s in sources}
