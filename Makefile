# p1gen: every target creates its own virtual environment on first use.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
P1GEN := $(VENV)/bin/p1gen
STAMP := $(VENV)/.installed

.PHONY: demo test bench check system-deps clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

## make demo: the whole installation simulated live (Ctrl-C to stop)
demo: $(STAMP)
	$(P1GEN) demo $(ARGS)

## make test: every test, on CPython and under the MicroPython unix port
test: $(STAMP) system-deps
	$(PY) -m pytest $(PYTEST_ARGS)

## make bench: every benchmark, printed (about 30 minutes; `p1gen bench WHAT` runs one)
BENCHES ?= telegram sources control web runtime mqtt
bench: $(STAMP)
	@for what in $(BENCHES); do echo "== p1gen bench $$what"; $(P1GEN) bench $$what || exit 1; echo; done
	@for what in provision update; do echo "== tests/host/bench_$$what.py"; $(PY) tests/host/bench_$$what.py || exit 1; echo; done

## make check: compile every firmware file with mpy-cross and type-check it with pyright
check: $(STAMP)
	$(PY) tools/check_firmware.py

system-deps:
	@bash tools/system-deps.sh

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .hypothesis
