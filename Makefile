# The two commands of the README: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test install install-test lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

demo: export DOTDIGITAL_API_URL = http://127.0.0.1:8025
demo: install
	@mkdir -p var
	DEBUG=1 $(BIN)/python manage.py migrate --no-input -v 0
	@echo ""
	@echo "Marketing Back-office demo: http://127.0.0.1:8000/"
	@DEBUG=1 $(BIN)/python manage.py create_demo_users
	@echo "Health: http://127.0.0.1:8000/health/   Stop everything with Ctrl-C."
	@echo ""
	@echo "Dotdigital sandbox API: $$DOTDIGITAL_API_URL  (Username and Password for the integration form; Client ID"
	@echo "and Client Secret key too, for Marketing > Dotdigital > Email Studio):"
	@DEBUG=1 $(BIN)/python manage.py dotdigital_sandbox --seed 1 --print-credentials
	@echo ""
	DEBUG=1 PYTHONUNBUFFERED=1 $(BIN)/honcho -f Procfile.demo start

# Django's deployment checks with production-like settings (made-up, test-only keys): any warning fails `make test`.
DEPLOY_CHECK_ENV := DEBUG=0 BEHIND_PROXY=1 ALLOWED_HOSTS=backoffice.example.com \
	SECRET_KEY=make-test-only-secret-key-3f9c1a7e5b2d8046c9e1f7a3b5d2c8e0a4f6b1d9 \
	FIELD_ENCRYPTION_KEY=bWFrZS10ZXN0LW9ubHktZmllbGQta2V5LTMyYnl0ZXM=

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(DEPLOY_CHECK_ENV) $(BIN)/python manage.py check --deploy --fail-level WARNING

test: lint
	$(BIN)/pytest -n 2

clean:
	rm -rf $(VENV) var test-artifacts
