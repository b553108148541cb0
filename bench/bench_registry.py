"""Registry build, no-op build and add-one-list: cnai's way against the naive serial parse of the
same Word lists, measured in one run on the same machine (whole processes, alternated, medians).

The commands run in a temporary copy of the project (``CNAI_ROOT``; the raw files linked, never
written) whose manifest leaves out one real deep-synthesis list of about 700 rows, the list
`registry add` then takes (and `registry remove` takes back between repetitions):

- naive: python-docx's ``table.rows[i].cells`` over every CAC Word list of the manifest, one file
  after another (what the build parses, without checksums, tables or validation);
- full build: ``cnai registry build --force`` with an empty parse cache (every file parsed, every
  checksum checked, every table assembled, validated and written);
- rebuild: ``cnai registry build --force`` with the parse cache warm (the files unchanged);
- no-op: ``cnai registry build`` with nothing changed;
- add: ``cnai registry add LIST`` of the left-out list.

Each figure is the median wall time of ``REPEATS`` runs, with the CPU time (user + system, the
worker processes included) and the peak resident memory of the process (``wait4``).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).parent))
from common import machine, save  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
REPEATS = int(os.environ.get("BENCH_REPEATS", "3"))
ADD_ID = os.environ.get("BENCH_ADD_SOURCE", "cac_ds_2026_03")  # 779 rows

NAIVE = """
import sys, docx, yaml
from pathlib import Path
root = Path(sys.argv[1])
n = 0
for s in yaml.safe_load((root / "data/sources.yaml").read_text(encoding="utf-8"))["sources"]:
    if s.get("format") != "cac_docx":
        continue
    t = docx.Document(str(root / "data/raw" / s["path"])).tables[0]
    for row in t.rows[1:]:
        _ = [c.text.strip() for c in row.cells]
        n += 1
print(n)
"""


def run(cmd: list[str], env: dict) -> dict:
    """Wall time, CPU time (children included) and peak memory of one whole process."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = p.stdout.read() if p.stdout else b""
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{out.decode(errors='replace')[-2000:]}")
    return {
        "wall_s": round(wall, 3),
        "cpu_s": round(ru.ru_utime + ru.ru_stime, 3),
        "peak_mib": round(ru.ru_maxrss / 1024, 1),
        "out": out.decode(errors="replace"),
    }


def project(tmp: Path) -> tuple[Path, Path]:
    """A copy of the project's data (raw files linked) without the list to add; returns
    (root, the list's raw file)."""
    root = tmp / "project"
    (root / "data").mkdir(parents=True)
    for name in ("curated", "evaluation_labels", "evaluation_batches"):
        if (ROOT / "data" / name).exists():
            shutil.copytree(ROOT / "data" / name, root / "data" / name)
    for f in (ROOT / "data").glob("*.*"):
        if f.is_file() and f.name != "local_sources.yaml":
            shutil.copy(f, root / "data" / f.name)
    # the raw files linked one folder at a time: `registry add` writes data/raw/local/ here
    (root / "data" / "raw").mkdir()
    for entry in (ROOT / "data" / "raw").iterdir():
        if entry.name != "local":
            (root / "data" / "raw" / entry.name).symlink_to(entry)
    for name in ("site.yaml", "notebooks"):
        (root / name).symlink_to(ROOT / name)
    doc = yaml.safe_load((root / "data/sources.yaml").read_text(encoding="utf-8"))
    left_out = next(s for s in doc["sources"] if s["id"] == ADD_ID)
    doc["sources"] = [s for s in doc["sources"] if s["id"] != ADD_ID]
    (root / "data/sources.yaml").write_text(
        yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    copy = tmp / f"{ADD_ID}.docx"  # `registry add` copies it into data/raw/local: not the link
    shutil.copy(ROOT / "data/raw" / left_out["path"], copy)
    return root, copy


def main() -> None:
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        root, new_list = project(tmp)
        env = {**os.environ, "CNAI_ROOT": str(root), "PYTHONPATH": str(ROOT)}
        env.pop("CNAI_RESULTS", None)
        cnai = str(BIN / "cnai")
        cache = root / "data" / "cache"
        run([cnai, "registry", "build", "--force"], env)  # warm-up (imports, page cache)
        runs: dict[str, list[dict]] = {
            k: [] for k in ("naive", "full_build", "rebuild", "noop", "add")
        }
        for _ in range(REPEATS):
            runs["naive"].append(run([sys.executable, "-c", NAIVE, str(root)], env))
            shutil.rmtree(cache, ignore_errors=True)
            runs["full_build"].append(run([cnai, "registry", "build", "--force"], env))
            runs["rebuild"].append(run([cnai, "registry", "build", "--force"], env))
            runs["noop"].append(run([cnai, "registry", "build"], env))
            added = run([cnai, "registry", "add", str(new_list), "--json"], env)
            runs["add"].append(added)
            sid = json.loads(added["out"][added["out"].index("{") :])["source_id"]
            run([cnai, "registry", "remove", sid], env)
        rows = int(runs["naive"][0]["out"].strip().splitlines()[-1])

    def med(k: str, f: str) -> float:
        return round(statistics.median(r[f] for r in runs[k]), 3)

    t: dict = {k: {f: med(k, f) for f in ("wall_s", "cpu_s", "peak_mib")} for k in runs}
    naive = t["naive"]
    ratios = {
        f"{k}_vs_naive_{f.split('_')[0]}": round(t[k][f] / naive[f], 3)
        for k in ("full_build", "rebuild", "noop", "add")
        for f in ("wall_s", "cpu_s")
    }
    ratios["add_vs_full_build_wall"] = round(t["add"]["wall_s"] / t["full_build"]["wall_s"], 3)
    ratios["add_vs_full_build_cpu"] = round(t["add"]["cpu_s"] / t["full_build"]["cpu_s"], 3)
    out = {
        "machine": machine(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "load_avg_1min_at_end": os.getloadavg()[0],
        "repeats": REPEATS,
        "added_list": ADD_ID,
        "naive_rows": rows,
        "timings": t,
        "ratios": ratios,
        "targets": {
            "full_build_vs_naive": 0.6,
            "add_vs_full_build": 0.25,
            "peak_mib": 250,
        },
    }
    save("registry", out)


if __name__ == "__main__":
    main()
