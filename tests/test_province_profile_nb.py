"""The province profile's most specialised use case: only use cases with enough of the
province's filings, and an excess over the national share larger than chance, compete (the
notebook cell runs here on a crafted use-case matrix)."""

from __future__ import annotations

import json
import types
from pathlib import Path

import pandas as pd
import pytest

NB = Path(__file__).resolve().parents[1] / "notebooks" / "province_profile.ipynb"


def use_case_cell() -> str:
    cells = json.loads(NB.read_text(encoding="utf-8"))["cells"]
    return next(
        "".join(c["source"]) for c in cells if "most_specialised_use_case" in "".join(c["source"])
    )


def run_cell(counts: dict[str, int], lq: dict[str, float], n_province: int = 100) -> dict:
    """Run the cell with a province of ``n_province`` filings (code 34) among 1,000, where
    ``counts[u]`` of the province's filings match use case ``u`` with location quotient ``lq[u]``."""
    rows = 1000
    all_f = pd.DataFrame({"province_code": ["34"] * n_province + ["11"] * (rows - n_province)})
    matrix = pd.DataFrame(
        {
            u: [i < k for i in range(n_province)] + [False] * (rows - n_province)
            for u, k in counts.items()
        },
        index=all_f.index,
    )
    mix = pd.DataFrame(
        {
            "province share": {u: k / n_province for u, k in counts.items()},
            "national share": {u: k / n_province / lq[u] for u, k in counts.items()},
            "location quotient": lq,
        }
    )
    recorded: dict = {}
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from cnai_helpers import palette
    from cnai_helpers.analysis.geo import distinctive_use_case

    geo = types.SimpleNamespace(
        use_case_profile=lambda f, p: mix.copy(),
        use_case_matrix=lambda f: matrix,
        distinctive_use_case=distinctive_use_case,
        # share of the filings (of ``f``) matching at least one use case
        use_case_coverage=lambda f: float(matrix.loc[f.index].any(axis=1).mean()),
    )
    shown: list[str] = []
    captions: list[str] = []
    ns = {
        "all_f": all_f,
        "province": "34",
        "pname": "Anhui",
        "SOURCE": "",
        "geo": geo,
        "plt": plt,
        "pd": pd,
        "ESTIMATE": palette.ESTIMATE,  # the notebook's colours (imported in its first cell)
        "NEUTRAL": palette.NEUTRAL,
        "finish": lambda *a, **k: None,
        "table": lambda *a, **k: captions.append(k.get("caption", "")),
        "fmt": lambda v, *a: str(v),
        "md": lambda text, **k: text.format(**k),
        "display": shown.append,
        "record": lambda name, value, *a, **k: recorded.__setitem__(name, (value, a, k)),
    }
    exec(use_case_cell(), ns)  # noqa: S102 - the notebook's own cell, on crafted data
    plt.close("all")
    recorded["_shown"] = shown
    recorded["_captions"] = captions
    return recorded


def test_rare_use_case_with_high_quotient_does_not_win():
    rec = run_cell(
        {"music": 2, "image": 60, "video": 30}, {"music": 3.0, "image": 1.5, "video": 0.9}
    )
    value, args, _ = rec["most_specialised_use_case"]
    assert value == "image"  # music has the highest quotient but only 2 of the province's filings
    assert "at least 10" in args[0]
    assert not rec["_shown"]
    # the table says how many filings have a use case at all: in the province (60 of 100 match
    # image, the most matched) and nationally (the same 60 of 1,000)
    (caption,) = rec["_captions"]
    assert "Use case known for 0.6 of the province's filings and 0.06 nationally" in caption


def test_no_use_case_with_enough_filings_is_not_measurable():
    rec = run_cell({"music": 2, "image": 9}, {"music": 3.0, "image": 1.2})
    assert rec["most_specialised_use_case"][0] is None


def test_a_chance_excess_on_a_few_filings_is_no_speciality():
    """Guangdong's case: music on 25 of 1,913 filings, 1.3% against 1.0% nationally (quotient
    1.34): more than 10 filings, the highest quotient, but within chance; the page says that no
    use case stands out instead of headlining music."""
    rec = run_cell({"music": 25, "image": 666}, {"music": 1.34, "image": 0.94}, n_province=1913)
    assert rec["most_specialised_use_case"][0] is None
    assert any("No use case stands out" in s for s in rec["_shown"])


@pytest.mark.parametrize("k", [10, 11])
def test_threshold_is_inclusive(k):
    rec = run_cell({"music": k, "image": 40}, {"music": 3.0, "image": 1.2})
    assert rec["most_specialised_use_case"][0] == "music"


def test_excess_must_be_larger_than_chance():
    # 10 filings at a quotient of 3 (3.3 expected) is significant; 10 at 1.2 (8.3 expected) is not
    assert run_cell({"music": 10}, {"music": 1.2})["most_specialised_use_case"][0] is None
