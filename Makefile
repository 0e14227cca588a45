# Two entry points (see README): `make demo` runs the main job, `make test` the whole test suite.
# Each bootstraps .venv with the pinned stack on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test setup clean

setup: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "dlgrader needs Python 3.11, found " + sys.version.split()[0]'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e ".[test]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/dlgrader demo

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 -p no:cacheprovider tests

clean:
	rm -rf demo-course logs gradebook.db autograded submitted feedback exchange grades.csv
