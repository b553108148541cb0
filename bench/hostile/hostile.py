"""The hostile pass of issue 29, rerun as a script: what a hostile but realistic user does to a
clean clone (hangs and orphans, rows lost or misplaced, concurrent writers, undo and
interruption, implausible input, the site and the files around it, messages).

Run it on a clone, never on a working copy you care about (it adds and removes lists, kills
builds, damages tables and restores them)::

    git clone /path/to/cnai /tmp/cnai-clone && cd /tmp/cnai-clone
    make install && CNAI_DATA_MIRROR=/path/to/mirror make registry
    .venv/bin/python bench/hostile/hostile.py --root /tmp/cnai-clone [--only PATTERN]

Every command runs with ``CNAI_ROOT`` set to the clone and ``CNAI_DATA_MIRROR`` unset (the
cases that pull use a mirror folder of their own under /tmp), so nothing outside the clone and
/tmp is written. Each case prints one line; the table goes to ``--table`` (default
bench/hostile/RESULTS.md beside this script): case, command, expected, observed, pass/fail.
After every case that writes ``data/``, the project is checked for consistency (tables not
stale, no parked ``.processed.old``, no temporaries, no copied list without its entry) and
restored from a snapshot taken at the start.
"""

from __future__ import annotations

import argparse
import contextlib
import fnmatch
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
CASES: list[tuple[str, str, str, str, str, object]] = []  # id, area, what, command, expected, fn


def case(cid: str, area: str, what: str, command: str, expected: str):
    def deco(fn):
        CASES.append((cid, area, what, command, expected, fn))
        return fn

    return deco


@dataclass
class R:
    rc: int | None
    out: str
    err: str
    secs: float

    @property
    def text(self) -> str:
        return self.out + self.err

    def first(self, needle: str | None = None) -> str:
        lines = [ln.strip() for ln in self.text.splitlines() if ln.strip()]
        if needle:
            lines = [ln for ln in lines if needle in ln] or lines
        line = lines[0] if lines else ""
        return line[:160]


class Ctx:
    def __init__(self, root: Path, work: Path):
        self.root = root
        self.work = work
        self.py = str(root / ".venv/bin/python")
        env = {k: v for k, v in os.environ.items() if k not in ("CNAI_DATA_MIRROR", "CNAI_DEBUG")}
        env.update(CNAI_ROOT=str(root), PYTHONPATH=str(root), COLUMNS="200")
        self.env = env
        self.save = work / "saved"

    # ------------------------------------------------------------ running commands
    def cnai(self, *args, timeout=600, env=None, cwd=None) -> R:
        return self.run([self.py, "-m", "cnai_helpers.cli", *map(str, args)], timeout, env, cwd)

    def run(self, argv, timeout=600, env=None, cwd=None) -> R:
        t0 = time.monotonic()
        p = subprocess.Popen(
            argv,
            cwd=cwd or self.root,
            env={**self.env, **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        try:
            out, err = p.communicate(timeout=timeout)
            rc = p.returncode
        except subprocess.TimeoutExpired:
            kill_tree(p.pid)
            out, err = p.communicate()
            rc = None
        return R(rc, out, err, time.monotonic() - t0)

    def spawn(self, *args, env=None) -> subprocess.Popen:
        return subprocess.Popen(
            [self.py, "-m", "cnai_helpers.cli", *map(str, args)],
            cwd=self.root,
            env={**self.env, **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )

    def wait_lock(self, p: subprocess.Popen, limit: float = 120) -> None:
        """Until the spawned writer ``p`` holds the data/ lock (its owner file names it)."""
        owner = self.root / ".cnai-data.lock.owner"
        t_end = time.monotonic() + limit
        while time.monotonic() < t_end and p.poll() is None:
            try:
                if json.loads(owner.read_text())["pid"] == p.pid:
                    return
            except (OSError, ValueError, KeyError):
                pass
            time.sleep(0.2)

    def pyrun(self, code: str, timeout=300) -> R:
        return self.run([self.py, "-c", code], timeout)

    # ------------------------------------------------------------ state
    STATE = ("data/processed", "data/raw", "data/local_sources.yaml", "data/results")

    def snapshot(self) -> None:
        shutil.rmtree(self.save, ignore_errors=True)
        self.save.mkdir(parents=True)
        for rel in self.STATE:
            src = self.root / rel
            if src.is_dir():
                shutil.copytree(src, self.save / rel, symlinks=True)
            elif src.exists():
                (self.save / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, self.save / rel)

    def restore(self) -> None:
        for rel in self.STATE:
            dst = self.root / rel
            if dst.is_dir() and not dst.is_symlink():
                shutil.rmtree(dst)
            elif dst.exists() or dst.is_symlink():
                dst.unlink()
            src = self.save / rel
            if src.is_dir():
                shutil.copytree(src, dst, symlinks=True)
            elif src.exists():
                shutil.copy2(src, dst)
        for p in (self.root / "data").glob(".processed*"):
            shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink()

    def problems(self) -> list[str]:
        """What a case may have left broken: stale or unreadable tables, a parked swap,
        temporaries, a copied list that no entry names, an entry without its file."""
        code = r"""
import json, yaml
from pathlib import Path
from cnai_helpers import paths
from cnai_helpers.registry.fingerprint import is_stale
out = []
if is_stale(): out.append("tables stale or unreadable")
for p in paths.DATA.glob(".processed*"): out.append(f"left behind: data/{p.name}")
for p in paths.DATA.rglob(".*.tmp-*"): out.append(f"temporary left: {p.relative_to(paths.ROOT)}")
entries = []
if paths.LOCAL_SOURCES.exists():
    entries = (yaml.safe_load(paths.LOCAL_SOURCES.read_text(encoding="utf-8")) or {}).get("sources") or []
named = {str((paths.RAW / e["path"]).resolve()) for e in entries}
for p in (paths.RAW / "local").rglob("*"):
    if p.is_file() and str(p.resolve()) not in named: out.append(f"orphan copy: {p.relative_to(paths.ROOT)}")
for n in named:
    if not Path(n).exists(): out.append(f"entry without its file: {n}")
print(json.dumps(out))
"""
        r = self.pyrun(code)
        try:
            return json.loads(r.out.strip().splitlines()[-1])
        except (ValueError, IndexError):
            return [f"consistency check failed: {r.err.strip()[-300:]}"]


def kill_tree(pid: int) -> None:
    import psutil

    try:
        procs = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        return
    for p in procs:
        with contextlib.suppress(psutil.NoSuchProcess):
            p.kill()


def descendants(pid: int) -> list[int]:
    import psutil

    try:
        return [c.pid for c in psutil.Process(pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def alive(pids: list[int]) -> list[int]:
    import psutil

    out = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                out.append(pid)
        except psutil.NoSuchProcess:
            pass
    return out


def clean(r: R) -> bool:
    return "Traceback" not in r.text


def verdict(ok: bool, r: R | None, note: str = "") -> tuple[bool, str]:
    if r is None:
        return ok, note
    rc = "timeout" if r.rc is None else f"exit {r.rc}"
    tb = "" if clean(r) else ", TRACEBACK"
    msg = note or r.first()
    return ok and clean(r), f"{rc} ({r.secs:.0f} s){tb}: {msg}"


# ---------------------------------------------------------------- inputs

SERIALS = iter(range(100, 10_000))


def number(entity: int, i: int, region: str = "110108") -> str:
    return f"网信算备{region}{entity:09d}26{i:04d}号"


def real_ds(ctx: Ctx, month: str = "2026-05") -> Path:
    return ctx.root / f"data/raw/cac_clearplain/original_docx/deep_synthesis/{month}.docx"


def ds_list(ctx: Ctx, name: str, month: str = "2026年7月", n: int = 12, mutate=None) -> Path:
    """A deep-synthesis list cut from the real 2026-05 list: ``n`` rows, fresh numbers, the
    title's month set to ``month``; ``mutate(document, table)`` edits it further."""
    import docx

    d = docx.Document(str(real_ds(ctx)))
    for p in d.paragraphs:
        if "算法备案清单" in p.text:
            text = p.text.split("（")[0] + f"（{month}）"
            for run in p.runs[1:]:
                run.text = ""
            p.runs[0].text = text
    t = d.tables[0]
    for row in list(t.rows)[n + 1 :]:
        row._tr.getparent().remove(row._tr)
    entity = next(SERIALS) * 1000 + 1
    for i, row in enumerate(list(t.rows)[1:], start=1):
        row.cells[6].text = number(entity, i)
    if mutate:
        mutate(d, t)
    out = ctx.work / "in" / name
    out.parent.mkdir(parents=True, exist_ok=True)
    d.save(str(out))
    return out


def copy_table(d, t, rows: int, header: bool, drop_cols: int = 0, reorder=None):
    """Append a second table: a copy of the first's last ``rows`` data rows (new numbers), with
    or without the header row, ``drop_cols`` fewer columns, or columns in ``reorder`` order."""
    import copy

    new = copy.deepcopy(t._tbl)
    d.element.body.append(new)
    from docx.table import Table

    t2 = Table(new, d.element.body)
    all_rows = [row._tr for row in t2.rows]
    keep = ([all_rows[0]] if header else []) + all_rows[-rows:]
    for tr in all_rows:
        if not any(tr is k for k in keep):
            tr.getparent().remove(tr)
    entity = next(SERIALS) * 1000 + 1
    start = 1 if header else 0
    for i, row in enumerate(list(t2.rows)[start:], start=1):
        row.cells[6].text = number(entity, i)
    if reorder:
        for row in t2.rows:
            tcs = row._tr.findall(
                "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}tc"
            )
            for tc in tcs:
                row._tr.remove(tc)
            for j in reorder:
                row._tr.append(tcs[j])
    for _ in range(drop_cols):
        for row in t2.rows:
            tcs = row._tr.findall(
                "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}tc"
            )
            row._tr.remove(tcs[-1])
    return t2


def genai_rows(n: int, start: int = 1):
    base = next(SERIALS)
    return [
        [str(i), "北京市", f"测试模型{base}-{i}", f"北京测试{base}科技有限公司",
         f"Beijing-CeShi{base}x{i}-2026070{(i % 9) + 1}0{i:03d}", "2026/7/13"]
        for i in range(start, start + n)
    ]  # fmt: skip


GENAI_HEADER = ["序号", "属地", "大模型名称", "备案单位", "备案编号", "备案时间"]
GENAI_TITLE = "生成式人工智能服务已备案和已登记信息（2026年7月）"


def genai_docx(ctx: Ctx, name: str, tables) -> Path:
    sys.path.insert(0, str(ctx.root))
    from tests.fixtures import make_genai_docx

    return make_genai_docx(ctx.work / "in" / name, tables, title=GENAI_TITLE)


def genai_xlsx(ctx: Ctx, name: str, sheets) -> Path:
    sys.path.insert(0, str(ctx.root))
    from tests.fixtures import make_genai_xlsx

    return make_genai_xlsx(ctx.work / "in" / name, sheets, title_row=GENAI_TITLE)


def notice_csv(ctx: Ctx, name: str, codes, date="2026-09-10", extra="") -> Path:
    import csv

    f = ctx.work / "in" / name
    f.parent.mkdir(parents=True, exist_ok=True)
    with f.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["notice_date", "notice_title", "notice_url", "name", "role", "entity",
                    "product", "code", "cancel"])  # fmt: skip
        for c in codes:
            w.writerow([date, "关于注销“测试”等算法备案编号的公告",
                        "https://beian.cac.gov.cn/api/file/fileDownLoad?noticeId=x", "测试算法",
                        "服务提供者", "示例有限公司", "--", c, "2026年9月"])  # fmt: skip
    if extra:
        f.write_text(f.read_text(encoding="utf-8") + extra, encoding="utf-8")
    return f


def listed_numbers(ctx: Ctx, k: int = 2) -> list[str]:
    import pandas as pd

    f = pd.read_parquet(ctx.root / "data/processed/filings.parquet")
    f = f[(f["registry"] == "deep_synthesis") & f["cancelled_month"].isna()]
    return list(f["filing_number"].head(k))


def cancelled_number(ctx: Ctx) -> str:
    import pandas as pd

    f = pd.read_parquet(ctx.root / "data/processed/filings.parquet")
    f = f[(f["registry"] == "deep_synthesis") & f["cancelled_month"].notna()]
    return str(f["filing_number"].iloc[0])


def tiny_site(ctx: Ctx, name: str, body: str, reports=None, params=None) -> Path:
    sys.path.insert(0, str(ctx.root))
    import yaml

    from tests.fixtures import write_nb

    root = ctx.work / "sites" / name
    (root / "notebooks").mkdir(parents=True, exist_ok=True)
    params = params or "nap: float = 0.0  # seconds [range: 0..600]\nfail: bool = False  # unused\n"
    write_nb(root / "notebooks" / "t.ipynb", body=body, params=params)
    reports = reports or [{"id": "t", "notebook": "t.ipynb", "title": "T", "question": "?"}]
    (root / "site.yaml").write_text(yaml.safe_dump({"reports": reports}))
    return root


def site_args(site: Path, *more) -> list:
    return ["reports", "build", "--site", site / "site.yaml", "--out", site / "out", *more]


def expect(r: R, rc: int | tuple, *needles: str) -> bool:
    rcs = rc if isinstance(rc, tuple) else (rc,)
    return r.rc in rcs and all(n in r.text for n in needles)


def added_id(ctx: Ctx) -> list[str]:
    import yaml

    f = ctx.root / "data/local_sources.yaml"
    if not f.exists():
        return []
    return [e["id"] for e in (yaml.safe_load(f.read_text(encoding="utf-8")) or {})["sources"]]


# ================================================================ A. hangs and orphans

LOOP = "while True:\n    pass"
SLEEP = "import time\ntime.sleep(nap)"
DIES = "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)"


@case(
    "H01",
    "hangs",
    "kernel killed (as by the OOM killer)",
    "reports build (a cell kills its kernel)",
    "report fails within seconds: 'kernel died (out of memory?)', exit 1",
)
def _(ctx):
    s = tiny_site(ctx, "dies", DIES)
    r = ctx.cnai(*site_args(s), timeout=240)
    return verdict(expect(r, 1, "kernel died") and r.secs < 120, r, r.first("kernel died"))


@case(
    "H02",
    "hangs",
    "a real report's kernel killed with kill -9 mid-run",
    "reports build --only compute --out /tmp/… ; kill -9 <kernel>",
    "FAILED compute: kernel died, exit 1, within seconds of the kill",
)
def _(ctx):
    import psutil

    out = ctx.work / "site-h02"
    p = ctx.spawn("reports", "build", "--only", "compute", "--out", out, "--force")
    kernel, t_end = None, time.monotonic() + 240
    while kernel is None and time.monotonic() < t_end and p.poll() is None:
        for pid in descendants(p.pid):
            try:
                if "ipykernel" in " ".join(psutil.Process(pid).cmdline()):
                    kernel = pid
            except psutil.NoSuchProcess:
                pass
        time.sleep(0.5)
    if kernel is None:
        kill_tree(p.pid)
        return False, "no kernel seen"
    time.sleep(3)
    os.kill(kernel, signal.SIGKILL)
    t0 = time.monotonic()
    try:
        out_, err = p.communicate(timeout=180)
    except subprocess.TimeoutExpired:
        kill_tree(p.pid)
        return False, "HANG: still running 180 s after the kernel died"
    r = R(p.returncode, out_, err, time.monotonic() - t0)
    return verdict(expect(r, 1, "kernel died"), r, r.first("kernel died"))


@case(
    "H03",
    "hangs",
    "a cell that loops forever",
    "reports build --timeout 5 (site with a looping cell)",
    "FAILED: a cell ran longer than the 5 s allowed; exit 1",
)
def _(ctx):
    s = tiny_site(ctx, "loops", LOOP)
    r = ctx.cnai(*site_args(s, "--timeout", "5"), timeout=240)
    return verdict(expect(r, 1, "longer than the 5 s") and r.secs < 150, r, r.first("longer"))


def _interrupted(ctx, sig, tag: str, code: int):
    """Signal a running reports build: it exits ``code``, says "interrupted", leaves no child."""
    p, _kids, left = _kill_main(ctx, sig, tag)
    err = p.stderr.read()
    return (
        p.returncode == code and not left and "interrupted" in err,
        f"exit {p.returncode}, {len(left)} children left: {err.strip().splitlines()[-1:]}",
    )


def _kill_main(ctx, sig, name):
    s = tiny_site(
        ctx,
        f"sleeps-{name}",
        SLEEP,
        params="nap: float = 120.0  # s [range: 0..600]\nfail: bool = False  # unused\n",
    )
    p = ctx.spawn(*site_args(s))
    t_end = time.monotonic() + 120
    kids = []
    import psutil

    while time.monotonic() < t_end:
        kids = descendants(p.pid)
        if any(
            "ipykernel" in " ".join(psutil.Process(k).cmdline())
            for k in kids
            if psutil.pid_exists(k)
        ):
            break
        time.sleep(0.5)
    time.sleep(2)
    kids = descendants(p.pid)
    os.kill(p.pid, sig)
    p.wait(timeout=60)
    time.sleep(5)
    left = alive(kids)
    for k in left:
        os.kill(k, signal.SIGKILL)
    return p, kids, left


@case(
    "H04",
    "hangs",
    "main process of reports build killed with SIGKILL",
    "reports build (a 120 s cell); kill -9 <main pid>",
    "workers and kernels exit within seconds",
)
def _(ctx):
    p, kids, left = _kill_main(ctx, signal.SIGKILL, "kill")
    return not left and bool(kids), f"{len(kids)} children, {len(left)} still alive 5 s after"


@case(
    "H05",
    "hangs",
    "main process of reports build sent SIGHUP (terminal closed)",
    "reports build (a 120 s cell); kill -HUP <main pid>",
    "workers and kernels exit within seconds",
)
def _(ctx):
    p, kids, left = _kill_main(ctx, signal.SIGHUP, "hup")
    return not left and bool(kids), f"{len(kids)} children, {len(left)} still alive 5 s after"


@case(
    "H06",
    "hangs",
    "SIGTERM to reports build",
    "reports build (a 120 s cell); kill -TERM <main>",
    "exit 143, 'interrupted', no child left",
)
def _(ctx):
    return _interrupted(ctx, signal.SIGTERM, "term", 143)


@case(
    "H07",
    "hangs",
    "Ctrl-C to reports build",
    "reports build (a 120 s cell); kill -INT <main>",
    "exit 130, 'interrupted', no child left",
)
def _(ctx):
    return _interrupted(ctx, signal.SIGINT, "int", 130)


@case(
    "H08",
    "hangs",
    "--jobs far above memory",
    "reports build --jobs 64 (tiny site)",
    "a note that --jobs is capped, then builds; exit 0",
)
def _(ctx):
    s = tiny_site(ctx, "jobs", SLEEP)
    r = ctx.cnai(*site_args(s, "--jobs", "64"), timeout=300)
    return verdict(expect(r, 0, "capped"), r, r.first("capped"))


@case(
    "H09",
    "hangs",
    "SIGTERM during the rebuild of registry add",
    "registry add LIST; kill -TERM after 8 s",
    "rolled back: no entry, no copy in data/raw/local, no parser worker left, tables untouched",
)
def _(ctx):
    f = ds_list(ctx, "h09.docx")
    p = ctx.spawn("registry", "add", f)
    time.sleep(8)
    kids = descendants(p.pid)
    os.kill(p.pid, signal.SIGTERM)
    out, err = p.communicate(timeout=120)
    time.sleep(2)
    left = alive(kids)
    ids = added_id(ctx)
    ok = not left and "Traceback" not in err and (ids == [] or p.returncode == 0)
    return ok, f"exit {p.returncode}, entries {ids}, {len(left)} of {len(kids)} children alive"


@case(
    "H10",
    "hangs",
    "SIGKILL of registry add mid-rebuild, then the next command",
    "registry add LIST; kill -9 once the list is copied; registry build",
    "the next writer tidies: no temporaries, no orphan copy; tables fresh",
)
def _(ctx):
    f = ds_list(ctx, "h10.docx")
    p = ctx.spawn("registry", "add", f)
    t_end = time.monotonic() + 120  # kill -9 once the list is copied into data/raw/local
    while time.monotonic() < t_end and p.poll() is None:
        if any(q.suffix == ".docx" for q in (ctx.root / "data/raw/local").rglob("*")):
            break
        time.sleep(0.2)
    kill_tree(p.pid)
    p.wait()
    r = ctx.cnai("registry", "build")
    return verdict(r.rc == 0, r)


# ================================================================ B. rows lost or misplaced


def _dry(ctx, f, *more):
    return ctx.cnai("registry", "add", f, "--dry-run", *more, timeout=300)


@case(
    "R01",
    "rows",
    "a Word table continued in a second table without header (same columns)",
    "registry add LIST --dry-run",
    "all rows read: 'table 2: 4 rows read'",
)
def _(ctx):
    f = ds_list(ctx, "r01.docx", mutate=lambda d, t: copy_table(d, t, 4, header=False))
    r = _dry(ctx, f)
    return verdict(expect(r, 0, "16 rows", "table 2: 4 rows read"), r)


@case(
    "R02",
    "rows",
    "a continuation table with fewer columns, no header",
    "registry add LIST --dry-run",
    "refused (needs --force): '4 rows of table 2 are not read'",
)
def _(ctx):
    f = ds_list(ctx, "r02.docx", mutate=lambda d, t: copy_table(d, t, 4, header=False, drop_cols=3))
    r = _dry(ctx, f)
    return verdict(expect(r, 1, "table 2"), r, r.first("table 2"))


@case(
    "R03",
    "rows",
    "a second table with its own header in another column order",
    "registry add LIST (table 2: 主体名称 and 算法名称 swapped); read filings",
    "table 2's rows mapped by their own header: its filers are the companies, not algorithm names",
)
def _(ctx):
    import pandas as pd

    order = [0, 3, 2, 1, 4, 5, 6, 7]  # 主体名称 and 算法名称 swapped
    f = ds_list(
        ctx, "r03.docx", mutate=lambda d, t: copy_table(d, t, 3, header=True, reorder=order)
    )
    r = ctx.cnai("registry", "add", f)
    lst = pd.read_parquet(ctx.root / "data/processed/listings.parquet")
    mine = lst[lst["batch"] == "2026-07"].sort_values("source_row")
    names = list(mine["entity_name"].iloc[12:])  # table 2: copies of table 1's last 3 rows
    ok = r.rc == 0 and len(mine) == 15 and names == list(mine["entity_name"].iloc[9:12])
    return verdict(ok, r, f"{len(mine)} rows; filers of table 2: {names}")


@case(
    "R04",
    "rows",
    "an xlsx whose second sheet has no header",
    "registry add LIST.xlsx --dry-run",
    "the second sheet's rows read (same column count)",
)
def _(ctx):
    f = genai_xlsx(ctx, "r04.xlsx", {"S1": [GENAI_HEADER, *genai_rows(3)], "S2": genai_rows(4, 4)})
    r = _dry(ctx, f)
    return verdict(expect(r, 0, "7 rows"), r)


@case(
    "R05",
    "rows",
    "a generative-AI Word file whose second table has no header",
    "registry add LIST.docx --dry-run",
    "the second table's rows read",
)
def _(ctx):
    f = genai_docx(
        ctx, "r05.docx", [(GENAI_HEADER, genai_rows(3)), (genai_rows(1, 4)[0], genai_rows(3, 5))]
    )
    r = _dry(ctx, f)
    return verdict(expect(r, 0, "7 rows"), r)


@case(
    "R06",
    "rows",
    "a list with one filing number twice (new)",
    "registry add LIST --dry-run",
    "12 rows, 11 new filings; the duplicate reported, not counted twice",
)
def _(ctx):
    def dup(d, t):
        t.rows[5].cells[6].text = t.rows[4].cells[6].text

    f = ds_list(ctx, "r06.docx", mutate=dup)
    r = _dry(ctx, f)
    return verdict(expect(r, 0, "11 new filings"), r)


@case(
    "R07",
    "rows",
    "an empty Word table (header only) (new)",
    "registry add LIST --dry-run",
    "refused: no rows (exit 1), no traceback",
)
def _(ctx):
    f = ds_list(ctx, "r07.docx", n=0)
    r = _dry(ctx, f)
    return verdict(r.rc == 1, r)


@case(
    "R08",
    "rows",
    "a Word file with no table (new)",
    "registry add LIST --dry-run",
    "refused: no table with a known header",
)
def _(ctx):
    def drop(d, t):
        t._tbl.getparent().remove(t._tbl)

    f = ds_list(ctx, "r08.docx", mutate=drop)
    r = _dry(ctx, f)
    return verdict(expect(r, 1, "no table"), r)


@case(
    "R09",
    "rows",
    "a .docx that is a zip of something else (new)",
    "registry add x.docx --dry-run",
    "refused: not a readable Word (.docx) file",
)
def _(ctx):
    f = ctx.work / "in" / "r09.docx"
    f.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(f, "w") as z:
        z.writestr("readme.txt", "hello")
        z.writestr("data/a.csv", "a,b\n1,2\n")
    r = _dry(ctx, f)
    return verdict(expect(r, 1, "not a readable Word"), r)


@case(
    "R10",
    "rows",
    "huge cell text (2 MB in one cell) (new)",
    "registry add LIST --dry-run",
    "read or refused in seconds, no traceback, no hang",
)
def _(ctx):
    def huge(d, t):
        t.rows[2].cells[5].text = "很长" * 1_000_000

    f = ds_list(ctx, "r10.docx", mutate=huge)
    r = _dry(ctx, f)
    return verdict(r.rc in (0, 1) and r.secs < 200, r)


@case(
    "R11",
    "rows",
    "unicode oddities: full-width digits, zero-width space, NBSP in numbers and names (new)",
    "registry add LIST --dry-run",
    "numbers read (12 new filings), no problem rows",
)
def _(ctx):
    def odd(d, t):
        fw = str.maketrans("0123456789", "０１２３４５６７８９")
        c = t.rows[1].cells[6]
        c.text = c.text.translate(fw)
        c = t.rows[2].cells[6]
        c.text = c.text[:6] + "\u200b" + c.text[6:]
        c = t.rows[3].cells[6]
        c.text = "\u00a0" + c.text + " "
        t.rows[4].cells[3].text = "\u202e司公限有技科\u200d示例"

    f = ds_list(ctx, "r11.docx", mutate=odd)
    r = _dry(ctx, f)
    return verdict(expect(r, 0, "12 new filings"), r)


@case(
    "R12",
    "rows",
    "a number split by a line break inside its cell",
    "registry add LIST --dry-run",
    "number read (12 new filings)",
)
def _(ctx):
    def br(d, t):
        c = t.rows[1].cells[6]
        txt = c.text
        c.text = txt[:10]
        c.paragraphs[0].add_run().add_break()
        c.paragraphs[0].add_run(txt[10:])

    f = ds_list(ctx, "r13.docx", mutate=br)
    r = _dry(ctx, f)
    return verdict(expect(r, 0, "12 new filings"), r)


@case(
    "R13",
    "rows",
    "repeated header row and a section title row inside the table",
    "registry add LIST --dry-run",
    "both rejected and reported, 12 rows read",
)
def _(ctx):
    import copy

    def rep(d, t):
        t._tbl.append(copy.deepcopy(t.rows[0]._tr))

    f = ds_list(ctx, "r14.docx", mutate=rep)
    r = _dry(ctx, f)
    return verdict(expect(r, 0, "12 new filings"), r)


@case(
    "R14",
    "rows",
    "a real add then stats: every row counted",
    "registry add LIST (12 rows) ; registry stats --json",
    "batch 2026-07 with 12 rows, 12 new filings",
)
def _(ctx):
    f = ds_list(ctx, "r15.docx")
    r = ctx.cnai("registry", "add", f)
    s = ctx.cnai("registry", "stats", "--json")
    ok = expect(r, 0, "12 rows", "12 new filings") and "2026-07" in s.out
    return verdict(ok, r)


# ================================================================ C. concurrent writers


@case(
    "C01",
    "writers",
    "two registry add at once",
    "registry add A & registry add B",
    "both added (the second waits), both entries and files kept",
)
def _(ctx):
    a, b = ds_list(ctx, "c01a.docx"), ds_list(ctx, "c01b.docx", month="2026年9月")
    p1 = ctx.spawn("registry", "add", a)
    ctx.wait_lock(p1)
    p2 = ctx.spawn("registry", "add", b)
    p1.communicate(timeout=600)
    o2 = p2.communicate(timeout=600)
    ids = added_id(ctx)
    ok = p1.returncode == 0 and p2.returncode == 0 and len(ids) == 2
    return (
        ok,
        f"exits {p1.returncode}/{p2.returncode}, entries {len(ids)}; {('waiting' in o2[1]) and 'second waited' or ''}",
    )


@case(
    "C02",
    "writers",
    "registry build --force while a registry add runs",
    "registry add A & registry build --force",
    "the build waits ('waiting for `cnai registry add`'), then runs; the add kept",
)
def _(ctx):
    a = ds_list(ctx, "c02.docx")
    p1 = ctx.spawn("registry", "add", a)
    ctx.wait_lock(p1)
    r = ctx.cnai("registry", "build", "--force")
    p1.communicate(timeout=600)
    ok = expect(r, 0, "waiting for") and p1.returncode == 0 and len(added_id(ctx)) == 1
    return verdict(ok, r, r.first("waiting"))


@case(
    "C03",
    "writers",
    "data verify while a registry build runs",
    "registry build --force & data verify",
    "verify waits for the build, then verifies; exit 0",
)
def _(ctx):
    p1 = ctx.spawn("registry", "build", "--force")
    ctx.wait_lock(p1)
    r = ctx.cnai("data", "verify")
    p1.communicate(timeout=600)
    return verdict(expect(r, 0, "waiting for"), r, r.first("waiting"))


@case(
    "C04",
    "writers",
    "lock held longer than CNAI_LOCK_TIMEOUT",
    "CNAI_LOCK_TIMEOUT=2 registry build during an add",
    "exit 1: 'data/ is still being written by `cnai registry add` …'",
)
def _(ctx):
    a = ds_list(ctx, "c04.docx")
    p1 = ctx.spawn("registry", "add", a)
    ctx.wait_lock(p1)
    r = ctx.cnai("registry", "build", "--force", env={"CNAI_LOCK_TIMEOUT": "2"})
    p1.communicate(timeout=600)
    return verdict(expect(r, 1, "still being written"), r, r.first("still being"))


@case(
    "C05",
    "writers",
    "CNAI_LOCK_TIMEOUT not a number (new)",
    "CNAI_LOCK_TIMEOUT=abc registry build",
    "default timeout used, exit 0",
)
def _(ctx):
    r = ctx.cnai("registry", "build", env={"CNAI_LOCK_TIMEOUT": "abc"})
    return verdict(r.rc == 0, r)


@case(
    "C06",
    "writers",
    "a stale lock file left by a killed command",
    "touch .cnai-data.lock; registry build",
    "no wait (the lock is a flock, released by the kernel), exit 0",
)
def _(ctx):
    (ctx.root / ".cnai-data.lock").write_text("")
    (ctx.root / ".cnai-data.lock.owner").write_text(
        '{"command":"registry add","pid":1,"since":"x"}'
    )
    r = ctx.cnai("registry", "build")
    return verdict(r.rc == 0 and "waiting" not in r.text, r)


@case(
    "C07",
    "writers",
    "a read-write DuckDB session writes, a build --force swaps, the session dies",
    "duckdb.connect(registry.duckdb) ; INSERT ; registry build --force ; kill -9 session ; registry stats",
    "stats and loaders work, or say 'cannot be read … run cnai registry build' and build rebuilds",
)
def _(ctx):
    db = ctx.root / "data/processed/registry.duckdb"
    code = (
        f"import duckdb, time, sys\ncon = duckdb.connect({str(db)!r})\n"
        "con.execute('CREATE TABLE scratch AS SELECT 1 AS x')\nprint('ok', flush=True)\ntime.sleep(300)\n"
    )
    p = subprocess.Popen(
        [ctx.py, "-c", code], stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    p.stdout.readline()
    b = ctx.cnai("registry", "build", "--force")
    p.kill()
    p.wait()
    s = ctx.cnai("registry", "stats")
    if s.rc != 0:
        b2 = ctx.cnai("registry", "build")
        s = ctx.cnai("registry", "stats")
        return verdict(b.rc == 0 and s.rc == 0 and "rebuilding" in b2.text, b2)
    return verdict(b.rc == 0 and s.rc == 0, s, "stats fine after the dead session")


def _damage(ctx, name, how):
    p = ctx.root / "data/processed" / name
    if how == "truncate":
        p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])
    else:
        p.write_bytes(b"not a table" * 50)
    s = ctx.cnai("registry", "stats")
    b = ctx.cnai("registry", "build")
    s2 = ctx.cnai("registry", "stats")
    ok = (
        s.rc == 1
        and "cannot be read" in s.text
        and b.rc == 0
        and "rebuilding" in b.text
        and s2.rc == 0
    )
    return verdict(ok, s, s.first("cannot"))


@case(
    "C08",
    "writers",
    "truncated filings.parquet",
    "registry stats ; registry build",
    "stats: 'cannot be read … run cnai registry build' (exit 1); build rebuilds",
)
def _(ctx):
    return _damage(ctx, "filings.parquet", "truncate")


@case(
    "C09",
    "writers",
    "registry.duckdb overwritten with garbage",
    "registry stats ; registry build",
    "named and rebuilt",
)
def _(ctx):
    return _damage(ctx, "registry.duckdb", "garbage")


@case(
    "C10",
    "writers",
    "a garbage registry.duckdb.wal",
    "registry stats ; registry build",
    "named and rebuilt",
)
def _(ctx):
    return _damage(ctx, "registry.duckdb.wal", "garbage")


@case(
    "C11",
    "writers",
    "build_info.json not JSON (new)",
    "registry stats ; registry build",
    "a one-line error then a rebuild; no traceback",
)
def _(ctx):
    (ctx.root / "data/processed/build_info.json").write_text("{")
    s = ctx.cnai("registry", "stats")
    b = ctx.cnai("registry", "build")
    return verdict(
        s.rc == 1 and b.rc == 0 and clean(b) and ctx.cnai("registry", "stats").rc == 0, s
    )


# ================================================================ D. undo and interruption


@case(
    "U01",
    "undo",
    "registry remove after an add",
    "registry add LIST ; registry remove ID ; registry stats",
    "same cancellations as before, tables fresh, the copied file gone",
)
def _(ctx):
    import pandas as pd

    n0 = len(pd.read_parquet(ctx.root / "data/processed/cancellations.parquet"))
    f = ds_list(ctx, "u01.docx")
    ctx.cnai("registry", "add", f)
    ids = added_id(ctx)
    r = ctx.cnai("registry", "remove", ids[0]) if ids else R(None, "", "add failed", 0)
    n1 = len(pd.read_parquet(ctx.root / "data/processed/cancellations.parquet"))
    s = ctx.cnai("registry", "stats")
    left = (
        list((ctx.root / "data/raw/local").rglob("*.docx"))
        if (ctx.root / "data/raw/local").exists()
        else []
    )
    return verdict(
        r.rc == 0 and n1 == n0 and s.rc == 0 and not left,
        r,
        f"cancellations {n0}->{n1}, copies left {len(left)}",
    )


def _interrupt(ctx, args, delay, sig=signal.SIGINT):
    p = ctx.spawn(*args)
    time.sleep(delay)
    if p.poll() is None:
        os.kill(p.pid, sig)
    out, err = p.communicate(timeout=300)
    return R(p.returncode, out, err, delay)


ADD_DELAYS = [2, 6, 12, 20, 28]


def _add_ctrl_c(ctx, delay):
    f = ds_list(ctx, f"u-add-{delay}.docx")
    r = _interrupt(ctx, ["registry", "add", f], delay)
    ids = added_id(ctx)
    whole = (r.rc == 0 and len(ids) == 1) or (r.rc != 0 and ids == [])
    return verdict(whole, r, f"entries {len(ids)} (the add whole or undone)")


for _d in ADD_DELAYS:
    case(
        f"U-add-{_d}",
        "undo",
        f"Ctrl-C {_d} s into registry add (new: each step)",
        f"registry add LIST; kill -INT after {_d} s",
        "either added whole or not at all; no .processed.old, no orphan copy",
    )(lambda ctx, d=_d: _add_ctrl_c(ctx, d))


def _remove_ctrl_c(ctx, delay):
    f = ds_list(ctx, f"u-rm-{delay}.docx")
    a = ctx.cnai("registry", "add", f)
    ids = added_id(ctx)
    if a.rc != 0 or not ids:
        return verdict(False, a, "add failed")
    r = _interrupt(ctx, ["registry", "remove", ids[0]], delay)
    ids2 = added_id(ctx)
    whole = (r.rc == 0 and ids2 == []) or (ids2 == ids) or (r.rc != 0 and ids2 == [])
    return verdict(whole, r, f"entries {len(ids)}->{len(ids2)}")


for _d in [2, 8, 16, 24]:
    case(
        f"U-rm-{_d}",
        "undo",
        f"Ctrl-C {_d} s into registry remove (new)",
        f"registry add LIST; registry remove ID; kill -INT after {_d} s",
        "removed whole (entry, copy, tables) or not at all",
    )(lambda ctx, d=_d: _remove_ctrl_c(ctx, d))


def _cancel_ctrl_c(ctx, delay):
    f = notice_csv(ctx, f"u-c-{delay}.csv", listed_numbers(ctx, 2))
    r = _interrupt(ctx, ["registry", "add-cancellations", f], delay)
    ids = added_id(ctx)
    whole = (r.rc == 0 and len(ids) == 1) or (r.rc != 0 and ids == [])
    return verdict(whole, r, f"entries {len(ids)}")


for _d in [3, 10, 20]:
    case(
        f"U-cancel-{_d}",
        "undo",
        f"Ctrl-C {_d} s into registry add-cancellations (new)",
        f"registry add-cancellations N.csv; kill -INT after {_d} s",
        "notice kept whole or not at all",
    )(lambda ctx, d=_d: _cancel_ctrl_c(ctx, d))


@case(
    "U02",
    "undo",
    "a killed build's .processed.tmp-* folder",
    "mkdir data/.processed.tmp-<dead pid>-x (marker); registry build",
    "removed by the no-op build",
)
def _(ctx):
    tmp = ctx.root / "data/.processed.tmp-999999-abcdef"
    tmp.mkdir()
    (tmp / ".cnai-temporary").write_text("")
    r = ctx.cnai("registry", "build")
    return verdict(r.rc == 0 and not tmp.exists(), r)


@case(
    "U03",
    "undo",
    "a parked data/.processed.old from a cut swap",
    "cp -r processed .processed.old; registry stats; registry build",
    "the next writer drops it; readers unaffected",
)
def _(ctx):
    shutil.copytree(ctx.root / "data/processed", ctx.root / "data/.processed.old")
    s = ctx.cnai("registry", "stats")
    b = ctx.cnai("registry", "build")
    return verdict(s.rc == 0 and b.rc == 0 and not (ctx.root / "data/.processed.old").exists(), b)


@case(
    "U04", "undo", "remove an unknown id", "registry remove nope", "exit 1: no local source 'nope'"
)
def _(ctx):
    r = ctx.cnai("registry", "remove", "nope")
    return verdict(expect(r, 1, "no local source"), r)


@case(
    "U05",
    "undo",
    "remove a committed source",
    "registry remove cac_ds_2026_05",
    "exit 1: not a local source",
)
def _(ctx):
    r = ctx.cnai("registry", "remove", "cac_ds_2026_05")
    return verdict(expect(r, 1, "not a local source"), r)


@case(
    "U06",
    "undo",
    "remove an added list whose copied file was deleted",
    "registry add; rm data/raw/local/…; registry remove ID",
    "removed, exit 0, tables fresh",
)
def _(ctx):
    f = ds_list(ctx, "u06.docx")
    ctx.cnai("registry", "add", f)
    for p in (ctx.root / "data/raw/local").rglob("*.docx"):
        p.unlink()
    ids = added_id(ctx)
    r = ctx.cnai("registry", "remove", ids[0]) if ids else R(None, "", "add failed", 0)
    return verdict(r.rc == 0 and added_id(ctx) == [], r)


@case(
    "U07",
    "undo",
    "registry add of a list then the same list again",
    "registry add LIST ; registry add LIST",
    "second: exit 1 already ingested (same sha256)",
)
def _(ctx):
    f = ds_list(ctx, "u07.docx")
    ctx.cnai("registry", "add", f)
    r = ctx.cnai("registry", "add", f)
    return verdict(expect(r, 1, "already ingested"), r)


# ================================================================ E. implausible input


def _titled(ctx, name, month, *more):
    f = ds_list(ctx, name, month=month)
    return _dry(ctx, f, *more)


@case(
    "I01",
    "implausible",
    "title 2026年13月",
    "registry add LIST --dry-run",
    "exit 1: batch '2026-13' is not a month",
)
def _(ctx):
    r = _titled(ctx, "i01.docx", "2026年13月")
    return verdict(expect(r, 1, "not a month"), r)


@case("I02", "implausible", "title 2026年0月", "registry add LIST --dry-run", "exit 1: not a month")
def _(ctx):
    r = _titled(ctx, "i02.docx", "2026年0月")
    return verdict(expect(r, 1, "not a month"), r)


@case(
    "I03",
    "implausible",
    "title 2099年1月",
    "registry add LIST --dry-run",
    "exit 1: after next month; pass --force",
)
def _(ctx):
    r = _titled(ctx, "i03.docx", "2099年1月")
    return verdict(expect(r, 1, "after next month"), r)


@case(
    "I04",
    "implausible",
    "the 2026-03 list re-titled 2026-07",
    "registry add LIST --dry-run",
    "exit 1: repeats batch 2026-03; pass --force",
)
def _(ctx):
    import docx

    d = docx.Document(str(real_ds(ctx, "2026-03")))
    for p in d.paragraphs:
        if "算法备案清单" in p.text:
            t = p.text.split("（")[0] + "（2026年7月）"
            for run in p.runs[1:]:
                run.text = ""
            p.runs[0].text = t
    f = ctx.work / "in" / "i04.docx"
    d.save(str(f))
    r = _dry(ctx, f)
    return verdict(expect(r, 1, "repeats batch 2026-03"), r, r.first("repeats"))


@case(
    "I05",
    "implausible",
    "--batch 2026-13",
    "registry add LIST --batch 2026-13 --dry-run",
    "exit 1 (not a month)",
)
def _(ctx):
    r = _titled(ctx, "i05.docx", "2026年7月", "--batch", "2026-13")
    return verdict(r.rc in (1, 2) and "2026-13" in r.text, r)


@case(
    "I06",
    "implausible",
    "--batch abc (wrong type)",
    "registry add LIST --batch abc --dry-run",
    "exit 1/2: not YYYY-MM",
)
def _(ctx):
    r = _titled(ctx, "i06.docx", "2026年7月", "--batch", "abc")
    return verdict(r.rc in (1, 2) and "abc" in r.text, r)


@case(
    "I07",
    "implausible",
    "--batch contradicting the title",
    "registry add LIST --batch 2019-01 --dry-run",
    "exit 1: disagrees with the list's title; pass --force",
)
def _(ctx):
    r = _titled(ctx, "i07.docx", "2026年7月", "--batch", "2019-01")
    return verdict(expect(r, 1, "disagrees"), r)


@case(
    "I08",
    "implausible",
    "no title and no --batch",
    "registry add LIST --dry-run",
    "exit 1: pass --batch YYYY-MM",
)
def _(ctx):
    def notitle(d, t):
        for p in d.paragraphs:
            if "清单" in p.text:
                p._p.getparent().remove(p._p)

    f = ds_list(ctx, "i08.docx", mutate=notitle)
    r = _dry(ctx, f)
    return verdict(r.rc == 1 and "--batch" in r.text, r)


@case(
    "I09",
    "implausible",
    "a list with 60% unreadable numbers",
    "registry add LIST --dry-run",
    "exit 1: more than the 20% allowed; pass --force",
)
def _(ctx):
    def bad(d, t):
        for row in list(t.rows)[1:9]:
            row.cells[6].text = "待定"

    f = ds_list(ctx, "i09.docx", mutate=bad)
    r = _dry(ctx, f)
    return verdict(expect(r, 1, "20%"), r, r.first("20%"))


@case(
    "I10",
    "implausible",
    "the same cancellation notice plus a newline",
    "registry add-cancellations cancel.json+\\n",
    "exit 1: already ingested; would count its numbers twice",
)
def _(ctx):
    src = ctx.root / "data/raw/cac_lawdatify/cancel.json"
    f = ctx.work / "in" / "i10.json"
    f.write_bytes(src.read_bytes() + b"\n")
    r = ctx.cnai("registry", "add-cancellations", f)
    return verdict(expect(r, 1, "already ingested"), r)


@case(
    "I11",
    "implausible",
    "a cancelled number listed again in a later list",
    "registry add LIST (with a cancelled number)",
    "added; flagged in data_quality: 'listed again … it stays cancelled'",
)
def _(ctx):
    n = cancelled_number(ctx)

    def relist(d, t):
        t.rows[3].cells[6].text = n

    f = ds_list(ctx, "i11.docx", mutate=relist)
    r = ctx.cnai("registry", "add", f)
    import pandas as pd

    dq = pd.read_parquet(ctx.root / "data/processed/data_quality.parquet")
    hit = dq[(dq["filing_number"] == n) & dq["reason"].str.contains("listed again", na=False)]
    return verdict(r.rc == 0 and len(hit) == 1, r, f"flag rows: {len(hit)}")


@case(
    "I12",
    "implausible",
    "cancellation CSV without the notice columns",
    "registry add-cancellations n.csv",
    "exit 1: expected a header with code, notice_date, …",
)
def _(ctx):
    f = ctx.work / "in" / "i12.csv"
    f.write_text("a,b\n1,2\n", encoding="utf-8")
    r = ctx.cnai("registry", "add-cancellations", f)
    return verdict(expect(r, 1, "expected a header"), r)


@case(
    "I13",
    "implausible",
    "cancellation JSON that does not parse",
    "registry add-cancellations n.json",
    "exit 1: not valid JSON",
)
def _(ctx):
    f = ctx.work / "in" / "i13.json"
    f.write_text("{notices: [", encoding="utf-8")
    r = ctx.cnai("registry", "add-cancellations", f)
    return verdict(expect(r, 1, "not valid JSON"), r)


@case(
    "I14",
    "implausible",
    "a cancellation notice dated 2026-13-01 (new)",
    "registry add-cancellations n.csv",
    "exit 1: the date named as not a date",
)
def _(ctx):
    f = notice_csv(ctx, "i14.csv", listed_numbers(ctx, 1), date="2026-13-01")
    r = ctx.cnai("registry", "add-cancellations", f, "--dry-run")
    return verdict(r.rc == 1 and "2026-13-01" in r.text, r)


@case(
    "I15",
    "implausible",
    "a cancellation notice dated 2099-01-01 (new)",
    "registry add-cancellations n.csv --dry-run",
    "refused or flagged as a future date, not silently accepted",
)
def _(ctx):
    f = notice_csv(ctx, "i15.csv", listed_numbers(ctx, 1), date="2099-01-01")
    r = ctx.cnai("registry", "add-cancellations", f, "--dry-run")
    return verdict(r.rc == 1 and "2099" in r.text, r)


@case(
    "I16",
    "implausible",
    "a cancellation of a number in no list",
    "registry add-cancellations n.csv --dry-run",
    "accepted, reported (flagged: in no published list)",
)
def _(ctx):
    f = notice_csv(ctx, "i16.csv", [number(999999999, 1)])
    r = ctx.cnai("registry", "add-cancellations", f, "--dry-run")
    return verdict(
        r.rc == 0 and ("no published list" in r.text or "not in" in r.text or "unknown" in r.text),
        r,
    )


@case(
    "I17",
    "implausible",
    "a cancellation file that is .txt",
    "registry add-cancellations n.txt",
    "exit 1: expected .json or .csv",
)
def _(ctx):
    f = ctx.work / "in" / "i17.txt"
    f.write_text("x", encoding="utf-8")
    r = ctx.cnai("registry", "add-cancellations", f)
    return verdict(expect(r, 1, ".json or .csv"), r)


@case(
    "I18",
    "implausible",
    "an empty cancellation CSV (header only) (new)",
    "registry add-cancellations n.csv --dry-run",
    "exit 1: no notice rows",
)
def _(ctx):
    f = notice_csv(ctx, "i18.csv", [])
    r = ctx.cnai("registry", "add-cancellations", f, "--dry-run")
    return verdict(r.rc == 1, r)


# ================================================================ F. the site and the files around it


def _out_args(ctx, name, *more):
    return ["reports", "build", "--out", ctx.work / name, *more]


@case(
    "S01",
    "site",
    "a registry raw file missing, build an Epoch-only report",
    "rm data/raw/…/2026-05.docx; reports build --only compute --out DIR",
    "builds compute; 'note: the index was not rewritten'; exit 0",
)
def _(ctx):
    f = real_ds(ctx)
    keep = f.read_bytes()
    f.unlink()
    try:
        r = ctx.cnai(*_out_args(ctx, "s01", "--only", "compute"), timeout=900)
    finally:
        f.write_bytes(keep)
    return verdict(expect(r, 0, "not rewritten"), r, r.first("index"))


@case(
    "S02",
    "site",
    "--out a home-like folder with dotfiles",
    "reports build --site tiny --out DIR (DIR has .env.template, .bashrc.original, .x.abcdefgh)",
    "the user's files kept",
)
def _(ctx):
    s = tiny_site(ctx, "dotfiles", SLEEP)
    out = s / "out"
    out.mkdir(parents=True, exist_ok=True)
    names = [".env.template", ".bashrc.original", ".notes.abcdefgh", ".cache.tmp-1-abc"]
    for n in names:
        (out / n).write_text("mine")
        os.utime(out / n, (time.time() - 7200, time.time() - 7200))
    r = ctx.cnai(*site_args(s), timeout=300)
    gone = [n for n in names if not (out / n).exists()]
    return verdict(r.rc == 0 and not gone, r, f"deleted: {gone}")


def _bad_id(ctx, rid):
    s = tiny_site(
        ctx,
        f"id-{abs(hash(rid))}",
        SLEEP,
        reports=[{"id": rid, "notebook": "t.ipynb", "title": "T", "question": "?"}],
    )
    r = ctx.cnai(*site_args(s), timeout=120)
    return verdict(r.rc == 1 and ("reserved" in r.text or "must be letters" in r.text), r)


for _rid in ["index.html", "assets", "pagefind", "a/b", ".x", "_variants"]:
    case(
        f"S-id-{_rid}",
        "site",
        f"report id {_rid!r} in site.yaml",
        "reports build --site S",
        "exit 1: reserved / must be letters, digits, - and _",
    )(lambda ctx, r=_rid: _bad_id(ctx, r))


@case(
    "S03",
    "site",
    "--only an unknown id (new)",
    "reports build --only nope",
    "exit 1/2: names the id and the known ones; nothing built",
)
def _(ctx):
    r = ctx.cnai(*_out_args(ctx, "s03", "--only", "nope"))
    return verdict(r.rc in (1, 2) and "nope" in r.text, r)


@case(
    "S04",
    "site",
    "--only a wildcard matching nothing (new)",
    "reports build --only 'zz*'",
    "exit 1/2, says nothing matches",
)
def _(ctx):
    r = ctx.cnai(*_out_args(ctx, "s04", "--only", "zz*"))
    return verdict(r.rc in (1, 2) and "zz*" in r.text, r)


@case(
    "S05",
    "site",
    "--out is an existing file",
    "reports build --out README.md",
    "exit 2: exists and is not a folder",
)
def _(ctx):
    r = ctx.cnai("reports", "build", "--out", "README.md", "--only", "compute")
    return verdict(expect(r, 2, "not a folder"), r)


@case(
    "S06",
    "site",
    "--site that does not exist (new)",
    "reports build --site nope.yaml",
    "exit 1/2: names the file",
)
def _(ctx):
    r = ctx.cnai("reports", "build", "--site", ctx.work / "nope.yaml", "--out", ctx.work / "s06")
    return verdict(r.rc in (1, 2) and "nope.yaml" in r.text, r)


@case(
    "S07",
    "site",
    "site.yaml that is not YAML (new)",
    "reports build --site bad.yaml",
    "exit 1: not valid YAML, line named",
)
def _(ctx):
    f = ctx.work / "bad-site.yaml"
    f.write_text("reports: [\n  - id: x\n", encoding="utf-8")
    r = ctx.cnai("reports", "build", "--site", f, "--out", ctx.work / "s07")
    return verdict(r.rc in (1, 2) and "bad-site.yaml" in r.text, r)


@case("S08", "site", "reports list --json", "reports list --json", "valid JSON, 31 reports")
def _(ctx):
    r = ctx.cnai("reports", "list", "--json")
    try:
        n = len(json.loads(r.out))
    except ValueError:
        n = -1
    return verdict(r.rc == 0 and n == 31, r, f"{n} reports")


@case(
    "S09",
    "site",
    "reports list in a 40-column terminal",
    "COLUMNS=40 reports list",
    "exit 0, every id whole on a line",
)
def _(ctx):
    r = ctx.cnai("reports", "list", env={"COLUMNS": "40"})
    return verdict(
        r.rc == 0 and "registry-algorithm_recommendation" in r.out,
        r,
        "ids whole" if "registry-algorithm_recommendation" in r.out else "ids wrapped",
    )


@case(
    "S10",
    "site",
    "data pull with a mirror path that does not exist (new)",
    "data pull --mirror /nonexistent --only cac_ds_2026_05",
    "exit 1: mirror folder … does not exist",
)
def _(ctx):
    keep = real_ds(ctx).read_bytes()
    try:
        real_ds(ctx).unlink()
        r = ctx.cnai("data", "pull", "--mirror", "/nonexistent/mirror", "--only", "cac_ds_2026_05")
        return verdict(expect(r, 1, "does not exist"), r)
    finally:
        real_ds(ctx).write_bytes(keep)


@case(
    "S11",
    "site",
    "data pull with a mirror that is a file (new)",
    "data pull --mirror README.md",
    "exit 1, one line",
)
def _(ctx):
    keep = real_ds(ctx).read_bytes()
    try:
        real_ds(ctx).unlink()
        r = ctx.cnai("data", "pull", "--mirror", ctx.root / "README.md", "--only", "cac_ds_2026_05")
        return verdict(r.rc == 1, r)
    finally:
        real_ds(ctx).write_bytes(keep)


@case(
    "S12",
    "site",
    "data pull from a mirror holding a tampered copy (new)",
    "data pull --mirror M --only cac_ds_2026_05",
    "exit 1: sha256 differs; the file not written",
)
def _(ctx):
    keep = real_ds(ctx).read_bytes()
    try:
        m = ctx.work / "mirror"
        f = real_ds(ctx)
        rel = f.relative_to(ctx.root / "data/raw")
        (m / rel).parent.mkdir(parents=True, exist_ok=True)
        (m / rel).write_bytes(f.read_bytes()[:-10] + b"0123456789")
        f.unlink()
        r = ctx.cnai("data", "pull", "--mirror", m, "--only", "cac_ds_2026_05")
        return verdict(r.rc == 1 and not f.exists(), r)
    finally:
        real_ds(ctx).write_bytes(keep)


@case(
    "S13",
    "site",
    "data pull from a good mirror restores a deleted file",
    "rm FILE; data pull --mirror M --only cac_ds_2026_05",
    "exit 0, file back, tables fresh",
)
def _(ctx):
    m = ctx.work / "mirror-ok"
    f = real_ds(ctx)
    rel = f.relative_to(ctx.root / "data/raw")
    (m / rel).parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(f, m / rel)
    f.unlink()
    r = ctx.cnai("data", "pull", "--mirror", m, "--only", "cac_ds_2026_05")
    return verdict(r.rc == 0 and f.exists(), r)


@case(
    "S14",
    "site",
    "data pull --only an unknown id (new)",
    "data pull --only nope",
    "exit 1: names 'nope'",
)
def _(ctx):
    r = ctx.cnai("data", "pull", "--only", "nope")
    return verdict(r.rc in (1, 2) and "nope" in r.text, r)


@case(
    "S15",
    "site",
    "a raw file with one byte flipped",
    "registry build --force",
    "exit 1: sha256 differs; run cnai data pull --only …",
)
def _(ctx):
    f = real_ds(ctx)
    b = bytearray(f.read_bytes())
    b[len(b) // 2] ^= 1
    keep = f.read_bytes()
    f.write_bytes(bytes(b))
    try:
        r = ctx.cnai("registry", "build", "--force")
        v = ctx.cnai("data", "verify")
    finally:
        f.write_bytes(keep)
    return verdict(expect(r, 1, "differs") and v.rc == 1, r, r.first("differs"))


@case(
    "S16",
    "site",
    "a registry raw file missing",
    "rm FILE; registry stats; reports list",
    "exit 1: missing: run cnai data pull --only …",
)
def _(ctx):
    f = real_ds(ctx)
    keep = f.read_bytes()
    f.unlink()
    try:
        r = ctx.cnai("registry", "stats")
        lst = ctx.cnai("reports", "list")
    finally:
        f.write_bytes(keep)
    return verdict(expect(r, 1, "missing") and "stale" not in r.text and "missing" in lst.text, r)


@case(
    "S17",
    "site",
    "data/local_sources.yaml not YAML",
    "registry stats",
    "exit 1: not valid YAML (line …)",
)
def _(ctx):
    (ctx.root / "data/local_sources.yaml").write_text(
        "sources: [\n- id: x\n  : :\n", encoding="utf-8"
    )
    r = ctx.cnai("registry", "stats")
    (ctx.root / "data/local_sources.yaml").unlink()
    return verdict(expect(r, 1, "not valid YAML"), r)


@case(
    "S18", "site", "data/local_sources.yaml a list", "registry stats", "exit 1: expected a mapping"
)
def _(ctx):
    (ctx.root / "data/local_sources.yaml").write_text("- a\n- b\n", encoding="utf-8")
    r = ctx.cnai("registry", "stats")
    (ctx.root / "data/local_sources.yaml").unlink()
    return verdict(expect(r, 1, "expected a mapping"), r)


@case(
    "S19",
    "site",
    "data/local_sources.yaml in Latin-1 (new)",
    "registry stats",
    "exit 1, one line naming the file",
)
def _(ctx):
    (ctx.root / "data/local_sources.yaml").write_bytes(
        "sources:\n- id: caf\xe9\n".encode("latin-1")
    )
    r = ctx.cnai("registry", "stats")
    (ctx.root / "data/local_sources.yaml").unlink()
    return verdict(r.rc == 1 and "local_sources.yaml" in r.text, r)


@case(
    "S20",
    "site",
    "data/raw read-only (chmod; skipped for root)",
    "chmod -R a-w data/raw; data verify",
    "exit 0 with a warning that the stamp cannot be written",
)
def _(ctx):
    if os.geteuid() == 0:
        return True, "skipped: root ignores file modes (covered by tests/test_messages.py)"
    raw = ctx.root / "data/raw"
    subprocess.run(["chmod", "-R", "a-w", str(raw)])
    try:
        r = ctx.cnai("data", "verify")
    finally:
        subprocess.run(["chmod", "-R", "u+w", str(raw)])
    return verdict(expect(r, 0, "cannot write"), r)


@case("S21", "site", "data status", "data status", "exit 0, table")
def _(ctx):
    r = ctx.cnai("data", "status")
    return verdict(r.rc == 0, r)


@case("S22", "site", "data hash of a missing file", "data hash nope.docx", "exit 1/2, one line")
def _(ctx):
    r = ctx.cnai("data", "hash", "nope.docx")
    return verdict(r.rc in (1, 2) and "nope.docx" in r.text, r)


# ================================================================ G. messages and parameters


def _param(ctx, rid, *ps, rc=2, needle=""):
    args = ["reports", "build", "--only", rid, "--out", ctx.work / "params"]
    for p in ps:
        args += ["-p", p]
    r = ctx.cnai(*args, timeout=300)
    return verdict(r.rc == rc and needle in r.text and r.secs < 120, r, r.first(needle or None))


PARAMS = [
    ("compute", ["n_samples=0"], "outside"),
    ("compute", ["n_samples=abc"], "n_samples"),  # wrong type (new)
    ("compute", ["n_samples=1.5"], "n_samples"),  # float for an int (new)
    ("compute", ["n_samples=true"], "n_samples"),  # bool for an int (new)
    ("compute", ["pue=-1.0"], "outside"),
    ("compute", ["pue=1e999"], "finite"),  # inf spelled as a float literal (new)
    ("compute", ["pue=.nan"], "finite"),
    ("compute", ["training_flop=nan"], "finite"),
    ("compute", ["nope=1"], "nope"),  # unknown parameter (new)
    ("compute", ["n_samples"], "n_samples"),  # no '=' (new)
    ("compute", ["=5"], "="),  # no name (new)
    ("registry-deep_synthesis", ["registry=null"], "must be str"),
    ("registry-deep_synthesis", ["registry=all"], "not one of"),
    ("registry-deep_synthesis", ["registry=123"], "registry"),  # int for a str (new)
    ("registry-deep_synthesis", ["batch_from=2024-13"], "does not match"),
    ("registry-deep_synthesis", ["batch_from=2026-03", "batch_to=2025-01"], "after"),
    ("registry-deep_synthesis", ["registry=[deep_synthesis]"], "registry"),  # list for a str (new)
    ("geo-deep_synthesis", ["hubs=[]"], "at least 1"),
    ("geo-deep_synthesis", ["hubs=notalist"], "hubs"),  # str for a list (new)
    ("monetization", ["labs=[]"], "at least 1"),
    ("monetization", ["cash_definition=cash"], "not one of"),
    ("batch-deep_synthesis", ["batch=2025-13"], "does not match"),
]
for _i, (_rid, _ps, _needle) in enumerate(PARAMS, start=1):
    case(
        f"M-p{_i:02d}",
        "messages",
        f"-p {' -p '.join(_ps)} for {_rid}",
        f"reports build --only {_rid} " + " ".join(f"-p {p!r}" for p in _ps),
        f"exit 2 before any kernel: parameter error ('{_needle}')",
    )(lambda ctx, a=_rid, b=_ps, c=_needle: _param(ctx, a, *b, needle=c))


@case(
    "M01",
    "messages",
    "LANG=C / ASCII terminal, registry add --dry-run",
    "PYTHONIOENCODING=ascii LC_ALL=C registry add LIST --dry-run",
    "escapes instead of UnicodeEncodeError; exit 0",
)
def _(ctx):
    f = ds_list(ctx, "m01.docx")
    r = ctx.cnai(
        "registry",
        "add",
        f,
        "--dry-run",
        env={"PYTHONIOENCODING": "ascii", "LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0"},
    )
    return verdict(r.rc == 0 and "UnicodeEncodeError" not in r.text, r)


@case(
    "M02",
    "messages",
    "LANG=C registry stats and reports list",
    "LC_ALL=C registry stats; reports list",
    "exit 0, no UnicodeEncodeError",
)
def _(ctx):
    env = {"PYTHONIOENCODING": "ascii", "LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0"}
    r = ctx.cnai("registry", "stats", env=env)
    lst = ctx.cnai("reports", "list", env=env)
    return verdict(r.rc == 0 and lst.rc == 0 and "UnicodeEncodeError" not in r.text + lst.text, r)


@case(
    "M03",
    "messages",
    "a filer named =HYPERLINK(…) in the CSV download",
    "registry add LIST (a filer '=HYPERLINK(…)'); reports build --only compute --out DIR",
    "every CSV cell starting with = written with a leading '",
)
def _(ctx):
    evil = '=HYPERLINK("http://evil.example","点我")'

    def inject(d, t):
        t.rows[2].cells[3].text = evil

    f = ds_list(ctx, "m03.docx", mutate=inject)
    a = ctx.cnai("registry", "add", f, "--force")
    out = ctx.work / "m03-site"
    b = ctx.cnai("reports", "build", "--only", "compute", "--out", out, timeout=900)
    bad, seen = [], 0
    for csvf in out.rglob("*.csv"):
        txt = csvf.read_text(encoding="utf-8", errors="replace")
        if "HYPERLINK" in txt:
            seen += 1
            for line in txt.splitlines():
                if "HYPERLINK" in line and (
                    "," + evil[:10] in line or line.startswith(evil[:10]) or '"' + evil[:10] in line
                ):
                    bad.append(csvf.name)
    ok = a.rc == 0 and b.rc == 0 and seen > 0 and not bad
    return verdict(ok, b, f"CSVs with the filer: {seen}, unsafe: {sorted(set(bad))[:3]}")


@case(
    "M04",
    "messages",
    "registry search with regex characters and an empty query (new)",
    "registry search '.*[' ; registry search ''",
    "no traceback; exit 0 or a one-line refusal",
)
def _(ctx):
    r = ctx.cnai("registry", "search", ".*[")
    r2 = ctx.cnai("registry", "search", "")
    return verdict(r.rc in (0, 1) and r2.rc in (0, 1, 2) and clean(r2), r)


@case("M05", "messages", "registry stats --json", "registry stats --json", "valid JSON")
def _(ctx):
    r = ctx.cnai("registry", "stats", "--json")
    try:
        json.loads(r.out)
        ok = True
    except ValueError:
        ok = False
    return verdict(r.rc == 0 and ok, r, "valid JSON" if ok else "not JSON")


@case(
    "M06",
    "messages",
    "registry add of a missing file / a folder / a .pdf",
    "registry add nope.docx; registry add data/; registry add x.pdf",
    "exit 1 each, one line naming the file",
)
def _(ctx):
    pdf = ctx.work / "in" / "x.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    rs = [
        ctx.cnai("registry", "add", p, "--dry-run")
        for p in (ctx.work / "nope.docx", ctx.root / "data", pdf)
    ]
    ok = all(r.rc in (1, 2) and clean(r) for r in rs)
    return ok, "; ".join(f"exit {r.rc}: {r.first()[:60]}" for r in rs)


@case(
    "M07",
    "messages",
    "a 0-byte .docx and a truncated real list",
    "registry add empty.docx; registry add half.docx",
    "exit 1: not a readable Word (.docx) file",
)
def _(ctx):
    e = ctx.work / "in" / "empty.docx"
    e.write_bytes(b"")
    h = ctx.work / "in" / "half.docx"
    b = real_ds(ctx).read_bytes()
    h.write_bytes(b[: len(b) // 2])
    rs = [ctx.cnai("registry", "add", p, "--dry-run") for p in (e, h)]
    ok = all(r.rc == 1 and "not a readable Word" in r.text and clean(r) for r in rs)
    return ok, "; ".join(f"exit {r.rc}: {r.first()[:70]}" for r in rs)


@case(
    "M08",
    "messages",
    "a zip bomb .docx",
    "registry add bomb.docx --dry-run",
    "exit 1: compression ratio … refusing to parse it",
)
def _(ctx):
    f = ctx.work / "in" / "bomb.docx"
    src = ds_list(ctx, "m08-src.docx")
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "word/document.xml":
                data = data.replace(b"<w:body>", b"<w:body>" + b" " * 8_000_000, 1)
            zout.writestr(item, data)
    r = _dry(ctx, f)
    return verdict(expect(r, 1, "compression ratio"), r)


@case(
    "M09",
    "messages",
    "a file name with spaces and Chinese characters",
    "registry add '新 清单 (副本).docx' --dry-run",
    "exit 0",
)
def _(ctx):
    f = ds_list(ctx, "新 清单 (副本).docx")
    r = _dry(ctx, f)
    return verdict(r.rc == 0, r)


@case(
    "M10",
    "messages",
    "an unknown command and option",
    "cnai registry frobnicate; cnai reports build --frob",
    "exit 2, usage line",
)
def _(ctx):
    r = ctx.cnai("registry", "frobnicate")
    r2 = ctx.cnai("reports", "build", "--frob")
    return verdict(r.rc == 2 and r2.rc == 2 and clean(r2), r)


@case(
    "M11",
    "messages",
    "--jobs and --timeout of the wrong type or 0",
    "reports build --jobs 0 / --jobs two / --timeout 0",
    "exit 2 each",
)
def _(ctx):
    rs = [
        ctx.cnai("reports", "build", *a, "--out", ctx.work / "m11")
        for a in (["--jobs", "0"], ["--jobs", "two"], ["--timeout", "0"])
    ]
    return all(r.rc == 2 and clean(r) for r in rs), "; ".join(f"exit {r.rc}" for r in rs)


@case(
    "M12",
    "messages",
    "a generative-AI xlsx of random bytes",
    "registry add x.xlsx --dry-run",
    "exit 1: not a readable Excel (.xlsx) file",
)
def _(ctx):
    f = ctx.work / "in" / "x.xlsx"
    f.write_bytes(os.urandom(4000))
    r = _dry(ctx, f)
    return verdict(expect(r, 1, "not a readable Excel"), r)


@case(
    "M13",
    "messages",
    "registry add --json dry run",
    "registry add LIST --dry-run --json",
    "valid JSON with rows",
)
def _(ctx):
    f = ds_list(ctx, "m13.docx")
    r = _dry(ctx, f, "--json")
    try:
        ok = json.loads(r.out)["rows"] == 12
    except (ValueError, KeyError, TypeError):
        ok = False
    return verdict(r.rc == 0 and ok, r, "valid JSON, 12 rows" if ok else r.first())


# ---------------------------------------------------------------- driver


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True, type=Path)
    ap.add_argument("--only", action="append", default=[])
    ap.add_argument("--table", type=Path, default=HERE / "RESULTS.md")
    ap.add_argument("--work", type=Path, default=Path("/tmp/cnai-hostile"))
    a = ap.parse_args()
    root = a.root.resolve()
    origin = subprocess.run(
        ["git", "-C", str(root), "config", "remote.origin.url"], capture_output=True, text=True
    ).stdout.strip()
    if not origin or str(root).startswith("/work/shared"):
        sys.exit(f"refusing to run on {root}: not a clone (no remote origin); use a fresh clone")
    if not (root / ".venv/bin/python").exists() or not (root / "data/processed").exists():
        sys.exit(f"{root}: install and build the registry first (make install && make registry)")
    shutil.rmtree(a.work, ignore_errors=True)
    ctx = Ctx(root, a.work)
    before = ctx.problems()
    if before:
        sys.exit(f"{root} is not clean before the pass: {before}")
    ctx.snapshot()
    rows = []
    selected = [c for c in CASES if not a.only or any(fnmatch.fnmatch(c[0], p) for p in a.only)]
    for cid, area, what, command, expected, fn in selected:
        t0 = time.monotonic()
        try:
            ok, observed = fn(ctx)
        except Exception as e:  # a case that crashed is a failure of the case, reported
            ok, observed = False, f"case error: {type(e).__name__}: {e}"[:200]
        left = ctx.problems()
        if left:
            ok, observed = False, f"{observed}; LEFT: {'; '.join(left)[:200]}"
        ctx.restore()
        if ctx.problems():
            ctx.cnai("registry", "build")
        mark = "pass" if ok else "FAIL"
        print(f"{mark} {cid} [{time.monotonic() - t0:.0f} s] {what}: {observed}", flush=True)
        rows.append((cid, area, what, command, expected, observed, mark))
    write_table(a.table, rows, merge=bool(a.only))
    fails = sum(r[-1] == "FAIL" for r in rows)
    print(f"{len(rows)} cases, {len(rows) - fails} pass, {fails} fail -> {a.table}")
    return 1 if fails else 0


def esc(s: str) -> str:
    return str(s).replace("|", "\\|").replace("\n", " ")


def write_table(path: Path, rows, merge: bool) -> None:
    old = {}
    if merge and path.exists():  # a partial rerun updates its rows, keeps the others
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("| ") and not line.startswith("| case") and "---" not in line[:8]:
                old[line.split(" | ")[0][2:]] = line
    new = {r[0]: "| " + " | ".join(esc(x) for x in r) + " |" for r in rows}
    order = [c[0] for c in CASES]
    lines = [new.get(c) or old.get(c) for c in order if new.get(c) or old.get(c)]
    n = len(lines)
    fails = sum(ln.endswith("| FAIL |") for ln in lines)
    head = [
        "# Hostile pass (issue 29): results",
        "",
        f"Generated by `bench/hostile/hostile.py` on a clean clone; {n} cases, "
        f"{n - fails} pass, {fails} fail. Observed: exit code, seconds, the first line of the "
        "output (or what the check found).",
        "",
        "| case | area | what | command | expected | observed | result |",
        "|---|---|---|---|---|---|---|",
    ]
    path.write_text("\n".join([*head, *lines]) + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
