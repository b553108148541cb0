"""`cnai registry add` of generative-AI lists in Word (.docx) and Excel (.xlsx) (issue 18).

Fixtures are written here (python-docx, openpyxl) into the temporary ``project`` of
tests/test_registry_build.py (its compiled JSON holds batch 2024-08: Beijing-MOne-202406010001
filed, Shanghai-AOne-20240601S0001 registered).
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pandas as pd
import pytest

import tests.test_registry_build as rb
from cnai_helpers.manifest import source_from_dict
from cnai_helpers.registry.build import build
from cnai_helpers.registry.fingerprint import registry_sources
from cnai_helpers.registry.genai import read_genai_json
from cnai_helpers.registry.genai_tables import GenaiTableError, read_genai_tables
from cnai_helpers.registry.parse import parse_all
from tests.fixtures import (
    APPLE_ON_DEVICE,
    GENAI_DEVICE_HEADER,
    GENAI_HEADER,
    genai_json,
    genai_row_from_cells,
    make_docx,
    make_genai_docx,
    make_genai_xlsx,
)
from tests.test_registry_add import clean_exit_1, cli, local_yaml, snapshot

project = rb.project

FILINGS = [
    [
        "989",
        "江苏省",
        "智标宝大模型",
        "南京炫佳网络科技有限公司",
        "Jiangsu-ZhiBiaoBao-202512030061",
        "2026/7/13",
    ],  # fmt: skip
    [
        "990",
        "国资委",
        "某央企大模型",
        "中国某某集团有限公司",
        "ZhongYangQiYe-MouYangQi-202601010001",
        "2026/7/13",
    ],  # fmt: skip
    GENAI_HEADER,  # repeated header row inside the table
    [
        "991",
        "广东省",
        "广州某科技有限公司",
        "某某大模型",
        "Guangdong-MouMouDaMoXing-202603050020",
        "2026/7/20",
    ],  # fmt: skip
    [
        "992",
        "北京市",
        "M1",
        "北京示例科技有限公司",
        "Beijing-MOne-202406010001",
        "2026/7/20",
    ],  # fmt: skip
]
REGISTRATIONS = [
    [
        "726",
        "上海市",
        "心隅AI",
        "上海酷潮科技股份有限公司",
        "Shanghai-XinYuAI-20260828S0221",
        "2026/8/31",
    ],  # fmt: skip
    [
        "727",
        "广西壮族自治区",
        "红人智投",
        "天下秀科技有限公司",
        "Guangxi-HongRen-20260516S0003",
        "2026/5/1（补登）",
    ],  # fmt: skip
]
ON_DEVICE = [APPLE_ON_DEVICE]
TABLES = [(GENAI_HEADER, FILINGS), (GENAI_HEADER, REGISTRATIONS), (GENAI_DEVICE_HEADER, ON_DEVICE)]


@pytest.fixture
def gdocx(tmp_path) -> Path:
    return make_genai_docx(tmp_path / "genai-2026-08.docx", TABLES)


@pytest.fixture
def gxlsx(tmp_path) -> Path:
    """One sheet with all three tables (a blank row and a section title between them)."""
    rows = [GENAI_HEADER, *FILINGS, *REGISTRATIONS, [], ["三、端侧服务"], GENAI_DEVICE_HEADER]
    return make_genai_xlsx(
        tmp_path / "genai-2026-08.xlsx",
        {"Sheet1": [*rows, *ON_DEVICE]},
        title_row="生成式人工智能服务已备案和已登记信息（2026年8月）",
    )


def _compare(df: pd.DataFrame) -> pd.DataFrame:
    cols = ["registry", "filing_number", "algorithm_name", "entity_name", "province_code"]
    return df[[*cols, "seq", "filing_date", "filing_date_note", "scene"]].reset_index(drop=True)


# ---------------------------------------------------------------- the parser


def test_docx_tables_parsed_with_the_json_quirks(gdocx):
    g = read_genai_tables(gdocx)
    assert g.batch == "2026-08" and g.tables == 3
    r = g.rows.set_index("filing_number")
    assert r["registry"].value_counts().to_dict() == {
        "genai_filings": 4,
        "genai_registrations": 2,
        "genai_on_device": 1,
    }
    assert r.loc["ZhongYangQiYe-MouYangQi-202601010001", "province_code"] == "central_soe"
    swapped = r.loc["Guangdong-MouMouDaMoXing-202603050020"]
    assert (
        swapped["entity_name"] == "广州某科技有限公司" and swapped["algorithm_name"] == "某某大模型"
    )
    late = r.loc["Guangxi-HongRen-20260516S0003"]
    assert late["filing_date"] == "2026-05-01" and late["filing_date_note"] == "(补登)"
    assert late["seq"] == "727"  # 序号 running on from earlier lists is kept as published
    assert r.loc["Shanghai-AppleZhiNeng-202506160057", "scene"] == "苹果手机"
    rejected = [i for i in g.issues if i.action == "rejected"]
    assert [(i.row, i.reason) for i in rejected] == [(4, "repeated header row inside the table")]
    assert any("swapped back" in i.reason for i in g.issues)


def test_tables_and_json_share_the_row_normalising(gdocx, tmp_path):
    """The same rows as a compiled-JSON batch give the same listings and the same repairs."""
    json_rows = [genai_row_from_cells(row) for _header, rows in TABLES for row in rows]
    j = genai_json(tmp_path / "g.json", [{"period": "2026-08", "name": "n", "rows": json_rows}])
    from_json = read_genai_json(j)
    from_docx = read_genai_tables(gdocx)
    pd.testing.assert_frame_equal(_compare(from_docx.rows), _compare(from_json.rows))
    assert [(i.action, i.reason, i.filing_number) for i in from_docx.issues] == [
        (i.action, i.reason, i.filing_number) for i in from_json.issues
    ]


def test_xlsx_reads_like_docx(gdocx, gxlsx):
    x = read_genai_tables(gxlsx)
    assert x.batch == "2026-08" and x.tables == 2
    pd.testing.assert_frame_equal(_compare(x.rows), _compare(read_genai_tables(gdocx).rows))


def test_batch_from_sheet_name_and_batch_override(tmp_path):
    x = make_genai_xlsx(tmp_path / "x.xlsx", {"2026年10月": [GENAI_HEADER, FILINGS[0]]})
    assert read_genai_tables(x).batch == "2026-10"
    g = read_genai_tables(x, batch="2026-12")
    assert g.batch == "2026-12" and g.title_batch == "2026-10"
    assert set(g.rows["batch"]) == {"2026-12"}


def test_table_without_number_column_is_a_clear_error(tmp_path):
    header = [h for h in GENAI_HEADER if h != "备案编号"]
    d = make_genai_docx(tmp_path / "n.docx", [(header, [FILINGS[0][:4] + FILINGS[0][5:]])])
    with pytest.raises(GenaiTableError, match=r"n.docx: table 1: .*without a number column"):
        read_genai_tables(d)
    x = make_genai_xlsx(tmp_path / "n.xlsx", {"S": [header]})
    with pytest.raises(GenaiTableError, match=r"n.xlsx: sheet 'S': .*without a number column"):
        read_genai_tables(x)


# ---------------------------------------------------------------- `cnai registry add`


def test_dry_run_json_reports_every_part(project, gdocx):
    build(jobs=1)
    before = snapshot(project / "data")
    r = cli("add", gdocx, "--dry-run", "--json")
    assert r.exit_code == 0, r.output
    rep = json.loads(r.output)
    assert set(rep) == {
        "registry",
        "batch",
        "title",
        "parts",
        "problems",
        "needs_force",
        "source_id",
        "dry_run",
        "tables",
    }
    assert rep["registry"] == "genai" and rep["batch"] == "2026-08" and rep["source_id"] is None
    parts = rep["parts"]
    assert list(parts) == ["genai_filings", "genai_registrations", "genai_on_device"]
    # rows read per table add up to the rows of the parts
    assert sum(t["rows"] for t in rep["tables"]) == sum(p["rows"] for p in parts.values())
    assert set(parts["genai_filings"]) == {"rows", "new_filings", "known_filings", "by_province"}
    f = parts["genai_filings"]
    assert (f["rows"], f["new_filings"], f["known_filings"]) == (4, 3, 1)  # MOne is known
    assert f["by_province"]["central_soe"] == 1
    assert parts["genai_on_device"]["rows"] == 1
    assert any(p["reason"] == "repeated header row inside the table" for p in rep["problems"])
    assert snapshot(project / "data") == before
    text = cli("add", gdocx, "--dry-run")
    assert text.exit_code == 0 and "genai_registrations 2 rows, 2 new filings" in text.output


def test_real_add_feeds_the_core_tables_once(project, gxlsx):
    build(jobs=1)
    r = cli("add", gxlsx, "--json")
    assert r.exit_code == 0, r.output
    rep = json.loads(r.output)
    (entry,) = local_yaml(project)["sources"]
    assert entry["id"] == rep["source_id"] and entry["format"] == "genai_xlsx"
    assert entry["path"].endswith(".xlsx") and (project / "data/raw" / entry["path"]).is_file()
    d = project / "data/processed"
    f = pd.read_parquet(d / "filings.parquet")
    b = pd.read_parquet(d / "batches.parquet").set_index(["registry", "batch"])
    assert b.loc[("genai_filings", "2026-08"), "rows"] == 4
    assert b.loc[("genai_filings", "2026-08"), "new_filings"] == 3
    assert b.loc[("genai_on_device", "2026-08"), "rows"] == 1
    mone = f[f["filing_number"] == "Beijing-MOne-202406010001"]
    assert len(mone) == 1 and mone.iloc[0]["batches"] == "2024-08;2026-08"
    r = cli("remove", rep["source_id"])
    assert r.exit_code == 0, r.output
    f = pd.read_parquet(d / "filings.parquet")
    assert not (f["batches"].str.contains("2026-08")).any()


def test_batch_the_json_holds_dry_run_known_real_run_refused(project, tmp_path):
    build(jobs=1)
    rows = [["1", "北京市", "M1", "北京示例科技有限公司", "Beijing-MOne-202406010001", "2024/6/3"]]
    d = make_genai_docx(
        tmp_path / "old.docx",
        [(GENAI_HEADER, rows)],
        title="生成式人工智能服务已备案和已登记信息（2024年8月）",
    )
    r = cli("add", d, "--dry-run", "--json")
    assert r.exit_code == 0, r.output
    part = json.loads(r.output)["parts"]["genai_filings"]
    assert (part["new_filings"], part["known_filings"]) == (0, 1)
    before = snapshot(project / "data")
    r = cli("add", d)
    clean_exit_1(r)
    assert "batch 2024-08 of genai already exists as source 'genai'" in r.output
    assert snapshot(project / "data") == before


def test_build_takes_a_batch_in_both_from_the_json(project, tmp_path):
    """A local list whose month the compiled JSON later includes: one filing, one batch."""
    raw = project / "data/raw"
    rows = [["1", "北京市", "M1", "北京示例科技有限公司", "Beijing-MOne-202406010001", "2024/6/3"]]
    make_genai_docx(raw / "local.docx", [(GENAI_HEADER, rows)], title=None)
    entry = rb._entry("loc", "local.docx", raw, format="genai_docx", registry="genai", batch="2024-08")  # fmt: skip
    local = source_from_dict(entry, "local_sources.yaml", local=True)
    sources = [*registry_sources(), local]
    listings, meta, issues = parse_all(sources, raw, jobs=1)
    mone = listings[listings["filing_number"] == "Beijing-MOne-202406010001"]
    assert list(mone["source_id"]) == ["genai"]
    assert not (meta["source_id"] == "loc").any()
    assert any(i.source == "loc" and "also in the compiled" in i.reason for i in issues)


def test_batch_option_same_rules(project, tmp_path):
    build(jobs=1)
    untitled = make_genai_docx(tmp_path / "u.docx", [(GENAI_HEADER, FILINGS[:1])], title=None)
    r = cli("add", untitled, "--dry-run")
    clean_exit_1(r)
    assert "u.docx: no title like" in r.output and "pass --batch YYYY-MM" in r.output
    r = cli("add", untitled, "--dry-run", "--batch", "2026-10", "--json")
    assert r.exit_code == 0 and json.loads(r.output)["batch"] == "2026-10"
    titled = make_genai_docx(tmp_path / "t.docx", [(GENAI_HEADER, FILINGS[:1])])
    r = cli("add", titled, "--dry-run", "--batch", "2019-01")
    clean_exit_1(r)
    assert "--batch 2019-01 disagrees with the list's title, which says 2026-08" in r.output
    before = snapshot(project / "data")
    r = cli("add", titled, "--batch", "2019-01")
    clean_exit_1(r)
    assert "refused:" in r.output and "pass --force" in r.output
    assert snapshot(project / "data") == before


def test_unreadable_numbers_need_force(project, tmp_path):
    build(jobs=1)
    bad = [["1", "北京市", f"M{i}", "北京某有限公司", f"garbage{i}", "2026/7/1"] for i in range(4)]
    d = make_genai_docx(tmp_path / "bad.docx", [(GENAI_HEADER, [*bad, FILINGS[0]])])
    r = cli("add", d, "--dry-run")
    clean_exit_1(r)
    assert "4 of 5 rows (80%) have no readable generative-AI number" in r.output


def test_refused_files(project, tmp_path):
    build(jobs=1)
    before = snapshot(project / "data")
    other = make_docx(tmp_path / "other.docx", [["a", "b", "c"]], header=["x", "y", "z"])
    r = cli("add", other, "--dry-run")
    clean_exit_1(r)
    assert "no table with a known header" in r.output and "生成式人工智能" in r.output
    empty = make_genai_xlsx(tmp_path / "empty.xlsx", {"2026年8月": [["说明"], ["无"]]})
    r = cli("add", empty, "--dry-run")
    clean_exit_1(r)
    assert "empty.xlsx: no table with the generative-AI list header" in r.output
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"not a zip at all" * 10)
    r = cli("add", junk, "--dry-run")
    clean_exit_1(r)
    assert "junk.xlsx: not a readable Excel (.xlsx) file (BadZipFile" in r.output
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/worksheets/sheet1.xml", " " * (4 * 2**20))
    r = cli("add", bomb, "--dry-run")
    clean_exit_1(r)
    assert "bomb.xlsx: member xl/worksheets/sheet1.xml has a compression ratio" in r.output
    txt = tmp_path / "list.pdf"
    txt.write_bytes(b"%PDF")
    r = cli("add", txt, "--dry-run")
    clean_exit_1(r)
    assert "expected a Word (.docx) or Excel (.xlsx) list" in r.output
    assert snapshot(project / "data") == before


# ---------------------------------------------------------------- the real 2026-08 batch


@pytest.mark.mirror
def test_real_2026_08_batch_as_word(real_raw, tmp_path):
    """The mirror's 2026-08 batch written as the CAC's three Word tables adds (dry run) as
    117 + 133 + 7 rows, all known, with no problem the JSON parser does not also flag."""
    from cnai_helpers.manifest import load_manifest

    src = next(s for s in load_manifest(include_local=False) if s.format == "genai_json")
    g = read_genai_json(src.raw_path(real_raw))
    doc = json.loads(src.raw_path(real_raw).read_text("utf-8"))
    (batch,) = [b for b in doc["batches"] if b["period"] == "2026-08"]
    rows = g.rows[g.rows["batch"] == "2026-08"].reset_index(drop=True)
    tables: dict[str, list] = {}
    for raw_row, reg in zip(batch["rows"], rows["registry"], strict=True):
        tables.setdefault(reg, []).append(raw_row)
    order = ["genai_filings", "genai_registrations", "genai_on_device"]
    word = []
    for reg in order:
        header = [h for h in tables[reg][0] if h != "_kind"]
        word.append((header, [[r.get(h, "") for h in header] for r in tables[reg]]))
    d = make_genai_docx(tmp_path / "genai-2026-08.docx", word, title=batch["name"])
    r = cli("add", d, "--dry-run", "--json")
    assert r.exit_code == 0, r.output
    rep = json.loads(r.output)
    assert rep["batch"] == "2026-08"
    got = {k: (v["rows"], v["new_filings"]) for k, v in rep["parts"].items()}
    assert got == {
        "genai_filings": (117, 0),
        "genai_registrations": (133, 0),
        "genai_on_device": (7, 0),
    }
    json_flags = {(i.reason, i.filing_number) for i in g.issues if i.batch == "2026-08"}
    ours = {(p["reason"], p["filing_number"]) for p in rep["problems"]}
    assert ours <= json_flags, ours - json_flags
