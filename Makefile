# Front door. `make preview` and `make test` are the two commands in the README.
STACK ?= dev
UV := $(shell scripts/ensure-uv.sh)
RUN := $(UV) run --frozen

.PHONY: venv tools preview test lint benchmark

venv:
	$(UV) sync --frozen

tools:
	scripts/install-debian-tools.sh
	scripts/install-node-tools.sh

preview: venv
	$(RUN) python -m offline preview $(STACK)

test: venv tools
	$(RUN) ruff check .
	$(RUN) mypy .
	$(RUN) pytest

lint: venv
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy .

benchmark: venv tools
	$(RUN) python -m benchmarks
