# sanctionwatch: two commands for a fresh machine -- `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_OUT ?= out/demo
DEMO_STORE ?= out/demo/sanctionwatch.duckdb
DEMO_INPUTS := tests/data/ais/solent-stonesoup/SolentAIS_20160112_130211.csv \
	tests/data/ais/dma-gothenburg-cpa/ais_dk_cpa.gpkg \
	tests/data/ais/marinecadastre-boston-2014/ais.gpkg \
	tests/data/ais/aisdb-testdata/test_data_20211101.nm4 \
	tests/data/ais/marinecadastre-20220103/AIS_2022_01_03_first99999.parquet

.PHONY: demo test lint typecheck unit install clean bench-matching bench-detection

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python >= 3.11 is required")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	rm -rf $(DEMO_OUT)
	$(BIN)/sanctionwatch detect $(DEMO_INPUTS) --out $(DEMO_OUT) --store $(DEMO_STORE)
	$(BIN)/sanctionwatch events --store $(DEMO_STORE) --type spoofing --type encounter --type ais_gap --limit 20

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks scripts

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -n 2 -q

test: lint typecheck unit

# nomenklatura (the matching peer) pins duckdb < 2, so its benchmark runs in a venv of its own.
BENCH_VENV := .venv-bench
$(BENCH_VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(BENCH_VENV)/bin/python -m pip install --quiet -e '.[bench]'
	touch $(BENCH_VENV)/.installed

bench-matching: $(BENCH_VENV)/.installed
	$(BENCH_VENV)/bin/python benchmarks/name_matching.py

bench-detection: $(STAMP)
	$(BIN)/python benchmarks/detection_quality.py

clean:
	rm -rf $(VENV) $(BENCH_VENV) out .pytest_cache .mypy_cache .ruff_cache
