# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
# Both create .venv with Python 3.13 (Lambda's runtime) and install the project on first use.
PYTHON_VERSION := 3.13
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# Find a Python 3.13: pyenv's (PYENV_VERSION=3.13.0 on these machines), then python3.13 on PATH.
PY313 := $(shell PYENV_VERSION=3.13.0 pyenv which python 2>/dev/null || command -v python3.13 2>/dev/null)

.PHONY: demo test lint dev build clean

export SAM_CLI_TELEMETRY := 0

$(STAMP): pyproject.toml layers/common/requirements.txt
	@if [ -z "$(PY313)" ]; then \
	  echo "storelink needs Python $(PYTHON_VERSION) (the Lambda runtime)."; \
	  echo "Install it with 'pyenv install 3.13.0' or your package manager (python3.13), then run make again."; \
	  exit 1; fi
	@[ -x $(BIN)/python ] || $(PY313) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m storelink_local.demo

dev: $(STAMP)
	$(BIN)/python -m storelink_local.dev

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	# Every handler is a module named app, so each is checked on its own.
	for handler in functions/*/app.py; do $(BIN)/mypy $$handler || exit 1; done
	$(BIN)/cfn-lint template.yaml
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/sam validate --lint --template template.yaml --region us-east-1

build: $(STAMP)
	# --language-extensions: the alarms in template.yaml are Fn::ForEach loops (docs/operations.md).
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/sam build --language-extensions --template template.yaml

clean:
	rm -rf $(VENV) .aws-sam .pytest_cache .mypy_cache .ruff_cache
