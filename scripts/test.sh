#!/usr/bin/env bash
# The test command: install everything into .venv, start the services, type-check the engine,
# then run the whole test suite (contract suite on SQLite, Redis and PostgreSQL; fault tests;
# marketplace jobs; admin API and browser tests).
set -euo pipefail
cd "$(dirname "$0")/.."

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e ".[test]"

bash scripts/services.sh

.venv/bin/mypy --strict src/hubjobs
exec .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
