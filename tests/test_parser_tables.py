"""Every table and sheet of a list is accounted for (issue 29): a list continued in a table or
sheet without a header row is read with the previous header when the column count matches and
listed as a problem otherwise; each table is mapped by its own header; the add report states
the rows read per table. And the batch month of `registry add`: a real month, not after next
month, not a repeat of a known list. Tiny fixtures written here; the Word reader (lxml on
word/document.xml) against python-docx's object model on the same files."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import docx
import pytest
from typer.testing import CliRunner

import tests.test_registry_build as rb
from cnai_helpers.cli import app
from cnai_helpers.registry import add as add_mod
from cnai_helpers.registry.build import build
from cnai_helpers.registry.docx_lists import FIELDS, read_cac_docx
from cnai_helpers.registry.genai_tables import read_genai_tables
from cnai_helpers.registry.numbers import clean_text
from tests.fixtures import (
    DS_HEADER,
    GENAI_HEADER,
    ds_row,
    make_genai_xlsx,
    num,
)

project = rb.project  # the temporary-project fixture
runner = CliRunner()
TITLE = "境内深度合成服务算法备案清单（2026年5月）"
GENAI_TITLE = "生成式人工智能服务已备案和已登记信息（2026年8月）"


def word(path: Path, tables: list[list[list[str]]], title: str | None = TITLE) -> Path:
    """A Word file: the title paragraph, then one table per list of rows (given as is: a table
    has a header row only if its rows start with one)."""
    d = docx.Document()
    d.add_paragraph("附件")
    if title:
        d.add_paragraph(title)
    for rows in tables:
        t = d.add_table(rows=len(rows), cols=max(len(r) for r in rows))
        for r, values in zip(t.rows, rows, strict=True):
            for cell, text in zip(r.cells, values, strict=False):
                cell.text = text
        d.add_paragraph("")
    d.save(str(path))
    return path


def rows(first: int, n: int, region: str = "110108") -> list[list[str]]:
    return [ds_row(i, num(region, serial=i)) for i in range(first, first + n)]


def genai_rows(first: int, n: int) -> list[list[str]]:
    return [
        [
            str(i),
            "北京市",
            f"模型{i}",
            f"北京示例{i}有限公司",
            f"Beijing-MoXing{i}-2026080{i % 10}",
            "2026/8/1",
        ]
        for i in range(first, first + n)
    ]


# ---------------------------------------------------------------- CAC Word lists


def test_continuation_table_without_header_is_read(tmp_path):
    f = word(tmp_path / "l.docx", [[DS_HEADER, *rows(1, 6)], rows(7, 4)])
    lst = read_cac_docx(f)
    assert len(lst.rows) == 10  # none of the 4 continued rows lost
    assert list(lst.rows["seq"]) == [str(i) for i in range(1, 11)]
    assert lst.rows["source_row"].tolist() == [*range(2, 8), *range(8, 12)]
    assert lst.tables == [
        {"table": 1, "header": "own", "rows": 6},
        {"table": 2, "header": "previous", "rows": 4},
    ]
    notes = [i.reason for i in lst.issues if i.action == "note"]
    assert any("table 2 (4 rows) has no header row: read as a continuation" in n for n in notes)


def test_continuation_with_another_column_count_is_a_problem(tmp_path):
    f = word(tmp_path / "l.docx", [[DS_HEADER, *rows(1, 6)], [r[:5] for r in rows(7, 4)]])
    lst = read_cac_docx(f)
    assert len(lst.rows) == 6
    assert {"table": 2, "header": None, "rows": 0, "rows_not_read": 4} in lst.tables
    rejected = [i.reason for i in lst.issues if i.action == "rejected"]
    assert any("table 2 (4 rows) has no header row and 5 columns" in r for r in rejected)


def test_each_table_is_mapped_by_its_own_header(tmp_path):
    order = [0, 3, 1, 2, 4, 5, 6, 7]  # 主体名称 before 算法名称 in the second table
    second = [[DS_HEADER[j] for j in order], *[[r[j] for j in order] for r in rows(7, 3)]]
    lst = read_cac_docx(word(tmp_path / "l.docx", [[DS_HEADER, *rows(1, 2)], second]))
    assert len(lst.rows) == 5
    assert set(lst.rows["entity_name"]) == {"北京示例科技有限公司"}  # not the algorithm name
    assert lst.rows["algorithm_name"].str.startswith("示例合成算法").all()
    assert not [i for i in lst.issues if "repeated header" in i.reason]


def test_lxml_reader_matches_python_docx(tmp_path):
    """The Word reader (lxml iterparse on word/document.xml) sees the cell texts python-docx's
    object model sees, line breaks and full-width spaces included."""
    body = [[DS_HEADER, *rows(1, 3)]]
    body[0][2][1] = "多行\n名称\u3000含空格"
    f = word(tmp_path / "l.docx", body)
    lst = read_cac_docx(f)
    d = docx.Document(str(f))
    for i, row in enumerate(d.tables[0].rows[1:]):
        assert lst.rows.iloc[i][list(FIELDS)].tolist() == [clean_text(c.text) for c in row.cells]
    assert lst.rows.iloc[1]["algorithm_name"] == "多行\n名称 含空格"
    assert lst.title == TITLE


# ---------------------------------------------------------------- generative-AI lists


def test_xlsx_second_sheet_without_header_is_read(tmp_path):
    f = make_genai_xlsx(
        tmp_path / "g.xlsx",
        {"已备案": [GENAI_HEADER, *genai_rows(1, 5)], "续": genai_rows(6, 3)},
        title_row=GENAI_TITLE,
    )
    g = read_genai_tables(f)
    assert len(g.rows) == 8
    assert [t["rows"] for t in g.table_rows] == [5, 3]
    assert any("starts without a header row: read as a continuation" in i.reason for i in g.issues)


def test_xlsx_second_sheet_with_other_width_is_a_problem(tmp_path):
    f = make_genai_xlsx(
        tmp_path / "g.xlsx",
        {"已备案": [GENAI_HEADER, *genai_rows(1, 5)], "续": [r[:4] for r in genai_rows(6, 3)]},
        title_row=GENAI_TITLE,
    )
    g = read_genai_tables(f)
    assert len(g.rows) == 5
    lost = [t for t in g.table_rows if t.get("rows_not_read")]
    assert lost == [{"table": "sheet '续'", "rows": 0, "rows_not_read": 3}]
    assert any(i.action == "rejected" and "not read" in i.reason for i in g.issues)


def test_genai_word_second_table_without_header_is_read(tmp_path):
    f = word(
        tmp_path / "g.docx", [[GENAI_HEADER, *genai_rows(1, 4)], genai_rows(5, 2)], GENAI_TITLE
    )
    g = read_genai_tables(f)
    assert len(g.rows) == 6
    assert [t["rows"] for t in g.table_rows] == [4, 2]


# ---------------------------------------------------------------- registry add


def cli(*args):
    return runner.invoke(app, ["registry", *[str(a) for a in args]])


def test_add_report_states_rows_per_table_and_refuses_lost_rows(project, tmp_path):
    build(jobs=1)
    ok = word(tmp_path / "ok.docx", [[DS_HEADER, *rows(1, 6, "340104")], rows(7, 4, "340104")])
    r = cli("add", ok, "--dry-run", "--json")
    assert r.exit_code == 0, r.output
    rep = json.loads(r.output)
    assert [t["rows"] for t in rep["tables"]] == [6, 4] and rep["new_filings"] == 10
    text = cli("add", ok, "--dry-run")
    assert "table 1: 6 rows read" in text.output and "table 2: 4 rows read" in text.output
    bad = word(
        tmp_path / "bad.docx",
        [[DS_HEADER, *rows(1, 6, "340104")], [r[:5] for r in rows(7, 4, "340104")]],
    )
    r = cli("add", bad)
    assert r.exit_code == 1 and "4 rows of table 2 are not read" in r.output
    assert not (project / "data/local_sources.yaml").exists()


@pytest.mark.parametrize(
    ("title", "expect"),
    [
        ("境内深度合成服务算法备案清单（2026年13月）", "is not a month"),
        ("境内深度合成服务算法备案清单（2026年0月）", "is not a month"),
    ],
)
def test_impossible_month_is_refused(project, tmp_path, title, expect):
    build(jobs=1)
    f = word(tmp_path / "m.docx", [[DS_HEADER, *rows(1, 3)]], title=title)
    r = cli("add", f)
    assert r.exit_code == 1 and expect in r.output, r.output
    assert not (project / "data/local_sources.yaml").exists()


def test_month_after_next_needs_force(project, tmp_path):
    build(jobs=1)
    f = word(
        tmp_path / "m.docx",
        [[DS_HEADER, *rows(1, 3, "340104")]],
        title=TITLE.replace("2026", "2099"),
    )
    r = cli("add", f)
    assert r.exit_code == 1 and "after next month" in r.output, r.output
    r = cli("add", f, "--force")
    assert r.exit_code == 0, r.output


@pytest.mark.parametrize(
    ("batch", "today", "future"),
    [
        ("2026-12", dt.date(2026, 11, 30), False),  # next month: a list published early
        ("2027-01", dt.date(2026, 12, 1), False),  # across the year
        ("2027-02", dt.date(2026, 12, 31), True),
        ("2026-01", dt.date(2026, 12, 6), False),
    ],
)
def test_month_bounds(batch, today, future):
    assert bool(add_mod.check_month(Path("x.docx"), batch, today)) is future


def test_repeat_of_a_known_list_needs_force(project, tmp_path):
    build(jobs=1)
    first = word(tmp_path / "a.docx", [[DS_HEADER, *rows(1, 5, "340104")]])
    assert cli("add", first).exit_code == 0
    again = word(
        tmp_path / "b.docx",
        [[DS_HEADER, *rows(1, 5, "340104")]],
        title=TITLE.replace("5月", "6月"),
    )
    r = cli("add", again)
    assert r.exit_code == 1 and "repeats batch 2026-05" in r.output, r.output
    r = cli("add", again, "--dry-run")  # the dry run shows the report and exits 1
    assert r.exit_code == 1 and "would be refused" in r.output and "repeats batch" in r.output
    assert cli("add", again, "--force").exit_code == 0
