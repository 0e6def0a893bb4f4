# The two commands: `make run` serves the playground, `make test` runs every test.
# Both create .venv on first use and install the pinned requirements into it.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test bench clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

run: $(VENV)/.installed
	$(PY) -m backend --host $(HOST) --port $(PORT)

test: $(VENV)/.installed
	$(PY) -m pytest

bench: $(VENV)/.installed
	$(PY) -m bench.engine
	$(PY) -m bench.load
	$(PY) -m bench.operations
	$(PY) -m bench.startup

clean:
	rm -rf $(VENV) .pytest_cache
