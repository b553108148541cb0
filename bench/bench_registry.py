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
worker processes included) and the peak resident memory: ``wait4``'s (the largest single process
of the tree) and the whole tree's (the sum over the process and its descendants, sampled every
10 ms with psutil: of their RSS, which counts the pages a forked child shares with its parent
in both, and of their PSS, which splits them).

``BENCH_BASELINE=DIR`` also measures the code in DIR (e.g. ``git archive main | tar -x -C DIR``)
alternated with this checkout's in the same run, each in its own copy of the project: the
figures before and after a change, on the same machine at the same time (keys ``base_*``).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
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


def _pss(pid: int) -> int:
    """Proportional set size (bytes): each page shared by n processes counted 1/n in each."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def tree_rss(pid: int) -> tuple[int, int]:
    """Resident memory of a process and all its descendants (bytes; 0 once it is gone): the sum
    of their RSS (pages a forked child shares with its parent counted in both) and of their PSS
    (shared pages split between the processes: what the tree takes from the machine)."""
    try:
        proc = psutil.Process(pid)
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0, 0
    rss = pss = 0
    for q in procs:
        with contextlib.suppress(psutil.Error):  # ended meanwhile
            rss += q.memory_info().rss
            pss += _pss(q.pid)
    return rss, pss


def run(cmd: list[str], env: dict) -> dict:
    """Wall time, CPU time (children included) and peak memory of one whole process: the
    largest single process of the tree (``wait4``'s maxrss) and the whole tree's (the sum of
    the resident memory of the process and its descendants, sampled every 10 ms)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    peak = [0, 0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            rss, pss = tree_rss(p.pid)
            peak[0], peak[1] = max(peak[0], rss), max(peak[1], pss)
            done.wait(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out = p.stdout.read() if p.stdout else b""
    _, status, ru = os.wait4(p.pid, 0)
    done.set()
    sampler.join()
    wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{out.decode(errors='replace')[-2000:]}")
    return {
        "wall_s": round(wall, 3),
        "cpu_s": round(ru.ru_utime + ru.ru_stime, 3),
        "peak_mib": round(ru.ru_maxrss / 1024, 1),
        "tree_peak_mib": round(max(peak[0], ru.ru_maxrss * 1024) / 2**20, 1),
        "tree_pss_peak_mib": round(peak[1] / 2**20, 1),
        "out": out.decode(errors="replace"),
    }


def project(tmp: Path, name: str = "project") -> tuple[Path, Path]:
    """A copy of the project's data (raw files linked) without the list to add; returns
    (root, the list's raw file)."""
    root = tmp / name
    (root / "data").mkdir(parents=True)
    for sub in ("curated", "evaluation_labels", "evaluation_batches"):
        if (ROOT / "data" / sub).exists():
            shutil.copytree(ROOT / "data" / sub, root / "data" / sub)
    for f in (ROOT / "data").glob("*.*"):
        if f.is_file() and f.name != "local_sources.yaml":
            shutil.copy(f, root / "data" / f.name)
    # the raw files linked one folder at a time: `registry add` writes data/raw/local/ here
    (root / "data" / "raw").mkdir()
    for entry in (ROOT / "data" / "raw").iterdir():
        if entry.name != "local":
            (root / "data" / "raw" / entry.name).symlink_to(entry)
    for sub in ("site.yaml", "notebooks"):
        (root / sub).symlink_to(ROOT / sub)
    doc = yaml.safe_load((root / "data/sources.yaml").read_text(encoding="utf-8"))
    left_out = next(s for s in doc["sources"] if s["id"] == ADD_ID)
    doc["sources"] = [s for s in doc["sources"] if s["id"] != ADD_ID]
    (root / "data/sources.yaml").write_text(
        yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    copy = tmp / f"{name}-{ADD_ID}.docx"  # `registry add` copies it into data/raw/local
    shutil.copy(ROOT / "data/raw" / left_out["path"], copy)
    return root, copy


COMMANDS = ("full_build", "rebuild", "noop", "add")


def main() -> None:
    # BENCH_BASELINE: another checkout's code (e.g. `git archive main`), measured alternated
    # with this one in the same run, each in its own copy of the project (own parse cache)
    code = {"": ROOT}
    if os.environ.get("BENCH_BASELINE"):
        code["base_"] = Path(os.environ["BENCH_BASELINE"]).resolve()
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        setups = {}
        for prefix, src in code.items():
            root, new_list = project(tmp, f"{prefix}project")
            env = {**os.environ, "CNAI_ROOT": str(root), "PYTHONPATH": str(src)}
            env.pop("CNAI_RESULTS", None)
            # the project's modules byte-compiled once, as in an installed checkout (kept in
            # the temporary folder): with PYTHONDONTWRITEBYTECODE set, every command would
            # compile what it imports of cnai_helpers again (~0.08 s of an add)
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = str(tmp / f"{prefix}pycache")
            setups[prefix] = (root, new_list, env)
        cnai = str(BIN / "cnai")
        runs: dict[str, list[dict]] = {"naive": []}
        for prefix, (_root, _new, env) in setups.items():
            run([cnai, "registry", "build", "--force"], env)  # warm-up (imports, page cache)
            runs.update({prefix + k: [] for k in COMMANDS})
        load_start = os.getloadavg()[0]
        for _ in range(REPEATS):
            root0 = setups[""][0]
            runs["naive"].append(run([sys.executable, "-c", NAIVE, str(root0)], setups[""][2]))
            for prefix, (root, new_list, env) in setups.items():
                shutil.rmtree(root / "data" / "cache", ignore_errors=True)
                runs[prefix + "full_build"].append(run([cnai, "registry", "build", "--force"], env))
                runs[prefix + "rebuild"].append(run([cnai, "registry", "build", "--force"], env))
                runs[prefix + "noop"].append(run([cnai, "registry", "build"], env))
                added = run([cnai, "registry", "add", str(new_list), "--json"], env)
                runs[prefix + "add"].append(added)
                sid = json.loads(added["out"][added["out"].index("{") :])["source_id"]
                run([cnai, "registry", "remove", sid], env)
        rows = int(runs["naive"][0]["out"].strip().splitlines()[-1])

    def med(k: str, f: str) -> float:
        return round(statistics.median(r[f] for r in runs[k]), 3)

    fields = ("wall_s", "cpu_s", "peak_mib", "tree_peak_mib", "tree_pss_peak_mib")
    t: dict = {k: {f: med(k, f) for f in fields} for k in runs}
    naive = t["naive"]
    ratios = {
        f"{k}_vs_naive_{f.split('_')[0]}": round(t[k][f] / naive[f], 3)
        for k in runs
        if k != "naive"
        for f in ("wall_s", "cpu_s")
    }
    for prefix in code:
        for f in ("wall_s", "cpu_s"):
            for base in ("full_build", "rebuild"):
                ratios[f"{prefix}add_vs_{base}_{f.split('_')[0]}"] = round(
                    t[prefix + "add"][f] / t[prefix + base][f], 3
                )
    out = {
        "machine": machine(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "load_avg_1min_at_start": load_start,
        "load_avg_1min_at_end": os.getloadavg()[0],
        "repeats": REPEATS,
        "added_list": ADD_ID,
        "naive_rows": rows,
        "baseline": str(code.get("base_", "")),
        "timings": t,
        "ratios": ratios,
        "targets": {
            "full_build_vs_naive": 0.6,
            "add_vs_full_build": 0.25,
            "peak_mib": 250,
        },
    }
    save("registry", out)
    for k, v in t.items():
        print(
            f"{k:18s} wall {v['wall_s']:7.2f}  cpu {v['cpu_s']:6.2f}  peak {v['peak_mib']:6.1f} MiB"
            f"  tree {v['tree_peak_mib']:6.1f} MiB  tree PSS {v['tree_pss_peak_mib']:6.1f} MiB"
        )
    print(json.dumps(ratios, indent=1))


if __name__ == "__main__":
    main()
