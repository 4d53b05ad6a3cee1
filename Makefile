# Dockyard: the two commands are `make demo` and `make test`; both run `make setup` first.
.PHONY: setup demo test test-fast bench lint

setup:
	@bash scripts/setup.sh

demo: setup
	@bash scripts/demo.sh

# Two workers (pytest-xdist), each test file in one: most slow tests wait (health gates, cron
# minutes, metric windows), so two files at a time nearly halve the run on 2 cores.
test: setup
	.venv/bin/pytest -n 2 --dist loadfile

test-fast: setup
	.venv/bin/pytest -n 2 --dist loadfile -m "not slow"

bench: setup
	.venv/bin/python bench/cli_startup.py

lint:
	.venv/bin/ruff check src tests bench
	.venv/bin/mypy
