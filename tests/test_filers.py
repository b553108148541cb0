"""Who is one filer (entity part of the CAC number, names), its permalink, and the search the
explorer page and `cnai registry search` share, on a tiny table written here."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from cnai_helpers import filers
from cnai_helpers.cli import app


def filing(registry, number, name, batch, **kw):
    return {
        "registry": registry,
        "filing_key": number,
        "filing_number": number,
        "entity_name": name,
        "entity_key": name,
        "first_batch": batch,
        "algorithm_name": kw.get("algo", "示例算法"),
        "application_product": kw.get("product"),
        "name_token": kw.get("token"),
        "province_code": kw.get("province", "11"),
        "province_en": kw.get("province_en", "Beijing"),
        "province_zh": kw.get("province_zh", "北京市"),
    }


ZHIPU_OLD, ZHIPU_NEW = "北京智谱华章科技有限公司", "北京智谱华章科技股份有限公司"


@pytest.fixture
def table():
    return pd.DataFrame(
        [
            # renamed between lists: one entity part (1058580), two names
            filing("deep_synthesis", "网信算备110108105858001230019号", ZHIPU_OLD, "2023-06"),
            filing(
                "algorithm_recommendation", "网信算备110108105858002250013号", ZHIPU_NEW, "2025-11"
            ),
            # the generative-AI list has no entity part: joins the filer by its name
            filing(
                "genai_filings", "Beijing-ChatGLM-20230821", ZHIPU_OLD, "2024-04", token="ChatGLM"
            ),
            # one name, two entity parts (filed twice with different numbers): one filer
            filing(
                "deep_synthesis",
                "网信算备110108597433901240013号",
                "北京车之家信息技术有限公司",
                "2024-02",
            ),
            filing(
                "deep_synthesis",
                "网信算备110108011878002220019号",
                "北京车之家信息技术有限公司",
                "2024-04",
            ),
            # only on a generative-AI list: an id from its name
            filing(
                "genai_filings",
                "Shanghai-MiniMax-20230821",
                "上海稀宇科技有限公司",
                "2023-08",
                province="31",
                province_en="Shanghai",
                province_zh="上海市",
                product="海螺ＡＩ",  # full-width letters
            ),
        ]
    )


def test_entity_part():
    assert filers.entity_part("网信算备110108105858001230019号") == "1058580"
    assert filers.entity_part("网信算备 110108105858001230019 号") == "1058580"
    assert filers.entity_part("网信算备1101081058580012300191号") is None  # 22 digits
    assert filers.entity_part("Beijing-ChatGLM-20230821") is None


def test_a_renamed_filer_keeps_one_id_and_names_are_merged(table):
    ids, aliases = filers.assign_filers(table)
    assert list(ids[:3]) == ["1058580"] * 3  # both names and the genai filing
    assert ids[3] == ids[4] == "5974339"  # the part of its earliest filing
    assert aliases["0118780"] == "5974339"
    assert ids[5] == filers.name_id("上海稀宇科技有限公司") and ids[5].startswith("n")
    assert aliases[filers.name_id(ZHIPU_NEW)] == "1058580"


def test_pinyin_reads_words():
    assert filers.pinyin("重庆银行股份有限公司") == (
        "chongqingyinhanggufenyouxiangongsi",
        "cqyhgfyxgs",
    )
    full, initials = filers.pinyin("深圳TCL新技术有限公司")
    assert full == "shenzhentclxinjishuyouxiangongsi" and initials == "szxjsyxgs"


@pytest.mark.parametrize(
    ("query", "numbers"),
    [
        ("智谱", {0, 1, 2}),
        ("ZhiPu", {0, 1, 2}),  # pinyin, any case
        ("bjzphz", {0, 1, 2}),  # initials
        ("gufen zhipu", {0, 1, 2}),  # every word, anywhere in the filer's names
        ("1058580", {0, 1}),  # entity part of the number
        ("chatglm", {2}),  # model token of a generative-AI number
        ("海螺AI", {5}),  # full-width product text matches half-width
        ("zhipu chatglm", {2}),
        ("zhipu minimax", set()),
    ],
)
def test_search_matches_like_the_page(table, query, numbers):
    found = filers.search(table, query)
    assert set(found["filing_number"]) == {table["filing_number"][i] for i in numbers}


def test_search_filters(table):
    assert set(filers.search(table, "zhipu", registry="deep_synthesis")["filing_number"]) == {
        "网信算备110108105858001230019号"
    }
    # a filer's other names still match when its other registries are filtered out
    assert len(filers.search(table, "gufen", registry="genai_filings")) == 1
    for p in ("31", "shanghai", "上海", "上海市"):
        assert list(filers.search(table, "", province=p)["entity_name"]) == ["上海稀宇科技有限公司"]


@pytest.mark.mirror
def test_cli_search_json_agrees_with_the_function(real_raw):
    from cnai_helpers.loaders import load_filings

    out = CliRunner().invoke(app, ["registry", "search", "zhipu", "--province", "11", "--json"])
    assert out.exit_code == 0, out.output
    got = json.loads(out.output)
    want = filers.search(load_filings(), "zhipu", province="11")
    assert got["count"] == len(want) > 0
    assert {r["filing_number"] for r in got["filings"]} == set(want["filing_number"])
    bad = CliRunner().invoke(app, ["registry", "search", "x", "--registry", "nope"])
    assert bad.exit_code == 2 and "choose from" in bad.output


def test_a_filer_pages_pinyin_reads_word_by_word_and_search_still_finds_the_run():
    """The filer page's pinyin subtitle was one run of 60 letters: it reads word by word,
    capitalised, brackets made ASCII, an apostrophe where syllables would run together; the
    search text keeps the run and the initials, and a reader's words find the filer too."""
    name = "北京深度求索人工智能基础技术研究有限公司"
    assert filers.readable_pinyin(name) == (
        "Beijing Shendu Qiusuo Rengong Zhineng Jichu Jishu Yanjiu Youxian Gongsi"
    )
    assert (
        filers.readable_pinyin("三星（中国）投资有限公司")
        == "Sanxing (Zhongguo) Touzi Youxian Gongsi"
    )
    assert filers.readable_pinyin("西安天和防务技术股份有限公司").startswith("Xi'an ")
    assert filers.readable_pinyin("Apple Inc.") == ""  # no Chinese: nothing to read aloud
    text = filers.filer_text([name])
    assert "beijingshenduqiusuo" in text and "bjsdqs" in text
    for words in ("Shendu Qiusuo", "beijingshendu"):  # the explorer: every part must occur
        assert all(w in text for w in words.lower().split()), words


def test_group_of_names_a_group_by_its_pattern_and_leaves_out_lookalikes():
    import pandas as pd

    table = pd.DataFrame(
        [
            {"group": "JD.com", "name_pattern": "(?<!北)京东(?!方)", "source_url": "https://x",
             "source_tier": "other", "note": ""},
            {"group": "Meituan", "name_pattern": "美团|三快", "source_url": "https://y",
             "source_tier": "other", "note": ""},
        ]
    )  # fmt: skip
    got = filers.group_of(
        ["北京京东世纪贸易有限公司", "京东方科技集团股份有限公司", "北京东方天澍科技有限公司",
         "北京三快科技有限公司"], table,
    )  # fmt: skip
    assert {k: v["group"] for k, v in got.items()} == {
        "北京京东世纪贸易有限公司": "JD.com",
        "北京三快科技有限公司": "Meituan",
    }


@pytest.mark.mirror
def test_every_listed_group_reaches_its_entities_and_no_other_company():
    """The curated groups on the real lists: each group matches some filer; Tencent's Shenzhen
    company, Tencent Cloud and Tencent Music are one group; no lookalike joins a group (京东方 is
    BOE, 中网易企秀 is not NetEase, 北京蚂蚁工场 is not Ant Group); each row has a source and tier."""
    from cnai_helpers.loaders import load_filings
    from cnai_helpers.metadata import read_curated

    table = read_curated("filer_groups")
    assert table["source_url"].str.startswith("http").all() and table["source_tier"].notna().all()
    names = load_filings()["entity_name"].unique()
    groups = filers.group_of(names, table)
    assert set(table["group"]) == {g["group"] for g in groups.values()}
    tencent = {n for n, g in groups.items() if g["group"] == "Tencent"}
    assert {
        "深圳市腾讯计算机系统有限公司",
        "腾讯云计算（北京）有限责任公司",
        "腾讯音乐娱乐（深圳）有限公司",
    } <= tencent
    for lookalike in ("京东方科技集团股份有限公司", "北京中网易企秀科技有限公司", "北京蚂蚁工场智造科技有限公司",
                      "北京东方天澍科技有限公司", "道有道（广州）数字服务有限公司"):  # fmt: skip
        assert lookalike not in groups, (lookalike, groups.get(lookalike))


@pytest.mark.mirror
def test_a_tables_filer_links_to_its_page_with_its_english_name():
    """The registry and province pages listed their largest filers in Chinese only, unlinked:
    each name now links to its filer page (the explorer's id) and carries its English name."""
    from cnai_helpers.display import table_html
    from cnai_helpers.loaders import load_filings

    f = load_filings()
    links = filers.page_links(
        ["深圳市腾讯计算机系统有限公司", "北京抖音信息服务有限公司", "无此公司"], f
    )
    assert links["filer_page"].tolist()[:2] == ["../filer/2959887.html", links["filer_page"][1]]
    assert links["filer_page"][1].startswith("../filer/") and pd.isna(links["filer_page"][2])
    assert links["filer"].tolist()[:2] == [
        "深圳市腾讯计算机系统有限公司 \u2014 Tencent",
        "北京抖音信息服务有限公司 \u2014 Douyin (ByteDance)",
    ]
    html = table_html(links.assign(n=[20, 25, 1]), link_text={"filer_page": "filer"})
    assert '<a href="../filer/2959887.html">深圳市腾讯计算机系统有限公司 \u2014 Tencent</a>' in html
    assert "无此公司" in html and "javascript" not in html


def test_top_filers_counts_a_filer_once_whatever_its_brackets_and_provinces():
    """The registry pages' and who-files' tables of the most prolific filers (a reader found
    中国铁塔 split by province and 滴滴 by its brackets): one row per filer key, named by the
    name it files under most, its provinces joined, linked to its page."""
    g, sasac = "genai_filings", {"province_en": "Central SOEs (SASAC)"}
    rows = [
        filing(g, "Beijing-A-1", "滴滴出行（北京）", "2024-04"),
        filing(g, "Beijing-A-2", "滴滴出行(北京)", "2024-08"),
        filing(g, "Beijing-B-1", "中国铁塔", "2024-04"),
        filing(g, "Beijing-B-2", "中国铁塔", "2024-08"),
        filing(g, "SASAC-B-3", "中国铁塔", "2024-08", **sasac),
        filing(g, "Beijing-C-1", "小公司", "2024-08"),
    ]
    f = pd.DataFrame(rows).assign(org_type=["private"] * 2 + ["central_soe"] * 3 + ["private"])
    f.loc[:1, "entity_key"] = "滴滴出行(北京)"  # the filer key: brackets normalised
    top = filers.top_filers(f, 2, f, every=("province_en",), most=("org_type",))
    assert top["entity_key"].tolist() == ["中国铁塔", "滴滴出行(北京)"]  # most first; 小公司 cut
    assert top["filings"].tolist() == [3, 2]
    assert top.loc[0, "province_en"] == "Beijing / Central SOEs (SASAC)"
    assert top.loc[0, "org_type"] == "central_soe"
    assert top["filer_page"].str.fullmatch(r"\.\./filer/[^/]+\.html").all()
