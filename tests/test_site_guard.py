"""The site and the files around it (issue 29): report ids that would overwrite the site's own
files are refused; a build that cannot expand the whole site definition never rewrites the
index with fewer reports; `cnai reports list --json` for scripts."""

from __future__ import annotations

import json

import pytest
import yaml
from test_reports_pipeline import cli_build
from typer.testing import CliRunner

from cnai_helpers import paths
from cnai_helpers.cli import app
from cnai_helpers.errors import CnaiError
from cnai_helpers.reports.site import SiteError, load_site
from tests.fixtures import TEXT_BODY, site_reports, write_site

runner = CliRunner()


@pytest.mark.parametrize(
    "rid,needle",
    [
        ("index.html", "must be letters, digits"),
        ("index", "is reserved"),
        ("assets", "is reserved"),
        ("Pagefind", "is reserved"),
        ("_variants", "must be letters, digits"),
        ("search", "is reserved"),
        ("a/b", "must be letters, digits"),
        ("../up", "must be letters, digits"),
        (".hidden", "must be letters, digits"),
        ("one.build", "must be letters, digits"),  # its results would be another's status file
        ("x y", "must be letters, digits"),
    ],
)
def test_reserved_or_unsafe_report_ids_are_refused(tmp_path, rid, needle):
    site = write_site(tmp_path, reports=[{**site_reports()[0], "id": rid}])
    with pytest.raises(SiteError, match=needle):
        load_site(site / "site.yaml")
    r = cli_build(site)
    assert r.exit_code == 1 and needle in r.output, r.output
    assert "Traceback" not in r.output
    assert not (site / "reports").exists() or not any((site / "reports").iterdir())


def test_a_fan_out_id_is_checked_after_expansion(tmp_path):
    fan = {
        **site_reports()[1],
        "id": "{value}",
        "fan_out": {"parameter": "x", "values": ["assets"]},
    }
    site = write_site(tmp_path, reports=[fan])
    with pytest.raises(SiteError, match="'assets' is reserved"):
        load_site(site / "site.yaml")


def broken_values(**kw):
    """A fan-out's values that cannot be computed (as when a registry raw file is missing)."""
    raise CnaiError("[ds_1] raw file data/raw/ds.docx missing: run `cnai data pull --only ds_1`")


def test_index_is_not_rewritten_with_fewer_reports(tmp_path):
    site = write_site(tmp_path, body=TEXT_BODY)
    # one report built: the index lists the whole site all the same
    assert cli_build(site, "--only", "one").exit_code == 0
    out = site / "reports"
    page = (out / "index.html").read_bytes()
    state = json.loads((out / ".index.json").read_text())["reports"]
    assert state == ["one", "sq-3", "sq-4"]
    doc = yaml.safe_load((site / "site.yaml").read_text())
    doc["reports"][1]["fan_out"] = {
        "parameter": "x",
        "values_from": "tests.test_site_guard:broken_values",
    }
    doc["reports"][0]["parameters"] = {"x": 5}  # so that `one` really runs
    (site / "site.yaml").write_text(yaml.safe_dump(doc))
    r = cli_build(site, "--only", "one")
    assert r.exit_code == 0, r.output
    assert "index was not rewritten" in r.output and "missing" in r.output
    assert json.loads((out / ".index.json").read_text())["reports"] == state
    assert (out / "index.html").read_bytes() == page


def test_reports_list_json(tmp_path, monkeypatch):
    site = write_site(tmp_path)
    monkeypatch.setattr(paths, "REPORTS", tmp_path / "reports")
    r = runner.invoke(app, ["reports", "list", "--json", "--site", str(site / "site.yaml")])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.output)
    assert [x["id"] for x in rows] == ["one", "sq-3", "sq-4"]
    assert rows[1]["parameters"] == {"x": 3} and rows[0]["status"] == "not built"
