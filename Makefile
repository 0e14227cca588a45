# Two entry points (see README): `make demo` runs the main job, `make test` the whole test suite.
# Each bootstraps .venv with the pinned stack on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test setup system-packages clean

setup: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "dlgrader needs Python 3.11, found " + sys.version.split()[0]'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e ".[test]"
	touch $(STAMP)

# DEMO_ARGS: options of `dlgrader demo`, e.g. make demo DEMO_ARGS=--unsafe-no-sandbox where the
# machine cannot create the grading sandbox (no user namespaces).
DEMO_ARGS ?=

demo: $(STAMP)
	$(BIN)/dlgrader demo $(DEMO_ARGS)

# Debian packages the tests use for real: headless Chromium renders the report, PostgreSQL serves a
# gradebook. Installed when missing and apt can run (root); otherwise those tests skip and say why.
system-packages:
	@missing=""; command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
	  { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; } \
	  || echo "note: could not install$$missing; the tests that need it will skip"; fi

test: $(STAMP) system-packages
	$(BIN)/python -m pytest -n 2 --dist loadscope -p no:cacheprovider tests

clean:
	rm -rf demo-course logs gradebook.db autograded submitted feedback exchange grades.csv
