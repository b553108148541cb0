"""The who-files evaluation sample: a seeded simple random sample of unique filings per
registry, drawn after the rules were frozen, excluding the development sample
(data/curated/labelled_sample.csv). Labellers see only what the codebook (data/definitions.md) asks
them to read, never the rules' predictions.

Each registry is drawn with its own random stream (seed + registry name), over its filings
sorted by number and first listed up to ``batch_to``: adding a registry, or later batches to the
registry tables, does not change a draw.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from .. import atomic
from ..enrich.labels import INPUT_COLUMNS, LABEL_COLUMNS  # noqa: F401
from ..errors import CnaiError

SEED = 15  # fixed before the first draw (the project issue's number); never tuned
SIZES = {"deep_synthesis": 300, "genai_filings": 150}
PREFIXES = {
    "deep_synthesis": "DS",
    "genai_filings": "GA",
    "genai_registrations": "GR",
    "genai_on_device": "GD",
    "algorithm_recommendation": "AR",
}
N_BATCHES = 4


class SamplingError(CnaiError, ValueError):
    pass


def registry_rng(seed: int, registry: str) -> np.random.Generator:
    """The random stream of one registry's draw."""
    return np.random.default_rng([seed, zlib.crc32(registry.encode())])


def _population(filings: pd.DataFrame, registry: str, exclude: set[str]) -> pd.DataFrame:
    pop = filings[filings["registry"] == registry]
    dup = pop["filing_number"][pop["filing_number"].duplicated()]
    if len(dup):
        raise SamplingError(
            f"{registry}: filing number {dup.iloc[0]!r} appears twice; "
            "the sample is drawn over unique filings (use loaders.load_filings)"
        )
    pop = pop[~pop["filing_number"].isin(exclude)]
    return pop.sort_values("filing_number", kind="stable").reset_index(drop=True)


def draw_evaluation_sample(
    filings: pd.DataFrame,
    sizes: Mapping[str, int] | None = None,
    seed: int = SEED,
    exclude: Iterable[str] = (),
) -> pd.DataFrame:
    """A simple random sample without replacement of ``sizes[registry]`` unique filings per
    registry, in draw order, with only the labeller's input columns (INPUT_COLUMNS)."""
    sizes = dict(SIZES if sizes is None else sizes)
    excl = set(exclude)
    parts = []
    for registry, n in sizes.items():
        pop = _population(filings, registry, excl)
        if n < 1 or n > len(pop):
            raise SamplingError(
                f"{registry}: cannot draw {n} filings from {len(pop):,} "
                f"(unique filings, development sample excluded); choose 1..{len(pop)}"
            )
        idx = registry_rng(seed, registry).choice(len(pop), size=n, replace=False)
        rows = pop.iloc[idx].reset_index(drop=True)
        prefix = PREFIXES.get(registry, registry[:2].upper())
        out = pd.DataFrame(
            {
                "sample_id": [f"{prefix}-{i:03d}" for i in range(1, n + 1)],
                "registry": registry,
                "filing_number": rows["filing_number"],
                "entity_name": rows["entity_name"],
                # 属地 (a province, or 国资委) is a column of the generative-AI lists only
                "locality": rows.get("locality_zh") if registry.startswith("genai") else None,
                "algorithm_name": rows.get("algorithm_name"),
                "application_product": rows.get("application_product"),
                "main_use": rows.get("main_use"),
            }
        )
        parts.append(out)
    sample = pd.concat(parts, ignore_index=True)
    return sample[list(INPUT_COLUMNS)].astype(object).fillna("").astype(str)


def split_batches(sample: pd.DataFrame, k: int = N_BATCHES) -> list[pd.DataFrame]:
    """k labelling forms: row i of each registry's draw (1-based) goes to batch ((i-1) mod k)+1,
    so every batch holds about the same number of rows of each registry. The label columns
    are appended empty."""
    if k < 1:
        raise SamplingError(f"number of batches must be at least 1, got {k}")
    pos = sample.groupby("registry", sort=False).cumcount()
    forms = sample.assign(**dict.fromkeys(LABEL_COLUMNS, ""))
    return [forms[(pos % k) == b].reset_index(drop=True) for b in range(k)]


def _csv(df: pd.DataFrame) -> str:
    return df.to_csv(index=False, lineterminator="\n")


def write_if_unchanged(path: Path, text: str, force: bool = False) -> str:
    """Write ``text`` to ``path`` atomically. An existing file with other contents is kept
    (labels may already refer to it) unless ``force``. Returns 'written' or 'unchanged'."""
    path = Path(path)
    if path.exists():
        old = path.read_text(encoding="utf-8")
        if old == text:
            return "unchanged"
        if not force:
            raise SamplingError(
                f"{path}: exists with different rows (another seed, size or data?); "
                "refusing to overwrite a sample labellers may be using; pass --force to replace it"
            )
    atomic.write_text(path, text)
    return "written"


def write_sample(
    sample: pd.DataFrame,
    out: Path,
    meta: Mapping,
    batches_dir: Path | None = None,
    k: int = N_BATCHES,
    force: bool = False,
) -> dict[str, str]:
    """The unlabelled sample (CSV), its metadata (JSON beside it) and, optionally, k batch
    forms in ``batches_dir``. Every file is checked before any is written."""
    out = Path(out)
    files = {out: _csv(sample), out.with_suffix(".meta.json"): json.dumps(meta, indent=1) + "\n"}
    if batches_dir is not None:
        for i, b in enumerate(split_batches(sample, k), start=1):
            files[Path(batches_dir) / f"batch_{i}.csv"] = _csv(b)
    for path, text in files.items():  # refuse before writing anything
        if path.exists() and not force and path.read_text(encoding="utf-8") != text:
            write_if_unchanged(path, text, force)
    return {str(p): write_if_unchanged(p, t, force=True) for p, t in files.items()}


def read_meta(out: Path) -> dict:
    p = Path(out).with_suffix(".meta.json")
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise SamplingError(f"{p}: missing; it records the seed, sizes and batch range") from e
    except json.JSONDecodeError as e:
        raise SamplingError(f"{p}: not valid JSON ({e.msg}, line {e.lineno})") from e
