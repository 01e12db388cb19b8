# Two commands do all set-up themselves: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint bench clean system

# Two tests need programs from the system, and fail, never skip, without them: the report's
# browser test (tests/test_report_browser.py) drives Debian's Chromium through its
# ChromeDriver, and tests/test_spark.py starts Spark, which runs on a Java runtime. `make test`
# installs what is missing (apt-get, as root or with passwordless sudo), else says what to install.
CHROMIUM     := /usr/bin/chromium
CHROMEDRIVER := /usr/bin/chromedriver

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/iedsl run rules/ seeds/

test: $(STAMP) system
	$(BIN)/ruff check ie_dsl tests benchmarks
	$(BIN)/python -m pytest -q

system:
	@missing=""; \
	[ -x $(CHROMIUM) ] || missing="$$missing chromium"; \
	[ -x $(CHROMEDRIVER) ] || missing="$$missing chromium-driver"; \
	command -v java >/dev/null 2>&1 || missing="$$missing default-jre-headless"; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then sudo=""; \
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; \
	else \
		echo "make test: missing:$$missing (tests/test_report_browser.py needs Chromium and its driver, tests/test_spark.py a Java runtime)." >&2; \
		echo "make test: install them, e.g. 'sudo apt-get install$$missing', then run make test again." >&2; \
		exit 1; \
	fi; \
	if ! command -v apt-get >/dev/null 2>&1; then \
		echo "make test: no apt-get here: install$$missing (Chromium as $(CHROMIUM), its driver as $(CHROMEDRIVER), java on PATH), then run make test again." >&2; \
		exit 1; \
	fi; \
	echo "make test: installing$$missing for the browser and Spark tests (apt-get)" >&2; \
	$$sudo apt-get update -qq && \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing

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

# Generated files, each from its one source: the editors' TextMate grammar from
# grammar/iedsl.lark (editors/README.md), and the golden stage dumps of tests/golden (docs/testing.md).
.PHONY: editors golden
editors: $(STAMP)
	$(BIN)/python -m ie_dsl.tools.textmate editors/iedsl.tmLanguage.json

golden: $(STAMP)
	$(BIN)/python tests/test_golden.py --update

clean:
	rm -rf $(VENV) build dist *.egg-info
