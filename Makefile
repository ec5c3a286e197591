# Two commands on a fresh machine: `make demo` and `make test`. `make ui` opens Dagster on the same data.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Dagster reads the dbt manifest; it is built here, never when the code location loads.
MANIFEST := dbt_project/target/manifest.json
DBT_SOURCES := $(shell find dbt_project/dbt_project.yml dbt_project/profiles.yml dbt_project/models \
                 dbt_project/macros dbt_project/seeds dbt_project/tests -type f 2>/dev/null)
P20_HOME ?= $(CURDIR)/data
export P20_HOME
DEMO_PERSONS ?= 20000
DEMO_SEED ?= 2026

.PHONY: setup demo test ui bench lock clean

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(MANIFEST): $(STAMP) $(DBT_SOURCES)
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/dagster-dbt project prepare-and-package --file p20_platform/transform.py
	touch $@

setup: $(STAMP) $(MANIFEST)

demo: setup
	$(BIN)/p20 synth --persons $(DEMO_PERSONS) --seed $(DEMO_SEED) --out $(P20_HOME)
	$(BIN)/p20 pet-key
	$(BIN)/p20 materialize

test: setup
	$(BIN)/ruff check .
	cd dbt_project && ../$(BIN)/sqlfluff lint models macros tests --processes 2
	$(BIN)/pytest -q -n 2

ui: setup
	$(BIN)/p20 ui

bench: setup
	$(BIN)/python -m bench

# Re-resolve the pinned dependency set in a scratch virtualenv and write requirements.lock.
lock:
	rm -rf /tmp/p20-lock && $(PYTHON) -m venv /tmp/p20-lock
	/tmp/p20-lock/bin/pip install --quiet --upgrade pip
	/tmp/p20-lock/bin/pip install --quiet -e '.[dev]'
	(echo "# Exact versions for a fresh machine: regenerate with \`make lock\` after changing pyproject.toml."; \
	 /tmp/p20-lock/bin/pip freeze --exclude-editable) > requirements.lock

clean:
	rm -rf $(VENV) data
