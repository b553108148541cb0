"""The data release's descriptor, generated from tables.yaml and the source manifest."""

from __future__ import annotations

import re

from cnai_helpers import metadata, release
from cnai_helpers.manifest import Source


def test_fields_follow_tables_yaml():
    schema = release.table_schema("filings")
    spec = metadata.tables()["filings"]
    assert [f["name"] for f in schema["fields"]] == spec.columns
    assert schema["primaryKey"] == ["registry", "filing_key"]
    by = {f["name"]: f for f in schema["fields"]}
    assert by["n_batches"]["type"] == "integer" and by["n_batches"]["constraints"]["minimum"] == 1
    assert by["filing_year"]["type"] == "integer" and "required" not in by["filing_year"].get(
        "constraints", {}
    )
    assert by["lon"]["unit"] == "degrees east"
    assert by["sector"]["constraints"]["enum"] == list(spec.field("sector").allowed)
    assert by["is_cross_sector"]["type"] == "boolean"


def test_patterns_keep_their_meaning():
    """tables.yaml patterns match from the start (pandera's re.match); Table Schema patterns
    match the whole value: an open end gets ``.*``."""
    url = release.field_descriptor(metadata.tables()["cancellations"].field("notice_url"))
    batch = release.field_descriptor(metadata.tables()["filings"].field("first_batch"))
    assert re.fullmatch(url["constraints"]["pattern"], "https://www.cac.gov.cn/x.htm")
    assert re.fullmatch(batch["constraints"]["pattern"], "2024-10")
    assert not re.fullmatch(batch["constraints"]["pattern"], "2024-10-01")


def test_version_and_licences():
    latest = {"deep_synthesis": "2026-03", "genai_filings": "2026-08"}
    assert release.version_of(latest) == "ds2026-03.gf2026-08"

    def src(i, lic):
        return Source(i, "cac_docx", "p", "https://x/y", "0" * 64, 1, "CAC", lic, "c")

    lic = release.licences(
        [src("a", "CC BY 4.0"), src("b", "No licence stated"), src("c", "CC BY 4.0")]
    )
    for entry in lic:
        entry.pop("cnai:sources")
    assert lic == [
        {
            "name": "CC-BY-4.0",
            "title": "CC BY 4.0",
            "path": "https://creativecommons.org/licenses/by/4.0/",
        },
        {"name": "notspecified", "title": "No licence stated"},
    ]


def test_each_licence_names_its_sources():
    """The download page listed two near-identical licence lines without saying which source
    each was for: each licence now names its sources."""
    from cnai_helpers import manifest

    cac = [s for s in manifest.load_manifest() if s.id.startswith("cac_")]
    lic = release.licences(cac)
    assert len(lic) >= 2
    names = {x["title"]: x["cnai:sources"] for x in lic}
    assert all(names.values()), names
    docx = next(n for t, n in names.items() if "PRC government" in t)
    assert any(n.startswith("CAC deep synthesis lists, files via clearplain/") for n in docx)
    compiled = next(n for t, n in names.items() if "compiling repository" in t)
    assert all("lawdatify-site" in n for n in compiled), compiled
    # no date in a name: one line per source, not per monthly list
    assert not [n for ns in names.values() for n in ns if re.search(r"\d{4}", n)]
