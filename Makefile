# Two commands do all set-up: `make book` builds the site, `make test` runs the tests.
# Each creates the virtual environment .venv/ first if it is missing or out of date.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export TF_CPP_MIN_LOG_LEVEL ?= 2

.PHONY: book book-student test venv clean

book: $(STAMP)
	$(BIN)/jupyter-book build . --builder html -W -n --keep-going

# The same site without the exercises' solutions (lib/student_edition.py), for a class.
book-student: $(STAMP)
	$(BIN)/python -m lib.student_edition _build/student_src
	$(BIN)/jupyter-book build _build/student_src --path-output _build/student --builder html -W -n --keep-going

test: $(STAMP)
	$(BIN)/python -m pytest

venv: $(STAMP)

$(STAMP): requirements.txt constraints.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -c constraints.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

clean:
	rm -rf _build
