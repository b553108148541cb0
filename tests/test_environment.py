"""pyproject.toml and environment.yml declare the same dependencies with the same lower bounds."""

import re
import tomllib

import yaml

from cnai_helpers import paths

# conda-forge names that differ from PyPI names
CONDA_TO_PYPI = {"python-duckdb": "duckdb"}
NOT_PACKAGES = {"python", "pip"}


def _split(spec: str) -> tuple[str, str]:
    m = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", spec)
    assert m, spec
    return m.group(1).lower().replace("_", "-"), m.group(2).replace(" ", "")


def pyproject_deps() -> dict[str, str]:
    doc = tomllib.loads((paths.ROOT / "pyproject.toml").read_text())
    specs = doc["project"]["dependencies"] + doc["project"]["optional-dependencies"]["dev"]
    return dict(_split(s) for s in specs)


def environment_deps() -> dict[str, str]:
    doc = yaml.safe_load((paths.ROOT / "environment.yml").read_text())
    out: dict[str, str] = {}
    for dep in doc["dependencies"]:
        items = dep["pip"] if isinstance(dep, dict) else [dep]
        for item in items:
            if item.startswith("-e"):
                continue
            name, ver = _split(item.split("#")[0])
            name = CONDA_TO_PYPI.get(name, name)
            if name not in NOT_PACKAGES:
                out[name] = ver
    return out


def test_same_packages_and_bounds():
    py, env = pyproject_deps(), environment_deps()
    assert set(py) == set(env), (
        f"only in pyproject: {sorted(set(py) - set(env))}; "
        f"only in environment.yml: {sorted(set(env) - set(py))}"
    )
    diff = {k: (py[k], env[k]) for k in py if py[k] != env[k]}
    assert not diff, f"version bounds differ (pyproject, environment.yml): {diff}"


def test_design_card_packages_declared():
    py = pyproject_deps()
    for pkg in ("jupyterlab", "pandas", "seaborn", "papermill", "nbconvert", "nbmake"):
        assert pkg in py, pkg


def test_environment_installs_project():
    text = (paths.ROOT / "environment.yml").read_text()
    assert "- -e ." in text
