#!/usr/bin/env bash
# Sets up (scripts/setup.sh) and runs the whole test suite: cargo test, ruff, pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
(cd rustbpe && cargo test --quiet)
.venv/bin/ruff check .
set +e
.venv/bin/python -m pytest "$@"
rc=$?
set -e
# pytest exits 5 when it collected no test: that is a failure here, never a silent pass.
if [ "$rc" -eq 5 ]; then echo "error: pytest collected no tests" >&2; exit 1; fi
exit "$rc"
