# Everything from a fresh machine: `make demo` and `make test` create .venv and install what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test check install build validate docs bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/exoreason infer --cargo miR-155

test: demo
	$(BIN)/python -m pytest -q

# Lint, types and the doctests (what CI runs beside the tests).
check: $(STAMP)
	$(BIN)/ruff check src tests bench docs examples notebooks/execute.py
	$(BIN)/mypy src
	$(BIN)/python -m pytest -q --doctest-modules src/exoreason -p no:cacheprovider

build: $(STAMP)
	$(BIN)/exoreason build

validate: $(STAMP)
	$(BIN)/exoreason validate

docs: $(STAMP)
	$(BIN)/python docs/refresh.py

bench: $(STAMP)
	$(BIN)/python bench/bench_startup.py
	$(BIN)/python bench/bench_sparql.py
	$(BIN)/python bench/bench_fit.py

clean:
	rm -rf $(VENV) build dist .pytest_cache
