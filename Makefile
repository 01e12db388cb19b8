# Two commands do all set-up themselves: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/iedsl run rules/ seeds/

test: $(STAMP)
	$(BIN)/ruff check ie_dsl tests benchmarks
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check ie_dsl tests benchmarks

# The long fuzz campaign (docs/fuzzing.md): IEDSL_FUZZ_EXAMPLES per property (default 10000),
# IEDSL_FUZZ_SECONDS to keep going with fresh seeds for that long.
.PHONY: fuzz
fuzz: $(STAMP)
	$(BIN)/python tests/fuzz_long.py

# iedsl against spaCy's matchers on Reuters-21578 (docs/performance.md); on demand, never in
# `make test`. Flags: make bench BENCH_FLAGS="--quick" (or --cases, --runs, --work, ...).
bench: $(STAMP)
	$(BIN)/python benchmarks/bench.py $(BENCH_FLAGS)

clean:
	rm -rf $(VENV) build dist *.egg-info
