# sanctionwatch: two commands for a fresh machine -- `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_OUT ?= out/demo
DEMO_STORE ?= out/demo/sanctionwatch.duckdb
REAL_OUT ?= out/real
REAL_INPUTS := tests/data/ais/solent-stonesoup/SolentAIS_20160112_130211.csv \
	tests/data/ais/dma-gothenburg-cpa/ais_dk_cpa.gpkg \
	tests/data/ais/marinecadastre-boston-2014/ais.gpkg \
	tests/data/ais/aisdb-testdata/test_data_20211101.nm4 \
	tests/data/ais/marinecadastre-20220103/AIS_2022_01_03_first99999.parquet
SW := $(BIN)/sanctionwatch
# Third-party browser assets of the web UI (package.json / package-lock.json), copied out of
# node_modules by the set-up; git-ignored, served by the package under /static/vendor/.
VENDOR := src/sanctionwatch/web/static/vendor
VENDOR_STAMP := $(VENDOR)/.installed

.PHONY: demo demo-real test lint typecheck unit fuzz install clean bench-matching bench-detection bench-peers bench-nmea bench-scale bench-real bench-throughput bench-web bench-cashout

# The web UI's assets are an order-only prerequisite: made when missing or older than the
# lock file, without forcing a reinstall of the venv.
$(STAMP): pyproject.toml constraints.txt | $(VENDOR_STAMP)
	$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python >= 3.11 is required")'
	@# PyICU (needed by followthemoney's normality) builds against the system ICU headers.
	@pkg-config --exists icu-uc 2>/dev/null || { \
	  echo "installing the Debian packages PyICU builds with: libicu-dev pkg-config g++"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq libicu-dev pkg-config g++; \
	  else sudo apt-get install -y -qq libicu-dev pkg-config g++; fi; }
	@# Headless Chromium prints the evidence dossiers to PDF and PNG (`report vessel --pdf`, tests/evidence).
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium (PDF and PNG dossiers)"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium; fi; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

$(VENDOR_STAMP): package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { \
	  echo "installing Debian's nodejs and npm (the web UI's MapLibre and Natural Earth assets)"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq nodejs npm; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq nodejs npm; fi; }
	npm ci --no-audit --no-fund --loglevel=error
	rm -rf $(VENDOR)
	mkdir -p $(VENDOR)/maplibre-gl $(VENDOR)/world-atlas $(VENDOR)/topojson-client
	cp node_modules/maplibre-gl/dist/maplibre-gl-csp.js node_modules/maplibre-gl/dist/maplibre-gl-csp-worker.js \
	  node_modules/maplibre-gl/dist/maplibre-gl.css node_modules/maplibre-gl/LICENSE.txt $(VENDOR)/maplibre-gl/
	cp node_modules/world-atlas/land-50m.json node_modules/world-atlas/countries-50m.json \
	  node_modules/world-atlas/LICENSE $(VENDOR)/world-atlas/
	cp node_modules/topojson-client/dist/topojson-client.min.js node_modules/topojson-client/LICENSE \
	  $(VENDOR)/topojson-client/
	touch $(VENDOR_STAMP)

install: $(STAMP)

# The whole story on the shipped dprk-2019 scenario: simulate (deterministic), load the UN 1718
# vessel list, detect, show what was found, score it against the planted truth, rank the vessels
# by risk, estimate petroleum deliveries and fishing days, and write the evidence dossier of
# one planted STS tanker.
demo: $(STAMP)
	rm -rf $(DEMO_OUT)
	$(SW) simulate --scenario dprk-2019 --seed 1 --out $(DEMO_OUT)/scenario
	$(SW) lists load tests/data/sanctions/un_1718_vessels/un_1718_vessels_2020-06-04.csv --store $(DEMO_STORE)
	$(SW) detect $(DEMO_OUT)/scenario/ais.csv --out $(DEMO_OUT) --store $(DEMO_STORE) --show 10
	$(SW) events --store $(DEMO_STORE) --type encounter --type loitering --type ais_gap --type spoofing --type identity_change
	$(SW) events --store $(DEMO_STORE) --type port_call --dprk
	$(SW) evaluate --events $(DEMO_OUT) --labels $(DEMO_OUT)/scenario/labels.parquet
	@# Refined-petroleum deliveries to DPRK ports against the cap, and fishing days in DPRK waters.
	$(SW) petroleum --store $(DEMO_STORE) --out $(DEMO_OUT)/petroleum
	$(SW) fishing-days --store $(DEMO_STORE) --out $(DEMO_OUT)/fishing_days.csv
	@# The dossier of a planted STS tanker of seed 1 (UNITY PYONG 24, alongside the listed JI SONG 6).
	$(SW) alerts --store $(DEMO_STORE) --limit 10
	$(SW) report vessel 416407614 --out $(DEMO_OUT)/dossier-416407614.html --store $(DEMO_STORE) --pdf

# The same job on the real AIS samples shipped for the tests.
demo-real: $(STAMP)
	rm -rf $(REAL_OUT)
	$(SW) detect $(REAL_INPUTS) --out $(REAL_OUT) --store $(REAL_OUT)/sanctionwatch.duckdb

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks scripts

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -n 2 -q

test: lint typecheck unit

# Longer fuzzing of every parser (tests/fuzz/README.md): a thousand examples a test at random
# seeds and more kills of `detect`; FUZZ_PENDING=1 adds the tests of defects not yet fixed.
fuzz: $(STAMP)
	SANCTIONWATCH_FUZZ=long SANCTIONWATCH_PENDING=$(FUZZ_PENDING) $(BIN)/pytest -n 2 -q tests/fuzz

# nomenklatura (the matching peer) pins duckdb < 2, so its benchmark runs in a venv of its own.
BENCH_VENV := .venv-bench
$(BENCH_VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(BENCH_VENV)/bin/python -m pip install --quiet -e '.[bench]'
	touch $(BENCH_VENV)/.installed

bench-matching: $(BENCH_VENV)/.installed
	$(BENCH_VENV)/bin/python benchmarks/name_matching.py

# movingpandas (the gap / stop peer) also lives in the benchmark venv.
bench-peers: $(BENCH_VENV)/.installed
	$(BENCH_VENV)/bin/python -m pip install --quiet movingpandas
	$(BENCH_VENV)/bin/python benchmarks/peers.py

# Precision on the real samples against the committed review set (docs/real-review.md).
bench-real: $(STAMP)
	$(BIN)/python benchmarks/real_review/bench.py

bench-nmea: $(STAMP)
	$(BIN)/python benchmarks/nmea_decode.py --sentences 1000000 --repeat 5

# About 20 minutes (1 M, 10 M and 49 M one-day inputs, generated once into /tmp/swbench; median of 3 runs).
bench-scale: $(STAMP)
	$(BIN)/python benchmarks/scale.py --sizes 1M,10M,50M --engines auto,memory,local --memory-max 10M --dask-sizes 1M,10M --repeats 3 --json benchmarks/results/scale.json

# Issue 15's targets on realistic inputs (raw NMEA 2.1 M lines, DMA and MarineCadastre CSV 2 M
# rows, MarineCadastre Parquet 2.2 M and 10.9 M rows; generated once into /tmp/swthroughput),
# detect with the memory and auto engines against pyais / pyarrow in the same run, median of 3.
# BEFORE=/path/to/other/src adds that checkout's code, interleaved, for a before/after ratio.
bench-throughput: $(STAMP)
	$(BIN)/python benchmarks/throughput.py --repeats 3 $(if $(BEFORE),--before $(BEFORE))

# About 13 minutes: a 1 M-event store generated once into /tmp/swbench-web, 60 s in-process peer,
# 60 s of 8 HTTP clients, then the rest of a 600 s run with the server's memory sampled every second.
bench-web: $(STAMP)
	$(BIN)/python benchmarks/web_load.py --events 1000000 --clients 8 --measure-s 60 --long-s 600

# ATM cash-out (issue 18): P/R over 5 seeds x 3 volumes, throughput against pyarrow.csv, and
# a 60 M-row log under a 4 GiB address-space limit (logs generated once into /tmp/swcashout).
bench-cashout: $(STAMP)
	$(BIN)/python benchmarks/cashout.py

bench-detection: $(STAMP)
	$(BIN)/python benchmarks/detection_quality.py

clean:
	rm -rf $(VENV) $(BENCH_VENV) out node_modules $(VENDOR) .pytest_cache .mypy_cache .ruff_cache
