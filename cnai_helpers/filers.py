"""Filers across registries, and the search that the explorer page and `cnai registry search`
share.

**Who is one filer.** A CAC algorithm number (``网信算备`` + 21 digits) carries an entity part:
digits 7-13, after the 6-digit division code and before the 2-digit series, 2-digit year and
4-digit serial. The CAC keeps it when a filer is renamed (北京智谱华章科技有限公司 became
…股份有限公司 under the same part), so filers are the connected groups of published names
(``entity_key``) and entity parts: two names sharing a part are one filer, and so are two parts
filed under one name. The generative-AI lists have no entity part; their filings join a filer by
its name. A filer's id (its page's permalink) is the entity part of its earliest filing (ties:
the smallest part); a filer with no algorithm filing gets ``n`` + 10 hex digits of the sha256 of
its name key. Every other part or name id of a filer is an alias of its id, so an old link
still finds it after a rename or a merge.

**The search.** Text is compared after NFKC (full-width to half-width) and lower-casing. A
filing's searchable text is its filing number, algorithm or service name, product and the model
token of a generative-AI number, then each name its filer used, in characters, in pinyin
(``beijingzhipuhuazhangkejiyouxiangongsi``) and as pinyin initials (``bjzphzkjyxgs``). A query
is split on whitespace; a filing matches when every part occurs in its text. The page's script
(``reports/templates/explorer/explorer.js``) does exactly this on the same text.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

ENTITY_PART_RE = re.compile(r"^网信算备\d{6}(\d{7})\d{8}号$")
ROW_FIELDS = ("filing_number", "algorithm_name", "application_product", "name_token")
SEP = "\n"  # between the parts of a searchable text (never inside a query part)


def normalize(text: object) -> str:
    """NFKC and lower case: the form every text and query is compared in."""
    if text is None or (isinstance(text, float) and text != text):
        return ""
    return unicodedata.normalize("NFKC", str(text)).lower()


def query_terms(query: str) -> list[str]:
    """The parts of a query that must all occur (split on whitespace)."""
    return normalize(query).split()


def matches(terms: list[str], text: str) -> bool:
    return all(t in text for t in terms)


def entity_part(number: object) -> str | None:
    """The 7-digit entity part of a 21-digit 网信算备 number (None for other numbers)."""
    m = ENTITY_PART_RE.match(re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(number or ""))))
    return m.group(1) if m else None


def name_id(entity_key: str) -> str:
    """The id of a filer known only by its name (no algorithm filing)."""
    return "n" + hashlib.sha256(entity_key.encode("utf-8")).hexdigest()[:10]


@functools.cache
def _word_pinyin(word: str) -> tuple[str, ...]:
    from pypinyin import lazy_pinyin

    return tuple(lazy_pinyin(word))


@functools.cache
def pinyin(name: str) -> tuple[str, str]:
    """(full pinyin, initials) of a name, tone marks dropped; characters that are not Chinese
    stay as written in the full form and are left out of the initials. pypinyin segments the
    name into words (so 重庆 reads chongqing, 银行 yinhang); each word is converted once."""
    from pypinyin.seg.mmseg import seg

    sylls = [p for w in seg.cut(name) for p in _word_pinyin(w)]
    han = [
        p
        for p, is_han in zip(sylls, _han_flags(name, sylls), strict=True)
        if is_han and p.isascii() and p.isalpha()
    ]
    return "".join(sylls).lower(), "".join(p[0] for p in han).lower()


HAN_RE = re.compile(r"[\u4e00-\u9fff]")
VOWEL_START = ("a", "o", "e")


@functools.cache
def _jieba():
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)  # its dictionary-loading chatter is not the reader's
    return jieba


def _word_reading(word: str) -> str:
    """One word's pinyin as a capitalised word: syllables joined, an apostrophe where a syllable
    starting with a, o or e would run into the one before (Xi'an), a four-syllable word as two
    words (人工智能 Rengong Zhineng, 有限公司 Youxian Gongsi)."""
    sylls = [s.lower() for s in _word_pinyin(word)]
    groups = [sylls[:2], sylls[2:]] if len(sylls) == 4 else [sylls]
    out = []
    for g in groups:
        text = g[0]
        for s in g[1:]:
            text += ("'" if s.startswith(VOWEL_START) else "") + s
        out.append(text.capitalize())
    return " ".join(out)


@functools.cache
def readable_pinyin(name: str) -> str:
    """A Chinese name's pinyin as a reader reads it, word by word (jieba's segmentation):
    北京深度求索人工智能基础技术研究有限公司 -> "Beijing Shendu Qiusuo Rengong Zhineng Jichu Jishu
    Yanjiu Youxian Gongsi"; Latin letters and brackets as written (full-width ones made
    ASCII: 三星（中国）投资有限公司 -> "Sanxing (Zhongguo) Touzi Youxian Gongsi"); "" for a name
    with no Chinese character."""
    text = unicodedata.normalize("NFKC", str(name or "")).strip()
    if not HAN_RE.search(text):
        return ""
    parts = []
    for word in _jieba().cut(text, HMM=False):
        if HAN_RE.search(word):
            parts.append(_word_reading(word))
        elif word.strip():
            parts.append(word.strip())
    out = " ".join(parts)
    out = re.sub(r"([(\[]) ", r"\1", out)  # no space inside brackets
    return re.sub(r" ([)\],.;:])", r"\1", out)


def _han_flags(name: str, sylls: list[str]) -> list[bool]:
    """Whether each token of lazy_pinyin came from a Chinese character (its text is not in
    the name as written)."""
    return [s not in name for s in sylls]


def filer_text(names) -> str:
    """The searchable text of a filer: each name, its pinyin and its initials."""
    parts = []
    for n in names:
        full, initials = pinyin(str(n))
        parts += [normalize(n), full, initials]
    return SEP.join(dict.fromkeys(p for p in parts if p))


def row_text(row: dict) -> str:
    """The searchable text of one filing's own fields (see ``ROW_FIELDS``)."""
    return SEP.join(normalize(row.get(f)) for f in ROW_FIELDS)


class _Groups:
    """Union-find over names and entity parts (a few thousand nodes: a dict is enough)."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def assign_filers(filings: pd.DataFrame) -> tuple[pd.Series, dict[str, str]]:
    """(filer id of each filing, {alias id: filer id}). See the module's docstring."""
    import pandas as pd

    keys = filings["entity_key"].tolist()
    parts = [entity_part(k) for k in filings["filing_key"].tolist()]
    groups = _Groups()
    for key, part in zip(keys, parts, strict=True):
        groups.find("k" + key)
        if isinstance(part, str):
            groups.union("k" + key, "p" + part)
    roots = [groups.find("k" + k) for k in keys]
    rows = sorted(
        zip(
            filings["first_batch"].tolist(),
            filings["filing_key"].tolist(),
            roots,
            parts,
            keys,
            strict=True,
        ),
        key=lambda r: (r[0], r[1]),
    )
    first_part: dict[str, tuple[str, str]] = {}  # root -> (first batch with a part, part)
    first_key: dict[str, str] = {}
    for batch, _, r, part, key in rows:
        first_key.setdefault(r, key)
        if isinstance(part, str):
            seen = first_part.get(r)
            if seen is None or (seen[0] == batch and part < seen[1]):
                first_part[r] = (batch, part)
    canonical = {
        r: first_part[r][1] if r in first_part else name_id(str(k)) for r, k in first_key.items()
    }
    root = pd.Series(roots, index=filings.index)
    ids = root.map(canonical)
    aliases: dict[str, str] = {}
    for node in list(groups.parent):
        fid = canonical.get(groups.find(node))
        if fid is None:
            continue
        alias = node[1:] if node[0] == "p" else name_id(node[1:])
        if alias != fid:
            aliases[alias] = fid
    return ids, aliases


def filer_texts(
    filings: pd.DataFrame, ids: pd.Series, english: dict | None = None
) -> dict[str, str]:
    """Filer id -> its searchable text (every name it filed under, and the English names the
    project's table gives them: "tencent" finds 深圳市腾讯计算机系统有限公司). ``english``: the
    :func:`english_names` of the filings' names, when the caller has them already."""
    names: dict[str, dict[str, None]] = {}
    for fid, name in zip(ids.tolist(), filings["entity_name"].tolist(), strict=True):
        names.setdefault(fid, {})[name] = None
    if english is None:
        english = english_names({n for ns in names.values() for n in ns})
    out = {}
    for fid, ns in names.items():
        known = dict.fromkeys(normalize(e["name"]) for n in ns for e in english.get(n, ()))
        out[fid] = SEP.join([filer_text(ns), *known]) if known else filer_text(ns)
    return out


def english_by_filer(filings: pd.DataFrame, ids: pd.Series, english: dict) -> dict[str, str]:
    """Filer id -> the English name shown beside its published name (the explorer's rows): the
    first that ``english`` (:func:`english_names`) gives any of its names, in the filings'
    order; filers without one are left out."""
    out: dict[str, str] = {}
    for fid, name in zip(ids.tolist(), filings["entity_name"].astype(str).tolist(), strict=True):
        if fid not in out and english.get(name):
            out[fid] = english[name][0]["name"]
    return out


def _patterns(name: str, table: pd.DataFrame | None = None) -> list[tuple[re.Pattern, dict]]:
    """(compiled name_pattern, row) of each row of the curated table ``name`` (read when
    ``table`` is None); a pattern that is not a regular expression names the file and line."""
    if table is None:
        from .metadata import read_curated

        table = read_curated(name)
    out = []
    for i, r in enumerate(table.to_dict("records"), start=2):  # line 1 is the header
        try:
            out.append((re.compile(r["name_pattern"]), r))
        except re.error as e:
            raise ValueError(
                f"data/curated/{name}.csv line {i}: name_pattern {r['name_pattern']!r} "
                f"is not a regular expression ({e})"
            ) from e
    return out


def english_names(names, table: pd.DataFrame | None = None) -> dict[str, list[dict]]:
    """Published name -> the English names ({name, url}) of the rows of the curated table
    ``filer_names`` whose pattern the name contains (names without one are left out)."""
    patterns = _patterns("filer_names", table)
    out: dict[str, list[dict]] = {}
    for n in names:
        hits = [
            {"name": r["english_name"], "url": r["source_url"]}
            for rx, r in patterns
            if rx.search(str(n))
        ]
        if hits:
            out[str(n)] = hits
    return out


def group_of(names, table: pd.DataFrame | None = None) -> dict[str, dict]:
    """Published name -> its group ({group, url, tier}) from the curated table ``filer_groups``
    (the first row whose pattern the name contains; names of no listed group are left out). A
    group's legal entities file separately: the filer pages link each to the others."""
    rows = _patterns("filer_groups", table)
    out: dict[str, dict] = {}
    for n in names:
        hit = next((r for rx, r in rows if rx.search(str(n))), None)
        if hit is not None:
            out[str(n)] = {
                "group": hit["group"],
                "url": hit["source_url"],
                "tier": hit["source_tier"],
            }
    return out


def page_links(names, filings: pd.DataFrame, root: str = "../") -> pd.DataFrame:
    """For published filer names (a table's column): the filer page of each (``root`` +
    ``filer/<id>.html``, the id the site's filer pages use, from every registry's filings) and
    its label: the name, and its English name where the project's table gives one
    ("深圳市腾讯计算机系统有限公司 — Tencent")."""
    import pandas as pd

    ids, _ = assign_filers(filings)
    fid = dict(zip(filings["entity_name"].astype(str), ids.astype(str), strict=True))
    names = [str(n) for n in names]
    english = english_names(set(names))
    pages, labels = [], []
    for n in names:
        pages.append(f"{root}filer/{fid[n]}.html" if n in fid else None)
        known = list(dict.fromkeys(e["name"] for e in english.get(n, ())))
        labels.append(f"{n} \u2014 {', '.join(known)}" if known else n)
    return pd.DataFrame({"filer_page": pages, "filer": labels})


def _most_common(s: pd.Series):
    return s.mode().iat[0]


def _every(s: pd.Series) -> str:
    return " / ".join(sorted(s.dropna().astype(str).unique())) or "unknown"


def top_filers(
    filings: pd.DataFrame,
    n: int,
    every_registry: pd.DataFrame,
    count: str = "filings",
    most: tuple[str, ...] = (),
    every: tuple[str, ...] = (),
) -> pd.DataFrame:
    """The ``n`` filers with the most rows of ``filings``, one row per filer key (a filer listed
    under two provinces, or with half- and full-width brackets, is one filer), most first (ties
    by key): its ``entity_name`` (the name it files under most), the columns of ``most`` (each
    its most frequent value) and of ``every`` (all its values, " / "-joined), the ``count``, and
    its page and label (:func:`page_links`, read from ``every_registry``'s filings)."""
    agg = {"entity_name": ("entity_name", _most_common)}
    agg |= {c: (c, _most_common) for c in most} | {c: (c, _every) for c in every}
    agg[count] = ("entity_name", "size")
    top = (
        filings.groupby("entity_key", dropna=False)
        .agg(**agg)
        .reset_index()
        .sort_values([count, "entity_key"], ascending=[False, True])
        .head(n)
        .reset_index(drop=True)
    )
    return top.join(page_links(top["entity_name"], every_registry))


def search(
    filings: pd.DataFrame,
    text: str,
    registry: str | None = None,
    province: str | None = None,
) -> pd.DataFrame:
    """The filings matching ``text`` (the page's matching), with their ``filer_id``; optionally
    in one registry and one province (code, English or Chinese name)."""
    ids, _ = assign_filers(filings)
    f = filings.assign(filer_id=ids)
    terms = query_terms(text)
    texts = filer_texts(f, ids) if terms else {}  # every name of the filer, in any registry
    if registry:
        f = f[f["registry"] == registry]
    if province:
        p = normalize(province).strip()
        f = f[
            (f["province_code"].map(normalize) == p)
            | (f["province_en"].map(normalize) == p)
            | (f["province_zh"].map(normalize).str.rstrip("省市") == p.rstrip("省市"))
        ]
    if not terms:
        return f.reset_index(drop=True)
    keep = [
        matches(terms, row_text(r) + SEP + texts[r["filer_id"]])
        for r in f[[*ROW_FIELDS, "filer_id"]].to_dict("records")
    ]
    return f[keep].reset_index(drop=True)
