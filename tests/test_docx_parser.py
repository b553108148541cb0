"""The Word-list parser on tiny fixtures, one quirk per test."""

from __future__ import annotations

import zipfile

import pytest

from cnai_helpers.registry.docx_lists import ListFormatError, read_cac_docx
from tests.fixtures import (
    REC_HEADER,
    add_line_break,
    ds_row,
    has_grid_span,
    make_docx,
    num,
)


def test_three_rows_registry_and_batch_from_file(tmp_path):
    f = make_docx(tmp_path / "x.docx", [ds_row(i, num(serial=i)) for i in (1, 2, 3)])
    lst = read_cac_docx(f)
    assert lst.registry == "deep_synthesis"
    assert lst.batch == "2024-10"
    assert list(lst.rows["seq"]) == ["1", "2", "3"]
    assert lst.rows.loc[0, "entity_name"] == "北京示例科技有限公司"
    assert lst.rows.loc[2, "filing_number_raw"] == num(serial=3)
    assert list(lst.rows["source_row"]) == [2, 3, 4]


def test_recommendation_header_detected(tmp_path):
    f = make_docx(
        tmp_path / "r.docx",
        [ds_row(1, num())],
        header=REC_HEADER,
        title="境内互联网信息服务算法备案清单（2026年5月）",
    )
    lst = read_cac_docx(f)
    assert (lst.registry, lst.batch) == ("algorithm_recommendation", "2026-05")
    assert lst.rows.loc[0, "role_or_category"] == "服务提供者"


def test_blank_serial_numbers_noted_not_dropped(tmp_path):
    f = make_docx(tmp_path / "b.docx", [ds_row(i, num(serial=i), seq="") for i in (1, 2)])
    lst = read_cac_docx(f)
    assert len(lst.rows) == 2
    assert any(i.action == "note" and "序号 blank in 2 rows" in i.reason for i in lst.issues)


def test_merged_header_cell_grid_span(tmp_path):
    f = make_docx(
        tmp_path / "m.docx", [ds_row(i, num(serial=i)) for i in (1, 2)], merge_header_col=5
    )
    assert has_grid_span(f)
    lst = read_cac_docx(f)
    assert list(lst.rows["main_use"]) == ["应用于文本生成场景"] * 2
    assert lst.rows.loc[1, "filing_number_raw"] == num(serial=2)


def test_repeated_header_row_rejected_with_row_number(tmp_path):
    from tests.fixtures import DS_HEADER

    rows = [ds_row(1, num(serial=1)), list(DS_HEADER), ds_row(2, num(serial=2))]
    lst = read_cac_docx(make_docx(tmp_path / "h.docx", rows))
    assert len(lst.rows) == 2
    rej = [i for i in lst.issues if i.action == "rejected"]
    assert len(rej) == 1 and rej[0].row == 3 and "header" in rej[0].reason


def test_empty_row_rejected(tmp_path):
    rows = [ds_row(1, num(serial=1)), [""] * 8]
    lst = read_cac_docx(make_docx(tmp_path / "e.docx", rows))
    assert len(lst.rows) == 1
    assert [i.reason for i in lst.issues if i.action == "rejected"] == ["empty row"]


def test_line_breaks_and_full_width_characters(tmp_path):
    rows = [
        ds_row(
            1,
            "网信算备\u3000１１０１０８１２３４５６７８９２４０００１号",
            entity=" 示例（北京）科技\u3000有限公司 ",
        )
    ]
    f = make_docx(tmp_path / "w.docx", rows)
    add_line_break(f, 1, 1)
    lst = read_cac_docx(f)
    r = lst.rows.iloc[0]
    assert r["algorithm_name"] == "示例合成算法1\n第二行"
    assert r["entity_name"] == "示例（北京）科技 有限公司"  # punctuation kept as published
    from cnai_helpers.registry.numbers import parse_cac_number

    assert parse_cac_number(r["filing_number_raw"]).number == num()


def test_swapped_columns_repaired(tmp_path):
    row = ds_row(1, "应用于文本生成场景")
    row[5] = num(serial=7)  # number sits in 主要用途, purpose in 备案编号
    lst = read_cac_docx(make_docx(tmp_path / "s.docx", [row]))
    r = lst.rows.iloc[0]
    assert r["filing_number_raw"] == num(serial=7) and r["main_use"] == "应用于文本生成场景"
    assert any(i.action == "repaired" and "swapped" in i.reason for i in lst.issues)


@pytest.mark.parametrize("kind", ["text", "truncated", "wrong_columns", "no_title", "empty"])
def test_not_a_cac_list_is_a_clear_error(tmp_path, kind):
    f = tmp_path / "bad.docx"
    if kind == "text":
        f.write_text("hello")
    elif kind == "truncated":
        good = make_docx(tmp_path / "g.docx", [ds_row(1, num())])
        f.write_bytes(good.read_bytes()[:2000])
    elif kind == "wrong_columns":
        make_docx(f, [["a", "b", "c"]], header=["名称", "地址", "电话"])
    elif kind == "no_title":
        make_docx(
            f,
            [ds_row(1, num())],
            title=None,
            header=[
                "序号",
                "算法名称",
                "主体名称",
                "应用产品",
                "主要用途",
                "备案编号",
                "备注",
                "其他",
            ],
        )
    elif kind == "empty":
        with zipfile.ZipFile(f, "w") as z:
            z.writestr("nothing.txt", "")
    with pytest.raises(ListFormatError) as e:
        read_cac_docx(f)
    assert "bad.docx" in str(e.value)
