"""Organisation-type and sector rules; their precision and recall on the hand-labelled sample."""

from __future__ import annotations

import pandas as pd
import pytest

from cnai_helpers.analysis import classify as c


@pytest.mark.parametrize(
    "name,loc,expected",
    [
        ("中移(成都)信息通信科技有限公司", None, "central_soe"),
        ("国网信息通信产业集团有限公司", None, "central_soe"),
        ("某某科技有限公司", "国资委", "central_soe"),
        ("清华大学", None, "university"),
        ("重庆医科大学附属第二医院", None, "university"),
        ("北京智源人工智能研究院", None, "research_institute"),
        ("北京市市民热线服务中心", None, "government"),
        ("上海市第一人民医院", None, "government"),
        ("四川日报网络传媒发展有限公司", None, "local_soe"),
        ("苹果技术开发（上海）有限公司", None, "foreign"),
        ("三星（中国）投资有限公司", None, "foreign"),
        ("上海百事通信息技术股份有限公司", None, "private"),  # not Pepsi
        ("北京百度网讯科技有限公司", None, "private"),
        ("中国移动通信有限公司研究院", None, "central_soe"),  # SOE before research institute
    ],
)
def test_org_rules(name, loc, expected):
    assert c.org_type_by_rules(name, loc) == expected


def test_overrides_win_and_are_reasoned(tmp_path):
    ov = c.load_overrides()
    assert all(len(reason) >= 10 for _, reason in ov.values())
    names = pd.Series(["同方知网数字出版技术股份有限公司", "某某科技有限公司"])
    out = c.classify_orgs(names, overrides=ov)
    assert list(out["org_type"]) == ["central_soe", "private"]
    assert list(out["org_type_source"]) == ["override", "rules"]
    bad = tmp_path / "o.csv"
    bad.write_text(
        "entity_name,org_type,reason,source_url\nX,martian,long enough reason,http://x\n"
    )
    with pytest.raises(ValueError, match=r"o.csv line 2: org_type must be one of .*got .martian."):
        c.load_overrides(bad)


@pytest.mark.parametrize(
    "texts,expected",
    [
        (("智能语音合成算法", "", "应用于文本转语音场景"), "cross_sector"),
        (("医疗问诊助手", "", ""), "healthcare"),
        (("深度学习图像生成", "", "应用于图像生成场景"), "cross_sector"),  # 学习 is not education
        (("合同审查", "", "生成法律风险"), "legal"),
        (("电网调度大模型", "", ""), "energy_utilities"),
        (("雅思口语测评", "", ""), "education"),
    ],
)
def test_sector_rules(texts, expected):
    assert c.sector_by_rules(*texts) == expected


@pytest.mark.parametrize(
    "texts,expected",
    [
        # generative-AI model names: the name's own vertical words count
        (("星火认知大模型",), "cross_sector"),
        (("某某政务大模型",), "government_services"),
        (("AI学伴",), "education"),
        (("LawGPT法律大模型",), "legal"),
        (("MedGPT",), "healthcare"),
        (("FinGPT",), "finance"),
        (("智能座舱车载语音助手",), "automotive"),
        (("通信行业大模型算法",), "telecom"),
        # no vertical and no general-purpose signal: unclassified, not cross-sector
        (("变影",), "unclassified"),
        (("盘古",), "unclassified"),
        # an industry is named that the taxonomy does not know: unclassified, not cross-sector
        (("文本生成算法", "", "生成相应的文本内容，主要面向于殡葬服务领域。"), "unclassified"),
        # a generic "all industries" phrase is a cross-sector signal
        (("文本生成算法", "", "生成相应的文本内容，适用于各行业。"), "cross_sector"),
        # a 'domain' that is a horizontal function or a technique names no industry
        (("填报生成算法", "", "生成相应的文本内容，主要面向于智能填报领域。"), "cross_sector"),
        # English words that merely contain a vertical token do not count
        (("Infinity图像生成", "", ""), "cross_sector"),
        (("Reduce文本生成", "", "应用于文本生成场景"), "unclassified"),
    ],
)
def test_sector_rules_explicit_outcomes(texts, expected):
    assert c.sector_by_rules(*texts) == expected


@pytest.mark.parametrize(
    "texts,sector,horizontal",
    [
        (("钉钉智能客服算法", "钉钉（APP）", "应用于在线智能客服场景"), "cross_sector", True),
        (("某银行智能客服算法", "某银行（APP）", "应用于智能客服场景"), "finance", True),
        (("会议纪要生成算法", "", "应用于文本生成场景"), "cross_sector", True),
        (("医疗问诊助手", "", ""), "healthcare", False),
        (("图像生成算法", "", "应用于图像生成场景"), "cross_sector", False),
    ],
)
def test_horizontal_function_and_broad_cross_sector(texts, sector, horizontal):
    call = c.sector_call(*texts)
    assert (call.sector, call.horizontal_function) == (sector, horizontal)
    assert call.is_cross_sector == (sector == "cross_sector")
    assert call.is_cross_sector_broad == (sector == "cross_sector" or horizontal)


def test_classify_sectors_detail_columns():
    f = pd.DataFrame(
        {
            "algorithm_name": ["某银行智能客服算法", "变影", "图像生成算法"],
            "application_product": ["", None, ""],
            "main_use": ["应用于智能客服场景", None, "应用于图像生成场景"],
        }
    )
    d = c.classify_sectors_detail(f)
    assert list(d["sector"]) == ["finance", "unclassified", "cross_sector"]
    assert list(d["horizontal_function"]) == [True, False, False]
    assert list(d["is_cross_sector"]) == [False, False, True]
    assert list(d["is_cross_sector_broad"]) == [True, False, True]
    assert list(d["sector_signal"]) == ["vertical", "none", "general_purpose"]
    assert list(c.classify_sectors(f)) == list(d["sector"])


def test_precision_recall_and_wilson():
    pr = c.precision_recall(["a", "a", "b", "b"], ["a", "b", "a", "b"], ["a"])
    assert (pr["tp"], pr["fp"], pr["fn"]) == (1, 1, 1)
    assert pr["precision"] == 0.5 and pr["recall"] == 0.5
    lo, hi = c.wilson_interval(22, 100)
    assert lo == pytest.approx(0.1500, abs=1e-3) and hi == pytest.approx(0.3107, abs=1e-3)
    assert c.wilson_interval(0, 10)[0] == 0


@pytest.mark.mirror
def test_classifiers_on_the_hand_labelled_sample(real_raw):
    from cnai_helpers.curated import load_labelled_sample
    from cnai_helpers.loaders import load_batches, load_filings

    s = load_labelled_sample()
    assert len(s) >= 200
    assert set(s["org_type"]) <= set(c.ORG_TYPES) and set(s["sector"]) <= set(c.SECTORS)
    # stratified over every batch published when it was drawn (lists added since are not in it)
    drawn = max(s["first_batch"])
    batches = {b for b in load_batches("deep_synthesis")["batch"] if b <= drawn}
    assert set(s["first_batch"]) == batches, "sample must cover every batch (stratified)"
    f = load_filings("deep_synthesis").set_index("filing_number")
    missing = set(s["filing_number"]) - set(f.index)
    assert not missing, f"labelled filings not in the registry: {sorted(missing)[:3]}"
    j = s.join(f[["application_product", "main_use"]], on="filing_number")
    pred_org = [c.org_type_by_rules(n) for n in j["entity_name"]]  # rules alone, no overrides
    pred_sec = c.classify_sectors(j)
    state = c.precision_recall(j["org_type"], pred_org, c.STATE_LINKED)
    cross = c.precision_recall(j["sector"], pred_sec, ["cross_sector"])
    assert set(pred_sec) <= set(c.SECTORS) - {"unknown", "other_vertical"}
    # floors a regression in the rules would break (measured values are printed in who-files)
    assert state["precision"] >= 0.8
    assert state["recall"] >= 0.4
    assert cross["precision"] >= 0.85 and cross["recall"] >= 0.85
    assert c.accuracy(j["org_type"], pred_org) >= 0.9


def test_held_out_scores_leave_out_rows_a_later_rule_decides():
    """A referee: rules of pass 3 (6 December) were written after the held-out labels were
    committed (29 November) and two of them decide held-out rows (咪咕 GA-097, 浪潮 DS-045), so
    those rows were not held out from them. The YAML marks such entries `later`; they apply as
    any other, and the held-out scores leave out the rows they decide."""
    import pandas as pd

    from cnai_helpers.analysis import evaluation as ev
    from cnai_helpers.enrich import rules

    assert rules.org_type_call("咪咕视讯科技有限公司") == ("central_soe", "central_soe: 咪咕")
    names = [
        "咪咕视讯科技有限公司",
        "中国移动通信有限公司",
        "浪潮软件股份有限公司",
        "某某外商独资科技有限公司",
        "Nvidia Shanghai",
        "北京某某科技有限公司",
        "咪咕音乐有限公司",
    ]
    calls = [rules.org_type_call(n)[1] for n in names[:6]]
    d = pd.DataFrame({"pred_org_rule": [*calls, "override: owned by 咪咕"]})  # fmt: skip
    assert ev.decided_later(d).tolist() == [True, False, True, True, True, False, False]
    held = ev.with_predictions(ev.adjudicated_labels(), rules.load_overrides())
    later = held.loc[ev.decided_later(held), "sample_id"]
    assert {"GA-097", "DS-045"} <= set(later), sorted(later)
