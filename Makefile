# Two commands matter: `make demo` and `make test` (CI runs `make test`).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
OUT    ?= reports

.PHONY: demo test lint format clean benchmark system-deps lock

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3" >/dev/null
	touch $(STAMP)

## Render the reports from the bundled data: go/no-go on real public data, then go/no-go and
## post-launch review of the generated launch scenario; prints each decision and HTML path.
SCENARIO_GO_LIVE := 2026-03-02T09:00:00Z
demo: $(STAMP)
	$(BIN)/readiness report go-no-go --config data/demo/readiness.yaml --out $(OUT)
	$(BIN)/readiness report go-no-go --config data/scenario/readiness.yaml --out $(OUT)
	$(BIN)/readiness report post-launch --config data/scenario/readiness.yaml \
	    --go-live $(SCENARIO_GO_LIVE) --days 28 --out $(OUT) \
	    --baseline "$$(ls -td $(OUT)/go-no-go_asof-20260302_*/ | grep -v '\.failed/$$' | head -1)run.json"

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

## Re-resolve the newest versions pyproject.toml allows into constraints.txt (run make test after).
lock:
	rm -rf .venv-lock
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/pip install --quiet --upgrade pip
	.venv-lock/bin/pip install --quiet -e '.[dev]'
	{ head -3 constraints.txt; .venv-lock/bin/pip freeze --exclude-editable; } > constraints.txt.new
	mv constraints.txt.new constraints.txt
	rm -rf .venv-lock

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
