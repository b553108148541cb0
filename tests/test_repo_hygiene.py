"""Repository rules: notebooks without outputs, no raw data in git, README's two commands."""

import json
import subprocess

from cnai_helpers import paths


def tracked_files() -> list[str]:
    out = subprocess.run(["git", "ls-files"], cwd=paths.ROOT, capture_output=True, text=True)
    return out.stdout.splitlines()


def test_notebooks_committed_without_outputs():
    nbs = sorted(paths.NOTEBOOKS.glob("*.ipynb"))
    assert nbs, "no notebooks found"
    dirty = []
    for nb in nbs:
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        for c in cells:
            if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count")):
                dirty.append(nb.name)
                break
    assert not dirty, f"strip outputs from: {dirty} (jupyter nbconvert --clear-output --inplace)"


def test_notebooks_have_parameters_cell_and_project_kernel():
    for nb in sorted(paths.NOTEBOOKS.glob("*.ipynb")):
        doc = json.loads(nb.read_text(encoding="utf-8"))
        tags = [c.get("metadata", {}).get("tags", []) for c in doc["cells"]]
        assert any("parameters" in t for t in tags), f"{nb.name}: no cell tagged 'parameters'"
        assert doc["metadata"]["kernelspec"]["name"] == "cnai", nb.name


def test_no_raw_data_tracked():
    tracked = tracked_files()
    assert not [f for f in tracked if f.startswith("data/raw/")]
    assert not [f for f in tracked if f.endswith((".docx", ".parquet", ".duckdb"))]


def test_readme_opens_with_the_two_commands():
    text = (paths.ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("```bash", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands == ["make reports", "make test"]
    makefile = (paths.ROOT / "Makefile").read_text()
    assert "\nreports:" in makefile and "\ntest:" in makefile
