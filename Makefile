# Two entry points for a fresh machine: `make demo` and `make test`.
# Both create the virtual environment from the exact pins in requirements.lock.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test lint pytest clean

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip==26.3
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(BIN)/tsw demo

lint: setup
	$(BIN)/sqlfluff lint models macros analyses tests

pytest: setup
	$(BIN)/pytest

test: lint pytest

clean:
	rm -rf $(VENV) target logs dbt_packages warehouse
