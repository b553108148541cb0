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


def test_a_report_worker_and_a_notebook_skip_the_imports_they_never_use():
    """What each report's worker process and kernel pay at start (issue 28: the test suite
    starts ~150 of them): no rfc3987-syntax grammars (jsonschema's `iri` formats, ~1.8 s of
    CPU: jsonschema is kept below 4.25, see the next test), no pandera (~1 s) until a table is validated, no seaborn and scipy.stats (~1.3 s),
    even once the theme is set (seaborn's theme written out: tests/test_plotting.py checks it
    against seaborn's). A notebook is still read and checked against nbformat's schema, a
    table still validated by pandera."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import cnai_helpers.reports.build, cnai_helpers.loaders, papermill, nbconvert\n"
        "import cnai_helpers.plotting\n"
        "import nbformat\n"
        "nb = nbformat.read(sys.argv[1], as_version=4)\n"
        "nbformat.validate(nb)\n"
        "print(sys.modules.get('rfc3987_syntax', 'absent'), 'pandera' in sys.modules)\n"
        "print('seaborn' in sys.modules, 'scipy.stats' in sys.modules)\n"
        "from cnai_helpers import metadata\n"
        "metadata.schema('claims')\n"
        "print('pandera' in sys.modules)\n"
        "cnai_helpers.plotting.set_theme()\n"
        "import matplotlib as mpl\n"
        "print('seaborn' in sys.modules, 'scipy.stats' in sys.modules, mpl.rcParams['axes.grid'])\n"
    )
    nb = next(paths.NOTEBOOKS.glob("*.ipynb"))
    r = subprocess.run([sys.executable, "-c", code, str(nb)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == [
        "absent",
        "False",
        "False",
        "False",
        "True",
        "False",
        "False",
        "True",
    ], r.stdout


def test_a_report_page_renders_without_pandas(tmp_path):
    """A report worker renders its page without importing pandas or pandera (~0.7 s of CPU in
    each worker process): the claims the page tests come from the build's main process
    (``page["claim_articles"]``), and a page with a verdict reads its claim's committed reading
    without the claims table."""
    import json
    import subprocess
    import sys

    import nbformat

    from tests.test_site_render import PROV, _nb_with_verdict

    nbformat.write(_nb_with_verdict(), tmp_path / "nb.ipynb")
    (tmp_path / "prov.json").write_text(json.dumps(PROV))
    code = (
        "import json, sys\n"
        "import nbformat\n"
        "from cnai_helpers.reports.render import render_report\n"
        "nb = nbformat.read(sys.argv[1], as_version=4)\n"
        "prov = json.loads(open(sys.argv[2]).read())\n"
        "html, _ = render_report(nb, prov, {'title': 'G', 'claim_articles': []})\n"
        "print('Read as' in html, 'pandas' in sys.modules, 'pandera' in sys.modules)\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "nb.ipynb"), str(tmp_path / "prov.json")],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["True", "False", "False"], r.stdout


def test_nbformat_imports_without_the_iri_grammar():
    """jsonschema 4.25+ with rfc3987-syntax builds a Lark parser when imported (~1.4 s of CPU in
    every process that imports nbformat: each build, its fork server, each test worker); the
    pin in pyproject.toml keeps it out of the environment. Checked without cnai_helpers
    imported first: the reports' fork server imports papermill and nbformat before any of the
    project's modules (a guard in cnai_helpers/__init__.py, before the pin, never reached it)."""
    import subprocess
    import sys

    code = "import sys, nbformat; print('rfc3987_syntax' in sys.modules, 'lark' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"], out.stdout
