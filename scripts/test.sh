#!/usr/bin/env bash
# The test command: install and start the services the tests need (scripts/services.sh: Debian
# packages, Redis, PostgreSQL), install both packages (editable) with their test dependencies into
# .venv at the versions of constraints.txt, type-check both packages, then run the whole test suite
# (contract suite on SQLite, Redis and PostgreSQL; fault tests; packaging and supervisor tests;
# marketplace jobs; admin API and browser tests). Skipped tests are listed with their reason.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/services.sh

# A .venv left without pip (an interrupted first run) is made again rather than reused.
.venv/bin/python -m pip --version >/dev/null 2>&1 || python3 -m venv --clear .venv
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -c constraints.txt -e ".[test]" -e ./marketplace
# A .venv made before the engine and the marketplace were split loses the `hubjobs` script when
# pip replaces the old combined distribution: put it back.
[ -x .venv/bin/hubjobs ] || .venv/bin/python -m pip install -q --force-reinstall --no-deps -e .

.venv/bin/mypy --strict src/hubjobs marketplace/src/sequencehub
exec .venv/bin/python -m pytest -q -rs -p no:cacheprovider "$@"
