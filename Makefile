# clsdata: `make run` (set up + ingest the fixtures), `make test` (set up + pass the tests).
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export PREFECT_HOME ?= $(CURDIR)/.prefect

.PHONY: setup native ocr geo browser run guide review test lint schema bench bench-quick clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "clsdata: $(PYTHON) not found (Python 3.11 is required)" >&2; exit 2; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python requirements.lock pyproject.toml
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	$(BIN)/python -c "import spacy; spacy.load('fr_core_news_sm')" 
	touch $(STAMP)

GEO := node_modules/@etalab/decoupage-administratif/package.json

setup: $(STAMP) ocr native geo  ## create .venv and install the pinned dependencies (idempotent)

geo: $(GEO)  ## official geography (npm @etalab/decoupage-administratif, pinned in package-lock.json)

$(GEO): package.json package-lock.json $(STAMP)
	@command -v npm >/dev/null 2>&1 || { \
	  echo "clsdata: installing Debian's nodejs and npm (apt-get) for the official geography data"; \
	  { [ "$$(id -u)" = 0 ] && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm; } || \
	  { command -v sudo >/dev/null && sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm; } || \
	  { echo "clsdata: could not install npm; install it (apt-get install nodejs npm) and re-run" >&2; exit 2; }; }
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	$(BIN)/python -c "from warehouse import geo; print('clsdata: official geography', geo.data_version())"
	touch $(GEO)

native: $(STAMP)  ## compile the C helpers of the PDFium backend now (else on first use; ADR 0010)
	@$(BIN)/python -c "from pipeline import native; import sys; sys.exit(0 if all([native.library('pdfium_chars'), native.library('words')]) else print('clsdata: no C compiler: the PDFium backend runs its Python reference, ~3x slower (apt-get install gcc)', file=sys.stderr))"

ocr:  ## Tesseract with French data for scanned pages (Debian packages; installed when missing)
	@{ command -v tesseract >/dev/null 2>&1 && tesseract --list-langs 2>/dev/null | grep -qx fra; } || { \
	  echo "clsdata: installing Tesseract OCR with French (apt-get install tesseract-ocr tesseract-ocr-fra)"; \
	  { [ "$$(id -u)" = 0 ] && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tesseract-ocr tesseract-ocr-fra; } || \
	  { command -v sudo >/dev/null && sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tesseract-ocr tesseract-ocr-fra; } || \
	  { echo "clsdata: could not install Tesseract; run: sudo apt-get install tesseract-ocr tesseract-ocr-fra (without it, scanned pages are not read and image-only documents are quarantined)" >&2; exit 2; }; }

run: setup  ## ingest fixtures/ into warehouse/cls.duckdb through the Prefect flow and print the summary
	$(BIN)/clsdata run --source fixtures --db warehouse/cls.duckdb

browser:  ## Debian's Chromium for the review page's browser test (no browser download at run time)
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  echo "clsdata: installing Debian's chromium (apt-get) for the browser test"; \
	  { [ "$$(id -u)" = 0 ] && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } || \
	  { command -v sudo >/dev/null && sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } || \
	  { echo "clsdata: could not install chromium; install it (apt-get install chromium) and re-run" >&2; exit 2; }; }

guide: run  ## rewrite docs/analyst-guide.md's answers from the warehouse `make run` builds (review the diff)
	$(BIN)/python -m warehouse.guide warehouse/cls.duckdb --write

review: setup  ## the review page on http://127.0.0.1:8765 (fixtures/)
	$(BIN)/clsdata review --fixtures fixtures --port 8765

test: setup browser  ## the whole test suite
	$(BIN)/python -m pytest

lint: setup  ## ruff + mypy
	$(BIN)/ruff check pipeline schemas warehouse flows clsdata review report tests
	$(BIN)/mypy

bench: setup  ## the benchmark suite (~1 h at full size): bench/results.json and bench/results.md
	$(BIN)/python scripts/bench.py
	$(BIN)/python scripts/bench_extract.py
	$(BIN)/python scripts/bench_views.py
	$(BIN)/python scripts/bench_rerun.py

bench-quick: setup  ## the same suite at small sizes (~5 min)
	$(BIN)/python scripts/bench.py --quick

schema: setup  ## re-export schemas/contract_extraction.schema.json from the pydantic models
	$(BIN)/python -m schemas.export

clean:
	rm -rf $(VENV) .pytest_cache warehouse/cls.duckdb .prefect node_modules
