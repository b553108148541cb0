"""Coverage of the two-phase estimator's 95% intervals on synthetic populations like the
who-files lists (cnai_helpers/analysis/evaluation.py two_phase).

Each scenario draws a population with a class of known prevalence and rules of known recall
and false-positive rate, labels a simple random sample, and counts how often the interval holds
the population's true share. Scenarios: the deep-synthesis list (6,000 filings, 300 labelled),
its part to the cut-off (2,800, 133) and the generative-AI list to its cut-off (300, 40), each
for a rare class with perfect precision (state-linked), a common class (cross-sector) and a
very rare one (foreign). Rogan–Gladen is run beside it as the cross-check.

    .venv/bin/python bench/bench_two_phase_coverage.py [--reps 1000]
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from cnai_helpers.analysis import evaluation as ev

SCENARIOS = {
    "deep synthesis, every list (6,000 filings, 300 labelled)": (6000, 300),
    "deep synthesis to the cut-off (2,800, 133)": (2800, 133),
    "generative AI to the cut-off (300, 40)": (300, 40),
}
CLASSES = {
    "state-linked-like (7%, recall 0.65, precision 1)": (0.07, 0.65, 0.0),
    "cross-sector-like (45%, recall 0.7, precision 0.75)": (0.45, 0.7, 0.19),
    "foreign-like (0.5%, recall 0.3, precision 0.5)": (0.005, 0.3, 0.0015),
}


def run(reps: int, seed: int = 7, n_boot: int = 1000) -> list[dict]:
    rng = np.random.default_rng(seed)
    rows = []
    for scen, (N, n) in SCENARIOS.items():
        for cls, (prev, sens, fpr) in CLASSES.items():
            hit = measured = rg_hit = rg_valid = 0
            width = []
            for _ in range(reps):
                truth = rng.random(N) < prev
                pred = np.where(truth, rng.random(N) < sens, rng.random(N) < fpr)
                idx = rng.choice(N, n, replace=False)
                r = ev.two_phase(
                    pred, pred[idx], truth[idx], n_boot=n_boot, seed=int(rng.integers(1e9))
                )
                if r["measurable"]:
                    measured += 1
                    hit += r["ci_low"] <= truth.mean() <= r["ci_high"]
                    width.append(r["ci_high"] - r["ci_low"])
                rg = ev.adjusted_prevalence(pred.mean(), truth[idx], pred[idx], n_boot=200)
                if np.isfinite(rg["ci_low"]):
                    rg_valid += 1
                    rg_hit += rg["ci_low"] <= truth.mean() <= rg["ci_high"]
            rows.append(
                {
                    "scenario": scen,
                    "class": cls,
                    "reps": reps,
                    "measurable": measured / reps,
                    "coverage": hit / measured if measured else None,
                    "median_width": float(np.median(width)) if width else None,
                    "rogan_gladen_with_interval": rg_valid / reps,
                    "rogan_gladen_coverage": rg_hit / rg_valid if rg_valid else None,
                }
            )
            print(json.dumps(rows[-1], ensure_ascii=False))
    return rows


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=1000)
    run(ap.parse_args().reps)
