# Two commands do all set-up: `make book` builds the site, `make test` runs the tests.
# Each creates the virtual environment .venv/ first if it is missing or out of date.
# BACKEND picks the Keras backend (tensorflow, jax or torch; KERAS_BACKEND works too) and installs
# it; TESTS narrows what `make test` runs (default: everything pyproject.toml lists).
# `make test` runs every notebook with its training budgets cut to one epoch (COURSE_EPOCHS=1, unless
# set): a check that every cell runs. `make book` runs them at their full budget, where every claim
# the text makes is checked and a claim that does not hold stops the build.
PYTHON ?= python3
BACKEND ?= $(or $(KERAS_BACKEND),tensorflow)
TESTS ?=
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export KERAS_BACKEND := $(BACKEND)
export TF_CPP_MIN_LOG_LEVEL ?= 2

.PHONY: book book-student test venv clean

book: $(STAMP) $(VENV)/.backend-$(BACKEND)
	$(BIN)/jupyter-book build . --builder html -W -n --keep-going

# The same site without the exercises' solutions (lib/student_edition.py), for a class.
book-student: $(STAMP) $(VENV)/.backend-$(BACKEND)
	$(BIN)/python -m lib.student_edition _build/student_src
	$(BIN)/jupyter-book build _build/student_src --path-output _build/student --builder html -W -n --keep-going

test: $(STAMP) $(VENV)/.backend-$(BACKEND)
	COURSE_EPOCHS=$${COURSE_EPOCHS:-1} $(BIN)/python -m pytest $(TESTS)

venv: $(STAMP)

$(STAMP): requirements.txt constraints.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -c constraints.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

# TensorFlow comes with requirements.txt (it also serves the data through tf.data); JAX and
# PyTorch are installed when a command asks for them.
$(VENV)/.backend-tensorflow: $(STAMP)
	touch $@

$(VENV)/.backend-%: requirements-%.txt $(STAMP)
	$(BIN)/python -m pip install --quiet -r $< -c constraints.txt
	touch $@

clean:
	rm -rf _build
