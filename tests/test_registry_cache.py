"""The parse cache's second stage (each CAC list's enrichment, cached with its parse) and the
vectorised steps of the build: a warm rebuild reads no list again and gives the same tables; a
change of the corrections table enriches again without parsing again; the vectorised helpers
give what the plain code they replace gives."""

from __future__ import annotations

import pandas as pd
import pytest

from cnai_helpers.enrich import rules
from cnai_helpers.registry import parse
from cnai_helpers.registry.assemble import _joined
from cnai_helpers.registry.build import build
from tests.test_registry_build import project, tables  # noqa: F401

ALL = ("listings", "filings", "entities", "batches", "data_quality", "cancellations")


def read_all(root):
    return {n: pd.read_parquet(root / f"data/processed/{n}.parquet") for n in ALL}


def refuse_to(name):
    def fail(*a, **k):
        raise AssertionError(f"{name} called: the cache was not used")

    return fail


def test_warm_rebuild_reads_no_list_and_gives_the_same_tables(project, monkeypatch):  # noqa: F811
    build(force=True)
    cold = read_all(project)
    assert len(cold["listings"]) and len(cold["data_quality"])  # rows and issues to compare
    monkeypatch.setattr(parse, "parse_docx", refuse_to("parse_docx"))
    monkeypatch.setattr(parse, "enrich_cac", refuse_to("enrich_cac"))
    build(force=True)
    warm = read_all(project)
    for n in ALL:
        pd.testing.assert_frame_equal(warm[n], cold[n], check_exact=True)


def test_new_corrections_enrich_again_without_parsing_again(project, monkeypatch):  # noqa: F811
    build(force=True)
    before = read_all(project)
    corrections = project / "data/curated/corrections.csv"
    corrections.parent.mkdir(parents=True, exist_ok=True)
    bad = before["listings"].iloc[0]
    corrections.write_text(
        "registry,filing_number,field,value,reason\n"
        f"{bad['registry']},{bad['filing_number']},region_code,310000,"
        "a test repair of the region code\n",
        encoding="utf-8",
    )
    calls = []
    real = parse.enrich_cac
    monkeypatch.setattr(parse, "parse_docx", refuse_to("parse_docx"))
    monkeypatch.setattr(parse, "enrich_cac", lambda *a, **k: calls.append(1) or real(*a, **k))
    build(force=True)
    after = read_all(project)
    assert calls  # enriched again, from the cached parse
    row = after["listings"].set_index("filing_number").loc[bad["filing_number"]]
    assert row["province_code"] == "31"  # the repair is in the tables
    assert "a test repair" in " ".join(after["data_quality"]["reason"])


@pytest.mark.parametrize("n_texts", [400])
def test_vertical_is_the_plain_first_match(n_texts):
    """The regex pre-check of each vertical gives the sector and keyword of the plain loop
    (the first vertical in priority order, its first keyword in list order)."""

    def plain(t):
        for sector, kws in rules.SECTOR_KEYWORDS.items():
            hit = next((k for k in kws if k in t), None)
            if hit is None and (pat := rules.SECTOR_PATTERNS.get(sector)) is not None:
                m = pat.search(t)
                hit = m.group(0) if m else None
            if hit is not None:
                return sector, hit
        return None

    words = [k for kws in rules.SECTOR_KEYWORDS.values() for k in kws]
    texts = ["", "通用对话助手", "Medical GPT model", "MedGPT"]
    texts += [f"面向{w}的服务" for w in words]
    step = max(1, len(words) // n_texts)
    texts += [f"{a}与{b}" for a, b in zip(words[::step], reversed(words[::step]), strict=True)]
    got = [rules._vertical(t) for t in texts]
    assert got == [plain(t) for t in texts]
    assert sum(g is not None for g in got) > len(words) // 2  # the keywords do match


def test_joined_is_the_sorted_distinct_values():
    df = pd.DataFrame(
        {
            "registry": ["a", "a", "a", "b", "b", "c"],
            "key": ["1", "1", "1", "2", "2", "3"],
            "batch": ["2024-02", "2023-01", "2024-02", "2022-01", "2022-01", "2021-05"],
        }
    ).astype("str")
    got = _joined(df, ["registry", "key"], "batch")
    plain = df.groupby(["registry", "key"])["batch"].agg(lambda b: ";".join(sorted(set(b))))
    pd.testing.assert_series_equal(got.sort_index(), plain.sort_index())
    assert got[("a", "1")] == "2023-01;2024-02"


LIBRARIES = ("openpyxl", "PIL", "pypinyin", "cpca", "jieba")
PROBE = """
import json, sys
from cnai_helpers.registry import add, build
{action}
print(json.dumps(sorted(m for m in {libs!r} if m in sys.modules)))
"""


def imported_by(root, action: str) -> list[str]:
    """The LIBRARIES a fresh process running ``action`` in the project has imported."""
    import json
    import os
    import subprocess
    import sys

    env = {**os.environ, "CNAI_ROOT": str(root)}
    p = subprocess.run(
        [sys.executable, "-c", PROBE.format(action=action, libs=LIBRARIES)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(p.stdout.strip().splitlines()[-1])


def test_warm_rebuild_and_add_load_no_parser_or_geography_library(project, tmp_path):  # noqa: F811
    """A warm rebuild reads neither Excel (openpyxl, Pillow) nor the geography's libraries
    (cpca's import, pypinyin's dictionaries); nor does an add of a list whose cities a build
    has seen (the regions and cities' names are kept with the parse cache)."""
    from tests.fixtures import ds_row, make_docx, num

    build(force=True, jobs=1)
    assert imported_by(project, "build.build(force=True, jobs=1)") == []
    new = make_docx(
        tmp_path / "n.docx",
        [ds_row(1, num("440306", serial=41), entity="深圳新例有限公司")],  # a new district
        title="境内深度合成服务算法备案清单（2026年5月）",
    )
    assert imported_by(project, f"add.add_file({str(new)!r})") == []
    f = read_all(project)["filings"].set_index("filing_number")
    assert f.loc[num("440306", serial=41), "city_en"] == "Shenzhen"  # resolved all the same
