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
    batches = set(load_batches("deep_synthesis")["batch"])
    assert set(s["first_batch"]) == batches, "sample must cover every batch (stratified)"
    f = load_filings("deep_synthesis").set_index("filing_number")
    missing = set(s["filing_number"]) - set(f.index)
    assert not missing, f"labelled filings not in the registry: {sorted(missing)[:3]}"
    j = s.join(f[["application_product", "main_use"]], on="filing_number")
    pred_org = [c.org_type_by_rules(n) for n in j["entity_name"]]  # rules alone, no overrides
    pred_sec = c.classify_sectors(j)
    state = c.precision_recall(j["org_type"], pred_org, c.STATE_LINKED)
    cross = c.precision_recall(j["sector"], pred_sec, ["cross_sector"])
    # floors a regression in the rules would break (measured values are printed in who-files)
    assert state["precision"] >= 0.8
    assert state["recall"] >= 0.4
    assert cross["precision"] >= 0.85 and cross["recall"] >= 0.85
    assert c.accuracy(j["org_type"], pred_org) >= 0.9
