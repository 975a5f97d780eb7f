# Warta: `make run` serves the sample archive, `make test` runs the tests.
PYTHON ?= python3.11
VENV   ?= .venv
BIN     = $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000
export WARTA_DATA_DIR ?= $(CURDIR)/data

.PHONY: run test lint bench venv clean soak watch-soak quality bench-web bench-search bench-relevance bench-index bench-updates stemmer-eval

# The stamp is newer than setup.cfg when the install is current: no reinstall.
$(BIN)/.installed: setup.cfg pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed (PYTHON=$(PYTHON))."; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

venv: $(BIN)/.installed

run: venv
	$(BIN)/warta -q import examples/seeds
	$(BIN)/warta -q index update 2>/dev/null || $(BIN)/warta -q index build
	$(BIN)/warta serve --host $(HOST) --port $(PORT)

test: venv
	$(BIN)/python -m pytest -q

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Reliability soak (5 minutes, 32 clients, index updates meanwhile); not part of `make test`.
soak: venv
	$(BIN)/python bench/soak.py --seconds $${SOAK_SECONDS:-300} --clients 32

# `warta watch` against three loopback outlets publishing every minute (12 minutes).
watch-soak: venv
	$(BIN)/python bench/newsroom.py --minutes $${WATCH_MINUTES:-12}

# Every benchmark and quality script (needs ../shared; tens of minutes).
bench: bench-index bench-updates bench-search bench-relevance bench-web stemmer-eval quality

# Web load: wrk, 16 clients for 30 s against the 25,427-article index (needs `wrk`).
bench-web: venv
	$(BIN)/python bench/load.py --seconds 30 --clients 16

# Search latency beside SQLite FTS5, then on a 10x archive (built once into bench/out/).
bench-search: venv
	$(BIN)/python bench/bench_search.py

# Search relevance: MRR@10 and Recall@10 on facqa and IndoSum, with an ablation.
bench-relevance: venv
	$(BIN)/python bench/relevance.py

# Index rebuild/update beside an SQLite FTS5 baseline on the 25,427 news articles (minutes).
bench-index: venv
	$(BIN)/python bench/bench_index.py --runs $${RUNS:-3}

# Many small updates in a row (a crawl every few minutes), merges included.
bench-updates: venv
	$(BIN)/python bench/bench_updates.py --updates $${UPDATES:-60}

# Stemmer agreement with the gold pairs, plain Sastrawi vs Warta (protected words).
stemmer-eval: venv
	$(BIN)/python bench/stemmer_eval.py

# HTML normaliser quality on the saved pages in ../shared (not part of `make test`).
quality: venv
	$(BIN)/python bench/normaliser_quality.py

clean:
	rm -rf $(VENV) data *.egg-info
