"""Parsers of CAC filing numbers.

Algorithm registry (deep synthesis, recommendation): ``网信算备110108970550101240011号`` =
``网信算备`` + 21 digits + ``号``: 6 digits of the filer's GB/T 2260 division code, an entity part,
a 2-digit filing year and a 4-digit serial (year and serial are read from the end, so a number
with a 22-digit body still yields them; it is flagged).

Generative AI: ``Beijing-DeepseekChat-202404280016`` (filing, 备案: province-name-date+serial),
``Beijing-WenXinYiYan-20230821`` (early filings: date only), ``Beijing-BianYing-20240428S0001``
(registration, 登记: ``S`` + serial), ``ZhongYangQiYe-…`` (central SOEs).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from .geography import province_by_prefix

CAC_RE = re.compile(r"^网信算备(?P<digits>\d+)号?$")
GENAI_RE = re.compile(
    r"^(?P<prefix>[A-Za-z]+)-(?P<token>.*?)-?(?P<date>\d{8})(?P<tail>S\d{3,5}|\d{0,6})$"
)


_BREAKS = re.compile(r"[ \t]*[\r\n]+[ \t]*")
_SPACES = re.compile(r"[ \t]+")
# whitespace and the invisible format characters a copy from a web page carries (zero-width
# space and joiners, direction marks and overrides, word joiner, byte-order mark)
_WS = re.compile(r"[\s\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]+")


def clean_text(value: object) -> str:
    """Text as published, with whitespace tidied: ideographic/no-break spaces to spaces, line
    breaks unified, runs of spaces collapsed, ends stripped. Punctuation is kept as published."""
    if value is None:
        return ""
    s = str(value)
    s = s.replace("\u3000", " ").replace("\xa0", " ")
    s = _BREAKS.sub("\n", s)
    s = _SPACES.sub(" ", s)
    return s.strip()


def compact(value: object) -> str:
    """NFKC (full-width -> half-width) and every whitespace or invisible format character
    removed (for numbers and header names)."""
    if value is None:
        return ""
    return _WS.sub("", unicodedata.normalize("NFKC", str(value)))


def name_key(value: object) -> str:
    """Matching key for names: NFKC, no whitespace, case-folded. ``（海南）`` == ``(海南)``."""
    return compact(value).casefold()


@dataclass(frozen=True)
class CacNumber:
    number: str  # normalised: 网信算备<digits>号
    region_code: str
    filing_year: int | None
    serial: str
    problems: tuple[str, ...] = field(default=())


class NumberError(ValueError):
    pass


def parse_cac_number(raw: object) -> CacNumber:
    s = compact(raw)
    m = CAC_RE.match(s)
    if not m:
        raise NumberError(f"not a 网信算备 number: {raw!r}")
    digits = m.group("digits")
    problems = []
    if len(digits) != 21:
        problems.append(f"{len(digits)} digits after 网信算备 (expected 21)")
    if len(digits) < 12:
        raise NumberError(f"网信算备 number too short ({len(digits)} digits): {raw!r}")
    yy = int(digits[-6:-4])
    year = 2000 + yy if 18 <= yy <= 40 else None
    if year is None:
        problems.append(f"implausible filing year {digits[-6:-4]!r}")
    return CacNumber(f"网信算备{digits}号", digits[:6], year, digits[-4:], tuple(problems))


@dataclass(frozen=True)
class GenaiNumber:
    number: str
    prefix: str
    province_code: str  # 2-digit, "central_soe" or "unknown"
    name_token: str
    date: str | None  # ISO yyyy-mm-dd
    serial: str | None
    kind: str  # "filing" (备案) | "registration" (登记) | "unknown"
    problems: tuple[str, ...] = field(default=())


# Known misspellings of province prefixes in the official tables (kept as published; resolved here).
PREFIX_TYPOS = {"shinghai": "Shanghai"}


def parse_genai_number(raw: object) -> GenaiNumber:
    s = compact(raw)
    problems: list[str] = []
    m = GENAI_RE.match(s)
    if not m:
        prefix = s.split("-", 1)[0] if "-" in s else ""
        code = province_by_prefix(PREFIX_TYPOS.get(prefix.casefold(), prefix)) if prefix else None
        return GenaiNumber(
            s,
            prefix,
            code or "unknown",
            s[len(prefix) + 1 :] if prefix else s,
            None,
            None,
            "unknown",
            (f"unparseable generative-AI number {s!r}",),
        )
    prefix, token, date, tail = m.group("prefix", "token", "date", "tail")
    code = province_by_prefix(prefix)
    if code is None and prefix.casefold() in PREFIX_TYPOS:
        code = province_by_prefix(PREFIX_TYPOS[prefix.casefold()])
        problems.append(f"misspelt province prefix {prefix!r}")
    if code is None:
        problems.append(f"unknown province prefix {prefix!r}")
        code = "unknown"
    iso = f"{date[:4]}-{date[4:6]}-{date[6:]}"
    if not (
        1 <= int(date[4:6]) <= 12 and 1 <= int(date[6:]) <= 31 and 2020 <= int(date[:4]) <= 2040
    ):
        problems.append(f"implausible date {date!r}")
    if tail.startswith("S"):
        kind, serial = "registration", tail[1:]
    else:
        kind, serial = "filing", tail or None
        if tail and len(tail) != 4:
            problems.append(f"{len(tail)}-digit serial (expected 4)")
    return GenaiNumber(s, prefix, code, token, iso, serial, kind, tuple(problems))
