"""Labels a reader sees in every table: one label per category value, headers that start with a
capital, figures the answer already gives not listed again, a section shown by code listed in
the contents."""

from __future__ import annotations

import nbformat
import pandas as pd
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from cnai_helpers import display as disp
from cnai_helpers import reference
from cnai_helpers.results import MIME


def test_every_category_of_the_vocabularies_has_one_label_for_people():
    import yaml

    from cnai_helpers.metadata import SPEC

    vocab = yaml.safe_load(SPEC.read_text(encoding="utf-8"))["vocabularies"]
    labels = reference.value_labels()
    for name in ("sectors", "org_types"):
        missing = [v for v in vocab[name] if v not in labels]
        assert not missing, f"{name}: no label for {missing}"
    use_cases = [u for u in reference.use_case_keywords() if u[:1].islower()]
    assert [u for u in use_cases if u not in labels] == []  # "music" -> "Music"
    assert all(v[:1].isupper() or not v[:1].isascii() for v in labels.values())


def test_tables_show_category_labels_and_capitalised_headers():
    df = pd.DataFrame(
        {
            "sector": ["cross_sector", "ecommerce_retail", "legal"],
            "org type": ["private", "central_soe", "government"],
            "role": ["服务提供者", "服务技术支持者", "个性化推送类"],
            "share of batch": [0.5, 0.3, 0.2],
        }
    )
    out = disp.table_html(df)
    for shown in ("Cross-sector", "E-commerce &amp; retail", "Private company", "Central SOE",
                  "Service provider (服务提供者)", "Technical supporter (服务技术支持者)"):  # fmt: skip
        assert shown in out, shown
    assert "cross sector" not in out and ">private<" not in out
    assert ">Share of batch<" in out and ">Org type<" in out and ">share of batch<" not in out
    # a table of codes (the data dictionary) keeps them
    kept = disp.table_html(df, codes=["sector"]).replace("<wbr>", "")  # a code may break after "_"
    assert "cross_sector" in kept


def test_header_case_keeps_what_is_not_a_lower_case_word():
    assert disp.header_case("location quotient") == "Location quotient"
    assert disp.header_case("3D") == "3D" and disp.header_case("iPhone sales") == "iPhone sales"
    assert disp.header_case("属地") == "属地" and disp.header_case("HHI") == "HHI"


def _record(name: str, value, shown: bool = True):
    meta = {"name": name, "value": value, "description": name.replace("_", " "), "kind": "count"}
    if not shown:
        meta["shown"] = False
    return new_output("display_data", data={MIME: meta, "text/markdown": f"**{name}**: {value}"})


def test_a_figure_recorded_without_show_is_not_listed_again_on_the_page():
    from cnai_helpers.reports.preprocess import group_records

    out = group_records([_record("n_filings", 7, shown=False), _record("n_batches", 3)])
    html = out[0]["data"]["text/html"]
    assert "n batches" in html and "n filings" not in html
    assert group_records([_record("n_filings", 7, shown=False)]) == []


def test_record_show_false_keeps_the_figure_in_the_results():
    from cnai_helpers.results import collect

    nb = new_notebook(cells=[new_code_cell("", outputs=[_record("n_filings", 7, shown=False)])])
    values, _ = collect(nb)
    assert values == {"n_filings": 7}


def test_a_heading_a_cell_shows_is_in_the_contents():
    from cnai_helpers.reports.page import PageFiles
    from cnai_helpers.reports.preprocess import SitePreprocessor

    heading = new_output(
        "display_data", data={"text/markdown": "## Generative AI: filings\n\nOnly for these."}
    )
    nb = new_notebook(
        cells=[
            new_markdown_cell("# Title\n\n## Summary"),
            new_code_cell("", outputs=[heading]),
            new_markdown_cell("## Caveats"),
        ]
    )
    resources = {"cnai": {"page_files": PageFiles(), "root": "../"}}
    SitePreprocessor().preprocess(nbformat.from_dict(nb), resources)
    assert [t[2] for t in resources["cnai"]["toc"]] == [
        "Summary",
        "Generative AI: filings",
        "Caveats",
    ]


def test_code_in_backticks_is_code_in_a_table_of_codes():
    df = pd.DataFrame({"field": ["sector"], "description": ["a `unknown` label; see source_id"]})
    out = disp.table_html(df, codes=True).replace("<wbr>", "")  # a code may break after "_"
    assert "<code>unknown</code>" in out and "<code>source_id</code>" in out and "`" not in out


def test_registration_lists_are_headlined_as_registrations_not_filings():
    """A fan-out value's own words (``unit``) reach the headline: 登记 are registrations."""
    from cnai_helpers.reports.site import load_site

    heads = {r.id: r.headline for r in load_site()}
    for rid in ("registry-genai_registrations", "batch-genai_registrations"):
        assert " registrations" in heads[rid] and "{unit}" not in heads[rid], heads[rid]
        assert " filings from" not in heads[rid] and "new filings" not in heads[rid]
    assert "lists {n_filings} filings" in heads["registry-deep_synthesis"]
