"""Filing-number parsers: examples and property-based tests (hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cnai_helpers.registry.geography import provinces, region
from cnai_helpers.registry.numbers import (
    NumberError,
    parse_cac_number,
    parse_genai_number,
)

PROVINCE_CODES = sorted(provinces()["province_code"])
PREFIXES = sorted(provinces()["genai_prefix"])


def test_cac_example():
    n = parse_cac_number("网信算备110108970550101240011号")
    assert (n.region_code, n.filing_year, n.serial, n.problems) == ("110108", 2024, "0011", ())
    r = region(n.region_code)
    assert (r.province_en, r.city_zh, r.district_zh) == ("Beijing", "北京市", "海淀区")


def test_cac_22_digits_flagged_but_parsed():
    n = parse_cac_number("网信算备1101082242366066220017号")
    assert n.filing_year == 2022 and n.serial == "0017"
    assert n.problems and "22 digits" in n.problems[0]


def test_cac_invalid_region_prefix():
    n = parse_cac_number("网信算备406301334627601250011号")
    assert not region(n.region_code).valid
    assert region(n.region_code).province_code == "unknown"


@pytest.mark.parametrize("bad", ["", "网信算备号", "ABC123", "网信算备12345号"])
def test_cac_rejects_garbage(bad):
    with pytest.raises(NumberError):
        parse_cac_number(bad)


@given(
    prov=st.sampled_from(PROVINCE_CODES),
    rest=st.text("0123456789", min_size=4, max_size=4),
    entity=st.text("0123456789", min_size=9, max_size=9),
    yy=st.integers(20, 30),
    serial=st.integers(0, 9999),
    spaces=st.booleans(),
    fullwidth=st.booleans(),
)
def test_cac_roundtrip(prov, rest, entity, yy, serial, spaces, fullwidth):
    digits = f"{prov}{rest}{entity}{yy:02d}{serial:04d}"
    text = f"网信算备{digits}号"
    if fullwidth:
        text = text.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})
    if spaces:
        text = " " + text[:6] + "\n" + text[6:] + " "
    n = parse_cac_number(text)
    assert n.number == f"网信算备{digits}号"
    assert n.region_code == digits[:6]
    assert n.filing_year == 2000 + yy
    assert n.serial == f"{serial:04d}"
    assert n.problems == ()
    assert region(n.region_code).province_code == prov


def test_genai_examples():
    f = parse_genai_number("Beijing-DeepseekChat-202404280016")
    assert (f.kind, f.province_code, f.name_token, f.date, f.serial) == (
        "filing",
        "11",
        "DeepseekChat",
        "2024-04-28",
        "0016",
    )
    r = parse_genai_number("Beijing-BianYing-20240428S0001")
    assert (r.kind, r.serial, r.date) == ("registration", "0001", "2024-04-28")
    early = parse_genai_number("Beijing-WenXinYiYan-20230821")
    assert (early.kind, early.serial) == ("filing", None)
    soe = parse_genai_number("ZhongYangQiYe-SomeModel-202406010001")
    assert soe.province_code == "central_soe"
    hyph = parse_genai_number("Sichuan-MT-WorkGpt-20240424")
    assert hyph.name_token == "MT-WorkGpt" and hyph.province_code == "51"
    typo = parse_genai_number("Shinghai-AIMinSuGuanJia-20240729S0020")
    assert typo.province_code == "31" and "misspelt" in typo.problems[0]
    trunc = parse_genai_number("Jiangsu-SiWeiXiangLiangZhiSuanYun-")
    assert trunc.kind == "unknown" and trunc.province_code == "32" and trunc.problems


@given(
    prefix=st.sampled_from(PREFIXES),
    token=st.from_regex(r"[A-Za-z0-9][A-Za-z0-9\-]{0,20}[A-Za-z0-9]", fullmatch=True),
    y=st.integers(2023, 2030),
    m=st.integers(1, 12),
    d=st.integers(1, 28),
    serial=st.integers(0, 9999),
    registration=st.booleans(),
    case=st.sampled_from([str, str.lower, str.upper]),
)
def test_genai_roundtrip(prefix, token, y, m, d, serial, registration, case):
    tail = f"S{serial:04d}" if registration else f"{serial:04d}"
    n = parse_genai_number(f"{case(prefix)}-{token}-{y}{m:02d}{d:02d}{tail}")
    assert n.kind == ("registration" if registration else "filing")
    assert n.date == f"{y}-{m:02d}-{d:02d}"
    assert n.serial == f"{serial:04d}"
    assert n.name_token == token
    expected = provinces().set_index("genai_prefix").loc[prefix, "province_code"]
    assert n.province_code == expected


@pytest.mark.parametrize(
    "junk",
    ["\u200b", "\u200c", "\u200d", "\u200e", "\u202e", "\u2060", "\ufeff", "\u00a0", "\u3000"],
)
def test_cac_number_with_an_invisible_character_is_read(junk):
    """A number pasted from a web page with a zero-width space, a joiner, a direction mark or a
    byte-order mark inside is the same number (the hostile pass: such a row was rejected)."""
    clean = "网信算备110108970550101240011号"
    for raw in (clean[:6] + junk + clean[6:], junk + clean, clean + junk):
        assert parse_cac_number(raw).number == clean
