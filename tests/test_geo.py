"""Geographic concentration functions on small frames with hand-computed answers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from cnai_helpers.analysis import geo


def frame(rows):
    return pd.DataFrame(
        rows,
        columns=[
            "province_code",
            "city_code",
            "lat",
            "lon",
            "algorithm_name",
            "main_use",
            "first_batch",
        ],
    )


def test_city_codes_by_pinyin_and_chinese():
    assert geo.city_code("Shenzhen") == "440300"
    assert geo.city_code("深圳") == "440300"
    assert geo.city_code("beijing") == "110100"
    assert geo.city_code("Hefei") == "340100"
    with pytest.raises(ValueError, match="unknown city"):
        geo.city_code("Atlantis")


def test_haversine_known_distance():
    # Beijing to Shanghai is about 1,070 km great-circle
    d = geo.haversine_km(39.9042, 116.4074, 31.2304, 121.4737)
    assert 1050 < float(d) < 1090
    assert float(geo.haversine_km(30, 120, 30, 120)) == 0


def test_hhi_gini_lorenz_top_k():
    assert geo.hhi([1.0]) == 10_000
    assert geo.hhi([0.5, 0.5]) == 5_000
    assert geo.gini([1, 1, 1, 1]) == 0
    assert geo.gini([0, 0, 0, 4]) == pytest.approx(0.75)
    lz = geo.lorenz([1, 3])
    assert list(lz["share_of_filings"]) == [0, 0.25, 1]
    assert geo.top_k_share(pd.Series([5, 3, 2]), 2) == 0.8
    assert geo.top_k_share(pd.Series([5, 3, 2]), 2, total=16) == 0.5  # central SOEs in the total
    assert math.isnan(geo.gini([0, 0]))


def test_shares_hubs_and_radius():
    f = frame(
        [
            ("11", "110100", 39.96, 116.30, "a", "", "2024-01"),  # Haidian, ~10 km from centre
            ("13", "130600", 38.87, 115.46, "b", "", "2024-01"),  # Baoding, ~140 km
            ("44", "440300", 22.53, 113.93, "c", "", "2024-02"),  # Shenzhen Nanshan
            ("51", "510100", 30.57, 104.06, "d", "", "2024-02"),  # Chengdu, far
            ("central_soe", None, np.nan, np.nan, "e", "", "2024-02"),
        ]
    )
    hubs = ["110100", "440300"]
    centres = [geo.city_centre(c) for c in hubs]
    assert geo.share_in(f, "city_code", hubs) == 0.4
    assert geo.share_within(f, centres, 50) == 0.4
    assert geo.share_within(f, centres, 200) == 0.6
    curve = geo.radius_curve(f, centres, [0, 50, 200, 3000])
    assert list(curve["share"]) == [0, 0.4, 0.6, 0.8]  # no coordinates: never inside
    s = geo.shares(f, "province_code")
    assert s["share"].sum() == pytest.approx(1) and s["filings"].sum() == 5
    pc = geo.province_counts(f)
    assert pc.sum() == 4 and pc["11"] == 1 and pc["65"] == 0 and len(pc) == 31


def test_concentration_by_batch_cumulative_and_new():
    f = frame(
        [
            ("11", "110100", 39.9, 116.4, "", "", "2024-01"),
            ("11", "110100", 39.9, 116.4, "", "", "2024-01"),
            ("51", "510100", 30.6, 104.1, "", "", "2024-02"),
            ("52", "520100", 26.6, 106.7, "", "", "2024-02"),
        ]
    )
    cum = geo.concentration_by_batch(f, ["110100"], ["11"], cumulative=True)
    assert list(cum["filings"]) == [2, 4]
    assert list(cum["hub_city_share"]) == [1.0, 0.5]
    assert cum["hhi"].iloc[0] == 10_000 and cum["hhi"].iloc[1] == pytest.approx(3750)
    new = geo.concentration_by_batch(f, ["110100"], ["11"], cumulative=False)
    assert list(new["hub_city_share"]) == [1.0, 0.0]


def test_use_case_keywords_and_location_quotients():
    assert geo.use_cases("智能语音合成算法") == ["speech & voice"]
    assert set(geo.use_cases("数字人视频生成")) == {"video", "digital human"}
    assert geo.use_cases("tts engine") == ["speech & voice"]
    assert geo.use_cases("推荐排序") == []
    f = frame(
        [("34", None, np.nan, np.nan, "语音合成", "", "x")] * 3
        + [("34", None, np.nan, np.nan, "图像生成", "", "x")]
        + [("11", None, np.nan, np.nan, "图像生成", "", "x")] * 4
    )
    lq = geo.location_quotients(f, min_filings=1)
    # Anhui: 3/4 speech vs national 3/8 -> LQ 2; Beijing has none -> 0
    assert lq.loc["34", "speech & voice"] == pytest.approx(2.0)
    assert lq.loc["11", "speech & voice"] == 0
    assert lq.loc["11", "image"] == pytest.approx(1 / (5 / 8))


def test_weighted_mean_weights_by_filings():
    d = pd.DataFrame({"share": [0.0, 1.0], "filings": [1, 3]})
    assert geo.weighted_mean(d, "share") == pytest.approx(0.75)


def test_use_case_profile_matches_location_quotients():
    f = frame(
        [("34", None, np.nan, np.nan, "语音合成", "", "x")] * 3
        + [("34", None, np.nan, np.nan, "图像生成", "", "x")]
        + [("11", None, np.nan, np.nan, "图像生成", "", "x")] * 4
    )
    p = geo.use_case_profile(f, "34")
    assert p.loc["speech & voice", "province share"] == pytest.approx(0.75)
    assert p.loc["speech & voice", "national share"] == pytest.approx(3 / 8)
    assert p.loc["speech & voice", "location quotient"] == pytest.approx(2.0)
    assert p.loc["image", "location quotient"] == pytest.approx((1 / 4) / (5 / 8))


def test_hub_shares_by_definition_and_without_cities():
    bj = (39.9042, 116.4074)
    f = frame(
        [("11", "110100", *bj, "a", "", "x")] * 2
        + [("13", "130600", 38.87, 115.46, "a", "", "x")]  # Baoding: ~140 km from Beijing
        + [("32", "320100", 32.06, 118.79, "a", "", "x")]  # Nanjing
    )
    s = geo.hub_shares(f, ["110100"], ["11"], "32", [bj], 150.0)
    assert s["hub_cities"] == 0.5 and s["hub_provinces_4"] == 0.5
    assert s["hub_provinces_5"] == 0.75 and s["hub_metro"] == 0.75
    no_city = f.assign(city_code=None)
    s = geo.hub_shares(no_city, ["110100"], ["11"], "32", [bj], 150.0)
    assert s["hub_cities"] is None and s["hub_metro"] is None and s["hub_provinces_4"] == 0.5


def test_location_quotients_blank_cells_with_few_matching_filings():
    f = frame(
        [("34", None, np.nan, np.nan, "语音合成", "", "x")] * 3
        + [("34", None, np.nan, np.nan, "图像生成", "", "x")]
        + [("11", None, np.nan, np.nan, "图像生成", "", "x")] * 4
    )
    lq = geo.location_quotients(f, min_filings=1, min_cases=3)
    # Anhui has 3 speech filings (kept), 1 image filing (blank); Beijing 4 image (kept), 0 speech (blank)
    assert lq.loc["34", "speech & voice"] == pytest.approx(2.0)
    assert np.isnan(lq.loc["34", "image"])
    assert lq.loc["11", "image"] == pytest.approx(1 / (5 / 8))
    assert np.isnan(lq.loc["11", "speech & voice"])
    counts = geo.use_case_counts(f, min_filings=1)
    assert counts.loc["34", "speech & voice"] == 3
    assert counts.loc["11", "speech & voice"] == 0


def test_use_case_coverage_is_the_share_with_any_use_case():
    f = frame(
        [("34", None, np.nan, np.nan, "语音合成", "", "x")]
        + [("11", None, np.nan, np.nan, "推荐排序", "", "x")] * 3
    )
    assert geo.use_case_coverage(f) == pytest.approx(0.25)


def test_prefectures_read_as_english_names_not_run_together_pinyin():
    from cnai_helpers.registry.geography import pinyin_name, region

    assert pinyin_name("深圳市") == "Shenzhen"
    # two cities with one pinyin: the lesser-known one (or both) with its province
    assert [pinyin_name(n) for n in ("苏州市", "宿州市", "泰州市", "台州市")] == [
        "Suzhou", "Suzhou (Anhui)", "Taizhou (Jiangsu)", "Taizhou (Zhejiang)",
    ]  # fmt: skip
    # an autonomous prefecture: the nationalities it is named for are not part of the place
    assert pinyin_name("黔西南布依族苗族自治州") == "Qianxinan Prefecture"
    assert pinyin_name("湘西土家族苗族自治州") == "Xiangxi Prefecture"  # 土家 whole, not 土
    assert pinyin_name("巴音郭楞蒙古自治州") == "Bayingolin Prefecture"  # no 族; its English name
    assert pinyin_name("海南藏族自治州") == "Hainan Prefecture"  # not the province
    assert pinyin_name("喀什地区") == "Kashgar Prefecture"
    assert pinyin_name("阿拉善盟") == "Alxa League"
    assert pinyin_name("陵水黎族自治县") == "Lingshui"
    # pinyin orthography: an apostrophe before a syllable starting with a, o or e
    assert [pinyin_name(n) for n in ("西安市", "马鞍山市", "淮安市", "延安市")] == [
        "Xi'an",
        "Ma'anshan",
        "Huai'an",
        "Yan'an",
    ]
    # the English names that are not pinyin, and a heteronym pinyin software misreads
    assert [pinyin_name(n) for n in ("哈尔滨市", "乌鲁木齐市", "长治市", "长沙市")] == [
        "Harbin",
        "Urumqi",
        "Changzhi",
        "Changsha",
    ]
    assert geo.city_code("Xi'an") == "610100"
    # a place whose own name ends in a nationality's character keeps it (one character, no 族)
    assert pinyin_name("白山市") == "Baishan"
    assert region("522301").city_en == "Qianxinan Prefecture"  # a city in that prefecture


def test_change_interval_is_wide_for_swinging_lists_and_narrow_for_steady_ones():
    """The change in a share between the halves of the lists, with lists resampled within each
    half: steady shares give an interval away from 0, shares swinging list to list one across it."""
    import pandas as pd

    from cnai_helpers.analysis import geo

    def half(vals):
        return pd.DataFrame({"s": vals, "filings": [100] * len(vals)})

    lo, hi = geo.change_interval(half([0.80, 0.81, 0.79]), half([0.70, 0.71, 0.69]), "s")
    assert hi < 0 and lo > -0.2
    lo, hi = geo.change_interval(half([0.52, 0.80, 0.60]), half([0.55, 0.78, 0.58]), "s")
    assert lo < 0 < hi


@pytest.mark.parametrize(
    "k,n,national",
    [(12, 95, 0.05), (30, 200, 0.12), (10, 10, 0.5), (1, 3000, 0.001), (250, 1600, 0.15)],
)
def test_distinctive_use_case_tests_like_scipy_binomtest(k, n, national):
    """The one-sided test's decision is scipy.stats.binomtest's (alternative "greater") at the
    edge of significance: alpha just above and just below that p-value."""
    from scipy.stats import binomtest

    p = binomtest(k, n, national, alternative="greater").pvalue
    mix = pd.DataFrame(
        {
            "province filings": [k],
            "province share": [k / n],
            "national share": [national],
            "location quotient": [(k / n) / national],
        },
        index=["video"],
    )
    above, below = p * (1 + 1e-6) + 1e-300, p * (1 - 1e-6)
    assert geo.distinctive_use_case(mix, min_filings=1, alpha=above) == (
        "video",
        (k / n) / national,
    )
    assert geo.distinctive_use_case(mix, min_filings=1, alpha=below) is None
