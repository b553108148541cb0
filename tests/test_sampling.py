"""The who-files evaluation sample: reproducible, simple random, excludes the development
sample, shows labellers no predictions, never overwrites a sample in use."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from cnai_helpers import curated, paths
from cnai_helpers.analysis import sampling as smp


def filings(n_ds: int = 60, n_ga: int = 30) -> pd.DataFrame:
    ds = pd.DataFrame(
        {
            "registry": "deep_synthesis",
            "filing_number": [f"网信算备{i:06d}号" for i in range(n_ds)],
            "entity_name": [f"公司{i}" for i in range(n_ds)],
            "algorithm_name": [f"算法{i}" for i in range(n_ds)],
            "application_product": [f"产品{i}" if i % 5 else None for i in range(n_ds)],
            "main_use": [f"应用于场景{i}" for i in range(n_ds)],
            "locality_zh": None,
            "sector": "cross_sector",  # a prediction column that must not reach labellers
        }
    )
    ga = pd.DataFrame(
        {
            "registry": "genai_filings",
            "filing_number": [f"Beijing-Model{i}-2024" for i in range(n_ga)],
            "entity_name": [f"模型公司{i}" for i in range(n_ga)],
            "algorithm_name": [f"模型{i}" for i in range(n_ga)],
            "application_product": None,
            "main_use": None,
            "locality_zh": ["国资委" if i == 0 else "北京市" for i in range(n_ga)],
            "org_type": "private",
        }
    )
    return pd.concat([ds, ga], ignore_index=True)


SIZES = {"deep_synthesis": 20, "genai_filings": 10}


def test_same_seed_same_rows_other_seed_other_rows():
    f = filings()
    a = smp.draw_evaluation_sample(f, SIZES, seed=7)
    b = smp.draw_evaluation_sample(f.sample(frac=1, random_state=1), SIZES, seed=7)  # row order
    pd.testing.assert_frame_equal(a, b)
    c = smp.draw_evaluation_sample(f, SIZES, seed=8)
    assert list(c["filing_number"]) != list(a["filing_number"])


def test_sizes_columns_and_no_predictions():
    s = smp.draw_evaluation_sample(filings(), SIZES, seed=7)
    assert list(s.columns) == list(smp.INPUT_COLUMNS)
    assert s["registry"].value_counts().to_dict() == SIZES
    assert s["sample_id"].is_unique and s["filing_number"].is_unique
    assert s["sample_id"].iloc[0] == "DS-001" and s["sample_id"].iloc[-1] == "GA-010"
    assert not {"sector", "org_type"} & set(s.columns)
    assert (s.loc[s["registry"] == "deep_synthesis", "locality"] == "").all()
    assert s.notna().all().all()


def test_excludes_the_development_filings():
    f = filings()
    dev = set(f["filing_number"].iloc[::2])  # half of each registry
    s = smp.draw_evaluation_sample(f, {"deep_synthesis": 30, "genai_filings": 15}, 7, dev)
    assert not dev & set(s["filing_number"])
    assert len(s) == 45  # exactly the non-development filings: all of them drawn


def test_a_registry_draw_does_not_depend_on_the_others():
    f = filings()
    both = smp.draw_evaluation_sample(f, SIZES, seed=7)
    alone = smp.draw_evaluation_sample(f, {"genai_filings": 10}, seed=7)
    assert list(both.loc[both["registry"] == "genai_filings", "filing_number"]) == list(
        alone["filing_number"]
    )


def test_draw_is_simple_random():
    # the draw is rng.choice without replacement over the filings sorted by number ...
    f = filings(n_ds=10, n_ga=1)
    got = smp.draw_evaluation_sample(f, {"deep_synthesis": 3}, seed=5)["filing_number"]
    idx = smp.registry_rng(5, "deep_synthesis").choice(10, size=3, replace=False)
    assert list(got) == [f"网信算备{i:06d}号" for i in idx]
    # ... so every filing is equally likely: each of 10 is drawn in about 3/10 of the seeds
    counts = pd.Series(
        [
            i
            for s in range(4000)
            for i in smp.registry_rng(s, "deep_synthesis").choice(10, 3, replace=False)
        ]
    ).value_counts()
    assert len(counts) == 10 and (abs(counts / 4000 - 0.3) < 0.03).all()


@pytest.mark.parametrize("n", [0, 61])
def test_impossible_size_is_refused(n):
    with pytest.raises(smp.SamplingError, match=r"deep_synthesis: cannot draw .* from 60"):
        smp.draw_evaluation_sample(filings(), {"deep_synthesis": n}, 7)


def test_duplicate_filings_are_refused():
    f = filings()
    f = pd.concat([f, f.iloc[[0]]])
    with pytest.raises(smp.SamplingError, match="appears twice"):
        smp.draw_evaluation_sample(f, SIZES, 7)


def test_batches_partition_the_sample_and_mix_registries():
    s = smp.draw_evaluation_sample(filings(), SIZES, seed=7)
    bs = smp.split_batches(s, 4)
    assert len(bs) == 4
    ids = [i for b in bs for i in b["sample_id"]]
    assert sorted(ids) == sorted(s["sample_id"])
    for b in bs:
        assert set(b["registry"]) == set(SIZES)
        assert list(b.columns) == [*smp.INPUT_COLUMNS, *smp.LABEL_COLUMNS]
        assert (b[list(smp.LABEL_COLUMNS)] == "").all().all()
    with pytest.raises(smp.SamplingError, match="at least 1"):
        smp.split_batches(s, 0)


def test_a_different_existing_sample_is_kept(tmp_path):
    s = smp.draw_evaluation_sample(filings(), SIZES, seed=7)
    out = tmp_path / "sample.csv"
    done = smp.write_sample(s, out, {"seed": 7}, tmp_path / "batches")
    assert set(done.values()) == {"written"} and len(done) == 6
    again = smp.write_sample(s, out, {"seed": 7}, tmp_path / "batches")
    assert set(again.values()) == {"unchanged"}
    before = {p: p.read_bytes() for p in tmp_path.rglob("*.*")}
    other = smp.draw_evaluation_sample(filings(), SIZES, seed=8)
    with pytest.raises(smp.SamplingError, match="refusing to overwrite.*--force"):
        smp.write_sample(other, out, {"seed": 8}, tmp_path / "batches")
    assert {p: p.read_bytes() for p in tmp_path.rglob("*.*")} == before  # nothing written
    smp.write_sample(other, out, {"seed": 8}, tmp_path / "batches", force=True)
    assert pd.read_csv(out, dtype=str)["filing_number"].tolist() == list(other["filing_number"])
    assert smp.read_meta(out) == {"seed": 8}


def test_missing_or_broken_meta_is_a_clean_error(tmp_path):
    with pytest.raises(smp.SamplingError, match="meta.json: missing"):
        smp.read_meta(tmp_path / "s.csv")
    (tmp_path / "s.meta.json").write_text("{nope")
    with pytest.raises(smp.SamplingError, match="not valid JSON"):
        smp.read_meta(tmp_path / "s.csv")


@pytest.mark.mirror
def test_committed_sample_is_reproduced_and_excludes_development(real_raw):
    out = paths.DATA / "evaluation_sample_unlabelled.csv"
    s = pd.read_csv(out, dtype=str, keep_default_na=False)
    meta = smp.read_meta(out)
    assert s["registry"].value_counts().to_dict() == meta["sizes"]
    assert meta["sizes"]["deep_synthesis"] >= 300 and meta["sizes"]["genai_filings"] >= 150
    dev = curated.load_labelled_sample()["filing_number"]
    assert not set(dev) & set(s["filing_number"])
    assert list(s.columns) == list(smp.INPUT_COLUMNS)
    script = paths.ROOT / "scripts" / "draw_evaluation_sample.py"
    r = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True)
    assert r.returncode == 0 and "reproduced" in r.stdout, r.stdout + r.stderr
    batches = [
        pd.read_csv(paths.DATA / "evaluation_batches" / f"batch_{i}.csv", dtype=str)
        for i in range(1, smp.N_BATCHES + 1)
    ]
    assert sorted(pd.concat(batches)["sample_id"]) == sorted(s["sample_id"])


def test_script_refuses_a_different_sample_cleanly(tmp_path):
    import os

    script = paths.ROOT / "scripts" / "draw_evaluation_sample.py"
    out = tmp_path / "s.csv"
    out.write_text("sample_id\nX-1\n")
    (tmp_path / "s.meta.json").write_text("{}")
    env = {**os.environ, "PYTHONPATH": str(paths.ROOT)}
    args = [sys.executable, str(script), "--out", str(out), "--batches-dir", str(tmp_path / "b")]
    r = subprocess.run([*args, "--genai", "0"], capture_output=True, text=True, env=env)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "genai_filings: cannot draw 0 filings" in r.stderr
    r = subprocess.run(args, capture_output=True, text=True, env=env)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "refusing to overwrite" in r.stderr and out.read_text() == "sample_id\nX-1\n"
