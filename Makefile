# Two commands matter: `make demo` and `make test` (CI runs `make test`).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
OUT    ?= reports

.PHONY: demo test lint format clean benchmark system-deps

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3" >/dev/null
	touch $(STAMP)

## Render the go/no-go report from the bundled real data; prints the decision and the HTML path.
demo: $(STAMP)
	$(BIN)/readiness report go-no-go --config data/demo/readiness.yaml --out $(OUT)

## Install the Debian packages the tests use when missing: prometheus, chromium, poppler-utils
## (needs root, as on CI).
system-deps:
	@sh scripts/install-system-deps.sh

## The whole test suite: lint, type check, unit tests, notebook tests.
test: $(STAMP) system-deps
	$(BIN)/ruff check analytics tests benchmarks
	$(BIN)/ruff format --check analytics tests benchmarks
	$(BIN)/mypy
	$(BIN)/pytest -n 2 --durations=10 --doctest-modules analytics tests
	$(BIN)/pytest --nbval-lax -p no:randomly notebooks

lint: $(STAMP)
	$(BIN)/ruff check analytics tests benchmarks
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format analytics tests benchmarks
	$(BIN)/ruff check --fix analytics tests benchmarks

benchmark: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
