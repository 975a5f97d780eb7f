# Warta: `make run` serves the sample archive, `make test` runs the tests.
PYTHON ?= python3.11
VENV   ?= .venv
BIN     = $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000
export WARTA_DATA_DIR ?= $(CURDIR)/data
RUNS   ?= 3
SCALE  ?= 10
BEFORE ?= main

.PHONY: run test lint bench venv clean soak soak-hour watch-soak quality bench-web bench-search bench-cli bench-relevance bench-index bench-updates bench-scale stemmer-eval

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

# One hour, an update every minute: the server's RSS/USS over time (does it level off?).
soak-hour: venv
	$(BIN)/python bench/soak.py --hour --clients 32

# Every benchmark and quality script (needs ../shared; tens of minutes).
bench: bench-index bench-updates bench-search bench-cli bench-relevance bench-web stemmer-eval quality

# The benchmarks below need ../shared (the news archive, FacQA) and write bench/out/.
# Web as users meet it: 1,000 first-seen queries from 16 clients, USS per worker,
# then wrk's mix for 30 s (needs `wrk`). `bench/load.py` alone: the wrk mix only.
bench-web: venv
	$(BIN)/python bench/bench_web.py --queries 1000 --clients 16 --seconds 30

# Search latency as users meet it: first-seen and repeated queries through a fresh
# `warta serve` and `warta search` processes (`--breakdown`: in-process, beside FTS5).
bench-search: venv
	$(BIN)/python bench/bench_search.py

# `warta search` in a fresh process: this tree beside BEFORE (a git revision, default main),
# 40 first-seen queries each, interleaved with `warta --version`; wall and CPU medians.
bench-cli: venv
	$(BIN)/python bench/cli_start.py --before $(BEFORE)

# Search relevance: MRR@10 and Recall@10 on facqa and IndoSum, with an ablation.
bench-relevance: venv
	$(BIN)/python bench/relevance.py

# `warta import`, `warta index build` (cold, warm) and `update` as processes on a fresh
# data dir, beside the lean FTS5 baseline in the same run (minutes; RUNS=3).
bench-index: venv
	$(BIN)/python bench/bench_index.py --runs $(RUNS)

# SCALE times the archive as new, distinct articles, through the real commands
# (SCALE=10: ~254k articles, about half an hour; SCALE=40: hours). Not part of `make bench`.
bench-scale: venv
	$(BIN)/python bench/scale_archive.py --scale $(SCALE)

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
