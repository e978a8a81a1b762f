# Vigil: two commands do everything on a fresh machine.
#   make run   creates .venv, installs Vigil and serves on embedded SQLite (data in ./vigil-data)
#   make test  creates .venv, installs the test extras and runs lint, types and the whole suite

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8200
DATA_DIR ?= ./vigil-data

.PHONY: run test lint typecheck unit bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

$(VENV)/.installed-bench: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[bench]'
	touch $@

run: $(VENV)/.installed
	$(BIN)/vigil serve --host $(HOST) --port $(PORT) --data-dir $(DATA_DIR)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check vigil tests bench
	$(BIN)/ruff format --check vigil tests bench

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

test: lint typecheck
	$(BIN)/pytest -n 2

bench: $(VENV)/.installed-bench
	$(BIN)/python bench/encrypt_peers.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
