"""The `cnai` command line: data, registry and reports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from . import paths

app = typer.Typer(help="cnai: reproducible research on China's AI industry.", no_args_is_help=True)
data_app = typer.Typer(
    help="Raw data: pull and verify the files in data/sources.yaml.", no_args_is_help=True
)
app.add_typer(data_app, name="data")

console = Console()
err = Console(stderr=True)


def fail(message: str, code: int = 1) -> None:
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


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
    from .pull import _load_stamps, is_verified

    raw = Path(raw_dir or paths.RAW)
    sources = load_manifest(manifest)
    stamps = _load_stamps(raw)
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
    console.print(f"{n_ok}/{len(rows)} verified")


@data_app.command("hash")
def data_hash(file: Path) -> None:
    """Print sha256 and size of a file (for a new manifest entry)."""
    from .manifest import sha256_file

    if not file.is_file():
        fail(f"{file}: no such file")
    print(f"sha256: {sha256_file(file)}\nsize: {file.stat().st_size}")


if __name__ == "__main__":  # pragma: no cover
    app()
