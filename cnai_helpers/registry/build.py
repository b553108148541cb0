"""Build the core tables from the raw files: listings -> filings, entities, batches, data quality.

Output: ``data/processed/{listings,filings,entities,batches,data_quality}.parquet``, the same
tables in ``data/processed/registry.duckdb``, and ``build_info.json`` with the fingerprint of the
inputs (recorded and actual checksums of the raw files, parser code, corrections table). Every
raw file is hashed as it is read for parsing and must match its sha256 in the manifest (or
``data/local_sources.yaml``): a changed file is refused, whatever ``.verified.json`` says. The
whole folder is swapped in atomically: a failed build leaves the last good one in place.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pandas as pd

from .. import paths
from ..atomic import atomic_dir
from ..errors import CnaiError
from ..manifest import Source, mismatch_message, restore_hint
from . import REGISTRIES, cancellations
from .docx_lists import read_cac_docx
from .fingerprint import current_fingerprint, fingerprint, registry_sources
from .genai import read_genai_json
from .geography import province_names, region
from .numbers import NumberError, name_key, parse_cac_number
from .quality import Issue, to_frame
from .schemas import SCHEMAS


class BuildError(CnaiError, RuntimeError):
    pass


# ---------------------------------------------------------------- parsing


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


def _parse_docx(args):
    src, raw_dir = args
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


def _enrich_cac(
    df: pd.DataFrame, corrections: pd.DataFrame, issues: list[Issue], file_of: dict[str, str]
) -> pd.DataFrame:
    out = []
    corr = {
        (r.registry, r.filing_number, r.field): (r.value, r.reason)
        for r in corrections.itertuples()
    }
    for rec in df.to_dict("records"):
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

        try:
            n = parse_cac_number(rec["filing_number_raw"])
        except NumberError as e:
            note("rejected", f"{e}; row not in the core tables", rec["filing_number_raw"])
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


def load_corrections(path: Path | None = None) -> pd.DataFrame:
    """data/corrections.csv (reviewed repairs to the official lists, a reason per row)."""
    path = Path(path or paths.DATA / "corrections.csv")
    if not path.exists():
        return pd.DataFrame(columns=["registry", "filing_number", "field", "value", "reason"])
    return pd.read_csv(path, dtype=str)


def _refuse(problems: list[str]) -> None:
    """Stop before any table is written if a raw file differs from its recorded checksum."""
    if len(problems) == 1:
        raise BuildError(f"refusing to build the registry: {problems[0]}")
    if problems:
        head = f"refusing to build the registry from {len(problems)} changed raw files:"
        raise BuildError("\n".join([head, *problems]))


def parse_all(
    sources: list[Source],
    raw_dir: Path,
    jobs: int | None = None,
    corrections_path: Path | None = None,
):
    """Parse every registry source. Returns (listings, batch metadata, issues)."""
    corrections = load_corrections(corrections_path)
    issues: list[Issue] = []
    docx_sources = [s for s in sources if s.format == "cac_docx"]
    for s in sources:
        if not s.raw_path(raw_dir).exists():
            raise BuildError(f"[{s.id}] raw file {s.raw_path(raw_dir)} missing: {restore_hint(s)}")
    genai_data = {}
    problems = []
    for s in sources:  # checked before any parsing starts; the bytes hashed are the bytes parsed
        if s.format == "genai_json":
            genai_data[s.id], problem = read_checked(s, raw_dir)
            problems += [problem] if problem else []
    _refuse(problems)
    args = [(s, raw_dir) for s in docx_sources]
    jobs = jobs or min(len(args), os.cpu_count() or 1, 4)
    if jobs > 1 and len(args) > 1:
        with ProcessPoolExecutor(jobs) as ex:
            parsed = list(ex.map(_parse_docx, args))
    else:
        parsed = [_parse_docx(a) for a in args]
    _refuse([problem for _, _, problem in parsed if problem])
    frames = []
    for df, iss, _ in parsed:
        frames.append(df)
        issues.extend(iss)
    file_of = {s.id: Path(s.path).name for s in sources}
    cac = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    cac = _enrich_cac(cac, corrections, issues, file_of) if len(cac) else cac

    batch_meta = [
        {
            "registry": s.registry,
            "batch": s.batch,
            "source_id": s.id,
            "title": s.title,
            "announcement_url": s.announcement_url,
            "announcement_date": s.announcement_date,
        }
        for s in docx_sources
    ]
    genai_frames = []
    for s in sources:
        if s.format != "genai_json":
            continue
        g = read_genai_json(s.raw_path(raw_dir), source_id=s.id, data=genai_data[s.id])
        issues.extend(g.issues)
        rows = g.rows.assign(source_id=s.id)
        genai_frames.append(rows)
        for b in g.batches.to_dict("records"):
            for reg in sorted(rows.loc[rows["batch"] == b["batch"], "registry"].unique()):
                batch_meta.append(
                    {
                        "registry": reg,
                        "batch": b["batch"],
                        "source_id": s.id,
                        "title": b["title"],
                        "announcement_url": b["announcement_url"],
                        "announcement_date": None,
                    }
                )
    genai = pd.concat(genai_frames, ignore_index=True) if genai_frames else pd.DataFrame()
    listings = pd.concat([cac, genai], ignore_index=True)
    return listings, pd.DataFrame(batch_meta), issues


# ---------------------------------------------------------------- core tables

LISTING_COLUMNS = [
    "registry",
    "batch",
    "source_id",
    "source_row",
    "seq",
    "filing_number",
    "filing_key",
    "algorithm_name",
    "role_or_category",
    "entity_name",
    "entity_key",
    "application_product",
    "main_use",
    "remarks",
    "region_code",
    "province_code",
    "province_zh",
    "province_en",
    "city_code",
    "city_zh",
    "city_en",
    "district_code",
    "district_zh",
    "lon",
    "lat",
    "filing_year",
    "serial",
    "filing_date",
    "filing_date_note",
    "locality_zh",
    "scene",
    "number_kind",
    "name_token",
]


def _finish_listings(lst: pd.DataFrame, issues: list[Issue]) -> pd.DataFrame:
    for c in LISTING_COLUMNS:
        if c not in lst.columns:
            lst[c] = None
    lst["filing_key"] = lst["filing_number"].map(name_key)
    lst["entity_key"] = lst["entity_name"].map(name_key)
    # a stray leading character on a company name: the key minus its first character is a
    # known entity that files elsewhere -> use that entity
    counts = lst["entity_key"].value_counts()
    known = set(counts.index)
    for key in counts[counts <= 2].index:
        if len(key) > 6 and key[1:] in known and counts[key[1:]] >= 1:
            mask = lst["entity_key"] == key
            for r in lst[mask].itertuples():
                issues.append(
                    _row_issue(
                        r,
                        "repaired",
                        f"entity name {r.entity_name!r} has a stray "
                        f"leading character; matched to {key[1:]!r}",
                    )
                )
            lst.loc[mask, "entity_key"] = key[1:]
            lst.loc[mask, "entity_name"] = lst.loc[mask, "entity_name"].str[1:]
    names = province_names()
    lst["province_zh"] = lst["province_code"].map(lambda c: names.get(c, {}).get("zh"))
    lst["province_en"] = lst["province_code"].map(lambda c: names.get(c, {}).get("en"))
    lst["filing_year"] = pd.array(lst["filing_year"], dtype="Int64")
    lst["source_row"] = lst["source_row"].astype(int)
    lst["lon"] = lst["lon"].astype(float)
    lst["lat"] = lst["lat"].astype(float)
    for c in LISTING_COLUMNS:
        if c not in ("source_row", "filing_year", "lon", "lat"):
            lst[c] = lst[c].astype(object).where(lst[c].notna(), None)
    return lst[LISTING_COLUMNS].sort_values(
        ["registry", "batch", "source_id", "source_row"], ignore_index=True
    )


def _row_issue(r, action: str, reason: str, batch: str | None = None) -> Issue:
    """A data-quality record for one listing row (a namedtuple from ``itertuples``)."""
    return Issue(
        r.source_id,
        r.source_id,
        r.source_row,
        r.registry,
        batch or r.batch,
        action,
        reason,
        r.filing_number,
    )


def make_filings(lst: pd.DataFrame, issues: list[Issue]) -> pd.DataFrame:
    lst = lst.sort_values(["registry", "filing_key", "batch", "source_row"])
    dup_in_batch = lst.duplicated(["registry", "filing_key", "batch"], keep="first")
    for r in lst[dup_in_batch].itertuples():
        issues.append(
            _row_issue(r, "flagged", "filing number listed twice in the same batch; counted once")
        )
    grp = lst.groupby(["registry", "filing_key"], sort=False)
    batches = grp["batch"].agg(lambda b: ";".join(sorted(set(b))))
    first = lst.drop_duplicates(["registry", "filing_key"], keep="first").set_index(
        ["registry", "filing_key"]
    )
    first = first.rename(columns={"batch": "first_batch"})
    first["batches"] = batches
    first["n_batches"] = batches.str.count(";") + 1
    first["n_listings"] = grp.size()
    for r in first[first["n_batches"] > 1].reset_index().itertuples():
        issues.append(
            _row_issue(
                r,
                "flagged",
                f"filing listed in {r.n_batches} batches ({r.batches}); "
                "counted once, in its first batch",
                batch=r.first_batch,
            )
        )
    return first.reset_index().sort_values(
        ["registry", "first_batch", "filing_key"], ignore_index=True
    )


def _mode(df: pd.DataFrame, key: str, col: str) -> pd.Series:
    """Most frequent value of ``col`` per ``key`` (ties: the first in sort order), vectorised."""
    c = df.groupby([key, col], dropna=False).size().rename("n").reset_index()
    c = c.sort_values([key, "n", col], ascending=[True, False, True], kind="stable")
    return c.drop_duplicates(key).set_index(key)[col]


def make_entities(filings: pd.DataFrame) -> pd.DataFrame:
    f = filings
    counts = pd.crosstab(f["entity_key"], f["registry"])
    for reg in REGISTRIES:
        if reg not in counts.columns:
            counts[reg] = 0
    counts = counts[list(REGISTRIES)].add_prefix("n_")
    name = _mode(f, "entity_key", "entity_name")
    prov = _mode(f, "entity_key", "province_code")
    nprov = f.groupby("entity_key")["province_code"].nunique()
    first = f.groupby("entity_key")["first_batch"].min()
    out = pd.DataFrame(
        {"entity_name": name, "province_code": prov, "n_provinces": nprov, "first_batch": first}
    ).join(counts)
    out["n_filings"] = counts.sum(axis=1)
    names = province_names()
    out["province_en"] = out["province_code"].map(lambda c: names.get(c, {}).get("en"))
    return out.reset_index().sort_values("n_filings", ascending=False, ignore_index=True)


def make_batches(lst: pd.DataFrame, filings: pd.DataFrame, meta: pd.DataFrame) -> pd.DataFrame:
    rows = lst.groupby(["registry", "batch"]).size().rename("rows")
    new = filings.groupby(["registry", "first_batch"]).size()
    new.index = new.index.set_names(["registry", "batch"])
    b = meta.drop_duplicates(["registry", "batch"]).set_index(["registry", "batch"])
    b = b.join(rows, how="outer").join(new.rename("new_filings"), how="outer")
    b[["rows", "new_filings"]] = b[["rows", "new_filings"]].fillna(0).astype(int)
    b = b.reset_index().sort_values(["registry", "batch"], ignore_index=True)
    b["cumulative_filings"] = b.groupby("registry")["new_filings"].cumsum().astype(int)
    return b


def build_tables(
    sources: list[Source],
    raw_dir: Path,
    jobs: int | None = None,
    corrections_path: Path | None = None,
) -> dict[str, pd.DataFrame]:
    lst, meta, issues = parse_all(sources, raw_dir, jobs, corrections_path)
    lst = _finish_listings(lst, issues)
    filings = make_filings(lst, issues)
    cancels, filings = _cancellations(sources, raw_dir, filings, issues)
    tables = {
        "listings": lst,
        "filings": filings,
        "entities": make_entities(filings),
        "batches": make_batches(lst, filings, meta),
        "data_quality": to_frame(issues),
        "cancellations": cancels,
    }
    for name, schema in SCHEMAS.items():
        try:
            tables[name] = schema.validate(tables[name], lazy=True)
        except Exception as e:  # pandera SchemaErrors: report which table and checks
            raise BuildError(f"core table {name!r} failed validation:\n{e}") from e
    return tables


def _cancellations(sources, raw_dir, filings, issues):
    """The cancellations table, and ``filings.cancelled_month`` (see registry/cancellations.py)."""
    srcs = [s for s in sources if s.format in cancellations.FORMATS]
    _refuse([problem for s in srcs for problem in [read_checked(s, raw_dir)[1]] if problem])
    try:
        rows, parse_issues = cancellations.read_sources(srcs, raw_dir)
    except cancellations.CancelFormatError as e:
        raise BuildError(f"{e}; fix the file or its manifest entry") from e
    issues.extend(parse_issues)
    file_of = {s.id: Path(s.path).name for s in srcs}
    return cancellations.join_cancellations(rows, filings, issues, file_of)


def write_tables(
    tables: dict[str, pd.DataFrame],
    out_dir: Path,
    info: dict,
    before_swap: Callable[[], None] | None = None,
) -> None:
    """Write the tables into a fresh folder and swap it in; ``before_swap`` runs just before."""
    import duckdb

    with atomic_dir(out_dir) as tmp:
        for name, df in tables.items():
            df.to_parquet(tmp / f"{name}.parquet", index=False)
        con = duckdb.connect(str(tmp / "registry.duckdb"))
        try:
            for name in tables:
                con.execute(
                    f"CREATE TABLE {name} AS SELECT * FROM "
                    f"read_parquet('{(tmp / f'{name}.parquet').as_posix()}')"
                )
        finally:
            con.close()
        (tmp / "build_info.json").write_text(json.dumps(info, indent=1, ensure_ascii=False))
        if before_swap is not None:
            before_swap()


def build(
    raw_dir: Path | None = None,
    out_dir: Path | None = None,
    manifest: Path | None = None,
    jobs: int | None = None,
    force: bool = True,
    sources: list[Source] | None = None,
    before_swap: Callable[[], None] | None = None,
) -> dict:
    """Build the core tables. ``sources`` replaces the manifest's registry sources (``registry
    add``/``remove`` build the new source list before recording it, in ``before_swap``)."""
    raw_dir = Path(raw_dir or paths.RAW)
    out_dir = Path(out_dir or paths.PROCESSED)
    corrections = paths.DATA / "corrections.csv"
    if sources is None:
        sources = registry_sources(manifest)
    fp = fingerprint(sources, raw_dir, corrections)
    if not force and current_fingerprint(out_dir) == fp:
        return json.loads((out_dir / "build_info.json").read_text())
    t0 = time.perf_counter()
    tables = build_tables(sources, raw_dir, jobs, corrections)
    info = {
        "fingerprint": fp,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "seconds": round(time.perf_counter() - t0, 2),
        "sources": {s.id: s.sha256 for s in sources},
        "rows": {k: len(v) for k, v in tables.items()},
        # per registry and province: lets light callers (site fan-out) avoid loading tables
        "filings_by_province": {
            reg: {k: int(v) for k, v in g["province_code"].value_counts().items()}
            for reg, g in tables["filings"].groupby("registry")
        },
    }
    write_tables(tables, out_dir, info, before_swap)
    return info
