"""Held-out evaluation of the who-files rules: the Rogan–Gladen estimator, its bootstrap, the
label loader's checks, and the treatment of unknown labels and unclassified predictions."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from cnai_helpers.analysis import evaluation as ev

# ------------------------------------------------------------------ estimator


def test_rogan_gladen_hand_computed():
    # (0.3 + 0.9 - 1) / (0.8 + 0.9 - 1) = 0.2 / 0.7
    assert ev.rogan_gladen(0.3, 0.8, 0.9) == pytest.approx(2 / 7)
    # perfect rules: the observed share is the prevalence
    assert ev.rogan_gladen(0.42, 1.0, 1.0) == pytest.approx(0.42)
    # recall 0.5, no false positives: the observed share doubles
    assert ev.rogan_gladen(0.1, 0.5, 1.0) == pytest.approx(0.2)


def test_rogan_gladen_clips_and_refuses_uninformative_rules():
    assert ev.rogan_gladen(0.05, 0.8, 0.9) == 0.0  # (0.05 - 0.1) / 0.7 < 0
    assert ev.rogan_gladen(0.95, 0.5, 1.0) == 1.0  # 0.95 / 0.5 > 1
    assert math.isnan(ev.rogan_gladen(0.3, 0.5, 0.5))  # sens + spec = 1: no information
    assert math.isnan(ev.rogan_gladen(0.3, 0.4, 0.5))
    assert math.isnan(ev.rogan_gladen(0.3, float("nan"), 0.9))


def test_adjusted_prevalence_point_from_the_evaluation_rows():
    # 20 positives, 10 found (sens 0.5); 30 negatives, 0 false positives (spec 1)
    truth = [True] * 20 + [False] * 30
    pred = [True] * 10 + [False] * 10 + [False] * 30
    r = ev.adjusted_prevalence(0.1, truth, pred, n_boot=200, seed=1)
    assert r["sensitivity"] == 0.5 and r["specificity"] == 1.0
    assert r["adjusted"] == pytest.approx(0.2)
    assert r["positives"] == 20 and r["n_eval"] == 50
    assert r["ci_low"] <= r["adjusted"] <= r["ci_high"]


def test_bootstrap_of_perfect_rules_is_the_point():
    truth = [True] * 10 + [False] * 10
    r = ev.adjusted_prevalence(0.37, truth, truth, n_boot=500, seed=3)
    assert r["ci_low"] == pytest.approx(0.37) and r["ci_high"] == pytest.approx(0.37)


def test_bootstrap_is_seeded_and_carries_the_sample_size():
    def rows(n):
        t = np.arange(n) < n // 2
        p = t.copy()
        p[: n // 5] = False  # sensitivity 0.6
        p[n - n // 10 :] = True  # specificity 0.8
        return t, p

    t, p = rows(40)
    a = ev.adjusted_prevalence(0.5, t, p, n_boot=400, seed=7)
    b = ev.adjusted_prevalence(0.5, t, p, n_boot=400, seed=7)
    other = ev.adjusted_prevalence(0.5, t, p, n_boot=400, seed=8)
    assert (a["ci_low"], a["ci_high"]) == (b["ci_low"], b["ci_high"])
    assert (a["ci_low"], a["ci_high"]) != (other["ci_low"], other["ci_high"])
    big = ev.adjusted_prevalence(0.5, *rows(400), n_boot=400, seed=7)
    assert big["adjusted"] == pytest.approx(a["adjusted"])  # same sens and spec
    assert big["ci_high"] - big["ci_low"] < (a["ci_high"] - a["ci_low"]) / 2


def test_bootstrap_without_identification_gives_no_interval():
    # sens 0.5, spec 0.6: many resamples have sens + spec <= 1
    truth = [True] * 4 + [False] * 5
    pred = [True, True, False, False, True, True, False, False, False]
    r = ev.adjusted_prevalence(0.4, truth, pred, n_boot=300, seed=2)
    assert r["n_boot_invalid"] > 15
    assert math.isnan(r["ci_low"]) and math.isnan(r["ci_high"])


# ------------------------------------------------------------------ unknown / unclassified


def frame(**cols) -> pd.DataFrame:
    n = len(next(iter(cols.values())))
    base = {
        "registry": ["deep_synthesis"] * n,
        "org_type": ["private"] * n,
        "sector": ["cross_sector"] * n,
        "horizontal_function": ["no"] * n,
        "pred_org_type": ["private"] * n,
        "pred_sector": ["cross_sector"] * n,
        "pred_cross": [True] * n,
        "pred_cross_broad": [True] * n,
    }
    base.update(cols)
    return pd.DataFrame(base)


def test_unknown_labels_leave_the_class_and_unclassified_is_a_miss():
    d = frame(
        sector=["cross_sector", "unknown", "finance", "finance"],
        horizontal_function=["no", "yes", "no", "no"],
        pred_sector=["cross_sector", "cross_sector", "unclassified", "finance"],
        pred_cross=[True, True, False, False],
        pred_cross_broad=[True, True, False, False],
    )
    t, p = ev.binary_arrays(d, "cross_sector")
    assert list(t) == [True, False, False]  # the unknown row is left out
    t, p = ev.binary_arrays(d, "cross_sector_broad")
    assert list(t) == [True, True, False, False]  # unknown sector but a horizontal function
    m = ev.sector_micro(d)
    assert (m["n"], m["assigned"], m["right"]) == (3, 2, 2)
    assert m["recall"] == pytest.approx(2 / 3) and m["precision"] == 1.0
    assert m["unclassified_share"] == pytest.approx(1 / 3)


def test_label_bound_counts_low_confidence_and_unknown_either_way():
    d = frame(
        org_type=["foreign", "foreign", "unknown", "private", "private"],
        org_type_confidence=["high", "low", "low", "low", "high"],
        note=["US parent", "HK-controlled", "", "", ""],
    )
    b = ev.foreign_bound(d, "deep_synthesis")
    assert (b["low"], b["high"]) == (1 / 5, 3 / 5)
    assert b["labelled_excl_hmt"] == 1
    assert b["ci_low"] < b["low"] and b["ci_high"] > b["high"]


# ------------------------------------------------------------------ loader

SAMPLE = (
    "sample_id,registry,filing_number,entity_name,locality,algorithm_name,"
    "application_product,main_use\n"
    "DS-001,deep_synthesis,N1,北京示例科技有限公司,,示例对话算法,示例(APP),对话生成\n"
    "GA-001,genai_filings,G1,中国示例集团有限公司,国资委,示例医疗大模型,,\n"
)
HEADER = (
    "sample_id,registry,filing_number,entity_name,locality,algorithm_name,application_product,"
    "main_use,org_type,org_type_confidence,sector,horizontal_function,sector_confidence,note,"
    "labelled_by\n"
)
ROW1 = "DS-001,deep_synthesis,N1,x,,a,p,m,private,low,cross_sector,no,high,n,l1\n"
ROW2 = "GA-001,genai_filings,G1,x,国资委,a,,,central_soe,high,healthcare,no,high,n,l2\n"


def write(tmp_path, batches: dict[str, str]):
    (tmp_path / "sample.csv").write_text(SAMPLE, encoding="utf-8")
    lab = tmp_path / "labels"
    lab.mkdir()
    for name, body in batches.items():
        (lab / name).write_text(HEADER + body, encoding="utf-8")
    return lab, tmp_path / "sample.csv"


def test_load_labels_joins_and_predicts(tmp_path):
    lab, sample = write(tmp_path, {"batch_1.csv": ROW1, "batch_2.csv": ROW2})
    d = ev.with_predictions(ev.load_labels(lab, sample))
    assert list(d["sample_id"]) == ["DS-001", "GA-001"]
    assert d.loc[1, "pred_org_type"] == "central_soe"  # 属地 国资委
    assert d.loc[1, "pred_sector"] == "healthcare"
    assert d.loc[0, "entity_name"] == "北京示例科技有限公司"  # the sample's input wins


@pytest.mark.parametrize(
    ("batches", "message"),
    [
        (
            {"batch_1.csv": ROW1.replace(",private,", ",privat,"), "batch_2.csv": ROW2},
            "batch_1.csv: row 2 (DS-001): org_type = 'privat' is not one of",
        ),
        (
            {"batch_1.csv": ROW1, "batch_2.csv": ROW2.replace(",healthcare,", ",medicine,")},
            "batch_2.csv: row 2 (GA-001): sector = 'medicine'",
        ),
        (
            {"batch_1.csv": ROW1 + ROW1, "batch_2.csv": ROW2},
            "batch_1.csv: row 3: sample_id DS-001 is labelled twice",
        ),
        ({"batch_1.csv": ROW1}, "1 sampled filing(s) have no label (first: GA-001)"),
        (
            {"batch_1.csv": ROW1, "batch_2.csv": ROW2.replace(",G1,", ",G9,")},
            "GA-001 has filing number 'G9', the sample has 'G1'",
        ),
        (
            {"batch_1.csv": ROW1, "batch_2.csv": ROW2 + ROW2.replace("GA-001", "GA-009")},
            "row 3: sample_id GA-009 is not in",
        ),
    ],
)
def test_load_labels_refuses_bad_files(tmp_path, batches, message):
    lab, sample = write(tmp_path, batches)
    with pytest.raises(ev.EvaluationError) as e:
        ev.load_labels(lab, sample)
    assert message in str(e.value)


def test_real_labels_load_and_cover_the_sample():
    d = ev.load_labels()
    assert len(d) == 450 and d["sample_id"].is_unique
    assert set(d["registry"]) == {"deep_synthesis", "genai_filings"}


# ------------------------------------------------------------------ enrichment in the database

from cnai_helpers.registry import enrich, fingerprint  # noqa: E402
from cnai_helpers.registry.build import build  # noqa: E402
from tests.fixtures import num  # noqa: E402
from tests.test_registry_build import project  # noqa: E402,F401  (fixture: a tiny project)


def label_project(data, sector="healthcare", org="local_soe"):
    """One deep-synthesis filing of the tiny project sampled and labelled."""
    n1 = num("110108", serial=1)
    (data / "evaluation_sample_unlabelled.csv").write_text(
        "sample_id,registry,filing_number,entity_name,locality,algorithm_name,"
        f"application_product,main_use\nDS-001,deep_synthesis,{n1},北京示例科技有限公司,,"
        "示例合成算法1,示例App1,应用于文本生成场景\n",
        encoding="utf-8",
    )
    (data / "evaluation_labels").mkdir(exist_ok=True)
    (data / "evaluation_labels" / "batch_1.csv").write_text(
        HEADER + f"DS-001,deep_synthesis,{n1},北京示例科技有限公司,,a,p,m,{org},high,"
        f"{sector},yes,high,looked up,l1\n",
        encoding="utf-8",
    )
    return n1


def test_enrichment_columns_in_duckdb_label_wins(project):  # noqa: F811
    import duckdb

    n1 = label_project(project / "data")
    build(jobs=1)
    con = duckdb.connect(str(project / "data/processed/registry.duckdb"), read_only=True)
    by_sector = dict(con.sql("select sector, count(*) from filings group by 1").fetchall())
    by_org = dict(con.sql("select org_type, count(*) from filings group by 1").fetchall())
    total = con.execute("select count(*) from filings").fetchone()[0]
    assert by_sector["healthcare"] == 1 and sum(by_sector.values()) == total
    assert sum(by_org.values()) == total
    row = con.execute(
        "select org_type, org_type_source, sector, sector_source, is_cross_sector, "
        f"is_cross_sector_broad from filings where filing_number = '{n1}'"
    ).fetchone()
    assert row == ("local_soe", "label", "healthcare", "label", False, True)
    # what an analyst can query: both state-linked definitions and the rule that fired
    row = con.execute(
        "select is_state_linked, is_state_linked_broad, org_type_rule, sector_rule "
        f"from filings where filing_number = '{n1}'"
    ).fetchone()
    assert row == (True, True, "hand label: DS-001", "hand label: DS-001")
    fired = dict(
        con.execute(
            "select org_type_rule, count(*) from filings where org_type_source = 'rule' group by 1"
        ).fetchall()
    )
    assert fired and all(": " in r for r in fired), fired
    sector_rules = [
        r for (r,) in con.execute("select distinct sector_rule from filings").fetchall()
    ]
    assert all(r.split(": ")[0] for r in sector_rules) and len(sector_rules) > 1
    # the filer's other filings keep the rules' sector but take the labelled owner
    other = con.execute(
        "select org_type_source, sector_source from filings where entity_name = "
        f"'北京示例科技有限公司' and filing_number <> '{n1}'"
    ).fetchall()
    assert other and all(x == ("label", "rule") for x in other)
    ent = con.execute(
        "select org_type, org_type_source, sector_source from entities "
        "where entity_name = '北京示例科技有限公司'"
    ).fetchone()
    assert ent == ("local_soe", "label", "filings")
    rules = con.execute(
        "select distinct org_type_source, sector_source from filings "
        "where entity_name = '深圳示例有限公司'"
    ).fetchall()
    assert rules == [("rule", "rule")]


def test_unknown_label_leaves_the_rules_call(project):  # noqa: F811
    import duckdb

    n1 = label_project(project / "data", sector="unknown", org="unknown")
    build(jobs=1)
    con = duckdb.connect(str(project / "data/processed/registry.duckdb"), read_only=True)
    row = con.execute(
        f"select org_type_source, sector_source from filings where filing_number = '{n1}'"
    ).fetchone()
    assert row == ("rule", "rule")


def test_labels_and_classifier_are_registry_inputs(project):  # noqa: F811
    label_project(project / "data")
    build(jobs=1)
    assert not fingerprint.is_stale()
    f = project / "data" / "evaluation_labels" / "batch_1.csv"
    f.write_text(f.read_text(encoding="utf-8").replace("local_soe", "central_soe"), "utf-8")
    assert fingerprint.is_stale(), "a changed hand label must make the tables stale"
    names = {p.name for p in fingerprint.CLASSIFIER_FILES}
    assert {"rules.py", "labels.py", "enrich.py", "org_types.yaml", "sectors.yaml"} <= names


def test_bad_label_stops_the_build_naming_the_row(project):  # noqa: F811
    from typer.testing import CliRunner

    from cnai_helpers.cli import app

    label_project(project / "data", sector="medicine")
    r = CliRunner().invoke(app, ["registry", "build"], env={"CNAI_DEBUG": ""})
    assert r.exit_code == 1
    assert "batch_1.csv: row 2 (DS-001): sector = 'medicine'" in r.output
    assert "Traceback" not in r.output
    assert not (project / "data/processed/filings.parquet").exists()


def test_entity_type_prefers_label_then_override():
    f = pd.DataFrame(
        {
            "entity_key": ["a", "a", "a", "b"],
            "org_type": ["private", "private", "central_soe", "private"],
            "org_type_source": ["rule", "rule", "label", "override"],
            "sector": ["finance", "finance", "cross_sector", "legal"],
            "is_cross_sector": [False, False, True, False],
            "is_cross_sector_broad": [False, True, True, False],
            "org_type_rule": [
                "private: no rule",
                "private: no rule",
                "hand label: DS-001",
                "override: r",
            ],
            "is_state_linked_broad": [False, False, True, False],
        }
    )
    e = enrich.enrich_entities(pd.DataFrame({"entity_key": ["a", "b"]}), f)
    assert list(e["org_type"]) == ["central_soe", "private"]
    assert list(e["org_type_rule"]) == ["hand label: DS-001", "override: r"]
    assert list(e["is_state_linked"]) == [True, False]
    assert list(e["is_state_linked_broad"]) == [True, False]
    assert list(e["org_type_source"]) == ["label", "override"]
    assert list(e["sector"]) == ["finance", "legal"]
    assert list(e["is_cross_sector_broad"]) == [True, False]
