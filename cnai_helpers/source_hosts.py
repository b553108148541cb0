"""The tier rule of the curated tables: a row's source tier can be no higher than its host allows.

data/curated/source_hosts.csv gives, for every web host a curated table cites, the highest tier a
row citing it may claim (filing > official statement > reputable press > other), what kind of
site it is and why. A row may be tiered lower than its host's rule (an outlet restating a
rumour), never higher: an aggregator or a content farm republishing a newspaper's article is tier
other, however good the newspaper; the newspaper's own page is the source to cite.

On a publishing platform (github.com, huggingface.co) the account decides who speaks: a rule for
``host/account`` takes precedence over the bare host. Hosts match exactly (``hao.cnyes.com`` is
not ``news.cnyes.com``, ``staging.reportify.cn`` is not ``reportify.cn``); only a leading
``www.`` is dropped.

Two curated tables keep their own tier vocabularies; :data:`EQUIVALENT` maps them onto the
common one (compute_assumptions: primary = a datasheet, paper or filing, at least an official
statement; secondary = reputable press; tertiary = other; derived and assumption rows are cnai's
own numbers and claim nothing of their source. published_runs: paper, datasheet and official
statement = official statement; press = reputable press)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import pandas as pd

from . import metadata
from .metadata import TableError

RANK = {"other": 0, "reputable press": 1, "official statement": 2, "filing": 3}
"""Order of the source tiers (the vocabulary source_tiers in tables.yaml), lowest first."""

TIER_COLUMN = {"compute_assumptions": "tier"}
"""The tier column of a curated table, where it is not ``source_tier``."""

EQUIVALENT: dict[str, dict[str, str | None]] = {
    "compute_assumptions": {
        "primary": "official statement",
        "secondary": "reputable press",
        "tertiary": "other",
        "derived": None,
        "assumption": None,
    },
    "published_runs": {
        "paper": "official statement",
        "datasheet": "official statement",
        "official statement": "official statement",
        "press": "reputable press",
    },
}
"""Tables with their own tier vocabulary: each value's equivalent in the common one (None: the
row claims nothing of its source, so no ceiling applies)."""

RULES = "source_hosts"


def host_of(url: str) -> tuple[str, str]:
    """(host, host/account) of a URL: lower case, a leading ``www.`` dropped; the account is
    the first path segment (empty when the path has none)."""
    p = urlparse(str(url).strip())
    host = (p.hostname or "").lower().removeprefix("www.")
    first = next((s for s in p.path.split("/") if s), "").lower()
    return host, f"{host}/{first}" if first else host


def load_rules(path: Path | str | None = None) -> pd.DataFrame:
    """data/curated/source_hosts.csv, checked against its declaration, indexed by host."""
    return metadata.read_curated(RULES, path).set_index("host")


def rule_for(url: str, rules: pd.DataFrame) -> tuple[str, pd.Series] | None:
    """(the matching key, its rule) for a URL: host/account first, then the bare host."""
    host, account = host_of(url)
    for key in (account, host):
        if key in rules.index:
            return key, rules.loc[key]
    return None


def tier_of(name: str, value: str) -> str | None:
    """A row's tier in the common vocabulary (None: no ceiling applies)."""
    if name in EQUIVALENT:
        return EQUIVALENT[name].get(value)
    return value if value in RANK else None


def problems(
    name: str,
    df: pd.DataFrame,
    rules: pd.DataFrame | None = None,
    where: Path | str | None = None,
) -> list[str]:
    """Every row of curated table ``name`` whose host has no rule, or whose tier is above its
    host's rule, as 'file line N (row): problem' (empty = the table keeps the rule)."""
    if "source_url" not in df.columns:
        return []
    rules = load_rules() if rules is None else rules
    t = metadata.table(name)
    where = where or t.path
    col = TIER_COLUMN.get(name, "source_tier")
    out = []
    for i, r in df.reset_index(drop=True).iterrows():
        ident = " ".join(str(r[c]) for c in t.row_id if c in df.columns)
        line = f"{where} line {int(i) + 2}" + (f" ({ident})" if ident else "")
        hit = rule_for(r["source_url"], rules)
        if hit is None:
            host = host_of(r["source_url"])[0] or repr(r["source_url"])
            out.append(f"{line}: host {host} has no rule in data/curated/{RULES}.csv; add it "
                       "with its tier, kind and reason")  # fmt: skip
            continue
        if col not in df.columns:
            continue
        claimed = tier_of(name, str(r[col]))
        key, rule = hit
        if claimed is not None and RANK[claimed] > RANK[rule["tier"]]:
            out.append(
                f"{line}: {col} {r[col]!r} is above what its host allows: {key} is "
                f"{rule['tier']!r} ({rule['kind']}: {rule['reason']})"
            )
    return out


def check(name: str, df: pd.DataFrame, where: Path | str | None = None) -> pd.DataFrame:
    """``df`` unchanged if every row keeps the tier rule; else :class:`TableError` listing each
    offending row (file, line, row, problem)."""
    bad = problems(name, df, where=where)
    if bad:
        raise TableError(f"{len(bad)} row(s) break the source tier rule:\n" + "\n".join(bad))
    return df


def cited_tables() -> list[str]:
    """The curated tables with a source_url column (the ones the rule covers)."""
    return [n for n in metadata.names("curated") if "source_url" in metadata.columns(n)]
