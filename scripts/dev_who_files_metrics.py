"""Precision and recall of the who-files rules on the DEVELOPMENT sample
(data/curated/labelled_sample.csv, 208 deep-synthesis filings the rules were written against).

In-sample figures: they show what a rule change does, not how the rules do on unseen filings
(that is the held-out evaluation sample's job). Run from the repository root:

    PYTHONPATH=$PWD python scripts/dev_who_files_metrics.py [--errors]
"""

from __future__ import annotations

import sys

import pandas as pd

from cnai_helpers import curated, loaders
from cnai_helpers.analysis import classify as c


def dev_metrics(show_errors: bool = False) -> dict:
    s = curated.load_labelled_sample()
    ds = loaders.load_filings("deep_synthesis").set_index("filing_number")
    j = s.join(ds[["application_product", "main_use"]], on="filing_number")
    d = c.classify_sectors_detail(j)
    pred_org = [c.org_type_by_rules(n) for n in j["entity_name"]]
    verticals = [*c.SECTOR_KEYWORDS, "other_vertical"]
    out = {
        "n": len(j),
        "cross_sector": c.precision_recall(j["sector"], d["sector"], ["cross_sector"]),
        "vertical": c.precision_recall(j["sector"], d["sector"], verticals),
        "sector_accuracy": c.accuracy(j["sector"], d["sector"]),
        "unclassified": int((d["sector"] == "unclassified").sum()),
        "state_linked": c.precision_recall(j["org_type"], pred_org, c.STATE_LINKED),
        "org_type_accuracy": c.accuracy(j["org_type"], pred_org),
    }
    if show_errors:
        e = j.assign(predicted=d["sector"], signal=d["sector_signal"])
        e = e[e["sector"] != e["predicted"]]
        with pd.option_context("display.width", 250, "display.max_colwidth", 60):
            print(e[["sector", "predicted", "signal", "algorithm_name", "main_use"]].to_string())
    return out


if __name__ == "__main__":
    m = dev_metrics("--errors" in sys.argv)
    for k, v in m.items():
        if isinstance(v, dict):
            print(
                f"{k}: precision {v['precision']:.3f}, recall {v['recall']:.3f} "
                f"(tp {v['tp']}, fp {v['fp']}, fn {v['fn']})"
            )
        else:
            print(f"{k}: {v:.3f}" if isinstance(v, float) else f"{k}: {v}")
