# Two entry points for a fresh machine: `make demo` and `make test`.
# Both create the virtual environment from the exact pins in requirements.lock.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo docs browser test test-long lint pytest clean setup-spark test-spark

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip==26.3
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(BIN)/tsw demo

docs: setup
	$(BIN)/tsw docs

# Headless Chromium for the dashboard's browser test: Debian's package (playwright drives
# it; playwright's own browser download is never used). Skipped when already installed;
# without root the browser test is skipped instead.
browser:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; \
	else echo "chromium missing and not root: the browser test will be skipped (apt-get install chromium)"; fi

lint: setup
	$(BIN)/sqlfluff lint models macros analyses tests

# `make test` runs every test but those marked `long` (a week of nightly builds, the
# 20-kill-point test: over 20 minutes on 2 cores), which `make test-long` runs; CI runs both.
pytest: setup browser
	$(BIN)/pytest -m "not long and not spark"

test-long: setup
	$(BIN)/pytest -m long

# lint and pytest run side by side: pytest keeps about 1.3 of the 2 cores busy on average
# (dbt's Python between queries), so the single-threaded lint fits in the gaps.
test: setup browser
	$(MAKE) --no-print-directory -j2 lint pytest

clean:
	rm -rf $(VENV) target logs dbt_packages warehouse

# The same project on Spark (README, "When one machine is not enough"): dbt-spark's session
# method on a local PySpark, pinned in requirements-spark.lock and kept out of
# requirements.lock (pyspark is ~450 MB), so `make setup` stays fast. Needs a JDK 17.
SPARK_STAMP := $(VENV)/.installed-spark

$(SPARK_STAMP): $(STAMP) requirements-spark.lock
	$(BIN)/python -m pip install --quiet -r requirements-spark.lock
	touch $(SPARK_STAMP)

setup-spark: $(SPARK_STAMP)

# The demo seeds built on DuckDB and on local Spark, metrics_daily and metrics_periodic
# compared cell by cell (tests/python/test_spark_parity.py).
test-spark: setup-spark
	$(BIN)/pytest -m spark tests/python/test_spark_parity.py
