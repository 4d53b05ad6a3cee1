# Dockyard: the two commands are `make demo` and `make test`; both run `make setup` first.
.PHONY: setup demo test test-fast bench lint

setup:
	@bash scripts/setup.sh

demo: setup
	@bash scripts/demo.sh

test: setup
	.venv/bin/pytest

test-fast: setup
	.venv/bin/pytest -m "not slow"

bench: setup
	.venv/bin/python bench/cli_startup.py

lint:
	.venv/bin/ruff check src tests bench
	.venv/bin/mypy
