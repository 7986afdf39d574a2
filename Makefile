# Two commands from a fresh clone: `make book` and `make test`. `make help` lists every target;
# README gives the plain commands behind them.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NOTEBOOKS := $(sort $(wildcard chapters/*.ipynb))
JB_STRICT := -W -n --keep-going
PYTEST := $(BIN)/python -m pytest -p no:cacheprovider
# What ruff lints and formats: the package, the book's tools, tests, benchmarks, the Sphinx
# extension and the notebooks' code (chapters/.ruff.toml keeps notebook lines within 80 columns).
LINTED := ghostedu booktools tests benchmarks _ext chapters
# The Chinese edition (_config.zh.yml, locales/zh_CN/): built into _build/html/zh. README, "The Chinese edition".
I18N := $(BIN)/python -m booktools.i18n
# One thread per process: `make test` runs two notebooks at a time on two workers, and the stored
# outputs are produced (`make execute`) and checked under the same setting.
export OMP_NUM_THREADS := 1

# The classroom targets run nbgrader, which runs alembic from PATH: the venv's bin goes first.
NBGRADER := PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m booktools
COURSE  ?= course
TIMEOUT ?= 600

.PHONY: help book test unit lint format execute lab student release collect autograde feedback gradebook timings \
	translations clean

help:  ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -r requirements.txt
	$(BIN)/python -m pip install --no-deps -e .
	touch $(STAMP)

book: $(STAMP)  ## create .venv if needed and build the HTML book into _build/html
	$(BIN)/jupyter-book build .
	$(I18N) build
	@echo "The book is at $(CURDIR)/_build/html/index.html"
	@echo "The Chinese edition is at $(CURDIR)/_build/html/zh/index.html"

# Lint first (seconds), then the strict book build (the browser test reads _build/html), then every
# test and every notebook under strict nbval.
test: $(STAMP) lint  ## everything CI runs: lint, strict book build, all tests, strict nbval of every notebook
	$(BIN)/jupyter-book build . $(JB_STRICT)
	$(I18N) build --strict
	$(PYTEST) tests chapters --nbval --nbval-current-env \
		--nbval-sanitize-with tests/sanitize.cfg -n 2 --dist loadscope

unit: $(STAMP)  ## the fast tests only (not marked slow; no notebooks, nbgrader, browser, training or built book), under a minute
	$(PYTEST) tests -m "not slow" -n 2

lint: $(STAMP)  ## ruff check and ruff format --check over the code and the notebooks' code
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)

format: $(STAMP)  ## let ruff format the code and fix what it can (then run make lint)
	$(BIN)/ruff format $(LINTED)
	$(BIN)/ruff check --fix $(LINTED)

# So that re-executing a notebook changes only what really changed: no per-cell execution
# timestamps (record_timing=False), and consecutive pieces of printed output joined into one, however
# the kernel happened to flush them (a CoalesceStreamsPreprocessor after the execution).
execute: $(STAMP)  ## re-run every notebook in chapters/ in place (after changing a notebook or ghostedu)
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.record_timing=False \
		--NotebookExporter.preprocessors=nbconvert.preprocessors.CoalesceStreamsPreprocessor $(NOTEBOOKS)

# Students work in the student copies; the chapters hold the solutions.
lab: $(STAMP)  ## open JupyterLab on the student copies (student/) if they exist, else on the chapters
	@if ls student/*.ipynb >/dev/null 2>&1; then $(BIN)/jupyter lab student; else \
		echo "No student copies (make student writes them): opening chapters/, which shows the solutions."; \
		$(BIN)/jupyter lab chapters; fi

student: $(STAMP)  ## write the student copies (nbgrader) to student/; never overwrites a student's work (FORCE=1 does)
	$(NBGRADER) student chapters -o student $(if $(FORCE),--force)

# A class, one nbgrader assignment per chapter, in $(COURSE)/ (see "For teachers").
release: $(STAMP)  ## the student copy of CHAPTER (default: every chapter) in course/release/ to hand out
	$(NBGRADER) course --course $(COURSE) release $(CHAPTER)

collect: $(STAMP)  ## collect CHAPTER's submissions from the folder FROM (without FROM: JupyterHub's exchange)
	$(NBGRADER) course --course $(COURSE) collect $(CHAPTER) $(FROM)

autograde: $(STAMP)  ## grade CHAPTER's collected submissions (TIMEOUT seconds per notebook, default 600)
	$(NBGRADER) course --course $(COURSE) autograde $(CHAPTER) --timeout $(TIMEOUT)

feedback: $(STAMP)  ## write each student's feedback on CHAPTER (HTML: score and hints, no hidden tests)
	$(NBGRADER) course --course $(COURSE) feedback $(CHAPTER)

gradebook: $(STAMP)  ## export the gradebook to grades.csv, one row per student and exercise
	$(NBGRADER) course --course $(COURSE) gradebook -o grades.csv

timings: $(STAMP)  ## time every notebook into chapters/timings.json (on a quiet machine), refresh its page
	$(BIN)/python -m booktools timings chapters -o chapters/timings.json

# After a change to the English text: extract its messages, update locales/zh_CN/LC_MESSAGES/*.po
# (changed messages marked fuzzy) and print what is left to translate, per document.
translations: $(STAMP)  ## update the Chinese catalogs after a change to the English text
	$(I18N) update

# student/ and course/ hold students' work and grades: make never removes them.
clean:  ## remove the built book
	rm -rf _build
