"""The tier rule (data/curated/source_hosts.csv): no curated row claims a higher source tier
than its host allows, every cited host has a rule, and a bad row or rule is named."""

import csv

import pytest

from cnai_helpers import metadata, source_hosts
from cnai_helpers.metadata import TableError


@pytest.mark.parametrize("name", source_hosts.cited_tables())
def test_every_curated_row_keeps_its_hosts_tier_rule(name):
    """The real tables: every source URL's host has a rule, and no row's tier is above it."""
    df = metadata.read_curated(name)
    assert source_hosts.problems(name, df) == []


def test_the_rule_covers_every_table_with_a_source_and_every_tier_is_judged():
    cited = set(source_hosts.cited_tables())
    assert {"lab_financials", "market_facts", "compute_assumptions", "published_runs",
            "lab_strategy", "model_panel", "fx_rates", "source_statements", "filer_groups",
            "entity_overrides", "filer_names"} <= cited  # fmt: skip
    rules = source_hosts.load_rules()
    assert set(rules["tier"]) <= set(metadata.vocabulary("source_tiers"))
    assert set(source_hosts.RANK) == set(metadata.vocabulary("source_tiers"))
    # each table with its own vocabulary maps every allowed value
    for name, mapping in source_hosts.EQUIVALENT.items():
        col = source_hosts.TIER_COLUMN.get(name, "source_tier")
        assert set(metadata.table(name).field(col).allowed) == set(mapping), name


def test_hosts_the_reader_found_are_judged_by_what_they_are():
    """Aggregators, republishers, contributor platforms and staging servers are tier other;
    the exchange's disclosure site is a filing; a news agency is press."""
    rules = source_hosts.load_rules()
    for host in ("top168.com", "staging.reportify.cn", "guosisoft.com", "hao.cnyes.com",
                 "news.aibase.cn", "coincentral.com", "minichart.com.sg", "vbngtv.com", "163.com",
                 "longbridge.com", "binance.bh", "reportify.ai", "ttm.financial",
                 "aiforautomation.io", "global.v2ex.co"):  # fmt: skip
        assert rules.loc[host, "tier"] == "other", host
    assert rules.loc["www1.hkexnews.hk", "tier"] == "filing"
    assert rules.loc["chinaview.cn", "tier"] == "reputable press"


def test_host_and_account_matching():
    assert source_hosts.host_of("https://WWW.top168.com/news/1.html") == (
        "top168.com", "top168.com/news")  # fmt: skip
    rules = source_hosts.load_rules()
    key, rule = source_hosts.rule_for("https://huggingface.co/deepseek-ai/DeepSeek-V3", rules)
    assert (key, rule["tier"]) == ("huggingface.co/deepseek-ai", "official statement")
    key, rule = source_hosts.rule_for("https://huggingface.co/someone/a-model", rules)
    assert (key, rule["tier"]) == ("huggingface.co", "other")
    # exact hosts: a subdomain does not inherit its parent's rule
    assert source_hosts.rule_for("https://news.top168.com/x", rules) is None


def _copy_with(tmp_path, name, line, **cells):
    """A copy of the real curated table with cells of CSV line ``line`` changed."""
    src = metadata.table(name).path
    rows = list(csv.DictReader(src.open(encoding="utf-8")))
    rows[line - 2].update(cells)
    out = tmp_path / f"{name}.csv"
    with out.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return out


def test_a_row_above_its_hosts_rule_is_named_and_refused(tmp_path):
    from cnai_helpers import curated

    p = _copy_with(tmp_path, "market_facts", 2,
                   source_url="https://www.top168.com/news/show-1.html",
                   source_tier="reputable press")  # fmt: skip
    df = metadata.read_curated("market_facts", p)
    bad = source_hosts.problems("market_facts", df, where=p)
    assert len(bad) == 1
    assert f"{p} line 2" in bad[0]
    assert (
        "source_tier 'reputable press' is above what its host allows: top168.com is 'other'"
        in bad[0]
    )
    with pytest.raises(TableError, match="1 row\\(s\\) break the source tier rule"):
        source_hosts.check("market_facts", df, p)
    # a lower tier than the host allows is fine
    low = _copy_with(tmp_path, "market_facts", 2, source_url="https://www.cnbc.com/a",
                     source_tier="other")  # fmt: skip
    assert source_hosts.problems("market_facts", metadata.read_curated("market_facts", low)) == []
    # the loaders the reports use refuse the real table if it drifts
    assert len(curated.load_table("market_facts")) > 0


def test_tables_with_their_own_vocabulary_are_mapped(tmp_path):
    rules = source_hosts.load_rules()
    df = metadata.read_curated("compute_assumptions")
    i = df.index[df["tier"] == "secondary"][0]
    primary_on_press = df.copy()
    primary_on_press.loc[i, ["tier", "source_url"]] = ["primary", "https://www.cnbc.com/x"]
    bad = source_hosts.problems("compute_assumptions", primary_on_press, rules)
    assert len(bad) == 1 and "tier 'primary' is above" in bad[0]
    assumption_on_blog = df.copy()
    assumption_on_blog.loc[i, ["tier", "source_url"]] = [
        "assumption",
        "https://michaelmartinez.co/a",
    ]
    assert source_hosts.problems("compute_assumptions", assumption_on_blog, rules) == []
    runs = metadata.read_curated("published_runs")
    press_paper = runs.copy()
    press_paper.loc[0, ["source_tier", "source_url"]] = ["paper", "https://www.cnbc.com/x"]
    assert len(source_hosts.problems("published_runs", press_paper, rules)) == 1


def test_a_host_without_a_rule_is_named(tmp_path):
    df = metadata.read_curated("lab_strategy")
    df.loc[0, "source_url"] = "https://brand-new-blog.example/post"
    bad = source_hosts.problems("lab_strategy", df)
    assert len(bad) == 1 and "host brand-new-blog.example has no rule" in bad[0]


@pytest.mark.parametrize(
    ("cells", "expect"),
    [
        ({"tier": "gold"}, r"line 2 \(163.com\): tier"),
        ({"host": "Top168.com"}, r"line 2 \(Top168.com\): host"),
        ({"reason": "aggregator"}, r"line 2 \(163.com\): reason must have at least 20"),
    ],
)
def test_a_bad_rule_is_named(tmp_path, cells, expect):
    p = _copy_with(tmp_path, "source_hosts", 2, **cells)
    with pytest.raises(TableError, match=rf"source_hosts.csv {expect}"):
        source_hosts.load_rules(p)
