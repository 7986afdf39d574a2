# Two commands from a fresh clone: `make book` and `make test`. See README for the plain commands.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NOTEBOOKS := $(sort $(wildcard chapters/*.ipynb))
JB_STRICT := -W -n --keep-going
# The Chinese edition (_config.zh.yml, locales/zh_CN/): built into _build/html/zh. README, "The Chinese edition".
I18N := $(BIN)/python -m booktools.i18n
# One thread per process: `make test` runs two notebooks at a time on two workers, and the stored
# outputs are produced (`make execute`) and checked under the same setting.
export OMP_NUM_THREADS := 1

.PHONY: book test unit nbval strict-book execute lab student clean translations

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -r requirements.txt
	$(BIN)/python -m pip install --no-deps -e .
	touch $(STAMP)

book: $(STAMP)
	$(BIN)/jupyter-book build .
	$(I18N) build
	@echo "The book is at $(CURDIR)/_build/html/index.html"
	@echo "The Chinese edition is at $(CURDIR)/_build/html/zh/index.html"

# Strict book build first (the browser test reads _build/html), then every test and notebook.
test: $(STAMP)
	$(BIN)/jupyter-book build . $(JB_STRICT)
	$(I18N) build --strict
	$(BIN)/python -m pytest tests chapters --nbval --nbval-current-env \
		--nbval-sanitize-with tests/sanitize.cfg -n 2 --dist loadscope -p no:cacheprovider

execute: $(STAMP)
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace $(NOTEBOOKS)

lab: $(STAMP)
	$(BIN)/jupyter lab chapters

student: $(STAMP)
	$(BIN)/python -m ghostedu student chapters -o student

# After a change to the English text: extract its messages, update locales/zh_CN/LC_MESSAGES/*.po
# (changed messages marked fuzzy) and print what is left to translate, per document.
translations: $(STAMP)
	$(I18N) update

clean:
	rm -rf _build student
