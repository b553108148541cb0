"""The `cnai` command line: data, registry and reports."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from typer.core import TyperGroup

from . import paths
from .errors import CnaiError

console = Console()
err = Console(stderr=True)


def debug_enabled(ctx: typer.Context | None = None) -> bool:
    """`cnai --debug …` or CNAI_DEBUG=1: show tracebacks of expected errors."""
    flag = bool(ctx and ctx.params.get("debug"))
    return flag or os.environ.get("CNAI_DEBUG", "").strip().lower() not in ("", "0", "false", "no")


NO_SPACE = (errno.ENOSPC, errno.EDQUOT)


def expected_error_message(e: BaseException) -> str | None:
    """The one or two lines to print for an expected error; None for a bug (keep the traceback)."""
    if isinstance(e, CnaiError):
        return str(e)
    # a full disk, whichever library noticed (OSError from Python and pyarrow, duckdb's own)
    if (isinstance(e, OSError) and e.errno in NO_SPACE) or "No space left on device" in str(e):
        # a copy's error names its source as filename and what it was writing as filename2
        target = getattr(e, "filename2", None) or getattr(e, "filename", None)
        where = f" writing {target}" if target else ""
        return (
            f"no space left on the device{where}: free some space and run the command again "
            "(writes are atomic: the last good tables and pages are kept)"
        )
    if isinstance(e, OSError) and e.filename is not None:  # a project file or folder
        name = f"{e.filename} -> {e.filename2}" if e.filename2 is not None else str(e.filename)
        return (
            f"cannot use {name}: {e.strerror or type(e).__name__}\n"
            "Check that the path exists, is a folder where a folder is expected (not a file) "
            "and that you may read and write it."
        )
    return None


class CnaiGroup(TyperGroup):
    """The root command: every subcommand runs inside this ``invoke``, so an expected error
    raised anywhere (see cnai_helpers/errors.py) ends as a clean message and exit code 1."""

    def invoke(self, ctx):  # noqa: D102
        try:
            return super().invoke(ctx)
        except Exception as e:  # noqa: BLE001 - anything not recognised is re-raised below
            message = expected_error_message(e)
            if message is None or debug_enabled(ctx):
                raise
            err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None


app = typer.Typer(
    cls=CnaiGroup,
    help="cnai: reproducible research on China's AI industry.",
    no_args_is_help=True,
)


@app.callback()
def _root(
    debug: Annotated[
        bool,
        typer.Option("--debug", help="Show the traceback of expected errors (also: CNAI_DEBUG=1)"),
    ] = False,
) -> None:
    """cnai: reproducible research on China's AI industry."""


def safe_streams() -> None:
    """Under a locale whose encoding cannot write Chinese (``LANG=C`` where Python does not
    switch to UTF-8, ``PYTHONIOENCODING=ascii``), print escapes instead of failing with
    UnicodeEncodeError: file names, filers and titles are Chinese."""
    import sys

    for stream in (sys.stdout, sys.stderr):
        try:
            "网信".encode(getattr(stream, "encoding", None) or "ascii")
        except (UnicodeEncodeError, LookupError):
            with contextlib.suppress(AttributeError, ValueError):
                stream.reconfigure(errors="backslashreplace")


def main() -> None:
    """Console-script entry point (pyproject.toml ``[project.scripts]``)."""
    safe_streams()
    app(prog_name="cnai")


data_app = typer.Typer(
    help="Raw data: pull and verify the files in data/sources.yaml.", no_args_is_help=True
)
app.add_typer(data_app, name="data")


def fail(message: str, code: int = 1) -> None:
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def _terminated(signum, frame):
    raise KeyboardInterrupt(signal.Signals(signum).name)


@contextmanager
def writing(command: str) -> Iterator[None]:
    """Run a command that writes data/: the one-writer lock (cnai_helpers/writelock.py), and
    SIGTERM unwinding like Ctrl-C, so that the command's rollback runs and its parser workers
    are stopped (the default action of SIGTERM would kill it mid-write)."""
    from .writelock import data_writer

    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _terminated)
    try:
        with data_writer(command):
            yield
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


@data_app.command("pull")
def data_pull(
    mirror: Annotated[
        str | None,
        typer.Option(
            help="Folder mirroring shared/data/raw (default: $CNAI_DATA_MIRROR, else upstream URLs)"
        ),
    ] = None,
    only: Annotated[
        list[str] | None, typer.Option(help="Pull only this source id (repeatable)")
    ] = None,
    manifest: Annotated[Path | None, typer.Option(help="Manifest file")] = None,
    raw_dir: Annotated[Path | None, typer.Option(help="Destination (default data/raw)")] = None,
) -> None:
    """Fetch every source, verify sha256 and write it atomically into data/raw/."""
    from .manifest import ManifestError, load_manifest
    from .pull import PullError, pull

    try:
        sources = load_manifest(manifest)
        with writing("data pull"):
            results = pull(sources, raw_dir=raw_dir, mirror=mirror, only=only)
    except (ManifestError, PullError) as e:
        fail(str(e))
    counts = {k: sum(r.status == k for r in results) for k in ("fetched", "skipped", "failed")}
    for r in results:
        if r.status == "failed":
            err.print(f"[red]FAILED[/] {escape(r.message)}", highlight=False, soft_wrap=True)
    console.print(
        f"{counts['fetched']} fetched, {counts['skipped']} already verified, "
        f"{counts['failed']} failed ({len(results)} sources)"
    )
    if counts["failed"]:
        raise typer.Exit(1)


@data_app.command("status")
def data_status(
    manifest: Annotated[Path | None, typer.Option(help="Manifest file")] = None,
    raw_dir: Annotated[Path | None, typer.Option(help="Raw folder (default data/raw)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output")] = False,
) -> None:
    """Table of sources: present, verified, licence."""
    from .manifest import load_manifest
    from .pull import is_verified, load_stamps

    raw = Path(raw_dir or paths.RAW)
    sources = load_manifest(manifest)
    stamps = load_stamps(raw)
    rows = []
    for s in sources:
        present = s.raw_path(raw).exists()
        rows.append(
            {
                "id": s.id,
                "format": s.format,
                "present": present,
                "verified": present and is_verified(s, raw, stamps),
                "licence": s.licence,
                "path": s.path,
            }
        )
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    t = Table(title=f"cnai sources ({raw})")
    for c in ("id", "format", "present", "verified", "licence"):
        t.add_column(c, overflow="fold")
    for r in rows:
        t.add_row(
            r["id"],
            r["format"],
            "yes" if r["present"] else "[red]no[/]",
            "yes" if r["verified"] else "[red]no[/]",
            r["licence"][:40],
        )
    console.print(t)
    n_ok = sum(r["verified"] for r in rows)
    console.print(
        f"{n_ok}/{len(rows)} verified (fast check of size, times and inode; "
        "`cnai data verify` re-hashes every file)"
    )


@data_app.command("verify")
def data_verify(
    manifest: Annotated[Path | None, typer.Option(help="Manifest file")] = None,
    raw_dir: Annotated[Path | None, typer.Option(help="Raw folder (default data/raw)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output")] = False,
) -> None:
    """Re-hash every raw file against its sha256 (never trusting the stamp file); exit 1 if any
    file is missing or differs."""
    from dataclasses import asdict

    from .manifest import load_manifest
    from .pull import verify

    sources = load_manifest(manifest)
    with writing("data verify"):  # it refreshes the stamp file
        results = verify(sources, raw_dir)
    bad = [r for r in results if r.status != "ok"]
    if as_json:
        print(json.dumps([asdict(r) for r in results], ensure_ascii=False, indent=1))
    else:
        for r in bad:
            err.print(
                f"[red]{r.status.upper()}[/] {escape(r.message)}", highlight=False, soft_wrap=True
            )
        console.print(
            f"{len(results) - len(bad)}/{len(results)} sources match their sha256"
            + (f"; {len(bad)} missing or changed (the fix is on each line above)" if bad else ""),
            soft_wrap=True,
        )
    if bad:
        raise typer.Exit(1)


@data_app.command("hash")
def data_hash(file: Path) -> None:
    """Print sha256 and size of a file (for a new manifest entry)."""
    from .manifest import sha256_file

    if not file.is_file():
        fail(f"{file}: no such file")
    print(f"sha256: {sha256_file(file)}\nsize: {file.stat().st_size}")


registry_app = typer.Typer(
    help="The CAC registry database: build, stats, add a new list.", no_args_is_help=True
)
app.add_typer(registry_app, name="registry")


@registry_app.command("build")
def registry_build(
    force: Annotated[bool, typer.Option(help="Rebuild even if inputs are unchanged")] = False,
    jobs: Annotated[int | None, typer.Option(help="Parallel parser processes")] = None,
) -> None:
    """Parse every registry source into the core tables in data/processed/."""
    from .manifest import ManifestError
    from .registry.build import BuildError, build

    try:
        with writing("registry build"):
            info = build(jobs=jobs, force=force)
    except (BuildError, ManifestError) as e:
        fail(str(e))
    rows = ", ".join(f"{k} {v}" for k, v in info["rows"].items())
    console.print(f"registry tables ({info['built_at']}, {info['seconds']} s): {rows}")


@registry_app.command("stats")
def registry_stats_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output")] = False,
) -> None:
    """Per registry and batch: rows, new unique filings, cumulative unique filings; per province."""
    from .loaders import load_batches, load_cancellations, load_filings
    from .registry.stats import registry_stats

    stats = registry_stats(load_filings(), load_batches(), load_cancellations())
    if as_json:
        print(json.dumps(stats, ensure_ascii=False, indent=1))
        return
    for reg, d in stats["registries"].items():
        t = Table(
            title=f"{reg}: {d['filings']} unique filings, {d['cancelled']} cancelled, "
            f"{d['active_filings']} active"
        )
        for c in ("batch", "rows", "new_filings", "cumulative_filings", "cancelled_to_date"):
            t.add_column(c, justify="right")
        for b in d["batches"]:
            t.add_row(
                b["batch"],
                str(b["rows"]),
                str(b["new_filings"]),
                str(b["cumulative_filings"]),
                str(b["cancelled_to_date"]),
            )
        console.print(t)
        top = sorted(d["by_province"].items(), key=lambda kv: -kv[1])[:8]
        console.print("  top provinces: " + ", ".join(f"{k} {v}" for k, v in top))
    c = stats["cancellations"]
    console.print(
        f"cancellations: {c['total']} ({', '.join(f'{k} {v}' for k, v in c['by_registry'].items())}"
        f"); in no published list {c['not_listed']}; series field disagrees "
        f"{c['series_mismatch']}; listed in both registries {c['listed_in_both']}"
    )


@registry_app.command("search")
def registry_search(
    text: Annotated[
        str, typer.Argument(help="Filer (Chinese or pinyin), product, algorithm or filing number")
    ],
    registry: Annotated[
        str | None, typer.Option(help="Only this registry (deep_synthesis, genai_filings, ...)")
    ] = None,
    province: Annotated[
        str | None, typer.Option(help="Only this province: code (11), English or Chinese name")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output")] = False,
    limit: Annotated[int, typer.Option(min=0, help="Rows shown in the table (0: all)")] = 50,
) -> None:
    """Find filings as the site's explorer does: every word of TEXT must occur in the filing's
    number, algorithm or service name, product, or its filer's names (characters, pinyin or
    initials)."""
    from .filers import search
    from .loaders import load_filings
    from .registry import REGISTRIES

    if registry is not None and registry not in REGISTRIES:
        fail(f"--registry {registry!r}: choose from {', '.join(REGISTRIES)}", code=2)
    found = search(load_filings(), text, registry=registry, province=province)
    found = found.sort_values(["first_batch", "filing_number"], ascending=[False, True])
    cols = [
        "registry",
        "filing_number",
        "first_batch",
        "entity_name",
        "filer_id",
        "algorithm_name",
        "application_product",
        "province_code",
        "province_en",
        "city_en",
        "role_or_category",
        "org_type",
        "sector",
        "cancelled_month",
    ]
    if as_json:
        rows = found[cols].astype(object).where(found[cols].notna(), None).to_dict("records")
        print(
            json.dumps(
                {"query": text, "count": len(rows), "filings": rows}, ensure_ascii=False, indent=1
            )
        )
        return
    t = Table(title=f"{len(found)} filings match {text!r}")
    for c in (
        "filing number",
        "registry",
        "first listed",
        "filer",
        "algorithm or service",
        "province",
        "status",
    ):
        t.add_column(c, overflow="fold")
    shown = found if not limit else found.head(limit)
    for r in shown.itertuples():
        status = (
            f"cancelled {r.cancelled_month}"
            if isinstance(r.cancelled_month, str) and r.cancelled_month
            else "active"
        )
        t.add_row(
            r.filing_number,
            r.registry,
            r.first_batch,
            r.entity_name,
            r.algorithm_name,
            str(r.province_en if isinstance(r.province_en, str) else r.province_code),
            status,
        )
    console.print(t)
    if limit and len(found) > limit:
        console.print(f"{len(found) - limit} more: --limit 0 shows all, --json gives every field")


def _ingested(file: Path) -> bool:
    """Whether the manifest (with the local sources) now lists ``file``'s contents."""
    from .manifest import load_manifest, sha256_file

    try:
        sha = sha256_file(file)
        return any(s.sha256 == sha for s in load_manifest())
    except Exception:  # noqa: BLE001 - only for the message after an interrupt
        return False


@registry_app.command("add")
def registry_add(
    file: Path,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Parse and report only")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output")] = False,
    batch: Annotated[
        str | None, typer.Option(help="Batch month YYYY-MM (default: from the list's title)")
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Add a list that looks damaged (over 20% unreadable filing numbers, "
            "--batch contradicting the title)",
        ),
    ] = False,
) -> None:
    """Ingest a CAC Word list (境内…算法备案清单) or a generative-AI list in Word/Excel
    (生成式人工智能服务已备案和已登记信息) that the manifest does not know.

    A dry run of a list that would need --force prints its report and exits 1."""
    import re

    from .manifest import ManifestError
    from .registry.add import FROM_TABLES, AddError, add_file
    from .registry.build import BuildError
    from .registry.ensure import ensure_registry
    from .registry.failures import ListFormatError

    if batch is not None and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", batch):
        fail(f"--batch {batch!r}: expected YYYY-MM")
    try:
        if dry_run:  # a dry run only reads
            report = add_file(file, batch=batch, dry_run=True, existing=FROM_TABLES)
        else:  # a real add rebuilds anyway
            with writing("registry add"):
                ensure_registry()
                report = add_file(file, batch=batch, existing=FROM_TABLES, force=force)
    except (AddError, ListFormatError, BuildError, ManifestError) as e:
        fail(str(e))
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM: say whether the list made it in
        if not dry_run and _ingested(file):
            console.print(
                f"interrupted after {file} was added: its entry, its copy and the registry "
                "tables are in place (a parse cache left unwritten is rebuilt next time); "
                "run `cnai reports build` to update the reports",
                highlight=False,
            )
        else:
            console.print(
                f"interrupted: {file} was not added; nothing was changed", highlight=False
            )
        raise typer.Exit(130) from None
    refused = report["needs_force"] and not force
    if as_json:
        print(json.dumps(report, ensure_ascii=False, indent=1))
    else:
        verb = "would add" if dry_run else "added"
        parts = report.get("parts") or {report["registry"]: report}
        console.print(
            f"{verb} {report['registry']} batch {report['batch']}: "
            + "; ".join(
                f"{(reg + ' ') if 'parts' in report else ''}{p['rows']} rows, "
                f"{p['new_filings']} new filings, {p['known_filings']} already known"
                for reg, p in parts.items()
            )
            + f", {len(report['problems'])} problems"
            + (f" (source id {report['source_id']})" if report.get("source_id") else "")
        )
        for t in report.get("tables") or []:  # rows read per table (issue 29)
            name = t["table"] if isinstance(t["table"], str) else f"table {t['table']}"
            lost = f", {t['rows_not_read']} not read" if t.get("rows_not_read") else ""
            console.print(f"  {name}: {t['rows']} rows read{lost}", highlight=False)
        for p in report["problems"]:
            where = "whole list" if p["row"] is None else f"row {p['row']}"
            console.print(f"  {where}: {p['action']}: {escape(p['reason'])}", highlight=False)
    if refused:
        fail(f"{file}: would be refused: {'; '.join(report['needs_force'])}; pass --force")


@registry_app.command("remove")
def registry_remove(
    source_id: Annotated[str, typer.Argument(help="A source id recorded by `registry add`")],
) -> None:
    """Undo `registry add`: drop the local source, its copied file, and rebuild the tables."""
    from .manifest import ManifestError
    from .registry.add import AddError, remove_source
    from .registry.build import BuildError
    from .registry.failures import ListFormatError

    try:
        with writing("registry remove"):
            out = remove_source(source_id)
    except (AddError, BuildError, ManifestError, ListFormatError) as e:
        fail(str(e))
    where = f"; deleted {out['removed_file']}" if out["removed_file"] else ""
    console.print(f"removed local source {source_id}{where}; registry tables rebuilt")


@registry_app.command("add-cancellations")
def registry_add_cancellations(
    file: Path,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Parse and report only")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output")] = False,
) -> None:
    """Ingest a cancellation notice (注销公告) given as JSON or CSV rows; see README.md."""
    from .loaders import load_cancellations, load_filings
    from .registry.add_cancellations import AddCancellationsError, add_cancellations
    from .registry.build import BuildError
    from .registry.cancellations import CancelFormatError
    from .registry.ensure import ensure_registry

    try:
        if dry_run:  # a dry run only reads
            report = add_cancellations(file, load_filings(), load_cancellations(), dry_run=True)
        else:  # a real add rebuilds anyway
            with writing("registry add-cancellations"):
                ensure_registry()
                report = add_cancellations(file, load_filings(), load_cancellations())
    except (AddCancellationsError, CancelFormatError, BuildError) as e:
        fail(str(e))
    if as_json:
        print(json.dumps(report, ensure_ascii=False, indent=1))
        return
    verb = "would add" if dry_run else "added"
    regs = ", ".join(f"{k} {v}" for k, v in report["by_registry"].items())
    console.print(
        f"{verb} {report['cancelled']} cancellations from {report['notices']} notice(s) ({regs}); "
        f"{len(report['not_listed'])} in no published list, "
        f"{len(report['already_cancelled'])} already cancelled"
    )
    for p in report["problems"]:
        console.print(f"  record {p['row']}: {escape(p['reason'])}", highlight=False)


reports_app = typer.Typer(
    help="The report site: build notebooks into reports/.", no_args_is_help=True
)
app.add_typer(reports_app, name="reports")


@reports_app.command("list")
def reports_list(
    site: Annotated[Path | None, typer.Option(help="Site definition (default site.yaml)")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Machine-readable output (ids never wrapped)")
    ] = False,
) -> None:
    """The reports in the site definition, with their last build status."""
    from .reports.build import read_build
    from .reports.site import SiteError, load_site

    try:
        reports = load_site(site)
    except SiteError as e:
        fail(str(e))
    if as_json:
        rows = []
        for r in reports:
            b = read_build(paths.REPORTS, r.id)
            rows.append(
                {
                    "id": r.id,
                    "notebook": r.notebook,
                    "title": r.title,
                    "parameters": r.parameters,
                    "status": b.get("status", "not built"),
                    "built_at": b.get("built_at"),
                    "page": str(paths.REPORTS / r.id / "index.html"),
                }
            )
        print(json.dumps(rows, ensure_ascii=False, indent=1, default=str))
        return
    id_width = max((len(r.id) for r in reports), default=2)
    if console.width < id_width + 60:  # a narrow terminal: a table would break the ids, which
        for r in reports:  # are copied into --only; one report per line, the id first, whole
            b = read_build(paths.REPORTS, r.id)
            params = json.dumps(r.parameters, ensure_ascii=False)
            line = f"{r.id}  {b.get('status', 'not built')}  {r.notebook} {params}"
            console.print(escape(line), soft_wrap=True, highlight=False)
        return
    t = Table(title="cnai reports")
    t.add_column("id", no_wrap=True, min_width=id_width)
    for c in ("notebook", "parameters", "status"):
        t.add_column(c, overflow="fold")
    for r in reports:
        b = read_build(paths.REPORTS, r.id)
        t.add_row(
            r.id,
            r.notebook,
            json.dumps(r.parameters, ensure_ascii=False),
            b.get("status", "not built"),
        )
    console.print(t)


@reports_app.command("serve")
def reports_serve(
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port (0: any free one)")] = 8000,
    out: Annotated[Path | None, typer.Option(help="Site folder (default reports/)")] = None,
) -> None:
    """Serve the built site on http://127.0.0.1:PORT/ (search needs it: browsers block it on
    pages opened from disk). Ctrl-C stops it."""
    from .reports.serve import make_server

    site = (out or paths.REPORTS).expanduser().resolve()
    try:
        server = make_server(site, port)
    except FileNotFoundError as e:
        fail(str(e))
    except OSError as e:
        fail(f"cannot serve on 127.0.0.1:{port}: {e.strerror or e}; try --port 0", code=2)
    host, bound = server.server_address[:2]
    console.print(f"Serving {site} at http://{host}:{bound}/ (Ctrl-C to stop)", highlight=False)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        console.print("stopped", highlight=False)
    finally:
        server.server_close()


@reports_app.command("build")
def reports_build(
    only: Annotated[
        list[str] | None,
        typer.Option(help="Build only this report id (repeatable; * wildcards allowed)"),
    ] = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="Reports run in parallel")] = 1,
    force: Annotated[bool, typer.Option(help="Re-run even if nothing changed")] = False,
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param",
            "-p",
            help="KEY=VALUE parameter override for the selected reports; the result is a "
            "variant in <out>/_variants/<id>--<hash>/, never the published page",
        ),
    ] = None,
    site: Annotated[Path | None, typer.Option(help="Site definition (default site.yaml)")] = None,
    out: Annotated[Path | None, typer.Option(help="Output folder (default reports/)")] = None,
    timeout: Annotated[int, typer.Option(min=1, help="Per-cell timeout, seconds")] = 600,
) -> None:
    """Execute the notebooks with papermill and publish the HTML site."""
    import fnmatch

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from .registry.ensure import ensure_registry_for
    from .registry.fingerprint import is_stale, needs_registry, registry_version
    from .reports.build import build_reports, summary
    from .reports.params import ParameterError, parse_cli_value
    from .reports.site import SiteError, load_site, may_select, with_overrides

    given = out is not None
    out = (out or paths.REPORTS).expanduser().resolve()  # once: kernels run in notebooks/
    if out.exists() and not out.is_dir():
        if given:
            fail(f"--out {out}: exists and is not a folder", code=2)
        fail(f"cannot use the reports folder {out}: it exists and is not a folder; move it aside")
    try:
        # build the registry tables once, before the fan-out values and the notebooks read them
        entries = load_site(site, expand=False)
        wanted = [r.sources for r in entries if not only or may_select(r.id, only)]
        # the writers' lock only when the tables need a rebuild (checked again under the lock):
        # a build reading fresh tables reads one snapshot of them and never waits for another
        if any(needs_registry(tuple(p)) for p in wanted) and is_stale():
            with writing("reports build"):  # rebuilds the registry tables
                ensure_registry_for(wanted)
        partial = None  # why the site could not be expanded whole
        try:
            site_reports = load_site(site)
        except SiteError:
            raise
        except CnaiError as e:  # a fan-out needs the registry, not built here: build --only
            site_reports = load_site(site, only=only)
            partial = str(e).splitlines()[0]
    except SiteError as e:
        fail(str(e))
    reports = site_reports
    if only:
        selected = [r for r in reports if any(fnmatch.fnmatch(r.id, p) for p in only)]
        unknown = [p for p in only if not any(fnmatch.fnmatch(r.id, p) for r in reports)]
        if unknown:
            fail(f"no report matches {unknown}; see `cnai reports list`")
        reports = selected
    overrides = {}
    for kv in param or []:
        k, eq, v = kv.partition("=")
        if not eq or not k.strip():  # a usage error, as every other bad parameter (exit 2)
            fail(f"-p {kv!r}: expected KEY=VALUE (a parameter name, =, its value)", code=2)
        overrides[k.strip()] = parse_cli_value(v)
    reports = [with_overrides(r, overrides) for r in reports]
    from .reports.build import memory_cap

    jobs, capped = memory_cap(jobs)
    if capped:
        err.print(f"note: {escape(capped)}", highlight=False, soft_wrap=True)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=not err.is_terminal,  # piped: only the per-report lines, no final bar
    ) as prog:
        task = prog.add_task("reports", total=len(reports))

        def tick(status):
            if status.get("site_pages"):  # the explorer, filer pages and data release
                what = {"ok": "built", "skipped": "up to date"}.get(status["status"])
                prog.console.print(
                    f"  registry pages (explorer, filers, download): {what} "
                    f"({status.get('seconds', 0)} s)"
                    if what
                    else f"  registry pages not made: {escape(str(status.get('reason')))}",
                    highlight=False,
                )
                return
            mark = "ok" if status.get("status") == "ok" else "[red]FAILED[/]"
            prog.console.print(f"  {mark} {status['id']} ({status.get('seconds', 0)} s)")
            prog.advance(task)

        try:
            statuses = build_reports(
                reports,
                out_root=out,
                jobs=jobs,
                force=force,
                timeout=timeout,
                progress=tick,
                site=site_reports,
                data_version=registry_version,
                reads_data=lambda r: needs_registry(tuple(r.sources)),
                write_site_index=partial is None,
                # the explorer, filer pages and data release: the project's site only (a
                # trial site definition gets its reports alone)
                site_pages=site is None or site.resolve() == paths.SITE.resolve(),
            )
        except ParameterError as e:
            fail(str(e), code=2)
        except KeyboardInterrupt as e:
            prog.stop()
            signum = getattr(e, "signum", 2)
            fail(
                "interrupted: kernels stopped, published pages unchanged "
                "(the report being built keeps its last good page)",
                code=128 + signum,
            )
        except (RuntimeError, OSError) as e:
            fail(str(e))
        prog.update(task, completed=len(reports))
    s = summary(statuses)
    if partial is not None:
        err.print(
            f"note: the index was not rewritten: the site's other reports could not be listed "
            f"({escape(partial)})",
            highlight=False,
            soft_wrap=True,
        )
    published = any(not r.is_variant for r in reports)
    where = f" -> {out / 'index.html'}" if published else ""
    console.print(
        f"{len(s['built'])} built, {len(s['skipped'])} up to date, "
        f"{len(s['failed'])} failed{where}",
        highlight=False,
        soft_wrap=True,
    )
    for r in reports:
        if r.is_variant:
            changed = ", ".join(f"{k}={v!r}" for k, v in overrides.items())
            console.print(
                f"variant of {r.id} ({changed}): {out / r.out_folder / 'index.html'}",
                highlight=False,
                soft_wrap=True,
            )
    for st in statuses:
        if st.get("status") == "failed" and not st.get("skipped"):
            err.print(
                f"[red]FAILED[/] {st['id']}: {escape(str(st.get('error')))}",
                highlight=False,
                soft_wrap=True,
            )
    if s["failed"]:
        raise typer.Exit(1)


if __name__ == "__main__":  # pragma: no cover
    main()
