# kpi-reports: `make demo` sets everything up and runs the main job on the sample team;
# `make test` lints (ruff), type-checks (mypy) and runs the tests. Both install what is missing first.
VENV ?= .venv
PY := $(VENV)/bin/python
KPI := $(VENV)/bin/kpi-reports
SAMPLE := workbooks/sample_team.xlsx
MONTH := 2026-10

.PHONY: demo test setup bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml .ci/install-system-packages
	.ci/install-system-packages
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test]"
	touch $@

demo: setup
	$(KPI) demo $(SAMPLE)
	$(KPI) metrics $(SAMPLE) --as-of 2026-10-31
	$(KPI) check $(SAMPLE) || echo "(check exits 1 when it finds problems: the sample has some on purpose)"
	$(KPI) refresh workbooks/team.xlsm --as-of 2026-10-31
	$(KPI) scorecards $(SAMPLE) --month $(MONTH) --out out
	$(KPI) email $(SAMPLE) --month $(MONTH) --out out --outbox outbox

test: setup
	$(VENV)/bin/ruff check kpi_reports tests benchmarks
	$(VENV)/bin/mypy
	$(PY) -m pytest -n 2 -q

bench: setup
	$(PY) benchmarks/bench_engine.py

clean:
	rm -rf $(VENV) workbooks/*.xlsx workbooks/*.xlsm workbooks/*.py out outbox
