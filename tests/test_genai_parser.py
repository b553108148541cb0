"""The generative-AI list parser on a small JSON fixture."""

from __future__ import annotations

import pytest

from cnai_helpers.registry.genai import GenaiFormatError, read_genai_json
from tests.fixtures import APPLE_ON_DEVICE, genai_json, genai_row, genai_row_from_cells


@pytest.fixture
def gj(tmp_path):
    rows = [
        genai_row(
            "1",
            "北京市",
            "文心一言",
            "北京百度网讯科技有限公司",
            "Beijing-WenXinYiYan-20230821",
            "2023/8/31",
            "备案",
        ),
        genai_row(
            "2",
            "国资委",
            "某央企大模型",
            "中国某某集团有限公司",
            "ZhongYangQiYe-MouYangQi-202406010001",
            "2024/6/1",
            "备案",
        ),
        {
            "序号": "序号",
            "属地": "属地",
            "模型名称": "应用/功能名称",
            "备案单位": "登记单位",
            "备案号": "上线编号",
            "备案时间": "登记时间",
            "_kind": "备案",
        },
        genai_row(
            "1",
            "上海市",
            "AI民宿管家",
            "上海潮宿智能科技有限公司",
            "Shinghai-AIMinSuGuanJia-20240729S0020",
            "2024/7/29（补登）",
            "备案",
        ),
        genai_row(
            "2",
            "江苏省",
            "某应用",
            "南京某科技有限公司",
            "Jiangsu-MouYingYong-",
            "2024/7/30",
            "备案",
        ),
    ]
    batch2 = [
        genai_row(
            "3",
            "广东省",
            "广州某科技有限公司",
            "某某大模型",
            "Guangdong-MouMouDaMoXing-202503050020",
            "2025/3/20",
            "备案",
            new_header=True,
        ),
        genai_row_from_cells(APPLE_ON_DEVICE, "备案"),
    ]
    return genai_json(
        tmp_path / "g.json",
        [
            {"period": "2024-08", "name": "b1", "page": "https://example/1", "rows": rows},
            {"period": "2025-03", "name": "b2", "page": "https://example/2", "rows": batch2},
        ],
    )


def test_registry_from_number_not_from_kind(gj):
    g = read_genai_json(gj)
    r = g.rows.set_index("filing_number")
    assert r.loc["Beijing-WenXinYiYan-20230821", "registry"] == "genai_filings"
    assert r.loc["Shinghai-AIMinSuGuanJia-20240729S0020", "registry"] == "genai_registrations"
    assert r.loc["Shanghai-AppleZhiNeng-202506160057", "registry"] == "genai_on_device"
    assert any(i.action == "repaired" and "_kind 备案 contradicts" in i.reason for i in g.issues)


def test_repeated_header_rejected_and_counted(gj):
    g = read_genai_json(gj)
    assert len(g.rows) == 6
    rej = [i for i in g.issues if i.action == "rejected"]
    assert [(i.batch, i.row) for i in rej] == [("2024-08", 3)]


def test_truncated_number_takes_its_section_kind(gj):
    g = read_genai_json(gj)
    r = g.rows.set_index("filing_number").loc["Jiangsu-MouYingYong-"]
    assert r["registry"] == "genai_registrations" and r["province_code"] == "32"
    assert any("kind taken from its section (registration)" in i.reason for i in g.issues)


def test_central_soe_typo_prefix_and_date_note(gj):
    r = read_genai_json(gj).rows.set_index("filing_number")
    assert r.loc["ZhongYangQiYe-MouYangQi-202406010001", "province_code"] == "central_soe"
    reg = r.loc["Shinghai-AIMinSuGuanJia-20240729S0020"]
    assert reg["province_code"] == "31"
    assert reg["filing_date"] == "2024-07-29" and reg["filing_date_note"] == "(补登)"


def test_swapped_model_and_company(gj):
    g = read_genai_json(gj)
    r = g.rows.set_index("filing_number").loc["Guangdong-MouMouDaMoXing-202503050020"]
    assert r["entity_name"] == "广州某科技有限公司" and r["algorithm_name"] == "某某大模型"
    assert any("swapped" in i.reason for i in g.issues)


def test_bad_json_is_a_clear_error(tmp_path):
    p = tmp_path / "x.json"
    p.write_text("{not json")
    with pytest.raises(GenaiFormatError, match="x.json"):
        read_genai_json(p)
    p.write_text('{"rows": []}')
    with pytest.raises(GenaiFormatError, match="batches"):
        read_genai_json(p)
