"""The rows the second coder labelled (data/evaluation_labels/second_coder.csv): every
generative-AI row of the evaluation sample and a simple random half of its deep-synthesis rows,
drawn with a fixed seed before the second coder saw any row, interleaved so that a partial form
still covered both registries. Run it to reproduce the form's rows (it prints the sample ids);
tests/test_two_phase.py checks that the committed labels are exactly these rows."""

from __future__ import annotations

import csv
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
UNLABELLED = ROOT / "data" / "evaluation_sample_unlabelled.csv"
SEED, N_DS = 20261206, 150


def second_coder_ids(path: Path = UNLABELLED) -> list[str]:
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    ds = [r for r in rows if r["registry"] == "deep_synthesis"]
    ga = [r for r in rows if r["registry"] != "deep_synthesis"]
    pick = sorted(random.Random(SEED).sample(ds, N_DS), key=lambda r: r["sample_id"])
    out = []
    for d, g in zip(pick, ga, strict=False):
        out += [d["sample_id"], g["sample_id"]]
    return out


if __name__ == "__main__":
    print("\n".join(second_coder_ids()))
