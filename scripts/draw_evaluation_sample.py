"""Draw the who-files evaluation sample (unlabelled) and its labelling batches.

    PYTHONPATH=$PWD python scripts/draw_evaluation_sample.py          # draw (or confirm) it
    PYTHONPATH=$PWD python scripts/draw_evaluation_sample.py --check  # redraw and compare

Writes data/evaluation_sample_unlabelled.csv (+ .meta.json: seed, sizes, batch range,
population) and data/evaluation_batches/batch_1.csv … batch_4.csv (the labelling forms, with
empty label columns). The draw is a seeded simple random sample of unique filings per registry
(cnai_helpers.analysis.sampling), excluding the development sample data/curated/labelled_sample.csv.
An existing sample with different rows is never overwritten without --force. Re-running with
the recorded settings reproduces the same rows; the batch range is read from the metadata, so
later batches in the registry tables do not change the draw.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from cnai_helpers import curated, loaders, paths
from cnai_helpers.analysis import sampling
from cnai_helpers.errors import CnaiError


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seed", type=int, default=sampling.SEED)
    p.add_argument("--deep-synthesis", type=int, default=sampling.SIZES["deep_synthesis"])
    p.add_argument("--genai", type=int, default=sampling.SIZES["genai_filings"])
    p.add_argument("--out", type=Path, default=paths.DATA / "evaluation_sample_unlabelled.csv")
    p.add_argument("--batches-dir", type=Path, default=paths.DATA / "evaluation_batches")
    p.add_argument("--n-batches", type=int, default=sampling.N_BATCHES)
    p.add_argument("--check", action="store_true", help="redraw and compare; write nothing")
    p.add_argument("--force", action="store_true", help="replace a different existing sample")
    return p.parse_args(argv)


def batch_range(out: Path, sizes: dict[str, int], use_recorded: bool) -> dict[str, str]:
    """Last batch per registry: the recorded one when a sample exists, else the latest."""
    if use_recorded and out.with_suffix(".meta.json").exists():
        recorded = sampling.read_meta(out).get("batch_to", {})
        if set(recorded) >= set(sizes):
            return {r: recorded[r] for r in sizes}
    return {r: str(loaders.load_filings(r)["first_batch"].max()) for r in sizes}


def main(argv: list[str] | None = None) -> int:
    a = parse(argv)
    sizes = {"deep_synthesis": a.deep_synthesis, "genai_filings": a.genai}
    to = batch_range(a.out, sizes, use_recorded=not a.force)
    dev = curated.load_labelled_sample()["filing_number"]
    filings = [loaders.load_filings(r, None, to[r]) for r in sizes]
    allf = pd.concat(filings, ignore_index=True)
    sample = sampling.draw_evaluation_sample(allf, sizes, a.seed, exclude=dev)
    meta = {
        "seed": a.seed,
        "sizes": sizes,
        "batch_to": to,
        "population_unique_filings": {
            r: int(((allf["registry"] == r) & ~allf["filing_number"].isin(dev)).sum())
            for r in sizes
        },
        "excluded_development_filings": int(dev.nunique()),
        "design": "simple random sample without replacement per registry, "
        "numpy default_rng([seed, crc32(registry)]) over filings sorted by number",
        "code": "cnai_helpers/analysis/sampling.py, scripts/draw_evaluation_sample.py",
        "codebook": "data/definitions.md",
    }
    if a.check:
        old = a.out.read_text(encoding="utf-8") if a.out.exists() else ""
        same = old == sample.to_csv(index=False, lineterminator="\n")
        print(f"{a.out}: {'reproduced' if same else 'DIFFERS from a fresh draw'}")
        return 0 if same else 1
    done = sampling.write_sample(sample, a.out, meta, a.batches_dir, a.n_batches, a.force)
    for path, status in done.items():
        print(f"{status}: {path}")
    print(
        ", ".join(f"{r}: {n} of {meta['population_unique_filings'][r]:,}" for r, n in sizes.items())
    )
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except CnaiError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(1)
