# The single entry point. `make run` and `make test` work on a fresh machine with Python 3.11.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: run test lint fmt bench lock messages clean

$(STAMP): requirements.lock pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found: install Python 3.11"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

# The web server and the embedded job worker (ADR 0004); Ctrl+C stops both.
run: $(STAMP)
	$(BIN)/retour setup --demo
	$(BIN)/retour worker & worker=$$!; trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	  PORT=$(PORT) $(BIN)/retour serve

# Lint, then the whole suite on the database DATABASE_URL names (SQLite when unset).
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/retour makemigrations --check --dry-run
	$(BIN)/python -m pytest
	@if [ -z "$$DATABASE_URL" ]; then \
	  echo "Ran on SQLite. PostgreSQL run skipped: set DATABASE_URL=postgres://postgres@127.0.0.1:5432/retour and run 'make test' again (.ci/run does both)."; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/lint-imports

fmt: $(STAMP)
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python bench/run.py

messages: $(STAMP)
	cd src/retour && ../../$(BIN)/retour makemessages -l fr -l en && ../../$(BIN)/retour compilemessages

# Regenerate the lock file after changing pyproject.toml (needs uv: pip install uv).
lock:
	uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 -o requirements.lock

clean:
	rm -rf $(VENV) var .pytest_cache
