# Two commands on a fresh machine: `make demo` and `make test`. `make ui` opens Dagster on the same data.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# uv installs the lock file's exact versions: 35 s from a cold cache where pip took 99 s from a warm one.
# --compile-bytecode writes every package's .pyc once: where PYTHONDONTWRITEBYTECODE is set (this
# machine, CI) Python otherwise compiles dagster, dbt and pandas from source in every process: 4.5 s
# of the code location's 8 s load, 1.4 s of every dbt start.
UV := uv==0.13.9
# Dagster reads the dbt manifest; it is built here, never when the code location loads.
MANIFEST := dbt_project/target/manifest.json
DBT_SOURCES := $(shell find dbt_project/dbt_project.yml dbt_project/profiles.yml dbt_project/models \
                 dbt_project/macros dbt_project/seeds dbt_project/tests -type f 2>/dev/null)
P20_HOME ?= $(CURDIR)/data
export P20_HOME
DEMO_PERSONS ?= 20000
DEMO_SEED ?= 2026

.PHONY: setup browser demo test test-slow ui bench bench-statewide lock clean

$(STAMP): requirements.lock pyproject.toml
	command -v java >/dev/null || (apt-get update -qq && apt-get install -y -qq openjdk-17-jre-headless)  # Spark engine
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet $(UV)
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $@

# A full parse: dbt 1.11's partial parse drops the singular tests' YAML descriptions (their asset
# checks' descriptions in Dagster) when a macro or docs block changes.
$(MANIFEST): $(STAMP) $(DBT_SOURCES)
	rm -f dbt_project/target/partial_parse.msgpack
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/dagster-dbt project prepare-and-package --file p20_platform/transform.py
	touch $@

setup: $(STAMP) $(MANIFEST) browser

# Headless Chromium prints the documents to PDF and drives the page tests; pdftoppm checks the PDFs.
# Installed from Debian's packages only when missing (CI runs as root on a fresh machine).
browser:
	@if command -v chromium >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium poppler-utils >/dev/null; \
	else echo "headless Chromium or pdftoppm missing: run 'sudo apt-get install chromium poppler-utils'" \
	  "(PDFs and the page tests need them)"; fi

demo: setup
	$(BIN)/p20 synth --persons $(DEMO_PERSONS) --seed $(DEMO_SEED) --out $(P20_HOME) --demo-faults
	$(BIN)/p20 pet-key
	$(BIN)/p20 materialize --with-evaluation

test: setup
	$(BIN)/ruff check .
	cd dbt_project && ../$(BIN)/sqlfluff lint models macros tests --processes 2
	$(BIN)/pytest -q -n 2

# Tests that take minutes of full runs (tests marked slow: the kill chain of `p20 materialize`).
test-slow: setup
	$(BIN)/pytest -q -m slow

ui: setup
	$(BIN)/p20 ui

bench: setup
	$(BIN)/python -m bench

# Landing files to published report for STATEWIDE_PERSONS persons: bench/results/statewide_[spark_]<N>.json
STATEWIDE_PERSONS ?= 1200000
STATEWIDE_ENGINE ?= duckdb
bench-statewide: setup
	nice -n 10 $(BIN)/python -m bench.statewide --persons $(STATEWIDE_PERSONS) --engine $(STATEWIDE_ENGINE)

# Re-resolve the pinned dependency set in a scratch virtualenv and write requirements.lock.
lock:
	rm -rf /tmp/p20-lock && $(PYTHON) -m venv /tmp/p20-lock
	/tmp/p20-lock/bin/pip install --quiet --upgrade pip
	/tmp/p20-lock/bin/pip install --quiet -e '.[dev]'
	(echo "# Exact versions for a fresh machine: regenerate with \`make lock\` after changing pyproject.toml."; \
	 /tmp/p20-lock/bin/pip freeze --exclude-editable) > requirements.lock

clean:
	rm -rf $(VENV) data
