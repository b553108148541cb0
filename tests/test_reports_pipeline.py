"""The report pipeline on small notebooks written in the test."""

from __future__ import annotations

import json
import re
import shutil

import pytest
import yaml
from typer.testing import CliRunner

from cnai_helpers.cli import app
from cnai_helpers.reports import build as rbuild
from cnai_helpers.reports import needs
from cnai_helpers.reports.build import build_reports, summary
from cnai_helpers.reports.params import ParameterError
from cnai_helpers.reports.site import load_site
from tests.fixtures import BODY, TEXT_BODY, site_reports, write_nb, write_site

runner = CliRunner()


@pytest.fixture
def site(tmp_path):
    """The small site, not built; its notebook has no chart (see :func:`built_once`)."""
    return write_site(tmp_path, body=TEXT_BODY)


@pytest.fixture(scope="module")
def built_once(tmp_path_factory):
    """The small site after its first build, two reports at a time, made once for this module:
    (root, statuses). Tests read it as it is, or change a copy (:func:`built`)."""
    root = write_site(tmp_path_factory.mktemp("pipeline-site"), body=TEXT_BODY)
    return root, build(root, jobs=2)


@pytest.fixture
def built(built_once, tmp_path):
    """A copy of the built site, for a test that changes it: up to date where it lands (a build
    of it runs nothing, checked in test_build_parallel_results_html_provenance_and_incremental)."""
    dest = tmp_path / "built"
    shutil.copytree(built_once[0], dest, symlinks=True)
    return dest


def build(site, **kw):
    reports = load_site(site / "site.yaml")
    only = kw.pop("only", None)
    if only:
        reports = [r for r in reports if r.id in only]
    params = kw.pop("params", None)
    if params:
        import dataclasses

        reports = [dataclasses.replace(r, parameters={**r.parameters, **params}) for r in reports]
    return build_reports(reports, out_root=site / "reports", **kw)


def cli_build(site, *args):
    """`cnai reports build` on the test site, through the real command line."""
    return runner.invoke(
        app,
        [
            "reports",
            "build",
            "--site",
            str(site / "site.yaml"),
            "--out",
            str(site / "reports"),
            *args,
        ],
    )


def test_fan_out_expands(site):
    ids = [r.id for r in load_site(site / "site.yaml")]
    assert ids == ["one", "sq-3", "sq-4"]
    assert load_site(site / "site.yaml")[1].parameters == {"x": 3}


@pytest.mark.parametrize(
    "params,needle",
    [
        ({"y": 1}, "unknown parameter 'y'"),
        ({"x": "two"}, "'x' must be int"),
        ({"fail": 1}, "'fail' must be bool"),
    ],
)
def test_parameter_validation_before_anything_runs(site, params, needle):
    with pytest.raises(ParameterError, match=needle):
        build(site, params=params)
    assert not (site / "reports" / "one").exists()


def test_cli_bad_parameter_exit_code(site):
    r = cli_build(site, "-p", "nope=1")
    assert r.exit_code == 2 and "unknown parameter 'nope'" in r.output


def test_build_parallel_results_html_provenance_and_incremental(built_once, built, monkeypatch):
    site, statuses = built_once
    assert summary(statuses)["built"] == ["one", "sq-3", "sq-4"]
    out = site / "reports"
    assert json.loads((out / "sq-4/results.json").read_text()) == {
        "x_squared": 16,
        "label": "a",
        "share": 0.25,
    }
    html = (out / "one/index.html").read_text()
    assert 'class="cnai-toc"' in html and 'href="#Findings"' in html
    assert "record(" not in html, "code cells should be hidden"
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html
    assert 'id="provenance"' in html and "cac_ds_2024_10" in html
    assert '"x": 2' in html or "&quot;x&quot;: 2" in html
    index = (out / "index.html").read_text()
    assert "One &lt;b&gt;" in index and 'href="sq-3/index.html"' in index
    assert "25.0%" in index, "key figures formatted by their kind"
    # incremental, on a copy of that site: nothing changed -> nothing runs
    site = built
    again = build(site, jobs=2)
    assert summary(again)["skipped"] == ["one", "sq-3", "sq-4"]
    # parameters changed -> that report re-runs
    assert summary(build(site, params={"label": "b"}, only=["one"]))["built"] == ["one"]
    # notebook changed -> all its reports re-run
    nb = site / "notebooks/t.ipynb"
    write_nb(nb, body=TEXT_BODY + "\n# edited\n")
    assert summary(build(site, jobs=2))["built"] == ["one", "sq-3", "sq-4"]
    # a parsing library's version changed -> re-run
    versions = {**needs.package_versions(), "pandas": "0.0-test"}
    monkeypatch.setattr(needs, "package_versions", lambda: versions)
    assert summary(build(site, only=["sq-3"]))["built"] == ["sq-3"]
    # data checksums changed -> re-run
    monkeypatch.setattr(rbuild, "sources_for", lambda patterns: {"cac_ds_x": "0" * 64})
    assert summary(build(site, only=["sq-3"]))["built"] == ["sq-3"]
    assert summary(build(site, only=["sq-3"]))["skipped"] == ["sq-3"]


def test_a_chart_is_a_file_on_the_page(tmp_path):
    """The end-to-end check of charts (the other tests' notebook draws none): the notebook's
    matplotlib figure, through plotting.finish, is a PNG file beside the page."""
    site = write_site(tmp_path, reports=[site_reports()[0]], body=BODY)
    assert summary(build(site))["built"] == ["one"]
    out = site / "reports"
    html = (out / "one/index.html").read_text()
    img = re.search(r'<img[^>]+src="(figure-[^"]+\.png)"', html)
    assert img and (out / "one" / img.group(1)).read_bytes()[:4] == b"\x89PNG", "chart not a file"
    assert "data:image/png;base64" not in html


def test_failing_report_keeps_last_good_and_others_build(built):
    site = built  # every report built once
    out = site / "reports"
    good = (out / "one/index.html").read_bytes()
    untouched = ("sq-4/index.html", "sq-4/results.json", "sq-4/build.json")
    before = {p: (out / p).read_bytes() for p in untouched}
    sq4_status = (site / "reports-results/sq-4.build.json").read_bytes()
    # the site definition (not a -p override, which builds a variant) makes them fail
    doc = yaml.safe_load((site / "site.yaml").read_text())
    original = yaml.safe_dump(doc)
    doc["reports"][0]["parameters"]["fail"] = True
    doc["reports"][1]["parameters"] = {"fail": True}
    (site / "site.yaml").write_text(yaml.safe_dump(doc))
    r = cli_build(site, "--only", "one", "--only", "sq-3", "--jobs", "2")
    assert r.exit_code == 1
    assert "FAILED" in r.output and "boom on purpose" in r.output
    assert (out / "one/index.html").read_bytes() == good, "last good HTML replaced"
    err = (out / "one/error.html").read_text()
    assert "ValueError" in err and "boom on purpose" in err
    assert 'id="cnai-failed"' in err, "no failure banner"
    assert "Traceback" in re.sub(r"<[^>]+>", "", err), "no traceback on the error page"
    status = json.loads((out / "one/build.json").read_text())
    assert status["status"] == "failed" and status["last_good"]
    index = (out / "index.html").read_text()
    assert "failed — stale" in index and "one/error.html" in index
    # the other report in the same run was executed (and failed the same way on purpose)
    sq3 = json.loads((out / "sq-3/build.json").read_text())
    assert sq3["status"] == "failed" and "boom on purpose" in sq3["error"]
    assert "boom on purpose" in (out / "sq-3/error.html").read_text()
    # a third, not selected, is untouched (its page, results and status)
    assert {p: (out / p).read_bytes() for p in untouched} == before, "sq-4 touched"
    store = site / "reports-results"
    assert (store / "sq-4.build.json").read_bytes() == sq4_status
    # Now fix and rebuild: page replaced, error cleared.
    (site / "site.yaml").write_text(original)
    r = cli_build(site, "--only", "one")
    assert r.exit_code == 0, r.output
    assert json.loads((out / "one/build.json").read_text())["status"] == "ok"


def test_failing_notebook_does_not_stop_others(site):
    nbs = site / "notebooks"
    write_nb(nbs / "bad.ipynb", body="raise RuntimeError('always fails')")
    doc = yaml.safe_load((site / "site.yaml").read_text())
    bad = {"id": "bad", "notebook": "bad.ipynb", "title": "Bad", "question": "?"}
    # the failing report first, and one worker: the next report runs after the failure
    doc["reports"] = [bad, doc["reports"][0]]
    (site / "site.yaml").write_text(yaml.safe_dump(doc))
    statuses = build(site, jobs=1)
    s = summary(statuses)
    assert s["failed"] == ["bad"] and s["built"] == ["one"]
    assert (site / "reports/bad/error.html").exists()
    assert not (site / "reports/bad/index.html").exists()


def test_later_stage_reruns_when_upstream_results_change(site):
    doc = yaml.safe_load((site / "site.yaml").read_text())
    doc["reports"] = [
        doc["reports"][0],
        {"id": "ledger", "notebook": "t.ipynb", "title": "L", "question": "?", "stage": 1},
    ]
    (site / "site.yaml").write_text(yaml.safe_dump(doc))
    assert summary(build(site, jobs=2))["built"] == ["one", "ledger"]
    assert summary(build(site))["skipped"] == ["one", "ledger"]
    # a new figure upstream (x changes x_squared) -> the later stage re-runs too
    doc["reports"][0]["parameters"] = {"x": 7}
    (site / "site.yaml").write_text(yaml.safe_dump(doc))
    assert summary(build(site))["built"] == ["one", "ledger"]
    # a change that leaves upstream figures identical re-runs the upstream, not the ledger
    doc["reports"][0]["notebook"] = "t2.ipynb"
    write_nb(site / "notebooks" / "t2.ipynb", body=TEXT_BODY + "\n# comment only\n")
    (site / "site.yaml").write_text(yaml.safe_dump(doc))
    s = summary(build(site))
    assert s["built"] == ["one"] and s["skipped"] == ["ledger"], s
