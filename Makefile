# Two commands for a fresh machine: `make demo` and `make test`. Everything installs into .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO := demo

.PHONY: demo test bench bench-models bench-seeds lint corpus clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# An editable install leaves the package's bytecode to its first import, which never writes it
# where PYTHONDONTWRITEBYTECODE is set (this machine): every start would compile some 60
# modules (0.2 s of a daemon's cold start). BYTECODE compiles what changed, as pip would.
BYTECODE := $(BIN)/python -m compileall -q dirigent bridge

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[map]'
	$(BYTECODE)
	touch $@

$(VENV)/.installed-dev: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev,clap,demucs]'
	$(BYTECODE)
	touch $@

demo: $(VENV)/.installed
	rm -rf $(DEMO)
	$(BIN)/dirigent demo-kit $(DEMO)/kit
	$(BIN)/dirigent --db $(DEMO)/stems.duckdb ingest $(DEMO)/kit
	$(BIN)/dirigent --db $(DEMO)/stems.duckdb stems
	$(BIN)/dirigent --db $(DEMO)/stems.duckdb search "dark punchy kick, not distorted" --top-k 5
	$(BIN)/python scripts/demo_session.py --db $(DEMO)/stems.duckdb

test: $(VENV)/.installed-dev
	scripts/fetch_liblo_tools.sh .cache/liblo
	$(BIN)/python -m pytest -q

bench: $(VENV)/.installed-dev
	$(BYTECODE)
	$(BIN)/python benchmarks/bench_ingest.py
	$(BIN)/python benchmarks/bench_search.py
	$(BIN)/python benchmarks/bench_osc.py
	$(BIN)/python benchmarks/bench_mutate.py

# The relevance figures of the category model trained with SEEDS seeds (scikit-learn).
SEEDS ?= 4
bench-seeds: $(VENV)/.installed-train
	$(BIN)/python benchmarks/bench_category_seeds.py --seeds $(SEEDS)

$(VENV)/.installed-train: $(VENV)/.installed-dev
	$(BIN)/pip install --quiet -e '.[train]'
	touch $@

# CLAP and Demucs speed on each device torch sees (random weights, real architectures).
bench-models: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/bench_models.py

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check dirigent bridge ableton_remote_script tests benchmarks scripts
	$(BIN)/ruff format --check dirigent bridge ableton_remote_script tests benchmarks scripts

# Debian's lmms-common samples, for development and the corpus tests (not committed).
corpus:
	scripts/fetch_debian_samples.sh .cache/debian lmms-common hydrogen-drumkits hydrogen-data \
		avldrums.lv2-soundfont fluid-soundfont-gm sonic-pi-samples timgm6mb-soundfont

clean:
	rm -rf $(VENV) $(DEMO) .pytest_cache
