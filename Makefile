# Lotty task runner. The README names two targets: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install demo serve test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## create .venv and install Lotty with its dev tools

demo: install ## seed ./data with a demo scenario and traffic (prints the admin key once), then serve it
	$(BIN)/lotty demo

serve: install ## serve an existing data dir
	$(BIN)/lotty serve

test: install ## lint, type-check and run the whole test suite (what CI runs)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest

lint: install ## ruff and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: install ## every benchmark, beside its baseline (installs wrk, a Debian package, when missing)
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/lotty bench decide
	$(BIN)/lotty bench ingest
	$(BIN)/lotty bench report
	$(BIN)/lotty bench guardrails

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .hypothesis
