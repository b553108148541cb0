"""Cancellations (注销): the parser, the join to the filings and the stats, on tiny fixtures."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from cnai_helpers import paths
from cnai_helpers.cli import app
from cnai_helpers.registry.build import BuildError, build
from cnai_helpers.registry.cancellations import (
    CancelFormatError,
    active_by_batch,
    parse_notices,
    per_notice,
    read_cancellations,
    series_registry,
)
from tests.fixtures import REC_HEADER, ds_row, make_docx, num, source_entry

runner = CliRunner()

# series field = digits 14-15 of the 21 = characters 8-9 of the 9-digit entity part of num()
DS_ENTITY, REC_ENTITY = "123456701", "123456702"
DS_A = num("110108", DS_ENTITY, serial=1)
DS_B = num("440305", DS_ENTITY, serial=2)
DS_C = num("330106", DS_ENTITY, serial=3)  # first listed in 2025-09
DS_D = num("330106", DS_ENTITY, serial=4)  # never cancelled
BOTH = num("110105", DS_ENTITY, 22, 7)  # a 2022 生成合成类 number in both registries
REC_A = num("310104", REC_ENTITY, 22, 8)
NOWHERE = num("320102", DS_ENTITY, serial=99)  # in no published list


def rec_row(i: int, number: str, category: str = "个性化推送类"):
    return [str(i), f"推荐算法{i}", category, "上海示例有限公司", "App", "推荐", number, ""]


def notice(date: str, title: str, *codes: str, month: str | None = None) -> dict:
    y, m = int(date[:4]), int(date[5:7])
    return {
        "date": date,
        "title": title,
        "noticeId": f"notice_{date}",
        "url": f"https://beian.cac.gov.cn/api/file/fileDownLoad?noticeId=notice_{date}",
        "count": len(codes),
        "records": [
            {
                "name": f"算法{k}",
                "role": "服务提供者",
                "entity": "示例有限公司",
                "product": "示例(APP)",
                "code": c,
                "cancel": month or f"{y}年{m}月",
            }
            for k, c in enumerate(codes)
        ],
    }


NOTICES = [
    notice("2025-07-14", "关于注销“甲”等3个算法备案编号的公告", DS_A, REC_A, NOWHERE),
    notice("2025-09-11", "关于注销“乙”等算法备案编号的公告", BOTH),
    notice("2026-01-07", "关于注销“丙”等2个算法备案编号的公告", DS_B, DS_C),
]


_entry = source_entry


def write_manifest(data, entries):
    (data / "sources.yaml").write_text(yaml.safe_dump({"sources": entries}, allow_unicode=True))


@pytest.fixture
def project(tmp_path, monkeypatch):
    data = tmp_path / "data"
    raw = data / "raw"
    (raw / "ds").mkdir(parents=True)
    for name in ("DATA", "RAW", "PROCESSED", "MANIFEST", "LOCAL_SOURCES"):
        target = {
            "DATA": data,
            "RAW": raw,
            "PROCESSED": data / "processed",
            "MANIFEST": data / "sources.yaml",
            "LOCAL_SOURCES": data / "local_sources.yaml",
        }[name]
        monkeypatch.setattr(paths, name, target)
    make_docx(
        raw / "ds/2024-08.docx",
        [ds_row(1, DS_A), ds_row(2, DS_B), ds_row(3, BOTH)],
        title="境内深度合成服务算法备案清单（2024年8月）",
    )
    make_docx(
        raw / "ds/2025-09.docx",
        [ds_row(1, DS_C), ds_row(2, DS_D)],
        title="境内深度合成服务算法备案清单（2025年9月）",
    )
    make_docx(
        raw / "rec.docx",
        [rec_row(1, REC_A), rec_row(2, BOTH, "生成合成类")],
        header=REC_HEADER,
        title="境内互联网信息服务算法备案清单（2022年8月）",
    )
    (raw / "cancel.json").write_text(
        json.dumps({"meta": {}, "notices": NOTICES}, ensure_ascii=False), encoding="utf-8"
    )
    entries = [
        _entry("ds_1", "ds/2024-08.docx", raw, format="cac_docx", registry="deep_synthesis"),
        _entry("ds_2", "ds/2025-09.docx", raw, format="cac_docx", registry="deep_synthesis"),
        _entry("rec", "rec.docx", raw, format="cac_docx", registry="algorithm_recommendation"),
        _entry("cancel", "cancel.json", raw, format="cac_cancel_json"),
    ]
    for e, b in zip(entries, ("2024-08", "2025-09", "2022-08"), strict=False):
        e["batch"] = b
    write_manifest(data, entries)
    return tmp_path


def test_series_registry_from_digits_14_15():
    assert series_registry(DS_A) == "deep_synthesis"
    assert series_registry(REC_A) == "algorithm_recommendation"
    assert series_registry(num("110108", "123456799")) is None


def test_parse_notices_rows_and_months():
    c = parse_notices({"notices": NOTICES}, "cancel.json", "cancel")
    assert c.issues == []
    df = c.rows
    assert len(df) == 6
    assert list(df["cancel_month"].unique()) == ["2025-07", "2025-09", "2026-01"]
    first = df.iloc[0]
    assert (first["notice_date"], first["filing_number"], first["record"]) == (
        "2025-07-14",
        DS_A,
        1,
    )
    assert first["notice_url"].startswith("https://beian.cac.gov.cn/")
    assert (first["filer"], first["role"], first["product"]) == (
        "示例有限公司",
        "服务提供者",
        "示例(APP)",
    )


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("code", "网信算备12号", "record 2: code '网信算备12号'"),
        ("code", "网信算备1101082242366066220017号", "22 digits"),
        ("cancel", "七月", "record 2: cancel '七月' is not a month"),
    ],
)
def test_malformed_record_names_file_notice_and_record(field, value, expected):
    bad = json.loads(json.dumps(NOTICES, ensure_ascii=False))
    bad[0]["records"][1][field] = value
    with pytest.raises(CancelFormatError, match="cancel.json: notice 1 \\(2025-07-14") as e:
        parse_notices({"notices": bad}, "cancel.json", "cancel")
    assert expected in str(e.value)


def test_count_and_month_disagreements_are_flagged():
    n = notice("2025-09-11", "t", DS_A, month="2025年8月")
    n["count"] = 3
    issues = parse_notices({"notices": [n]}, "c.json", "c").issues
    reasons = " | ".join(i.reason for i in issues)
    assert "says 3 numbers but lists 1" in reasons
    assert "cancel month 2025-08 differs from the notice date 2025-09-11" in reasons


def test_csv_input_same_rows_as_json(tmp_path):
    rows = [
        {
            "notice_date": n["date"],
            "notice_title": n["title"],
            "notice_url": n["url"],
            **{k: r[k] for k in ("name", "role", "entity", "product", "code", "cancel")},
        }
        for n in NOTICES
        for r in n["records"]
    ]
    p = tmp_path / "c.csv"
    pd.DataFrame(rows).to_csv(p, index=False)
    got = read_cancellations(p).rows
    want = parse_notices({"notices": NOTICES}, "c.csv", "c.csv").rows
    cols = ["notice_date", "filing_number", "cancel_month", "record"]
    pd.testing.assert_frame_equal(got[cols], want[cols])


def test_build_joins_cancellations_to_filings(project):
    build(jobs=1)
    d = project / "data/processed"
    c = pd.read_parquet(d / "cancellations.parquet").set_index("filing_number")
    f = pd.read_parquet(d / "filings.parquet")
    dq = pd.read_parquet(d / "data_quality.parquet")
    assert len(c) == 6
    # the number in no published list: kept, registry from its series field, a data-quality row
    assert not c.loc[NOWHERE, "listed"] and c.loc[NOWHERE, "registry"] == "deep_synthesis"
    nowhere = dq[dq["filing_number"] == NOWHERE]
    assert len(nowhere) == 1 and "in no published list" in nowhere["reason"].iloc[0]
    assert (nowhere["source"].iloc[0], nowhere["row"].iloc[0]) == ("cancel", 3)
    # the number listed in both registries: attributed by its series field, cancelled in both
    assert c.loc[BOTH, "registry"] == "deep_synthesis"
    assert c.loc[BOTH, "listed_registries"] == "algorithm_recommendation;deep_synthesis"
    assert dq["reason"].str.contains("listed in algorithm_recommendation and deep_synthesis").any()
    both = f[f["filing_number"] == BOTH]
    assert sorted(both["registry"]) == ["algorithm_recommendation", "deep_synthesis"]
    assert set(both["cancelled_month"]) == {"2025-09"}
    assert c.loc[REC_A, "registry"] == "algorithm_recommendation"
    cm = f.set_index(["registry", "filing_number"])["cancelled_month"]
    assert cm[("deep_synthesis", DS_A)] == "2025-07"
    assert cm[("deep_synthesis", DS_C)] == "2026-01"
    assert pd.isna(cm[("deep_synthesis", DS_D)])
    assert f["cancelled_month"].notna().sum() == 6 and len(f) == 7  # NOWHERE marks nothing
    import duckdb

    con = duckdb.connect(str(d / "registry.duckdb"), read_only=True)
    assert con.execute("select count(*) from cancellations").fetchone()[0] == 6


def test_active_by_batch_counts_only_filings_listed_so_far(project):
    build(jobs=1)
    d = project / "data/processed"
    f = pd.read_parquet(d / "filings.parquet")
    b = pd.read_parquet(d / "batches.parquet")
    a = active_by_batch(f, b).set_index(["registry", "batch"])
    # 2024-08: nothing cancelled yet; 2025-09: DS_A (2025-07) and BOTH (2025-09); DS_B and DS_C
    # are cancelled only in 2026-01, after the last batch
    assert a.loc[("deep_synthesis", "2024-08"), "cancelled_to_date"] == 0
    assert a.loc[("deep_synthesis", "2025-09"), "cancelled_to_date"] == 2
    assert a.loc[("deep_synthesis", "2025-09"), "active_filings"] == 3
    assert a.loc[("algorithm_recommendation", "2022-08"), "cancelled_to_date"] == 0
    c = pd.read_parquet(d / "cancellations.parquet")
    pn = per_notice(c)
    assert list(pn["cancelled"]) == [3, 1, 2] and list(pn["cumulative_cancelled"]) == [3, 4, 6]
    assert list(per_notice(c, "algorithm_recommendation")["cancelled"]) == [1]


def test_stats_json_has_cancelled_and_active(project):
    build(jobs=1)
    r = runner.invoke(app, ["registry", "stats", "--json"])
    assert r.exit_code == 0, r.output
    s = json.loads(r.output)
    ds = s["registries"]["deep_synthesis"]
    assert (ds["filings"], ds["cancelled"], ds["active_filings"]) == (5, 4, 1)
    rec = s["registries"]["algorithm_recommendation"]
    assert (rec["filings"], rec["cancelled"], rec["active_filings"]) == (2, 2, 0)
    assert [b["cancelled_to_date"] for b in ds["batches"]] == [0, 2]
    assert s["cancellations"] == {
        "total": 6,
        "by_registry": {"algorithm_recommendation": 1, "deep_synthesis": 5},
        "not_listed": 1,
        "series_mismatch": 0,
        "listed_in_both": 1,
    }
    r = runner.invoke(app, ["registry", "stats"])
    assert r.exit_code == 0 and "4 cancelled, 1 active" in r.output
    assert "cancelled_to_date" in r.output


def test_malformed_cancellation_file_fails_build_and_keeps_tables(project):
    build(jobs=1)
    before = (project / "data/processed/filings.parquet").read_bytes()
    raw = project / "data/raw"
    bad = json.loads(json.dumps(NOTICES, ensure_ascii=False))
    bad[2]["records"][0]["code"] = "网信算备号"
    (raw / "cancel.json").write_text(json.dumps({"notices": bad}, ensure_ascii=False), "utf-8")
    doc = yaml.safe_load((project / "data/sources.yaml").read_text())
    doc["sources"][-1] = _entry("cancel", "cancel.json", raw, format="cac_cancel_json")
    write_manifest(project / "data", doc["sources"])
    r = runner.invoke(app, ["registry", "build"])
    assert r.exit_code == 1
    assert "cancel.json: notice 3 (2026-01-07" in r.output and "record 1" in r.output
    assert "Traceback" not in r.output
    assert (project / "data/processed/filings.parquet").read_bytes() == before


def _new_notice_csv(path, *codes):
    rows = [
        {
            "notice_date": "2026-09-10",
            "notice_title": "关于注销“丁”等算法备案编号的公告",
            "notice_url": "https://beian.cac.gov.cn/api/file/fileDownLoad?noticeId=notice_x",
            "name": "丁算法",
            "role": "服务提供者",
            "entity": "示例有限公司",
            "product": "--",
            "code": code,
            "cancel": "2026年9月",
        }
        for code in codes
    ]
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_add_cancellations_dry_run_then_real(project, tmp_path):
    build(jobs=1)
    new = _new_notice_csv(tmp_path / "notice.csv", DS_D, DS_A)
    r = runner.invoke(app, ["registry", "add-cancellations", str(new), "--dry-run", "--json"])
    assert r.exit_code == 0, r.output
    rep = json.loads(r.output)
    assert (rep["cancelled"], rep["notices"], rep["by_registry"]) == (
        2,
        1,
        {"deep_synthesis": 2},
    )
    assert rep["already_cancelled"] == [DS_A] and rep["not_listed"] == []
    assert not (project / "data/local_sources.yaml").exists(), "dry run changed something"
    r = runner.invoke(app, ["registry", "add-cancellations", str(new)])
    assert r.exit_code == 0, r.output
    f = pd.read_parquet(project / "data/processed/filings.parquet")
    cm = f.set_index(["registry", "filing_number"])["cancelled_month"]
    assert cm[("deep_synthesis", DS_D)] == "2026-09"
    assert cm[("deep_synthesis", DS_A)] == "2025-07", "earliest cancellation kept"
    c = pd.read_parquet(project / "data/processed/cancellations.parquet")
    assert len(c) == 8
    r = runner.invoke(app, ["registry", "add-cancellations", str(new)])
    assert r.exit_code == 1 and "already ingested" in r.output


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("n.csv", "a,b\n1,2\n", "expected a header with code"),
        ("n.json", "{not json", "not valid JSON"),
        ("n.txt", "x", "expected a .json or .csv"),
    ],
)
def test_add_cancellations_bad_file_changes_nothing(project, tmp_path, name, content, message):
    build(jobs=1)
    before = (project / "data/processed/filings.parquet").read_bytes()
    bad = tmp_path / name
    bad.write_text(content, encoding="utf-8")
    r = runner.invoke(app, ["registry", "add-cancellations", str(bad)])
    assert r.exit_code == 1 and name in r.output and message in r.output, r.output
    assert "Traceback" not in r.output
    assert (project / "data/processed/filings.parquet").read_bytes() == before
    assert not (project / "data/local_sources.yaml").exists()
    assert not (project / "data/raw/local").exists()


def test_add_cancellations_malformed_record_names_it(project, tmp_path):
    build(jobs=1)
    bad = _new_notice_csv(tmp_path / "notice.csv", DS_D, "网信算备99号")
    r = runner.invoke(app, ["registry", "add-cancellations", str(bad), "--dry-run"])
    assert r.exit_code == 1
    assert "notice.csv: notice 1 (2026-09-10" in r.output and "record 2" in r.output


def test_tampered_cancellation_file_is_refused(project):
    """The cancellation notices are checksum-verified before parsing, like the lists."""
    p = project / "data/raw/cancel.json"
    p.write_text(
        p.read_text(encoding="utf-8").replace("2025年7月", "2025年8月", 1), encoding="utf-8"
    )
    with pytest.raises(BuildError, match=r"\[cancel\].*cancel\.json.*differs"):
        build(jobs=1)
    assert not (project / "data/processed/build_info.json").exists()
