"""Does `cnai registry add` give the tables of a full build? On the real data: a copy of the
project without one real list (``BENCH_ADD_SOURCE``, default the 2026-05 deep-synthesis list) is
built, the list is added with `cnai registry add`, and the tables it wrote are compared
(bench/compare_tables.py: every parquet table exactly, every DuckDB table's types and rows) with
those of `cnai registry build --force` of the same sources with an empty parse cache.
Exit status 1 on any difference. ``python bench/check_add.py``."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("BENCH_ADD_SOURCE", "cac_ds_2026_05")
sys.path.insert(0, str(Path(__file__).parent))
import bench_registry  # noqa: E402
import compare_tables  # noqa: E402


def main() -> int:
    cnai = str(bench_registry.BIN / "cnai")
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        root, new_list = bench_registry.project(tmp)
        env = {**os.environ, "CNAI_ROOT": str(root), "PYTHONPATH": str(bench_registry.ROOT)}
        env.pop("CNAI_RESULTS", None)

        def cli(*args: str) -> None:
            subprocess.run([cnai, "registry", *args], env=env, check=True)

        cli("build", "--force")
        cli("add", str(new_list))
        added = tmp / "added"
        shutil.copytree(root / "data/processed", added)
        shutil.rmtree(root / "data/cache")
        cli("build", "--force")
        print(f"{bench_registry.ADD_ID}: `registry add` against a full build with an empty cache")
        return compare_tables.main(added, root / "data/processed")


if __name__ == "__main__":
    sys.exit(main())
