# The two commands: `make run` serves the playground, `make test` runs every test.
# Both create .venv on first use and install the pinned requirements into it; `make test` also installs
# TypeScript's compiler (pinned in package.json) with npm, to check the page's JSDoc types.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
NODE_TOOLS := node_modules/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test bench clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

run: $(VENV)/.installed
	$(PY) -m backend --host $(HOST) --port $(PORT)

# Without npm the type check skips with a reason (under CI it fails: .ci/run installs node and npm).
$(NODE_TOOLS): package.json package-lock.json
	if command -v npm >/dev/null; then npm ci --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm is missing: the page's type check will be skipped (apt-get install nodejs npm)"; fi

test: $(VENV)/.installed $(NODE_TOOLS)
	$(PY) -m pytest

bench: $(VENV)/.installed
	$(PY) -m bench.engine
	$(PY) -m bench.load
	$(PY) -m bench.startup
	$(PY) -m bench.sweep
	$(PY) -m bench.lessons --beside vanishing-gradient more-data
	$(PY) -m bench.convnet
	$(PY) -m bench.convnet_results
	npm ci --prefix bench --no-audit --no-fund --loglevel=error
	$(PY) -m bench.browser_convnet

clean:
	rm -rf $(VENV) .pytest_cache node_modules bench/node_modules
