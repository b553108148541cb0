"""The report page as a publication: tables displayed wherever they are made, formatted values,
the answer first, downloads, citation, navigation (rendering only; the browser tests open the
pages in Chromium)."""

from __future__ import annotations

import ast
import csv
import io

import nbformat
import numpy as np
import pandas as pd
import pytest
import yaml
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from cnai_helpers import display as disp
from cnai_helpers.reports import render
from cnai_helpers.reports.build import build_reports, summary
from cnai_helpers.reports.site import load_site
from cnai_helpers.results import MIME, VERDICT_MIME
from tests.fixtures import notebook_code_trees, write_nb, write_site

TWO_TABLES = """
import pandas as pd
from cnai_helpers.display import table
from cnai_helpers.plotting import finish
import matplotlib.pyplot as plt
df = pd.DataFrame({"province": ["Beijing", "<b>x</b>"], "share": [0.2178, None],
                   "filings": [1405.0, 12.0], "source_url": ["https://www.cac.gov.cn/x", None]})
table(df, caption="first")
table(df.head(1), caption="second")
fig, ax = plt.subplots()
ax.bar(df["province"], df["filings"])
finish(fig, "Filings by province", "test", data=df[["province", "filings"]])
print("after the tables")
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    reports = [
        {"id": "a", "notebook": "t.ipynb", "title": "Alpha <i>report</i>", "question": "A?"},
        {"id": "b", "notebook": "t.ipynb", "title": "Beta", "question": "B?"},
    ]
    root = write_site(tmp_path_factory.mktemp("render"), reports, body=TWO_TABLES)
    statuses = build_reports(load_site(root / "site.yaml"), out_root=root / "reports", jobs=1)
    assert not summary(statuses)["failed"], statuses
    return root / "reports"


def test_tables_made_mid_cell_are_all_shown(built):
    page = (built / "a" / "index.html").read_text(encoding="utf-8")
    nb = nbformat.read(built / "a" / "a.ipynb", as_version=4)
    assert render.page_counts(page) == {"tables": 2, "figures": 1}
    assert render.notebook_counts(nb) == render.page_counts(page)
    assert render.missing_tables(nb) == []


def test_csv_downloads_are_the_data_shown(built):
    page = (built / "a" / "index.html").read_text(encoding="utf-8")
    assert page.count("data (CSV)") == 3  # two tables and the figure's data
    rows = list(csv.DictReader(io.StringIO((built / "a" / "table-01.csv").read_text())))
    assert [r["province"] for r in rows] == ["Beijing", "<b>x</b>"]
    assert rows[0]["share"] == "0.2178"
    fig_rows = list(csv.DictReader(io.StringIO((built / "a" / "figure-03.csv").read_text())))
    assert [r["filings"] for r in fig_rows] == ["1405.0", "12.0"]
    for href in ('"table-01.csv"', '"results.json"', '"a.ipynb"'):
        assert f"href={href}" in page


def test_page_chrome_title_navigation_citation(built):
    from bs4 import BeautifulSoup

    page = (built / "a" / "index.html").read_text(encoding="utf-8")
    soup = BeautifulSoup(page, "html.parser")
    assert soup.title.string.startswith("Alpha <i>report</i> — ")  # escaped, shown as text
    assert soup.find("meta", attrs={"name": "viewport"})
    hrefs = [a["href"] for a in soup.find_all("a", href=True)]
    assert "../index.html" in hrefs and "../b/index.html" in hrefs
    assert soup.find("a", rel="next")["href"] == "../b/index.html"
    assert soup.find("link", rel="stylesheet")["href"] == "../assets/site.css"
    assert "@misc{" in page and "Cite this page" in page
    assert "jp-RenderedHTMLCommon {" not in page  # JupyterLab's stylesheet is not inlined
    assert not soup.find("script", src=lambda s: s and s.startswith("http"))
    assert "# Test report" not in page and "Test report" not in soup.get_text()
    assert (built / "assets" / "site.css").exists() and (built / "CITATION.cff").exists()
    # the answer comes before the notebook's first section
    assert page.index('id="answer"') < page.index('id="Findings"')


def test_every_notebook_figure_offers_its_data():
    """Every ``finish(...)`` call of a notebook passes ``data=``: each figure gets a "data (CSV)"
    link to the values it draws."""
    missing = []
    for name, i, tree in notebook_code_trees():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            fn = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if fn == "finish" and not any(k.arg == "data" for k in node.keywords):
                missing.append(f"{name} cell {i} line {node.lineno}")
    assert not missing, f"finish(...) without data= (pass the DataFrame drawn): {missing}"


def test_figure_alt_text_is_its_title(built):
    page = (built / "a" / "index.html").read_text(encoding="utf-8")
    assert 'alt="Chart: Filings by province"' in page
    assert "No description has been provided" not in page


@pytest.mark.parametrize(
    ("value", "kind", "expected"),
    [
        (0.2178, "share", "21.8%"),
        (np.nan, "share", "—"),
        (pd.NA, "count", "—"),
        (None, "text", "—"),
        (19440.0, "number", "19,440"),
        (2.78e3, "number", "2,780"),
        (0.728, "number", "0.73"),
        (2.5e25, "number", "2.5 × 10²⁵"),
        (2024.0, "year", "2024"),
        (5576000.0, "money", "5,576,000"),
        (1.4512, "ratio", "1.45×"),
    ],
)
def test_values_formatted_by_kind(value, kind, expected):
    assert disp.fmt_value(value, kind) == expected


def test_table_html_labels_units_links_and_escaping():
    df = pd.DataFrame(
        {
            "tensor_fp16_tflops": [1.944e4],
            "revenue": [5.576],
            "hub_share": [0.5],
            "source_url": ["https://www.cac.gov.cn/a"],
            "name": ["<script>x</script> $5"],
            "bad_url": ["javascript:alert(1)"],
        }
    )
    out = disp.table_html(
        df, kinds={"revenue": "money", "bad_url": "url"}, units={"revenue": "USD m"}
    )
    assert "Tensor FP16 TFLOPS" in out and "Revenue (USD m)" in out and ">Hub share<" in out
    assert "(%)" not in out  # a share's cells carry the "%", the header says it no second time
    assert "19,440" in out and "50.0%" in out
    assert '<a href="https://www.cac.gov.cn/a"' in out
    assert "&lt;script&gt;" in out and "<script>" not in out
    assert 'href="javascript' not in out
    for bad in ("NaN", "e+0", "<NA>", "\\$"):
        assert bad not in out


def test_cells_carry_their_column_label_for_the_phone_layout():
    df = pd.DataFrame({"province": ["Beijing"], "hub_share": [0.5], "n_filings": [12]})
    out = disp.label_cells(disp.table_html(df, kinds={"n_filings": "count"}))
    assert 'data-label="Province"' in out and 'data-label="Hub share"' in out
    assert 'data-label="N filings"' in out and "cnai-reflow" in out
    two = disp.label_cells(disp.table_html(df[["province", "hub_share"]]))
    assert "cnai-reflow" not in two and 'data-label="Province"' in two  # narrow: stays a table


def test_a_month_or_day_cell_is_kept_on_one_line():
    """A reader at 390 px: the claims page's batch column broke "2023-06" as "2023-" / "06",
    and sensitivity tables their statuses mid-word ("contradict|ed")."""
    df = pd.DataFrame(
        {"batch": ["2023-06"], "day": ["2024-01-05"], "n": [3], "note": ["2023-06 on"],
         "status": ["contradicted"], "why": ["a reason in words"]}
    )  # fmt: skip
    out = disp.label_cells(disp.table_html(df, kinds={"n": "count"}))
    # the month, the day and the one-word status, not the sentences
    assert out.count("cnai-nowrap") == 3 and ">2023-06 on<" in out


def test_table_refuses_an_unknown_kind():
    with pytest.raises(ValueError, match="kind 'percent' of column 'x'"):
        disp.table_html(pd.DataFrame({"x": [1]}), kinds={"x": "percent"})


def _nb_with_verdict():
    nb = new_notebook()
    cell = new_code_cell("x")
    rec = {
        "name": "hub_share",
        "value": 0.702,
        "description": "Share in the hub provinces",
        "kind": "share",
        "unit": None,
        "basis": "computed",
        "source": None,
    }
    verdict = {
        "claim": "hubs_80",
        "status": "depends_on_definition",
        "reason": "Holds for A.",
        "figure": "hub_share",
        "basis": "computed",
        "value": 0.702,
    }
    cell.outputs = [
        new_output("display_data", data={MIME: rec, "text/markdown": "**x**: 70.2%"}),
        new_output(
            "display_data",
            data={VERDICT_MIME: verdict, "text/markdown": "**Claim: depends.** Holds for A."},
        ),
    ]
    nb.cells = [new_markdown_cell("# Own title\n\n## Findings"), cell]
    return nb


PROV = {
    "report_id": "geo",
    "notebook": "notebooks/g.ipynb",
    "parameters": {},
    "git": {"commit": "abc123", "dirty": False},
    "built_at": "2026-01-02T00:00:00Z",
    "seconds": 1,
    "sources": {},
    "packages": {},
}


def test_answer_first_with_badge_and_key_figures():
    html, _ = render.render_report(_nb_with_verdict(), PROV, {"title": "Geo", "question": "Q?"})
    answer = html[html.index('id="answer"') : html.index('class="cnai-evidence"')]
    assert 'class="badge s-depends_on_definition">depends on definition<' in answer
    assert "Share in the hub provinces" in answer and "70.2%" in answer
    # the reason is stated once; the body points to the answer
    assert html.count("Holds for A.") == 1
    assert "Own title" not in html  # the site title replaces the notebook's own
    assert 'href="#findings"' in html.lower()


def test_citation_uses_the_site_base_url():
    plain, bib = render.citation("Geo", "geo", PROV, {"base_url": "https://x.org/c/", "name": "n"})
    assert "https://x.org/c/geo/" in plain and "abc123" in plain and "2026-01-02" in plain
    assert bib.startswith("@misc{cnai_geo_2026") and "title = {{Geo}}" in bib
    assert "\u201cGeo.\u201d" in plain
    # a title that is a question keeps its mark, without a full stop after it (a reader's review)
    plain, _ = render.citation("Who makes money?", "m", PROV, {"name": "n"})
    assert "\u201cWho makes money?\u201d cnai reports." in plain and "?." not in plain


def test_a_template_change_rebuilds_the_pages(tmp_path):
    """The page template and its config are package data in every report's fingerprint
    (``needs.inputs``); the site script and stylesheet are shared assets that every build
    rewrites (tests/test_reports_pipeline.py)."""
    from cnai_helpers.reports import needs

    tpl = tmp_path / "pkg" / "cnai_helpers" / "reports" / "templates" / "cnai"
    tpl.mkdir(parents=True)
    report = load_site(write_site(tmp_path / "site") / "site.yaml")[0]
    pkg = tmp_path / "pkg" / "cnai_helpers"
    for name in ("index.html.j2", "conf.json"):
        (tpl / name).write_text("a")
        before = needs.fingerprint(needs.inputs(report, {}, {}, pkg))
        (tpl / name).write_text("b")
        after = needs.fingerprint(needs.inputs(report, {}, {}, pkg))
        assert after != before, f"{name}: a change does not re-render the pages"


def test_displaying_a_shown_table_again_adds_nothing():
    """`display(table(df))` must not print "None" (or anything) after the table."""
    import pandas as pd
    from IPython.core.formatters import DisplayFormatter

    from cnai_helpers.display import table

    shown = table(pd.DataFrame({"a": [1]}))
    data, _ = DisplayFormatter().format(shown)
    assert data == {}
    data_none, _ = DisplayFormatter().format(None)
    assert data_none  # what a bare None would have shown: the regression this guards


def test_recorded_figures_of_a_cell_become_one_compact_list():
    """A run of record() outputs shows as one label/value list (not one bold line each):
    units formatted, a missing value "not measurable", a curated one marked restated; other
    outputs keep their place."""
    from nbformat.v4 import new_output

    from cnai_helpers.reports.preprocess import group_records
    from cnai_helpers.results import MIME

    def rec(name, value, kind=None, unit=None, basis="computed"):
        meta = {"name": name, "value": value, "kind": kind, "unit": unit, "basis": basis}
        return new_output("display_data", data={MIME: {**meta, "description": name.upper()}})

    outs = [
        rec("a", 0.5, "share"),
        rec("listed", [1, 2]),  # a list of values stays in results.json
        rec("reg", "deep_synthesis", "text"),
        rec("b", None),
        new_output("stream", name="stdout", text="between"),
        rec("c", 1871.7, "money", "USD m", basis="curated"),
    ]
    grouped = group_records(outs)
    assert [o.output_type for o in grouped] == ["display_data", "stream", "display_data"]
    first, last = grouped[0].data["text/html"], grouped[2].data["text/html"]
    assert first.count("<dt>") == 3 and "50.0%" in first and "not measurable" in first
    assert "deep synthesis" in first and "entries" not in first
    assert "USD 1,872 m" in last and "restated" in last


def test_a_recorded_date_shows_as_the_prose_writes_it():
    """A digest's "Batch (month of the list) 2026-05": a text figure that is a list's month or
    a day shows in words on the page (results.json keeps the ISO value)."""
    from nbformat.v4 import new_output

    from cnai_helpers.reports.preprocess import group_records
    from cnai_helpers.results import MIME

    outs = [
        new_output("display_data", data={MIME: {"name": n, "value": v, "kind": "text"}})
        for n, v in (("batch", "2026-05"), ("announced", "2026-05-06"), ("code", "2026-05-x"))
    ]
    html_text = group_records(outs)[0].data["text/html"]
    assert "<dd>May 2026</dd>" in html_text and "<dd>6 May 2026</dd>" in html_text
    assert "<dd>2026-05-x</dd>" in html_text  # not a date: as it is


def test_first_use_of_an_abbreviation_links_to_the_glossary():
    from cnai_helpers.reports.preprocess import link_glossary

    seen: set[str] = set()
    src = (
        "## MFU in a heading\nAn MFU of 40% (`MFU` in code, [MFU](x) in a link), FLOPs not TFLOPS."
    )
    out = link_glossary(src, seen, "../")
    assert out.splitlines()[0] == "## MFU in a heading"
    assert out.count('href="../index.html#term-mfu"') == 1
    assert "`MFU` in code, [MFU](x)" in out
    assert 'href="../index.html#term-flop"' in out and 'href="../index.html#term-tflops"' in out
    assert link_glossary("MFU again", seen, "../") == "MFU again"  # linked once per page


def test_a_key_figure_shows_its_recorded_interval():
    from cnai_helpers.reports.render import shown_with_interval

    vals = {"s": 0.085, "s_ci_low": 0.054, "s_ci_high": 0.198, "t": 0.5, "u": None}
    assert shown_with_interval("s", vals, "share", None) == "8.5% (95% interval 5.4%–19.8%)"
    assert shown_with_interval("t", vals, "share", None) == "50.0%"
    assert shown_with_interval("u", vals, "share", None) == "not measurable"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("n_filings", "must be a list"),
        ([1], "results keys or 'key: Short label'"),
        (list("abcde"), "at most 4"),
    ],
)
def test_key_figures_in_the_site_definition_are_checked(tmp_path, value, message):
    from cnai_helpers.reports.site import SiteError, load_site

    nb = {"id": "a", "notebook": "t.ipynb", "title": "A", "question": "A?", "key_figures": value}
    (tmp_path / "site.yaml").write_text(yaml.safe_dump({"reports": [nb]}))
    with pytest.raises(SiteError, match=message):
        load_site(tmp_path / "site.yaml")


def test_key_figures_change_the_fingerprint(tmp_path):
    """The answer shows the key figures: naming others re-renders the page."""
    import dataclasses

    from cnai_helpers.reports import needs
    from cnai_helpers.reports.site import Report

    write_nb(tmp_path / "t.ipynb")
    r = Report(id="a", notebook="t.ipynb", title="A", question="A?", notebooks_dir=str(tmp_path))
    other = dataclasses.replace(r, key_figures=("n",))
    assert needs.fingerprint(needs.inputs(r, {}, {})) != needs.fingerprint(
        needs.inputs(other, {}, {})
    )


# ------------------------------------------------ issue 26: the site, second reading


def test_charts_are_files_beside_the_page_not_base64(built):
    """A chart is a PNG file beside the page (drawn at twice its display size), the page links
    it with its display size and alt text, and carries no base64 image."""
    from bs4 import BeautifulSoup

    page = (built / "a" / "index.html").read_text(encoding="utf-8")
    assert "data:image/png;base64" not in page
    img = BeautifulSoup(page, "html.parser").select_one("figure.cnai-figure img")
    png = built / "a" / img["src"]
    assert img["src"] == "figure-03.png" and png.read_bytes()[:4] == b"\x89PNG"
    drawn_width = int.from_bytes(png.read_bytes()[16:20], "big")
    assert int(img["width"]) * 2 in (drawn_width, drawn_width - 1) and img["alt"].startswith(
        "Chart"
    )


def test_headline_fills_figures_as_recorded_and_drops_what_is_missing():
    from cnai_helpers.reports.headline import headline

    values = {"share": 0.7488, "change": -0.1208, "n": 6450, "gone": None}
    meta = {
        "share": {"kind": "share"},
        "change": {"kind": "share", "unit": "pp"},
        "n": {"kind": "count"},
    }
    text = headline(
        "{share} of {n} filings; share {change:trend} by {change:abs}[; {gone} active].",
        values,
        meta,
    )
    assert text == "74.9% of 6,450 filings; share falling by 12.1 percentage points."
    assert headline("{gone} of {n}", values, meta) == ""  # a hole: no sentence at all
    assert headline("", values) == ""


def test_a_headline_with_an_unknown_filter_is_refused_naming_the_entry(tmp_path):
    from cnai_helpers.reports.site import SiteError

    doc = {"reports": [{"id": "a", "notebook": "t.ipynb", "title": "A", "question": "A?",
                        "headline": "{x:louder} filings"}]}  # fmt: skip
    (tmp_path / "site.yaml").write_text(yaml.safe_dump(doc))
    with pytest.raises(SiteError, match="entry 1: headline: unknown headline filter 'louder'"):
        load_site(tmp_path / "site.yaml")


def test_fan_out_fills_label_in_the_headline_and_keeps_results_placeholders(tmp_path):
    doc = {"reports": [{"id": "r-{value}", "notebook": "t.ipynb", "title": "{label}",
                        "question": "Q?", "headline": "The {label} list has {n_filings} filings.",
                        "fan_out": {"parameter": "registry",
                                    "values": [{"value": "ds", "label": "deep synthesis"}]}}]}  # fmt: skip
    (tmp_path / "site.yaml").write_text(yaml.safe_dump(doc))
    (r,) = load_site(tmp_path / "site.yaml")
    assert r.headline == "The deep synthesis list has {n_filings} filings."


def test_page_leads_with_the_headline_data_as_of_licence_and_versioned_citation():
    from bs4 import BeautifulSoup

    nb = _nb_with_verdict()
    page = {
        "title": "Geo",
        "question": "Q?",
        "headline": "{hub_share} of filings are in the hubs.",
        "data_as_of": ["Deep synthesis (深度合成): list of 2026-03, published 2026-03-12"],
        "version": "0.1.0 (lists to: Deep synthesis 2026-03)",
        "config": {**render.site_config(), "base_url": "https://x.org/c/"},
    }
    soup = BeautifulSoup(render.render_report(nb, PROV, page)[0], "html.parser")
    main = soup.select_one("main")
    first = main.find(["p", "section"])
    assert (
        "cnai-headline" in first["class"]
        and first.get_text() == "70.2% of filings are in the hubs."
    )
    assert "published 2026-03-12" in soup.select_one(".cnai-asof").get_text()
    licence = soup.select_one(".cnai-licence").get_text()
    assert "MIT" in licence and "CC BY 4.0" in licence and "each source" in licence
    cite = soup.select_one(".cnai-cite p").get_text()
    assert cite.startswith(f"{render.AUTHOR}. ") and "Version 0.1.0" in cite
    assert "https://x.org/c/geo/" in cite
    assert soup.select_one("link[rel=canonical]")["href"] == "https://x.org/c/geo/"


def test_a_page_without_a_published_address_prints_none_and_no_canonical():
    """No base_url: the citation ends at the commit, with no placeholder the browser fills with
    the address it happens to read the page at (a reader's 127.0.0.1 or file://)."""
    from bs4 import BeautifulSoup

    page = {"title": "Geo", "config": {**render.site_config(), "base_url": ""}}
    html_text = render.render_report(_nb_with_verdict(), PROV, page)[0]
    soup = BeautifulSoup(html_text, "html.parser")
    assert soup.select_one("link[rel=canonical]") is None
    assert not soup.select("[data-cnai-here]")
    cite = soup.select_one(".cnai-cite p").get_text()
    assert "http" not in cite and "127.0.0.1" not in cite and "file:" not in cite
    assert "location.origin" not in render.asset_text("site.js")


def test_one_author_string_on_pages_and_in_citation_cff():
    from cnai_helpers import paths

    cff = yaml.safe_load((paths.ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert [a["name"] for a in cff["authors"]] == [render.site_config()["author"]]
    plain, bib = render.citation("Geo", "geo", PROV, render.site_config())
    assert plain.startswith(render.site_config()["author"] + ".")
    assert "{{" + render.site_config()["author"] + "}}" in bib


def test_no_invented_address_while_base_url_is_a_placeholder(tmp_path, monkeypatch):
    for var in (render.BASE_URL_ENV, "GITHUB_REPOSITORY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(render, "_origin_repository", lambda root: "")  # a clone with no remote
    (tmp_path / "site.yaml").write_text('site: {base_url: ""}\nreports: []\n')
    cfg = render.site_config(tmp_path / "site.yaml")
    plain, bib = render.citation("Geo", "geo", PROV, cfg, "0.1.0")
    assert cfg["base_url"] == "" and "http" not in plain and "howpublished" not in bib
    assert "version = {0.1.0}" in bib


def test_data_as_of_names_the_registries_a_report_reads():
    from cnai_helpers.reports.currency import as_of_text, registries_read

    currency = {
        "deep_synthesis": {"registry": "deep_synthesis", "label": "Deep synthesis",
                           "batch": "2026-03", "date": "2026-03-12", "source_ids": ["cac_ds_1"]},
        "genai_filings": {"registry": "genai_filings", "label": "Generative-AI filings",
                          "batch": "2026-08", "date": "", "source_ids": ["cac_genai"]},
    }  # fmt: skip
    by_param = registries_read({"registry": "genai_filings", "pue": 1.4}, ["cac_ds_1"], currency)
    assert [c["registry"] for c in by_param] == ["genai_filings"]
    by_source = registries_read({}, ["cac_ds_1", "epoch_x"], currency)
    assert [c["registry"] for c in by_source] == ["deep_synthesis"]
    assert registries_read({}, ["epoch_x"], currency) == []
    pooled = registries_read(
        {"pooled_registries": ["deep_synthesis", "genai_filings"]}, [], currency
    )
    assert [c["registry"] for c in pooled] == ["deep_synthesis", "genai_filings"]
    assert (  # month names, as a reader writes dates
        as_of_text(currency["deep_synthesis"])
        == "Deep synthesis: latest list March 2026, published 12 March 2026"
    )
    assert as_of_text(currency["genai_filings"]) == (
        "Generative-AI filings: latest list August 2026 (listed by month; the CAC gives no day)"
    )
    month_only = {**currency["deep_synthesis"], "date": "2026-05", "upstream_date": "2026-05-07"}
    assert as_of_text(month_only) == (
        "Deep synthesis: latest list March 2026, published in May 2026 (the CAC gives the month,"
        " not the day)"
    )


def test_epoch_pages_say_how_current_epochs_copies_are():
    """reader6 #18: the compute and monetization pages, built on Epoch AI's tables, had no
    "Data as of" line: they say the date of the copy used (the manifest's upstream_date, from
    the mirror's provenance) and how far its rows reach; an undated copy says so, never a date."""
    from cnai_helpers.manifest import Source
    from cnai_helpers.reports import currency as cu

    def src(i, url, date=None):
        return Source(id=i, format="epoch_csv", path=i, url=url, sha256="0" * 64, size=1,
                      publisher="Epoch AI", licence="l", citation="c", upstream_date=date)  # fmt: skip

    gh = "https://raw.githubusercontent.com/{}/" + "a" * 40 + "/f.csv"
    reach = {"epoch_notable_ai_models": "2025-11-13", "epoch_ml_hardware_with_availability": ""}
    with pytest.MonkeyPatch.context() as mp:  # the rows' latest date, without the mirror
        mp.setattr("cnai_helpers.epoch.latest_date", reach.get)
        datasets = cu.dataset_currency([
            src("epoch_notable_ai_models", gh.format("someone/epoch-ai-dataset"), "2025-12-02"),
            src("epoch_ml_hardware_with_availability", gh.format("epoch-research/china-ai-trends")),
            src("epoch_other", gh.format("x/y"), "2020-01-01"),  # no page reads it
        ])  # fmt: skip
    assert list(datasets) == ["epoch_notable_ai_models", "epoch_ml_hardware_with_availability"]
    reads = {
        "compute": {"sources": ["epoch_notable_ai_models", "epoch_ml_hardware_with_availability"]},
        "money": {"sources": ["epoch_notable_ai_models"]},
        "claims": {"sources": ["cac_genai*"], "needs_reports": ["money"]},
        "geo": {"sources": ["cac_*"]},
    }
    lines = cu.page_currency(reads["compute"], {}, reads, datasets)["data_as_of"]
    assert lines == [
        "Epoch AI, Data on AI Models (notable models): copy of 2 December 2025, models"
        " published to 13 November 2025",
        "Epoch AI, Data on Machine Learning Hardware (with availability in China): undated copy"
        " (from china-ai-trends)",
    ]
    ledger = cu.page_currency(reads["claims"], {}, reads, datasets)["data_as_of"]
    assert [x.split(":")[0] for x in ledger] == ["Epoch AI, Data on AI Models (notable models)"]
    assert cu.page_currency(reads["geo"], {}, reads, datasets)["data_as_of"] == []

    class R:  # what the build knows of a report before anything runs
        def __init__(self, sources, needs=()):
            self.sources, self.needs_reports = sources, needs

    assert cu.reads_datasets([R(["cac_*"], ("money",))], reads)  # through the report it reads
    assert not cu.reads_datasets([R(["cac_*"])], reads)  # a CAC page: no table is read


def test_sources_last_checked_gives_each_upstream_copys_date_newest_first():
    """The index says how current the sources are: the date of each upstream copy the raw
    files were taken from (the manifest's upstream_date, from the mirror's provenance), with
    what it holds and where; a source whose provenance gives no date is never given one."""
    from cnai_helpers.manifest import ManifestError, Source, source_from_dict
    from cnai_helpers.reports.currency import sources_checked_text

    def src(i, fmt, url, date=None):
        return Source(id=i, format=fmt, path=i, url=url, sha256="0" * 64, size=1, publisher="p",
                      licence="l", citation="c", upstream_date=date)  # fmt: skip

    gh = "https://raw.githubusercontent.com/{}/{}/" + "a" * 40 + "/f"
    text = sources_checked_text([
        src("d1", "cac_docx", gh.format("clearplain", "algorithm-filing-query"), "2026-05-07"),
        src("g", "genai_json", gh.format("chenluo951-oss", "lawdatify-site"), "2026-09-15"),
        src("c", "cac_cancel_json", gh.format("chenluo951-oss", "lawdatify-site"), "2026-09-15"),
        src("e", "epoch_csv", gh.format("epoch-research", "china-ai-trends")),
    ])  # fmt: skip
    assert text == (
        "Sources last checked (the date of the copy used): 15 September 2026 (generative-AI"
        " lists and cancellation notices, from the GitHub copy chenluo951-oss/lawdatify-site);"
        " 7 May 2026 (the CAC's Word lists, from the GitHub copy clearplain/algorithm-filing-query);"
        " Epoch AI data from the GitHub copy epoch-research/china-ai-trends: undated."
    )
    assert sources_checked_text([src("e", "epoch_csv", gh.format("a", "b"))]) == ""
    entry = {"id": "x", "format": "f", "path": "p", "url": "u", "sha256": "0", "size": 1,
             "publisher": "p", "licence": "l", "citation": "c", "upstream_date": "May 2026"}  # fmt: skip
    with pytest.raises(ManifestError, match="'x' has upstream_date 'May 2026', not a date"):
        source_from_dict(entry, "sources.yaml")


@pytest.mark.mirror
def test_the_generative_ai_copys_date_is_the_one_its_file_gives(real_raw):
    """The manifest's upstream_date of the compiled generative-AI lists is the compiler's own
    "updated" date inside the file (not a date typed from memory)."""
    import json

    from cnai_helpers.manifest import load_manifest

    src = next(s for s in load_manifest(include_local=False) if s.id == "cac_genai_filing")
    meta = json.loads(src.raw_path(real_raw).read_text("utf-8"))["meta"]
    assert src.upstream_date == meta["updated"]


def test_palette_gives_each_name_one_colour_and_claim_differs_from_estimate():
    from cnai_helpers import palette

    assert palette.CLAIM != palette.ESTIMATE
    assert palette.colour("registry", "genai_filings") == palette.REGISTRIES["genai_filings"]
    assert palette.colour("lab", "Zhipu AI") == palette.LABS["Zhipu"]
    assert palette.colour("chip", "Huawei Ascend 910C") != palette.colour("chip", "Nvidia H800")
    unknown = palette.colour("lab", "Some New Lab")
    assert unknown == palette.colour("lab", "Some New Lab") and unknown not in palette.LABS.values()
    with pytest.raises(ValueError, match="kind 'planet'"):
        palette.colour("planet", "Mars")


def test_a_key_figure_s_interval_is_named_as_its_verdict_names_it():
    """A referee: the compute card said "95% interval 1.82×–5.47×" for percentiles of
    simulations, and a range between two assumptions read as a 95% interval too."""
    values = {"r": 3.14, "r_ci_low": 1.82, "r_ci_high": 5.47, "s": 0.1, "s_ci_low": 0.05,
              "s_ci_high": 0.2,
              "verdicts": [{"figure": "r", "interval_kind": "2.5th–97.5th percentile of the samples"}]}  # fmt: skip
    assert render.interval_of("r", values, "ratio", "x").startswith(
        "2.5th–97.5th percentile of the samples 1.82×"
    )
    assert render.interval_of("s", values, "share", None).startswith("95% interval 5.0%")


def test_share_axes_are_labelled_in_percent():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from cnai_helpers.plotting import share_axes_as_percent

    fig, (a, b) = plt.subplots(1, 2)
    a.plot([0, 1], [0.1, 0.8])
    a.set_ylabel("share of filings")
    b.plot([0, 1], [10, 80])
    b.set_ylabel("filings")
    share_axes_as_percent(fig)
    fig.canvas.draw()
    assert [t.get_text() for t in a.get_yticklabels()][-2].endswith("%")
    assert not any(t.get_text().endswith("%") for t in b.get_yticklabels())
    plt.close(fig)
    # a narrow range of shares is ticked at whole percents: 0.025 would read "2%" (a reader saw
    # 0%, 2%, 5%, 8%, 10% on the who-files sector chart)
    fig, ax = plt.subplots(figsize=(6.2, 2))  # matplotlib's own ticks: 0.025, 0.05, 0.075
    ax.plot([0, 1], [0.0, 0.114])
    ax.set_ylim(0, None)
    ax.set_ylabel("each sector's share")
    share_axes_as_percent(fig)
    fig.canvas.draw()
    ticks = [t for t in ax.get_yticks() if ax.get_ylim()[0] <= t <= ax.get_ylim()[1]]
    assert all(abs(t * 100 - round(t * 100)) < 1e-9 for t in ticks), ticks
    plt.close(fig)


def test_link_text_names_a_link_by_another_column_and_the_csv_keeps_both():
    df = pd.DataFrame({"batch": ["2026-03"], "url": ["https://www.cac.gov.cn/a"],
                       "notice": ["CAC notice, 2026-03-12"]})  # fmt: skip
    out = disp.table_html(df, link_text={"url": "notice"})
    assert '<a href="https://www.cac.gov.cn/a" rel="noopener">CAC notice, 2026-03-12</a>' in out
    assert ">cac.gov.cn<" not in out and "<th >Notice</th>" not in out
    with pytest.raises(ValueError, match="link_text 'url' -> 'nope'"):
        disp.table_html(df, link_text={"url": "nope"})


def test_styler_cell_ids_are_dropped_and_site_classes_kept():
    out = disp.table_html(pd.DataFrame({"a": [1, 2], "b_share": [0.5, 0.25]}))
    assert "_row0_col0" not in out and "col_heading" not in out
    assert 'class="k-count"' in out and 'class="k-share"' in out and 'class="cnai-table"' in out


def test_serve_answers_on_localhost_only(tmp_path):
    import threading
    import urllib.request

    from cnai_helpers.reports.serve import make_server

    (tmp_path / "index.html").write_text("<title>cnai</title>", encoding="utf-8")
    server = make_server(tmp_path, 0)
    assert server.server_address[0] == "127.0.0.1"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/index.html"
        assert b"<title>cnai</title>" in urllib.request.urlopen(url, timeout=10).read()
    finally:
        server.shutdown()
        server.server_close()
    with pytest.raises(FileNotFoundError, match="no built site here"):
        make_server(tmp_path / "nothing", 0)


def test_chinese_labels_get_a_cjk_font_when_one_is_installed():
    """A matplotlib font cache made before the CJK fonts were installed must not draw Chinese
    as empty boxes: the theme finds the installed font files itself."""
    import shutil

    from cnai_helpers.plotting import cjk_font

    if not shutil.which("fc-list"):
        pytest.skip("no fontconfig")
    import subprocess

    listed = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True)
    if not listed.stdout.strip():
        pytest.skip("no CJK font installed (scripts/install-system-deps.sh installs one)")
    assert cjk_font() is not None


def test_index_quotes_are_never_cut_after_a_number():
    q = "State-linked listings -- from state-owned enterprises to research institutes -- make up 22 percent of filings."
    short = render.shorten_quote(q, 95)
    assert short.endswith("make up\u2026") and len(short) <= 95
    assert render.shorten_quote("Short claim.", 95) == "Short claim."


def test_index_line_of_a_sensitivity_check_names_the_verdict_and_its_page():
    """A report that computes a claim on other data (the 80% claim on the deep-synthesis lists)
    shows "sensitivity check" on the index, as its page does, and names the verdict and the page
    it rests on: a red "contradicted" above 75.2%, inside the band, would mislead. The report
    that computes the primary reading shows the ledger's status."""
    from cnai_helpers import evidence
    from cnai_helpers.reports.render import _claim_lines, _report_claims

    def build(v):
        d = {**v.as_dict(), "quote": "nearly 80%", "article": "x"}
        return {"results": {"verdicts": [d]}}

    other = evidence.judge(
        "hubs_80",
        0.752,
        None,
        figure="f",
        definition="hub provinces",
        registry="deep_synthesis",
        census=True,
    )
    assert other.role == "sensitivity"
    ledger = {"hubs_80": "contradicted"}
    where = {"hubs_80": "Where generative-AI services are filed"}
    lines = _claim_lines(_report_claims(build(other), ledger, where), evidence.LABELS)
    assert [(x["status"], x["role"]) for x in lines] == [("sensitivity", "sensitivity")]
    assert "contradicted" in lines[0]["against"] and where["hubs_80"] in lines[0]["against"]

    prim = evidence.judge(
        "hubs_80",
        0.738,
        None,
        figure="f",
        definition="hub provinces",
        registry="generative_pooled",
        cutoff="2025-03",
        census=True,
    )
    assert prim.role == "primary", prim.role
    lines = _claim_lines(_report_claims(build(prim), ledger, where), evidence.LABELS)
    assert [(x["status"], x["role"]) for x in lines] == [("contradicted", "primary")]


def test_the_ledger_answer_leads_with_the_claims_the_analyses_decide():
    """The ledger's answer lists the decided claims with the analyses' first: the DeepSeek
    entry number (decided on the ledger page itself) comes after them, not first; pending,
    not-testable and restated claims are not in the lead."""
    import nbformat

    from cnai_helpers.reports.render import ledger_lead

    recs = [
        {
            "id": "deepseek_entry_152",
            "claim_status": "supported",
            "primary": True,
            "report": "claims",
        },
        {"id": "hubs_80", "claim_status": "contradicted", "primary": True, "report": "geo-genai"},
        {
            "id": "hubs_80",
            "claim_status": "contradicted",
            "primary": False,
            "report": "geo-deep_synthesis",
        },
        {
            "id": "compute_2_4x",
            "claim_status": "inconclusive",
            "primary": True,
            "report": "compute",
        },
        {
            "id": "burning_cash",
            "claim_status": "not_testable",
            "primary": True,
            "report": "monetization",
        },
        {
            "id": "foreign_05",
            "claim_status": "pending",
            "primary": True,
            "report": "who-files-genai",
        },
    ]
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("")
    cell.outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={"application/vnd.cnai.result+json": {"name": "claims", "value": recs}},
        )
    ]
    nb.cells = [cell]
    lead = ledger_lead(nb)
    assert [x["claim"] for x in lead] == ["hubs_80", "compute_2_4x", "deepseek_entry_152"]
    assert all(x["quote"] for x in lead)


@pytest.mark.parametrize(
    ("value", "env", "remote", "expected"),
    [
        ("https://x.org/c", {}, "", "https://x.org/c/"),  # set in site.yaml: used as it is
        ("auto", {"CNAI_SITE_BASE_URL": "https://y.org/"}, "a/b", "https://y.org/"),
        ("auto", {"GITHUB_REPOSITORY": "Owner/cnai"}, "", "https://owner.github.io/cnai/"),
        ("auto", {}, "git@github.com:owner/cnai.git", "https://owner.github.io/cnai/"),
        ("auto", {}, "https://github.com/owner/cnai", "https://owner.github.io/cnai/"),
        ("", {}, "https://github.com/owner/owner.github.io.git", "https://owner.github.io/"),
        ("auto", {}, "https://gitlab.com/owner/cnai.git", ""),  # not GitHub Pages: no guess
        ("auto", {}, "", ""),
        (render.DEFAULT_BASE_URL, {}, "", ""),  # the old example address is no address
    ],
)
def test_the_published_address_is_configured_or_the_repositorys_github_pages(
    value, env, remote, expected, monkeypatch
):
    monkeypatch.setattr(
        render, "_origin_repository",
        lambda root: m.expand(r"\1/\2") if (m := render.GITHUB_REMOTE_RE.search(remote)) else "",
    )  # fmt: skip
    assert render.published_base_url(value, env=env) == expected


@pytest.mark.parametrize(
    ("value", "env", "remote", "expected"),
    [
        ("https://code.example/cnai/", {}, "", "https://code.example/cnai"),  # site.yaml's
        ("", {"GITHUB_REPOSITORY": "owner/cnai"}, "", "https://github.com/owner/cnai"),
        ("", {}, "git@github.com:owner/cnai.git", "https://github.com/owner/cnai"),
        ("", {}, "https://gitlab.com/owner/cnai.git", ""),  # no guess
        ("", {}, "", ""),  # a local clone: the commit is named, not linked
    ],
)
def test_the_code_is_linked_where_its_address_is_known(value, env, remote, expected, monkeypatch):
    """A reader who wants to check or fork a figure follows the page's commit to the code: the
    provenance footer links the commit and the notebook when the repository has a public
    address, and names them without a link when it has none."""
    monkeypatch.setattr(
        render, "_origin_repository",
        lambda root: m.expand(r"\1/\2") if (m := render.GITHUB_REMOTE_RE.search(remote)) else "",
    )  # fmt: skip
    repo = render.repository_url(value, env=env)
    assert repo == expected
    commit = "0123456789abcdef0123456789abcdef01234567"
    prov = {"report_id": "geo", "notebook": "notebooks/geographic_clustering.ipynb", "parameters": {},
            "git": {"commit": commit, "dirty": False}, "built_at": "2026-12-07T10:00:00Z",
            "seconds": 3.2, "sources": {}, "packages": {}}  # fmt: skip
    footer = render.provenance_html(prov, repo)
    if repo:
        assert f"href='{repo}/tree/{commit}'" in footer
        assert f"href='{repo}/blob/{commit}/notebooks/geographic_clustering.ipynb'" in footer
    else:
        assert "href" not in footer and commit in footer


def test_every_page_links_the_articles_and_datasets_it_uses(monkeypatch):
    """The answer's claim names its article with a link; the page lists the source articles of
    its claims and the datasets it reads, linked to their address or, with none recorded, to
    their line in the index's list of sources (which has that id)."""
    from bs4 import BeautifulSoup

    cfg = {
        **render.site_config(),
        "articles": render._links(
            [
                {"id": "wired", "title": "T1", "publisher": "WIRED", "cited_as": "WIRED"},
                {"id": "afp", "title": "T2", "publisher": "AFP", "cited_as": "AFP", "url": "https://a.fr/x"},
            ]
        ),
        "datasets": render._links(
            [{"id": "epoch-hw", "title": "HW", "publisher": "Epoch AI", "url": "https://epoch.ai/hw", "sources": ["epoch_ml_*"]},
             {"id": "cac", "title": "CAC lists", "publisher": "CAC", "sources": "cac_*"}]
        ),
    }  # fmt: skip
    monkeypatch.setattr(render, "claim_articles", lambda rid: ["AFP (Omdia)"])
    nb = _nb_with_verdict()
    verdict = nb.cells[1].outputs[1]["data"][VERDICT_MIME]
    verdict |= {"article": "WIRED (Trivium China)", "quote": "Nearly 80 percent"}
    prov = {**PROV, "sources": {"epoch_ml_hardware": "sha", "other": "sha"}}
    html = render.render_report(nb, prov, {"title": "Geo", "question": "Q?", "config": cfg})[0]
    soup = BeautifulSoup(html, "html.parser")
    links = {a.get_text(): a["href"] for a in soup.select(".cnai-used-sources a")}
    assert links == {"AFP: “T2”": "https://a.fr/x", "Epoch AI: HW": "https://epoch.ai/hw"}
    # no address and no copy: said so, and no link to the index's list in its place
    used = soup.select_one(".cnai-used-sources").get_text()
    assert "WIRED: “T1” (no public link found)" in used
    assert soup.select_one(".cnai-verdict .cnai-source a") is None
    ledger = render.page_sources(cfg, render.LEDGER_ID, [], [])
    assert [s["id"] for s in ledger] == ["wired", "afp"]  # the ledger links every article


def test_the_real_site_block_names_the_three_articles_and_epochs_data_pages():
    cfg = render.site_config()
    assert [a["cited_as"] for a in cfg["articles"]] == ["WIRED", "AFP", "Economic Times"]
    urls = {d["url"] for d in cfg["datasets"]}
    assert {
        "https://epoch.ai/data/ai-models",
        "https://epoch.ai/data/machine-learning-hardware",
    } <= urls
    for a in cfg["articles"]:  # an address is recorded only when it was confirmed
        assert a["url"] == "" or a["url"].startswith("https://")
        # each article is dated and linked: its page, or a copy labelled with its source tier
        assert a["date"] and (a["url"] or (a["copy_url"].startswith("https://") and a["copy_tier"]))
    assert all(d["sources"] for d in cfg["datasets"])


def test_a_syndicated_copy_is_linked_as_such_with_its_tier(monkeypatch):
    from bs4 import BeautifulSoup

    arts = [{"id": "et", "title": "T", "publisher": "ET", "cited_as": "ET", "date": "21 January 2026",
             "copy_url": "https://www.taipeitimes.com/x", "copy_tier": "reputable press"}]  # fmt: skip
    cfg = {**render.site_config(), "articles": render._links(arts), "datasets": []}
    monkeypatch.setattr(render, "claim_articles", lambda rid: ["ET"])
    html = render.render_report(_nb_with_verdict(), PROV, {"title": "G", "config": cfg})[0]
    used = BeautifulSoup(html, "html.parser").select_one(".cnai-used-sources")
    assert used.select_one("a")["href"] == "https://www.taipeitimes.com/x"
    assert "(syndicated copy on taipeitimes.com, reputable press)" in used.get_text()
    index = BeautifulSoup(
        render.index_html(
            {"commit": "a" * 40, "dirty": False}, "2026-01-01", articles=cfg["articles"]
        ),
        "html.parser",
    )
    line = index.select_one("ul.cnai-sources li#et").get_text()
    assert "21 January 2026" in line and "syndicated copy on taipeitimes.com" in line
    assert "(source tier: reputable press)" in line


def _chart_axes(draw) -> list[dict]:
    """The axes metadata ``finish`` keeps with a chart drawn by ``draw(fig, ax)``."""
    return _chart_meta(draw)["cnai_axes"]


def test_chart_metadata_sees_empty_legend_entries_share_axes_dates_and_ratio_ticks():
    from cnai_helpers.plotting import batch_dates, date_axis, ratio_axis

    def draw(fig, ax):
        ax.plot([1, 2], [0.2, 0.6], label="drawn")
        ax.plot([], [], label="nothing drawn")
        ax.set_ylabel("share of filings")
        ax.legend()

    (a,) = _chart_axes(draw)
    assert a["legend"] == ["drawn", "nothing drawn"] and a["empty_legend"] == ["nothing drawn"]
    assert a["y"]["ticks"] and all(t.endswith("%") for t in a["y"]["ticks"])

    def dated(fig, ax):
        ax.plot(batch_dates(["2023-06", "2023-08", "2025-05"]), [1, 2, 3])
        date_axis(ax)

    (d,) = _chart_axes(dated)
    assert d["x"]["date"] and not any(t == "2023-08" for t in d["x"]["ticks"])

    def batch_bars(fig, ax):  # bars of lists on a date axis are BATCH_BAR_DAYS wide, not 0
        from cnai_helpers.plotting import BATCH_BAR_DAYS

        ax.bar(batch_dates(["2023-06", "2023-08"]), [3, 5], width=BATCH_BAR_DAYS, label="new")
        ax.bar(batch_dates(["2023-06"]), [0], width=BATCH_BAR_DAYS)  # nothing drawn
        date_axis(ax)
        ax.legend()

    (b,) = _chart_axes(batch_bars)
    assert b["empty_bars"] == 1 and b["empty_legend"] == []

    def ratios(fig, ax):
        ax.hist([1.3, 1.6, 2.2, 2.5, 5.0])
        ax.set_xlim(1.1, 6)
        ratio_axis(ax, "x", marks=(2, 3, 4))

    (r,) = _chart_axes(ratios)
    assert r["x"]["scale"] == "log" and {"2×", "3×", "4×"} <= set(r["x"]["ticks"])


def test_the_index_says_sensitivity_check_where_a_report_only_computes_the_claim_as_one():
    """A red "contradicted" above a figure inside the claim's band misled a reader: under a
    report that computes a claim only as a sensitivity, the index shows "sensitivity check"
    (as the page does) and says the verdict in words; under the primary report, the verdict."""
    import types

    def rep(rid):
        return types.SimpleNamespace(id=rid, title=rid, question="Q?", key_figures=[], headline="")

    base = {
        "kind": "share",
        "value": 0.75,
        "band_text": "75%–80%",
        "reason": "r",
        "quote": "Nearly 80%",
    }
    builds = {
        "geo-genai": {"results": {"verdicts": [{**base, "claim": "hubs_80", "role": "primary", "status": "contradicted"}]}},
        "geo-ds": {"results": {"verdicts": [{**base, "claim": "hubs_80", "role": "sensitivity", "status": "supported"}]}},
        "claims": {"results": {"claims": [{"id": "hubs_80", "claim_status": "contradicted", "primary": True}]}},
    }  # fmt: skip
    reports = [rep("geo-genai"), rep("geo-ds"), rep("claims")]
    entries = render.index_entries(reports, builds, dict.fromkeys(builds, True))
    lines = {a["id"]: a["claims"] for a in entries["answers"]}
    assert [c["status"] for c in lines["geo-genai"]] == ["contradicted"]
    (sens,) = lines["geo-ds"]
    assert sens["status"] == "sensitivity" and sens["label"] == "sensitivity check"
    assert "verdict" in sens["against"] and "contradicted" in sens["against"]


def test_negative_intervals_read_with_to_and_the_ledger_estimate_is_compact():
    from cnai_helpers import claims
    from cnai_helpers.formatting import interval_suffix

    assert (
        render.interval_of(
            "d", {"d": -0.2, "d_ci_low": -0.38, "d_ci_high": -0.18}, "share", "pp"
        ).count(" to ")
        == 1
    )
    neg = interval_suffix(-0.382, -0.18, "share")  # not "−38.2%–−18.0%"
    assert neg.endswith("38.2% to -18.0%)") or neg.endswith("38.2% to −18.0%)"), neg
    assert interval_suffix(0.1, 0.2, "share") == " (95% interval 10.0%–20.0%)"
    row = pd.Series(
        {"value": 0.18, "ci_low": 0.08, "ci_high": 0.33, "kind": "ratio", "unit": "x",
         "interval_kind": "2.5th–97.5th percentile of the bootstrap samples"}
    )  # fmt: skip
    cell = claims._estimate_cell(row)
    assert ">0.18× (0.08×–0.33×)<" in cell and "bootstrap samples" in cell.split(">")[0]
    year = pd.Series(
        {"value": 2029, "ci_low": None, "ci_high": None, "kind": "count", "unit": "year"}
    )
    assert ">2029<" in claims._estimate_cell(year)
    assert claims._claimed_text(14.5, "USD bn") == "USD 14.5 bn"
    assert claims._claimed_text(2029.0, "year") == "2029"
    # the figure as the words state it ("even stronger gains" than 80%; "three to five models")
    assert claims._claimed_text("0.8", "share", "more than") == "more than 80%"
    assert claims._claimed_text("3", "models", None, "5") == "3–5 models"
    assert claims._claimed_text("2", "x", "", "4") == "2–4×"
    assert claims._claimed_text("0.005", "share") == "0.5%"


def test_a_change_whose_interval_includes_none_is_not_called_a_trend():
    """ "falling (−2.2 pp)" for a share that swings 52%–80% from list to list misleads: with an
    interval recorded beside the change, a change it cannot tell from none reads so."""
    from cnai_helpers.reports.headline import headline

    meta = {"d": {"kind": "share", "unit": "pp"}}
    tmpl = "The share is {d:trend} ({d})"
    assert headline(tmpl, {"d": -0.022, "d_ci_low": -0.09, "d_ci_high": 0.05}, meta) == (
        "The share is not clearly changing (−2.2 pp)"
    )
    assert headline(tmpl, {"d": -0.117, "d_ci_low": -0.2, "d_ci_high": -0.03}, meta) == (
        "The share is falling (−11.7 pp)"
    )
    assert headline(tmpl, {"d": 0.03}, meta) == "The share is rising (+3.0 pp)"


def test_the_front_page_opens_with_the_chosen_reports_headlines():
    """The index's first paragraph is the headlines of site.yaml's `lede` reports in order (a
    sentence a journalist can quote), not a wall of badges and a commit hash; a report with no
    headline is left out; the real site.yaml names reports that exist."""
    from cnai_helpers.reports.render import index_lede, site_config
    from cnai_helpers.reports.site import load_site

    groups = [
        ("Geography", [{"id": "g", "sentence": "Three in four."}, {"id": "x", "sentence": ""}]),
        ("Compute", [{"id": "c", "sentence": "About three times."}]),
    ]
    assert index_lede(["c", "x", "g", "missing"], groups) == [
        "About three times.",
        "Three in four.",
    ]
    lede = site_config()["lede"]
    assert lede and set(lede) <= {r.id for r in load_site()}


def test_headline_filters_write_months_ranks_and_shares_as_a_journalist_would():
    from cnai_helpers.reports.headline import headline

    values = {"cut": "2025-01", "rank": 2, "far": 14, "share": 0.752, "odd": 0.683}
    meta = {"share": {"kind": "share"}, "odd": {"kind": "share"}}
    text = headline(
        "{share:approx} by {cut:month}; {rank:ordinal} of 31, {far:ordinal}; {odd:approx}.",
        values,
        meta,
    )
    # a share near a simple fraction in words with the figure; one that is not: the figure alone
    assert text == "About three quarters (75.2%) by January 2025; second of 31, 14th; 68.3%."
    assert "rank 2" not in text and "2025-01" not in text


def test_the_answer_box_takes_at_most_four_key_figures_with_short_labels(tmp_path):
    from cnai_helpers.reports.site import SiteError

    def entry(figs):
        return {"reports": [{"id": "a", "notebook": "t.ipynb", "title": "A", "question": "A?",
                             "key_figures": figs}]}  # fmt: skip

    (tmp_path / "site.yaml").write_text(yaml.safe_dump(entry(["a", "b", "c", "d", "e"])))
    with pytest.raises(SiteError, match="at most 4 key_figures"):
        load_site(tmp_path / "site.yaml")
    (tmp_path / "site.yaml").write_text(yaml.safe_dump(entry([{"a": "x" * 41}])))
    with pytest.raises(SiteError, match="at most 40 characters"):
        load_site(tmp_path / "site.yaml")
    (tmp_path / "site.yaml").write_text(yaml.safe_dump(entry([{"n_filings": "Filings"}, "b"])))
    (r,) = load_site(tmp_path / "site.yaml")
    assert r.key_figures == ("n_filings", "b") and dict(r.key_labels) == {"n_filings": "Filings"}


def test_every_report_of_the_site_shows_at_most_four_short_labelled_key_figures():
    """geo-genai's answer box had six figures with sentence-long labels; every report of the
    real site.yaml names at most four, each with a short label (its description a tooltip)."""
    from cnai_helpers.reports.site import MAX_KEY_FIGURES, MAX_KEY_LABEL

    for r in load_site():
        labels = dict(r.key_labels)
        assert 1 <= len(r.key_figures) <= MAX_KEY_FIGURES, (r.id, r.key_figures)
        unlabelled = [k for k in r.key_figures if k not in labels]
        assert not unlabelled, f"{r.id}: key figures without a short label {unlabelled}"
        assert all(len(x) <= MAX_KEY_LABEL and "{" not in x for x in labels.values()), labels


def test_the_answer_box_shows_the_short_label_and_keeps_the_description_as_its_tooltip():
    from cnai_helpers.reports.render import key_figures

    nb = _nb_with_verdict()
    (f,) = key_figures(nb, ["hub_share"], short={"hub_share": "Four hub provinces"})
    assert f["short"] == "Four hub provinces" and f["label"] and f["label"] != f["short"]


def test_headline_changes_and_counts_read_as_words():
    from cnai_helpers.reports.headline import headline

    meta = {"d": {"kind": "share", "unit": "pp"}, "n": {"kind": "count"}, "m": {"kind": "count"}}
    text = headline(
        "x ({d:change}); {n:are} restated, {m:are} not", {"d": -0.117, "n": 1, "m": 14}, meta
    )
    assert text == "X (down 11.7 points); 1 is restated, 14 are not"
    ratio = {"kind": "ratio", "unit": "x"}
    same = headline("hosts charge {r:times} theirs", {"r": 1.001}, {"r": ratio})
    assert same == "Hosts charge the same as theirs"  # not "1.00× the developer's own price"
    assert headline("{r:times} theirs", {"r": 1.35}, {"r": ratio}) == "1.35× as much as theirs"


def test_no_headline_hard_codes_a_date():
    """who-files said "listed by December 2024" while its figures were to March 2025 (the
    cut-off moved with the reading): a headline's dates come from the report's figures."""
    import re

    from cnai_helpers.formatting import MONTHS

    dated = re.compile(r"\b(" + "|".join(MONTHS) + r")\b|\b(19|20)\d\d\b")
    bad = {r.id: r.headline for r in load_site() if r.headline and dated.search(r.headline)}
    assert not bad, bad


# ------------------------------------------------ issue 26, third pass: a shorter front page


def _card_build(n_figures: int = 6) -> dict:
    long = "Share of deep-synthesis filings in the four hub provinces (Beijing, Shanghai, …)"
    res = {f"f{i}": 0.1 * (i + 1) for i in range(n_figures)}
    res["f0_ci_low"], res["f0_ci_high"] = 0.05, 0.15
    return {
        "status": "ok",
        "results": res,
        "kinds": dict.fromkeys(res, "share"),
        "units": {},
        "descriptions": {k: f"{long} {k}" for k in res},
    }


def test_an_index_card_shows_three_short_figures_with_the_long_label_as_tooltip():
    """The front page was 10,400 px at 1366 and 24,700 at 390 because every card repeated a
    six-row table of long labels: a card shows at most three figures, each with its short label
    (site.yaml's, else the long label's head) and the long label as a tooltip, no figure table."""
    import types

    from bs4 import BeautifulSoup

    rep = types.SimpleNamespace(
        id="registry-x",
        title="Registry X",
        question="How big?",
        key_figures=("f0", "f1", "f2", "f3", "f4", "f5"),
        key_labels=(("f0", "Hub provinces"),),
        headline="",
    )
    entries = render.index_entries([rep], {"registry-x": _card_build()}, {"registry-x": True})
    html_ = render.index_html(git={"commit": "0" * 40, "dirty": False}, built_at="t", **entries)
    card = BeautifulSoup(html_, "html.parser").select_one("#report-registry-x")
    assert card is not None and not card.select("table"), "a card has no figure table"
    dts = card.select("dl.cnai-card-figures dt")
    assert len(dts) == 3
    assert dts[0].get_text() == "Hub provinces" and dts[0]["title"].startswith("Share of deep")
    short = dts[1].get_text()  # the long label's head, cut at a word
    assert short.startswith("Share of deep-synthesis filings") and len(short) <= 48
    assert "(" not in short and dts[1]["title"].endswith("f1")
    assert "5.0%–15.0%" in card.select_one("dl.cnai-card-figures dd").get_text()
    assert card.select_one("a.cnai-more")["href"] == "registry-x/index.html"


def test_a_card_under_the_answers_is_not_repeated_in_its_group_and_folds_extra_claims():
    """A report that answers a claim has one card (in the answers); its group links to it. The
    card shows its first two claims (the ones it decides first) and counts the rest."""
    import types

    from bs4 import BeautifulSoup

    def v(claim, status, role="primary"):
        return {"claim": claim, "role": role, "status": status, "kind": "share", "value": 0.5,
                "reason": "r", "quote": f"Quote {claim}"}  # fmt: skip

    build = {
        **_card_build(3),
        "results": {
            **_card_build(3)["results"],
            "verdicts": [v("a", "not_testable"), v("b", "not_testable"), v("c", "supported"),
                         v("d", "contradicted", "sensitivity")],
        },
    }  # fmt: skip
    rep = types.SimpleNamespace(
        id="geo-x", title="Geo X", question="Where?", key_figures=("f0",), headline=""
    )
    entries = render.index_entries([rep], {"geo-x": build}, {"geo-x": True})
    html_ = render.index_html(git={"commit": "0" * 40, "dirty": False}, built_at="t", **entries)
    soup = BeautifulSoup(html_, "html.parser")
    assert len(soup.select("#report-geo-x")) == 1
    lines = soup.select("#report-geo-x li[data-claim]")
    assert [li["data-claim"] for li in lines] == ["c", "a"]  # decided first, sensitivity last
    assert "+2 more claims on the page" in soup.select_one(".cnai-more-claims").get_text()
    assert soup.select_one('.cnai-answered a[href="#report-geo-x"]') is not None


def test_a_long_table_folds_under_its_captions_first_sentence_on_a_phone():
    """A 32-row sensitivity table as phone cards made the compute page 62,000 px tall: a table
    of more than 15 rows (or 48 cells) folds under a one-line summary, open on a wide screen
    (class cnai-fold) unless it is over 30 rows (cnai-fold-long: folded everywhere); a short
    table, a table its notebook folded and the claims ledger stay as they are."""
    from cnai_helpers.display import table_html
    from cnai_helpers.reports.preprocess import fold_long_table

    def body(n, cols=3, caption="Sensitivity: other chips and precisions. Each row is a run."):
        df = pd.DataFrame({f"c{i}": range(n) for i in range(cols)})
        return table_html(df, caption), {"columns": list(df.columns), "rows": n}

    folded = fold_long_table(*body(20))
    summary = folded.split("</summary>")[0]
    assert summary.startswith('<details class="cnai-fold" data-rows="20"><summary>')
    assert "Sensitivity: other chips and precisions <small" in summary  # its first sentence
    assert "(20 rows)" in summary and "Each row" not in summary
    assert 'class="cnai-fold cnai-fold-long"' in fold_long_table(*body(31))
    assert fold_long_table(*body(12, cols=5)).startswith('<details class="cnai-fold" ')  # 60 cells
    short, meta = body(5)
    assert fold_long_table(short, meta) == short
    ledger = '<table class="cnai-table cnai-ledger">' + "<tr><td>x</td></tr>" * 40 + "</table>"
    assert fold_long_table(ledger, {"columns": ["a"]}) == ledger
    done = "<details class='cnai-fold'>" + short + "</details>"
    assert fold_long_table(done, meta) == done


def test_code_in_a_table_cell_breaks_only_after_an_underscore():
    from cnai_helpers.display import code_markup

    out = code_markup("the `filing_key` of source_id")
    assert "<code>filing_<wbr>key</code>" in out and "<code>source_<wbr>id</code>" in out


def test_a_column_of_shares_has_one_precision():
    """A province's use-case column read "0.1%" above "0.09%": a table's share column takes one
    precision, two decimals only when a non-zero share would otherwise read 0.0%."""
    from bs4 import BeautifulSoup

    df = pd.DataFrame(
        {"use case": ["a", "b", "c", "d"], "share": [0.2178, 0.0012, 0.0009, 0.0]},
    )
    cells = [
        td.get_text()
        for td in BeautifulSoup(disp.table_html(df), "html.parser").select("td.k-share")
    ]
    assert cells == ["21.8%", "0.1%", "0.1%", "0.0%"]
    tiny = df.assign(share=[0.2178, 0.0012, 0.0004, 0.0])
    cells = [
        td.get_text()
        for td in BeautifulSoup(disp.table_html(tiny), "html.parser").select("td.k-share")
    ]
    assert cells == ["21.78%", "0.12%", "0.04%", "0.00%"]
    assert {len(c.split(".")[1]) for c in cells} == {3}  # two decimals and "%" in every cell


def test_the_ledgers_data_as_of_names_every_registry_its_claims_rest_on():
    """The ledger read only the generative-AI lists itself, so its "data as of" named only them,
    though its verdicts rest on the deep-synthesis list too (through the reports it reads): a
    page names the registries of every report whose results it reads, followed to the end."""
    from cnai_helpers.reports.currency import page_currency

    currency = {
        r: {"registry": r, "label": r.title(), "batch": b, "date": "", "notices_to": "",
            "source_ids": [f"cac_{r}_1"]}
        for r, b in (("deep_synthesis", "2026-05"), ("genai_filings", "2026-08"),
                     ("algorithm_recommendation", "2026-05"))
    }  # fmt: skip
    reads = {
        "geo": {"parameters": {"registry": "deep_synthesis"}, "sources": ["cac_*"]},
        "who": {"parameters": {}, "sources": ["cac_deep*"], "needs_reports": ["geo"]},
        "claims": {"parameters": {}, "sources": ["cac_genai*"], "needs_reports": ["who"]},
    }
    lines = page_currency(
        {**reads["claims"], "sources_used": ["cac_genai_filings_1"]}, currency, reads
    )
    text = " ".join(lines["data_as_of"])
    assert "Deep_Synthesis: latest list May 2026" in text
    assert "Genai_Filings: latest list August 2026" in text
    assert "Algorithm" not in text  # a registry none of them reads
    alone = page_currency({**reads["claims"], "sources_used": ["cac_genai_filings_1"]}, currency)
    assert [x.split(":")[0] for x in alone["data_as_of"]] == ["Genai_Filings"]


def test_the_ledgers_status_badge_is_short_with_its_label_as_tooltip():
    """ "source-traced (restated, not computed)" (282 px) overprinted the next column of the
    ledger: the badge says "source-traced", the whole label is its tooltip."""
    from cnai_helpers.claims import _status_badge

    badge = _status_badge("source_traced", "source-traced (restated, not computed)")
    assert (
        ">source-traced</span>" in badge
        and "title='source-traced (restated, not computed)'" in badge
    )
    assert (
        _status_badge("supported", "supported")
        == "<span class='badge s-supported'>supported</span>"
    )


def test_latest_lists_name_every_registry_the_data_as_of_names():
    """ "Latest lists" had 4 rows while "Data as of" had 5: the on-device list (Apple, Samsung,
    Huawei) has no digest report and was left out. Every registry of the core tables has a
    line; one without a digest says so instead of linking."""
    from cnai_helpers.reports.latest import with_every_registry

    digests = [{"id": "batch-deep_synthesis", "registry": "deep_synthesis", "href": "b/index.html"}]
    currency = {
        "deep_synthesis": {"registry": "deep_synthesis", "label": "Deep synthesis", "batch": "2026-05"},
        "genai_on_device": {"registry": "genai_on_device", "label": "On-device generative AI",
                            "batch": "2026-08", "date": ""},
    }  # fmt: skip
    rows = with_every_registry(digests, currency)
    assert [r["registry"] for r in rows] == ["deep_synthesis", "genai_on_device"]
    assert rows[1]["href"] == "" and rows[1]["batch"] == "2026-08"
    html_ = render.index_html(git={"commit": "0" * 40, "dirty": False}, built_at="t", latest=rows)
    assert "On-device generative AI" in html_ and "no digest page yet" in html_


def test_a_page_that_only_checks_a_claim_names_and_links_the_page_of_its_verdict():
    """A report page whose verdict on a claim is only a sensitivity points the reader to the
    page that gives the verdict (its title, a link to the claim's anchor there)."""
    from cnai_helpers import evidence

    v = evidence.judge(
        "hubs_80", 0.752, None, figure="f", definition="hub provinces",
        registry="deep_synthesis", census=True,
    ).as_dict()  # fmt: skip
    titles = {r.id: r.title for r in load_site(expand=False)}
    (entry,) = render.group_claims([{**v, "quote": "Nearly 80%", "article": "WIRED"}], titles)
    assert entry["status"] == "sensitivity" and entry["label"] == "sensitivity check"
    from cnai_helpers import readings

    prim = readings.reading("hubs_80").primary.report
    assert entry["elsewhere_href"] == f"{prim}/index.html#verdict-hubs_80"
    title = titles[prim]
    # only the page's title is the link (reader6: three 60-word links in one answer box)
    assert entry["elsewhere"] == title
    assert "sensitivity check" in entry["elsewhere_after"]
    assert "committed reading" not in entry["elsewhere_after"]


def test_an_alternative_readings_scope_reads_as_one_phrase():
    """who-files: "broad, The three generative lists pooled …, lists to 2025-03": a registry's
    name inside the phrase is lower-cased and the month is in words; a scope that starts with
    the registry keeps its capital."""
    from cnai_helpers.reference import registry_label

    pooled = registry_label("generative_pooled")
    assert pooled.startswith("The three")
    v = {"definition": "broad", "registry": "generative_pooled", "cutoff": "2025-03"}
    assert render.reading_scope(v) == f"broad, t{pooled[1:]}, lists to March 2025"
    assert render.reading_scope({**v, "definition": ""}).startswith("The three generative lists")


def test_a_verdict_named_inside_a_sentence_reads_as_a_word_of_it():
    """compute-910b: "The verdict on this claim, Inconclusive , is given on …": the badge in the
    sentence is the label in lower case, with no margin before the comma that follows it."""
    from bs4 import BeautifulSoup

    from cnai_helpers.reports.render import TEMPLATES

    nb = _nb_with_verdict()
    v = nb.cells[1].outputs[1]["data"][VERDICT_MIME]
    v.update(role="sensitivity")
    soup = BeautifulSoup(
        render.render_report(
            nb, PROV, {"title": "T", "claim_statuses": {v["claim"]: "inconclusive"}}
        )[0],
        "html.parser",
    )
    badge = soup.select_one(".cnai-verdict .cnai-inline-badge")
    assert badge is not None and badge.get_text() == "inconclusive"
    assert str(badge.next_sibling).startswith(",")
    css = (TEMPLATES / "static" / "site.css").read_text(encoding="utf-8")
    assert ".badge.cnai-inline-badge { margin-right: 0; }" in css


def test_a_pages_sensitivity_count_says_it_is_this_pages():
    """who-files said "4 sensitivity checks", the ledger "8" for the same claim (it adds
    who-files-genai's): the page's count says it is the page's own."""
    from bs4 import BeautifulSoup

    nb = _nb_with_verdict()
    base = nb.cells[1].outputs[1]["data"][VERDICT_MIME]
    for i, reg in enumerate(("deep_synthesis", "genai_registrations")):
        v = {**base, "role": "sensitivity", "registry": reg, "value": 0.5 + i / 10,
             "status": "supported"}  # fmt: skip
        nb.cells[1].outputs.append(
            new_output("display_data", data={VERDICT_MIME: v, "text/markdown": "s"})
        )
    soup = BeautifulSoup(render.render_report(nb, PROV, {"title": "Geo"})[0], "html.parser")
    summary = soup.select_one(".cnai-answer .cnai-sens summary").get_text()
    assert summary.startswith("2 sensitivity checks on this page (not the verdict"), summary


def test_a_chart_offers_its_phone_rendering_to_small_screens():
    """Each chart is two files beside the page: the wide one, and a narrower rendering a
    <picture> offers below the width where tables become cards (text legible on a phone)."""
    import matplotlib

    matplotlib.use("Agg")
    import IPython.display
    import matplotlib.pyplot as plt
    from bs4 import BeautifulSoup

    from cnai_helpers import plotting

    bundles = []
    orig = IPython.display.display
    IPython.display.display = lambda *a, **k: bundles.append((a, k))
    try:
        plotting.set_theme()
        fig, ax = plt.subplots()
        ax.plot([1, 2, 3], [3, 1, 2])
        plotting.finish(fig, "A chart", "test")
    finally:
        IPython.display.display = orig
    (data,), kw = next((a, k) for a, k in bundles if "image/png" in a[0])
    nb = new_notebook()
    cell = new_code_cell("x")
    cell.outputs = [new_output("display_data", data=data, metadata=kw["metadata"])]
    nb.cells = [new_markdown_cell("# T"), cell]
    html, files = render.render_report(nb, PROV, {"title": "T"})
    soup = BeautifulSoup(html, "html.parser")
    source = soup.select_one("figure.cnai-figure picture source")
    assert source["media"] == f"(max-width: {render.PHONE_MEDIA_PX}px)"
    assert source["srcset"].endswith("-phone.png") and source["srcset"] in files
    assert soup.select_one("figure.cnai-figure picture img")["src"] in files
    assert render.PHONE_MEDIA_PX == plotting.PHONE_MEDIA_PX
    assert "iVBOR" not in html  # both renderings are files, none inline


def test_a_page_that_only_checks_a_claim_names_the_verdict_given_on_the_other_page(tmp_path):
    """reader4: a sensitivity page said where the verdict is but not what it is. The build reads
    the primary report's results (it runs first: site.yaml needs.reports) and the page names the
    claim's status, in words and as a coloured badge."""
    import json

    from cnai_helpers import evidence, readings
    from cnai_helpers.reports.build import claim_statuses

    # a claim whose reading has a pre-registered alternative (state-linked: control or broad)
    claim = "state_linked_22"
    prim = readings.reading(claim).primary
    v_p = evidence.judge(
        claim, 0.09, None, figure=prim.figure, definition=prim.definition,
        registry=prim.registry, cutoff=readings.reading(claim).cutoff, census=True,
    ).as_dict()  # fmt: skip
    alt = readings.reading(claim).alternatives[0]
    v_a = evidence.judge(
        claim, 0.22, None, figure=alt.figure, definition=alt.definition,
        registry=alt.registry, cutoff=readings.reading(claim).cutoff, census=True,
    ).as_dict()  # fmt: skip
    assert (v_p["role"], v_p["status"], v_a["role"], v_a["status"]) == (
        "primary", "contradicted", "alternative", "supported",
    )  # fmt: skip
    (tmp_path / f"{prim.report}.json").write_text(json.dumps({"verdicts": [v_p, v_a]}))
    statuses = claim_statuses(tmp_path)
    assert statuses == {claim: evidence.DEPENDS}  # the ledger's rule: primary and alternative
    v = evidence.judge(
        claim, 0.1, None, figure="f", definition="state control",
        registry="deep_synthesis", census=True,
    ).as_dict()  # fmt: skip
    (entry,) = render.group_claims([{**v, "quote": "q"}], {}, statuses)
    label = evidence.LABELS[statuses[claim]]
    assert entry["verdict_there_label"] == label == "depends on definition"
    assert entry["elsewhere"] == prim.report  # no titles given: the report's id
    (none,) = render.group_claims([{**v, "quote": "q"}], {}, {})  # primary not built yet
    assert none["verdict_there"] == "" and none["elsewhere"] == prim.report


def test_headline_sets_a_figure_beside_its_verdict_band_and_interval():
    from cnai_helpers.reports.headline import headline

    verdicts = [
        {"figure": "s", "role": "sensitivity", "status": "supported", "band_text": "x"},
        {"figure": "s", "role": "primary", "status": "contradicted", "band_text": "21.5%–22.5%",
         "ci_low": 0.054, "ci_high": 0.112, "kind": "share", "interval_kind": "95% interval"},
        {"figure": "c", "role": "primary", "status": "contradicted", "band_text": "75%–80%",
         "ci_low": 0.74, "ci_high": 0.74, "kind": "share", "interval_kind": "census"},
    ]  # fmt: skip
    vals = {"s": 0.087, "c": 0.74, "verdicts": verdicts}
    meta = {"s": {"kind": "share"}, "c": {"kind": "share"}}
    text = headline("{s} ({s:interval}; claim {s:band}: {s:status})", vals, meta)
    assert text == "8.7% (95% interval 5.4%–11.2%; claim 21.5%–22.5%: contradicted)"
    # a census has no interval: the optional part goes, the sentence stays
    assert headline("{c}[ ({c:interval})], {c:status}", vals, meta) == "74.0%, contradicted"
    # a figure with no verdict gives no headline rather than a hole
    assert headline("{n:status}", {"n": 1.0}, {}) == ""


def test_a_contradicting_figure_says_how_far_outside_the_band_it_lies():
    """reader4: "74.0% … wholly outside what the claim's words allow (75%–80%)" next to "about
    three quarters" read as a contradiction; the reason gives the distance to the nearer edge."""
    from cnai_helpers import evidence

    near = evidence.judge(
        "hubs_80", 0.740, None, figure="f", definition="hub provinces", census=True,
        registry="deep_synthesis",
    )  # fmt: skip
    assert near.status == "contradicted"
    assert "it lies 1.0 points below what the claim's words allow (75%–80%)" in near.reason
    assert "wholly" not in near.reason
    far = evidence.judge(
        "state_linked_22", 0.087, (0.054, 0.112), figure="f", definition="state control",
        registry="deep_synthesis",
    )  # fmt: skip
    assert "its interval lies 10.3 points below" in far.reason
    above = evidence.judge(
        "hubs_80", 0.8004, None, figure="f", definition="hub provinces", census=True,
        registry="deep_synthesis",
    )  # fmt: skip
    assert "it lies just above what the claim's words allow" in above.reason


def test_a_verdict_in_the_body_says_which_claim_and_links_to_its_verdict():
    """Five identical "Verdict on the claim: contradicted; … at the top" lines on who-files did
    not say which claim each was: the line names the claim's words, the measure and the figure,
    and links to that claim's verdict, not to the answer box's top."""
    from cnai_helpers import evidence
    from cnai_helpers.reports.preprocess import verdict_pointer

    v = evidence.judge(
        "state_linked_22", 0.087, (0.054, 0.112), figure="f", definition="state control",
        registry="deep_synthesis",
    ).as_dict()  # fmt: skip
    v["quote"] = (
        "State-linked listings -- from state-owned enterprises to government-backed research institutes -- make up 22 percent of filings."  # noqa: E501
    )
    line = verdict_pointer(v, "Verdict on the claim")
    # the list it was measured on too: who-files' pooled verdict and its deep-synthesis check
    # had the same definition and date, and read as one figure with two values
    assert "(state control, deep synthesis (深度合成)): 8.7%, contradicted;" in line
    assert "“State-linked listings" in line and "…”" in line and "22 percent" not in line
    assert "](#verdict-state_linked_22)" in line


def test_the_answer_shows_its_key_figures_before_the_claims_read_in_full():
    """reader4 (T8): on who-files and monetization the key figures came after every claim's
    reading, 1,500 px down at 1366; they now open the answer, before the verdicts."""
    html_, _ = render.render_report(_nb_with_verdict(), PROV, {"title": "Geo", "question": "Q?"})
    answer = html_[html_.index('id="answer"') : html_.index('class="cnai-evidence"')]
    assert answer.index('class="cnai-figures"') < answer.index('class="cnai-verdict"')


def test_a_headline_names_percentile_intervals_as_a_reader_says_them():
    from cnai_helpers.reports.headline import headline

    def one(kind_name):
        v = {"figure": "r", "role": "primary", "status": "supported", "band_text": "below 1×",
             "ci_low": 0.083, "ci_high": 0.328, "kind": "ratio", "interval_kind": kind_name}  # fmt: skip
        return headline("{r:interval}", {"r": 0.18, "verdicts": [v]}, {"r": {"kind": "ratio"}})

    assert one("2.5th–97.5th percentile of the bootstrap samples") == "95% interval 0.08×–0.33×"
    assert (
        one("2.5th–97.5th percentile of the samples")
        == "95% of simulations between 0.08× and 0.33×"
    )
    assert one("range from no untraced owner state-linked to all,").startswith(
        "Range from no untraced owner"
    )


def test_a_headline_says_where_each_reading_lies_and_the_claims_own_verdict():
    """geo-genai's headline printed "contradicted" for the four-province reading of a claim whose
    verdict, with the pre-registered Jiangsu reading supported, depends on the definition: the
    ``fit`` filter says where a reading lies against the band, ``claim`` gives the claim's
    verdict, ``n`` what it rests on, and the body's pointer names both statuses."""
    from cnai_helpers.reports.headline import headline
    from cnai_helpers.reports.preprocess import verdict_pointer

    base = {"claim": "c", "band_low": 0.75, "band_high": 0.8, "band_text": "75%–80%",
            "kind": "share", "n": 3739}  # fmt: skip
    four = {**base, "figure": "four", "role": "primary", "status": "contradicted",
            "value": 0.74, "ci_low": 0.74, "ci_high": 0.74}  # fmt: skip
    five = {**base, "figure": "five", "role": "alternative", "status": "supported",
            "value": 0.79, "ci_low": 0.79, "ci_high": 0.79}  # fmt: skip
    wide = {**base, "claim": "d", "figure": "wide", "role": "primary", "status": "inconclusive",
            "value": 0.78, "ci_low": 0.7, "ci_high": 0.79}  # fmt: skip
    values = {"four": 0.74, "five": 0.79, "wide": 0.78, "verdicts": [four, five, wide]}
    meta = {k: {"kind": "share"} for k in ("four", "five", "wide")}
    text = headline(
        "{four} ({four:fit}) and {five} ({five:fit}; {four:claim}); {wide} ({wide:fit}, "
        "{wide:n} filings; {wide:claim}).",
        values,
        meta,
    )
    assert text == (
        "74.0% (below the band) and 79.0% (inside the band; verdict: depends on definition); "
        "78.0% (across the band's lower edge, 3,739 filings; verdict: inconclusive)."
    )
    line = verdict_pointer(four, "Verdict on the claim", "depends_on_definition")
    assert "contradicted under this reading" in line and "depends on definition" in line
    assert "under this reading" not in verdict_pointer(five, "x", "supported")


def test_the_sites_citation_cff_carries_its_data_version_commit_date_and_address():
    """reader5: the site's CITATION.cff said "0.1.0" with no lists, no commit and no address."""
    from cnai_helpers import paths
    from cnai_helpers.reports.build import site_cff

    text = (paths.ROOT / "CITATION.cff").read_text(encoding="utf-8")
    version = "0.1.0 (lists to: Deep synthesis 2026-05)"
    git = {"commit": "abc123", "dirty": False}
    cff = yaml.safe_load(site_cff(text, version, git, "2026-12-06T21:00:00+00:00", {}))
    assert cff["version"] == version and cff["commit"] == "abc123"
    assert cff["date-released"] == "2026-12-06" and "url" not in cff
    assert cff["authors"] == yaml.safe_load(text)["authors"]  # the rest kept
    assert set(cff["license"]) == {"MIT", "CC-BY-4.0"}
    with_url = site_cff(text, version, git, "2026-12-06", {"base_url": "https://x.org/c/"})
    assert yaml.safe_load(with_url)["url"] == "https://x.org/c/"


def test_a_wide_tables_csv_only_columns_leave_the_page_but_stay_in_its_download(monkeypatch):
    """csv_only: the page shows the columns a reader compares and says which others the CSV
    has; the download keeps every column; an unknown column is refused by name."""
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda b, **k: shown.append(b))
    df = pd.DataFrame({"run": ["DeepSeek-V3"], "utilisation": [0.346], "source_tier": ["paper"],
                       "source_url": ["https://arxiv.org/abs/2412.19437"]})  # fmt: skip
    disp.table(
        df,
        "Published runs.",
        kinds={"utilisation": "share"},
        csv_only=["source_tier", "source_url"],
    )
    page, meta = shown[0]["text/html"], shown[0][disp.TABLE_MIME]
    assert "arxiv" not in page and "<th>Source tier</th>" not in page and "34.6%" in page
    assert "Published runs. Also in the data (CSV): source tier, source URL." in page
    assert meta["columns"] == ["run", "utilisation", "source_tier", "source_url"]
    assert "https://arxiv.org/abs/2412.19437" in meta["csv"]
    with pytest.raises(ValueError, match=r"csv_only \['notes'\] not among the columns"):
        disp.table(df, csv_only=["notes"])


def test_a_written_out_address_in_a_text_cell_may_break_at_its_slashes():
    out = disp.table_html(pd.DataFrame({"filing": [
        "HKEX pack (https://www1.hkexnews.hk/app/sehk/2025/107977/sehk25121901699_c.pdf)"]}))  # fmt: skip
    assert "hkexnews.hk/<wbr>app/<wbr>sehk/<wbr>2025/" in out and "<wbr>_c.pdf" in out
    assert "HKEX pack (" in out  # the words around it untouched
    linked = disp.table_html(
        pd.DataFrame({"u": ["https://www.cac.gov.cn/a/b"]}), kinds={"u": "url"}
    )
    assert '<a href="https://www.cac.gov.cn/a/b"' in linked and "<wbr>" not in linked


def _chart_meta(draw) -> dict:
    """All the metadata ``finish`` keeps with a chart drawn by ``draw(fig, ax)``: axes, the
    wide rendering's legibility and clashes, the phone rendering's."""
    import matplotlib

    matplotlib.use("Agg")
    import IPython.display
    import matplotlib.pyplot as plt

    from cnai_helpers import plotting

    shown = []
    orig = IPython.display.display
    IPython.display.display = lambda *a, **k: shown.append(k.get("metadata") or {})
    try:
        plotting.set_theme()
        fig, ax = plt.subplots()
        draw(fig, ax)
        plotting.finish(fig, "t", "s")
    finally:
        IPython.display.display = orig
    return next(m for m in shown if "cnai_axes" in m)


def _crowded(fig, ax):
    """Five rising lines and one falling line: every corner of the axes holds data."""
    x = np.linspace(0, 10, 30)
    for k in range(5):
        ax.plot(x, np.exp(x / (k + 1)) * (k + 1), marker="o", label=f"a long registry name {k}")
    ax.plot([0, 10], [1e4, 1], marker="o", label="falling")
    ax.set_yscale("log")
    ax.set_ylabel("cumulative filings")
    ax.legend(loc="upper left")


def test_a_legend_over_the_data_moves_off_it_on_the_page_and_on_the_phone():
    """Reader 5: the cumulative-filings legend hid the 2024-25 points. The check sees a legend
    over plotted points; finish() moves it to a clear corner or under the chart, so neither
    rendering has one left."""
    import matplotlib.pyplot as plt

    from cnai_helpers import plotting

    fig, ax = plt.subplots()
    _crowded(fig, ax)
    fig.canvas.draw()
    assert plotting.legend_data_clashes(fig)  # the check can fail
    plt.close(fig)
    meta = _chart_meta(_crowded)
    assert meta["cnai_legibility"]["legend_on_data"] == []
    assert meta["cnai_phone"]["legend_on_data"] == []
    assert meta["cnai_axes"][0]["legend"]  # the legend is still there (under the chart)


def test_a_log_axis_of_counts_reads_in_plain_numbers_and_flop_keeps_powers():
    """10, 100, 1,000 as the tables write them, not 10¹, 10², 10³; an axis of training compute
    (10²⁰ to 10²⁵ FLOP) keeps its powers of ten."""
    counts = _chart_meta(_crowded)["cnai_axes"][0]["y"]["ticks"]
    assert {"10", "100", "1,000"} <= set(counts) and not any("^" in t for t in counts)

    def flop(fig, ax):
        ax.plot([2016, 2025], [1e20, 5e25])
        ax.set_yscale("log")

    ticks = _chart_meta(flop)["cnai_axes"][0]["y"]["ticks"]
    assert ticks and all("10^" in t for t in ticks)


def test_a_value_label_sits_beside_the_claims_band_not_on_it():
    """Reader 5: "79.0%" and "60.6%: supported" were printed on the claim's band. A label
    that would touch the band goes past it (or before the mark); it never covers its bar."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from cnai_helpers import plotting

    fig, ax = plt.subplots(figsize=(6.2, 3))
    values = [0.79, 0.3, 0.77]
    ax.barh(["a", "b", "c"], values)
    ax.axvspan(0.75, 0.8, alpha=0.12)
    labels = [
        plotting.label_beside(ax, f"{v:.1%}", y, 0, v, avoid=[(0.75, 0.8)])
        for y, v in enumerate(values)
    ]
    ax.set_xlim(0, 1)  # limits set after the labels: they are placed again in the layout
    plotting.place_beside_labels(fig)
    renderer = fig.canvas.get_renderer()
    band = sorted(ax.transData.transform([(0.75, 0), (0.8, 0)])[:, 0])
    for t, v in zip(labels, values, strict=True):
        box = t.get_window_extent(renderer)
        assert box.x1 <= band[0] or box.x0 >= band[1], t.get_text()
        assert box.x0 >= ax.transData.transform((v, 0))[0], t.get_text()  # not on its bar
    plt.close(fig)


def test_a_bar_label_with_no_room_beside_goes_inside_its_bar_not_across_its_edge():
    """A reader's review at 390 px: on the phone's narrow geography chart no label fitted beside
    its bar (the claim's band and the axes' edge in the way), and each was drawn across its bar's
    top edge. A bar's label then goes inside it, on a light box; an interval's stays above, on the
    same box (the who-files phone chart drew the claim's band line through "8.7%: contradicted").
    With room again, a label beside its mark has no box."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from cnai_helpers import plotting

    fig, ax = plt.subplots(figsize=(2.4, 2))
    values = [0.74, 0.78]
    ax.barh(["a", "b"], values, height=0.8)
    ax.axvspan(0.75, 0.8, alpha=0.12)
    bars = [
        plotting.label_beside(ax, f"{v:.1%}", y, 0, v, avoid=[(0.75, 0.8)], bar=True)
        for y, v in enumerate(values)
    ]
    interval = plotting.label_beside(ax, "72.0%: inconclusive", 0, 0.6, 0.74, avoid=[(0.75, 0.8)])
    ax.set_xlim(0, 0.82)
    plotting.place_beside_labels(fig)
    renderer = fig.canvas.get_renderer()
    for t, (y, v) in zip(bars, enumerate(values), strict=True):
        box = plotting._text_box(t, renderer)
        x0, y0 = ax.transData.transform((0, y - 0.4))
        x1, y1 = ax.transData.transform((v, y + 0.4))
        assert x0 <= box.x0 and box.x1 <= x1 and y0 <= box.y0 and box.y1 <= y1, t.get_text()
        assert t.get_bbox_patch() is not None  # readable on the bar's colour
    assert interval.get_va() == "bottom" and interval.get_bbox_patch() is not None
    frame = ax.get_window_extent(renderer)
    above = plotting._text_box(interval, renderer)
    assert frame.x0 - 0.5 <= above.x0 and above.x1 <= frame.x1 + 0.5  # not past the frame
    ax.set_xlim(0, 3)  # room again: beside the bar, the box dropped
    plotting.place_beside_labels(fig)
    assert bars[0].get_ha() == "left" and bars[0].get_bbox_patch() is None
    assert (interval.get_va() == "bottom") == (interval.get_bbox_patch() is not None)
    assert plotting._text_box(bars[0], renderer).x0 >= ax.transData.transform((0.8, 0))[0]
    plt.close(fig)


def test_city_labels_on_a_map_are_kept_apart_as_drawn_on_both_renderings():
    """Reader 5: Shenzhen/Guangzhou and Wuhan/Suzhou overlapped on the map. Labels placed
    from their drawn size, again on the phone's smaller map, do not overlap."""
    cities = {"Shenzhen": (114.06, 22.54), "Guangzhou": (113.26, 23.13), "Wuhan": (114.3, 30.6),
              "Suzhou": (120.6, 31.3), "Shanghai": (121.47, 31.23), "Hangzhou": (120.15, 30.28),
              "Beijing": (116.4, 39.9), "Chengdu": (104.07, 30.67)}  # fmt: skip

    def draw(fig, ax):
        from cnai_helpers import plotting

        ax.set_xlim(73, 136)
        ax.set_ylim(17, 54)
        ax.set_aspect(1.2)
        xs, ys = zip(*cities.values(), strict=True)
        ax.scatter(xs, ys)
        plotting.label_points(ax, xs, ys, list(cities), fontsize=plotting.SMALL_PT)

    meta = _chart_meta(draw)
    assert meta["cnai_legibility"]["text_clashes"] == []
    assert meta["cnai_phone"]["text_clashes"] == []


def test_a_legend_moved_under_the_wide_chart_is_wrapped_again_on_the_phone():
    """A long legend moved under the wide chart (it covered the Lorenz curve's diagonal) kept
    its one-line entries on the phone, widening the image: its digits fell to 9.0 px."""
    from cnai_helpers.plotting import DISPLAY_DPI, MIN_PHONE_CAP_PX, PHONE_FIGWIDTH

    def lorenz(fig, ax):
        fig.set_size_inches(6.2, 5.5)
        x = np.linspace(0, 1, 32)
        ax.plot(x, x**6, marker="o", ms=3, label="Deep synthesis (深度合成) (Gini 0.77)")
        ax.plot(
            x,
            x**0.2,  # the upper left holds data too: the legend goes under the chart
            marker="o",
            ms=3,
            label="Generative-AI filings (生成式人工智能 备案) (Gini 0.77)",
        )
        ax.plot([0, 1], [0, 1], ls=":", label="equal spread")
        ax.set_ylabel("share of filings")
        ax.legend()

    meta = _chart_meta(lorenz)
    assert meta["cnai_legibility"]["legend_on_data"] == []
    # its image no wider than the phone's figure (512 px with the one-line entries: 9.0 px
    # digits, which the browser measured at just under 9)
    assert meta["cnai_phone"]["width"] <= PHONE_FIGWIDTH * DISPLAY_DPI + 5
    assert meta["cnai_phone"]["min_cap_px_at_phone"] >= MIN_PHONE_CAP_PX


def test_a_reports_own_as_of_results_join_its_data_as_of_line():
    """A reader's review: the monetization page's "data as of" named Epoch AI's copy but not the
    price data its verdict rests on. A text result named ``as_of_*`` is shown after the lines the
    build gives; other results are not."""
    nb = new_notebook()
    cell = new_code_cell("x")
    recs = [
        {"name": "as_of_list_prices", "value": "genai-prices 1.0: prices of 1 May 2026"},
        {"name": "as_of_blank", "value": ""},
        {"name": "price_date", "value": "2026-05-01"},
    ]
    cell.outputs = [
        new_output("display_data", data={MIME: {**r, "kind": "text", "unit": None}}) for r in recs
    ]
    nb.cells = [cell]
    assert render.own_as_of(nb) == ["genai-prices 1.0: prices of 1 May 2026"]
    html, _ = render.render_report(nb, PROV, {"data_as_of": ["Epoch AI: copy of 2 May 2026"]})
    line = html[html.index('class="cnai-asof"') :].split("</p>")[0]
    assert line.index("Epoch AI") < line.index("genai-prices 1.0: prices of 1 May 2026")
