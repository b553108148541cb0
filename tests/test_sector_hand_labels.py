"""The largest filers' sector coders' labels (data/curated/sector_hand_labels.csv): read and checked
row by row with errors naming file, line and problem; shown on the filer pages and in the
explorer beside the rules' call, never used by the who-files estimates; and the rules' agreement
with them (an extra, non-random check). Tiny fixtures written here; the real table is checked
against the real lists (marker ``mirror``)."""

from __future__ import annotations

import pandas as pd
import pytest

from cnai_helpers import curated
from cnai_helpers.analysis import evaluation as ev
from cnai_helpers.reports import explorer

URL = "https://www.cac.gov.cn/2024-04/02/c_1713729983803145.htm"
MEETING = "网信算备440305246796901230015号"  # a made-up number of the fixture


def label(number, sector="cross_sector", **kw):
    row = {
        "registry": "deep_synthesis",
        "filing_number": number,
        "entity_name": "深圳市示例计算机系统有限公司",
        "algorithm_name": "示例会议虚拟背景算法",
        "sector": sector,
        "horizontal_function": "no",
        "sector_confidence": "high",
        "basis": "purpose: 视频会议",
        "note": "",
        "coder": "test coder",
        "labelled_on": "2026-12-06",
        "source_url": URL,
        "source_tier": "official statement",
    }
    row.update(kw)
    return row


def write(tmp_path, rows) -> str:
    p = tmp_path / "sector_hand_labels.csv"
    pd.DataFrame(rows).to_csv(p, index=False)
    return p


def test_a_good_table_loads(tmp_path):
    p = write(
        tmp_path,
        [label(MEETING), label("B-0002", "unknown", sector_confidence="low", note="bare brand")],
    )
    df = curated.load_sector_hand_labels(p)
    assert list(df["sector"]) == ["cross_sector", "unknown"] and df.loc[0, "note"] == ""


@pytest.mark.parametrize(
    "change,expect",
    [
        ({"sector": "tourism"}, r"line 2 \(deep_synthesis .*\): sector must be one of"),
        ({"sector": "unclassified"}, r"line 2 .*sector must be one of"),  # the rules' word only
        ({"basis": "looks general"}, r"line 2 .*basis must match"),
        ({"source_url": ""}, r"line 2 .*no source_url"),
        ({"source_tier": "blog"}, r"line 2 .*source_tier must be one of"),
        ({"labelled_on": "6 Dec"}, r"line 2 .*labelled_on must match"),
        ({"coder": ""}, r"line 2 .*coder is empty"),
    ],
)
def test_a_bad_cell_is_named_by_file_line_and_column(tmp_path, change, expect):
    p = write(tmp_path, [label(MEETING, **change)])
    with pytest.raises(curated.CuratedTableError, match=f"sector_hand_labels.csv {expect}"):
        curated.load_sector_hand_labels(p)


def test_a_filing_labelled_twice_is_refused(tmp_path):
    p = write(tmp_path, [label(MEETING), label(MEETING, "education")])
    with pytest.raises(curated.CuratedTableError, match="duplicate registry, filing_number"):
        curated.load_sector_hand_labels(p)


@pytest.mark.parametrize(
    "change,why",
    [
        ({"sector_confidence": "low"}, "its confidence is low"),
        ({"sector": "unknown"}, "its sector is unknown"),
        ({"sector": "other_vertical"}, "its sector is other_vertical"),
    ],
)
def test_a_label_that_is_not_plain_needs_a_note(tmp_path, change, why):
    p = write(tmp_path, [label("A-0001"), label(MEETING, **change)])
    with pytest.raises(curated.CuratedTableError) as e:
        curated.load_sector_hand_labels(p)
    msg = str(e.value)
    assert f"line 3 (deep_synthesis {MEETING}): note is empty, but {why}" in msg, msg
    assert str(p) in msg


# ------------------------------------------------------------------ the check and the display


def filings_frame() -> pd.DataFrame:
    """Three filings as the core tables hold them: one the rules call tourism (景区 inside
    背景区域), one with an evaluation-sample label, one the rules leave unclassified."""
    return pd.DataFrame(
        {
            "registry": ["deep_synthesis"] * 3,
            "filing_number": [MEETING, "B-0002", "C-0003"],
            "entity_name": ["深圳市示例计算机系统有限公司"] * 3,
            "algorithm_name": ["示例会议虚拟背景算法", "示例医疗问答算法", "示例个性化推送算法"],
            "application_product": ["示例会议（APP）", "--", "示例视频（APP）"],
            "main_use": [
                "应用于视频会议场景，利用人像分割得到像素级背景区域，实现背景替换。",
                "应用于智能对话场景，生成医疗健康相关文本。",
                "应用于视频推荐，推送用户可能感兴趣的内容。",
            ],
            "sector": ["tourism_hospitality", "legal", "unclassified"],
            "sector_source": ["rule", "label", "rule"],
        }
    )


def test_the_rules_agreement_counts_unclassified_as_a_disagreement_and_leaves_unknown_out():
    hand = pd.DataFrame(
        [
            label(MEETING),
            label("B-0002", "healthcare"),
            label("C-0003", "media_entertainment", sector_confidence="low", note="a video feed"),
        ]
    )
    d = ev.hand_labelled_filings(hand, filings_frame())
    # the rules' own call, even where the core tables show an evaluation label (B-2: legal)
    assert list(d["pred_sector"]) == ["tourism_hospitality", "healthcare", "unclassified"]
    summary, conf = ev.hand_label_agreement(d)
    row = summary.set_index("registry").loc["all"]
    assert (row["labelled"], row["known label"], row["same sector"]) == (3, 3, 1)
    assert row["agreement"] == pytest.approx(1 / 3)
    assert row["rules' precision"] == pytest.approx(1 / 2)
    assert row["rules unclassified"] == pytest.approx(1 / 3)
    pairs = set(zip(conf["coder's label"], conf["rules' call"], strict=True))
    assert pairs == {
        ("cross_sector", "tourism_hospitality"),
        ("media_entertainment", "unclassified"),
    }
    # an unknown coder's label is not counted against the rules
    d2 = ev.hand_labelled_filings(
        pd.DataFrame([label("C-0003", "unknown", sector_confidence="low", note="bare brand")]),
        filings_frame(),
    )
    s2, c2 = ev.hand_label_agreement(d2)
    assert s2.set_index("registry").loc["all", "known label"] == 0 and c2.empty


def test_a_hand_label_of_a_filing_not_in_the_lists_is_named():
    hand = pd.DataFrame([label(MEETING), label("Z-0009")])
    with pytest.raises(
        ev.EvaluationError, match="sector_hand_labels.csv line 3: deep_synthesis Z-0009"
    ):
        ev.hand_labelled_filings(hand, filings_frame())


def test_pages_show_the_hand_label_marked_and_keep_the_rules_call():
    f = filings_frame()
    hand = pd.DataFrame(
        [
            label(MEETING),
            label("B-0002", "healthcare"),  # the evaluation sample's label (two coders) wins
            label("C-0003", "unknown", sector_confidence="low", note="bare brand"),
        ]
    )
    shown = explorer.sectors_shown(f, hand)
    assert list(shown["sector_shown"]) == ["cross_sector", "legal", "unknown"]
    assert list(shown["sector_how"]) == ["hand", "label", "hand"]
    assert list(shown["sector_by_rules"]) == ["tourism_hospitality", "healthcare", "unclassified"]
    # the core tables (what the estimates read) are untouched
    assert list(f["sector"]) == ["tourism_hospitality", "legal", "unclassified"]
    cov = explorer.sector_coverage(shown)
    assert (cov["n"], cov["known"], cov["hand"]) == (3, 2, 3)
    # without coders' labels: the core tables' sector, and nothing marked but the evaluation label
    plain = explorer.sectors_shown(f)
    assert list(plain["sector_shown"]) == list(f["sector"])
    assert explorer.sector_coverage(plain) == {"n": 3, "known": 2, "share": 2 / 3, "hand": 1}


@pytest.mark.mirror
def test_every_real_hand_label_names_a_published_filing(real_raw):
    from cnai_helpers.loaders import load_filings
    from cnai_helpers.registry.ensure import ensure_registry

    ensure_registry()
    f = load_filings()
    hand = curated.load_sector_hand_labels()
    d = ev.hand_labelled_filings(hand, f)
    assert len(d) == len(hand) >= 200
    # each row's filer and algorithm name are the published ones (the table is readable as is)
    pub = f.set_index(["registry", "filing_number"])
    for r in hand.itertuples():
        assert pub.loc[(r.registry, r.filing_number), "entity_name"] == r.entity_name, r
        assert pub.loc[(r.registry, r.filing_number), "algorithm_name"] == r.algorithm_name, r
    # the filings a reader named are there
    assert {"腾讯会议虚拟背景算法", "盖乐世AI", "临床决策"} <= set(hand["algorithm_name"])
