"""Administrative geography: GB/T 2260 codes -> province / prefecture city / district names
(Chinese and English) and coordinates.

Provinces come from the committed ``cnai_helpers/reference/provinces.csv`` (conventions in
``reference/geography.yaml``); prefecture cities and
districts (names, longitude, latitude) from the ``cpca`` package's ``adcodes.csv``; English names
of cities and districts are pinyin (``pypinyin``), with administrative suffixes dropped.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd

from .. import reference

_GEO = reference.geography()  # cnai_helpers/reference/geography.yaml
MUNICIPALITIES = frozenset(_GEO["municipalities"])
SUFFIXES = tuple(_GEO["suffixes"])
_SOE = _GEO["central_soe"]


@cache
def provinces() -> pd.DataFrame:
    with reference.path("provinces.csv").open(encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype=str)


@cache
def adcodes() -> pd.DataFrame:
    """Every division in cpca's table: code6, name_zh, lon, lat. The file is found without
    importing cpca (its import loads pkg_resources and jieba: ~0.5 s for a table)."""
    spec = importlib.util.find_spec("cpca")
    if spec is None or not spec.submodule_search_locations:  # pragma: no cover - a dependency
        raise ModuleNotFoundError("cpca is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "resources" / "adcodes.csv"
    with path.open(encoding="utf-8") as fh:
        a = pd.read_csv(fh, dtype={"adcode": str})
    a["code6"] = a["adcode"].str[:6]
    return a.rename(columns={"name": "name_zh", "longitude": "lon", "latitude": "lat"})[
        ["code6", "name_zh", "lon", "lat"]
    ].drop_duplicates("code6")


PREFECTURE_TYPES = dict(_GEO["prefecture_types"])
ENGLISH_NAMES = dict(_GEO["english_names"])
# longest first, so 土家 is taken whole rather than as 土 after 家
ETHNIC_GROUPS = tuple(sorted(_GEO["ethnic_groups"], key=len, reverse=True))


def _drop_nationalities(base: str) -> str:
    """The place part of an autonomous division's name: the nationalities it is named for are
    dropped from the end (黔西南布依族苗族 -> 黔西南, 巴音郭楞蒙古 -> 巴音郭楞). A one-character
    nationality is dropped only before 族, and at least two characters of place are kept."""
    while True:
        had_zu = base.endswith("族") and len(base) > 3
        stem = base[:-1] if had_zu else base
        for g in ETHNIC_GROUPS:
            if stem.endswith(g) and len(stem) - len(g) >= 2 and (had_zu or len(g) > 1):
                base = stem[: -len(g)]
                break
        else:
            return base


def pinyin_name(name_zh: str) -> str:
    """English name of a city or prefecture: the pinyin of the place with the administrative
    suffix dropped (深圳市 -> Shenzhen); an autonomous prefecture, prefecture (地区) or league (盟)
    also loses the nationalities it is named for and gains its type word
    (黔西南布依族苗族自治州 -> Qianxinan Prefecture, 阿拉善盟 -> Alxa League); a place with an
    English name of its own takes it (哈尔滨 -> Harbin, geography.yaml ``english_names``)."""
    hit = _NAMES.get(name_zh)
    if hit is None:
        hit = _NAMES[name_zh] = _pinyin_name(name_zh)
    return hit


def _pinyin_name(name_zh: str) -> str:
    from pypinyin import lazy_pinyin

    base, kind = name_zh, None
    for s in SUFFIXES:
        if base.endswith(s) and len(base) > len(s) + 1:
            base, kind = base[: -len(s)], PREFECTURE_TYPES.get(s)
            break
    if name_zh.endswith("自治州") or name_zh.endswith("自治县"):
        base = _drop_nationalities(base)
    name = ENGLISH_NAMES.get(base) or _join_syllables(lazy_pinyin(base))
    return f"{name} {kind}" if kind else name


def _join_syllables(syllables: list[str]) -> str:
    """Pinyin syllables written as one word, with the apostrophe pinyin orthography puts before a
    syllable that starts with a, o or e (西安 Xi'an, not Xian; 马鞍山 Ma'anshan)."""
    word = ""
    for s in syllables:
        word += ("'" if word and s[:1] in ("a", "o", "e") else "") + s
    return word.capitalize()


@dataclass(frozen=True)
class Region:
    code: str | None
    province_code: str  # 2-digit, or "unknown"
    province_zh: str | None
    province_en: str | None
    city_code: str | None
    city_zh: str | None
    city_en: str | None
    district_code: str | None
    district_zh: str | None
    lon: float | None
    lat: float | None
    valid: bool  # province code is a real GB/T 2260 province


@cache
def _tables():
    prov = provinces().set_index("province_code")
    ad = adcodes().set_index("code6")
    return prov, ad


# code -> Region: the regions resolved in this process, and those a build kept in the parse cache
# (registry/parse.py): a code already resolved loads neither cpca's table nor pypinyin's
# dictionaries (~60 MiB and ~1 s)
_REGIONS: dict[str | None, Region] = {}
_NAMES: dict[str, str] = {}  # pinyin_name's: a new district of a known city needs no pypinyin


def remember_regions(known: dict) -> None:
    """Regions and English names resolved before (by this code version: the caller keys them by
    :func:`geography_version`), as :func:`resolved_regions` gives them."""
    _REGIONS.update(known.get("regions", {}))
    _NAMES.update(known.get("names", {}))


def resolved_regions() -> dict:
    """Every region (code -> Region) and English name (name_zh -> name) resolved or remembered
    in this process."""
    return {"regions": dict(_REGIONS), "names": dict(_NAMES)}


def name_every_city() -> None:
    """The English name of every prefecture and county-level city in cpca's table, resolved
    once (by a build that resolves regions anyway): kept with the regions, they spare a later
    list with a city no list had before (`registry add`) the load of pypinyin."""
    ad = adcodes()
    code = ad["code6"]
    city = (code.str[4:] == "00") & (code.str[2:4] != "00") | (code.str[2:4] == "90")
    missing = [n for n in ad.loc[city, "name_zh"] if n not in _NAMES]
    for name in missing:
        pinyin_name(name)


def geography_version() -> str:
    """What a code's Region depends on: this module, the reference files it reads, and the
    cpca and pypinyin releases."""
    import hashlib
    from importlib.metadata import version

    h = hashlib.sha256(Path(__file__).read_bytes())
    for name in reference.GEOGRAPHY_FILES:
        h.update(reference.path(name).read_bytes())
    h.update(f"cpca {version('cpca')}|pypinyin {version('pypinyin')}".encode())
    return h.hexdigest()


def region(code: str | None) -> Region:
    """Resolve a 6-digit division code. Unknown districts fall back to their city, unknown cities
    to their province; an invalid province gives ``province_code="unknown"``, ``valid=False``."""
    hit = _REGIONS.get(code)
    if hit is None:
        hit = _REGIONS[code] = _region(code)
    return hit


def _region(code: str | None) -> Region:
    prov, ad = _tables()
    if not code or len(code) != 6 or not code.isdigit() or code[:2] not in prov.index:
        return Region(code, "unknown", None, None, None, None, None, None, None, None, None, False)
    p = prov.loc[code[:2]]
    pcode = code[:2]
    city_code = code[:4] + "00"
    if pcode in MUNICIPALITIES:
        city_code, city_zh, city_en = pcode + "0100", p["name_zh"], p["name_en"]
    elif code[2:4] == "90" and code in ad.index:  # county-level city directly under the province
        city_code, city_zh = code, ad.loc[code, "name_zh"]
        city_en = pinyin_name(city_zh)
    elif city_code in ad.index:
        city_zh = ad.loc[city_code, "name_zh"]
        city_en = pinyin_name(city_zh)
    else:
        city_code, city_zh, city_en = None, None, None
    district_code = code if code[4:] != "00" else None
    district_zh = ad.loc[code, "name_zh"] if district_code and code in ad.index else None
    for c in (code, city_code, pcode + "0000"):
        if c and c in ad.index:
            lon, lat = float(ad.loc[c, "lon"]), float(ad.loc[c, "lat"])
            break
    else:  # pragma: no cover - every province is in the table
        lon = lat = None
    if pcode in MUNICIPALITIES:
        lon, lat = float(ad.loc[pcode + "0000", "lon"]), float(ad.loc[pcode + "0000", "lat"])
        if district_code and code in ad.index:
            lon, lat = float(ad.loc[code, "lon"]), float(ad.loc[code, "lat"])
    return Region(
        code,
        pcode,
        p["name_zh"],
        p["name_en"],
        city_code,
        city_zh,
        city_en,
        district_code,
        district_zh,
        lon,
        lat,
        True,
    )


@cache
def province_by_name(name_zh: str) -> str | None:
    """属地 (e.g. 北京市, 广西壮族自治区, 北京) -> 2-digit code; 国资委 -> 'central_soe'."""
    if name_zh == _SOE["locality_zh"]:
        return "central_soe"
    df = provinces()
    hit = df[(df["name_zh"] == name_zh) | (df["short_zh"] == name_zh)]
    return hit["province_code"].iloc[0] if len(hit) else None


@cache
def province_by_prefix(prefix: str) -> str | None:
    """Pinyin prefix of a generative-AI number (case-insensitive) -> 2-digit code."""
    p = prefix.casefold()
    if p == _SOE["genai_prefix"]:
        return "central_soe"
    df = provinces()
    hit = df[df["genai_prefix"].str.casefold() == p]
    if not len(hit):
        hit = df[df["name_en"].str.casefold().str.replace(" ", "") == p]
    return hit["province_code"].iloc[0] if len(hit) else None


def province_names() -> dict[str, dict[str, str]]:
    """2-digit code -> {'zh': ..., 'en': ...} (plus central_soe / unknown)."""
    out = {r.province_code: {"zh": r.name_zh, "en": r.name_en} for r in provinces().itertuples()}
    for code in ("central_soe", "unknown"):
        out[code] = {"zh": _GEO[code]["name_zh"], "en": _GEO[code]["name_en"]}
    return out
