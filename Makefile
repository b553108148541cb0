# cnai — the two fresh-machine commands are `make reports` and `make test` (see README.md).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.cnai-installed
JOBS ?= 2
# pytest workers (pytest-xdist): the real site builds on one while the others run the rest;
# three on two cores fill the time a worker waits on a kernel, the browser or a subprocess
# (measured on a quiet machine: bench/README.md, CI time, sixth pass)
TEST_WORKERS ?= 3

.PHONY: install sysdeps data registry reports test lint lab clean bench screenshots

# pip byte-compiles what it installs: keep it (with PYTHONDONTWRITEBYTECODE set, as on this
# machine, `--no-compile` makes every process compile every module it imports, every time)
$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name cnai --display-name "Python (cnai)"
	touch $(STAMP)

# the project's own modules byte-compiled too (installed editable, pip does not): with
# PYTHONDONTWRITEBYTECODE set, every kernel, report worker and `cnai` process compiled them
# again (~0.2 s of CPU per small site build; bench/README.md, CI time, seventh pass). Up-to-date
# files are skipped; a module edited later is compiled in memory, as before, until the next run.
install: $(STAMP)
	$(BIN)/python -m compileall -q cnai_helpers

sysdeps:
	scripts/install-system-deps.sh

data: install
	$(BIN)/cnai data pull

registry: data
	$(BIN)/cnai registry build

reports: sysdeps registry
	$(BIN)/cnai reports build --jobs $(JOBS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check cnai_helpers tests bench

test: sysdeps registry lint
	CI=$${CI:-true} $(BIN)/python -m pytest tests -n $(TEST_WORKERS)

# full-page screenshots of the built site at both widths, for a person to look at (tests assert
# nothing on them, so `make test` does not take them): artifacts/screenshots/
screenshots: reports
	CNAI_SCREENSHOTS=1 CNAI_SITE_UNDER_TEST=reports $(BIN)/python -m pytest -q \
		tests/test_site_full.py::test_every_page_reads_as_a_publication tests/test_browser.py tests/test_explorer.py

lab: registry
	$(BIN)/jupyter lab notebooks

bench: registry
	$(BIN)/python bench/bench_registry.py
	$(BIN)/python bench/bench_reports.py
	$(BIN)/python bench/bench_explorer.py

clean:
	rm -rf data/processed reports/*/ reports/index.html
