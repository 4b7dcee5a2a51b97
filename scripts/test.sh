#!/usr/bin/env bash
# Sets up (scripts/setup.sh) and runs the whole test suite: cargo test, rustfmt, clippy, ruff
# (lint and format), pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
(cd rustbpe && cargo test --quiet)
# Style gates: rustfmt and clippy come with rustup's default profile; a bare cargo may lack them.
if (cd rustbpe && cargo fmt --version >/dev/null 2>&1); then (cd rustbpe && cargo fmt --check); fi
if (cd rustbpe && cargo clippy --version >/dev/null 2>&1); then
    (cd rustbpe && cargo clippy --all-targets --quiet -- -D warnings)
else
    echo "note: cargo clippy not installed; skipping the Rust lint" >&2
fi
.venv/bin/ruff check .
.venv/bin/ruff format --check .
set +e
.venv/bin/python -m pytest "$@"
rc=$?
set -e
# pytest exits 5 when it collected no test: that is a failure here, never a silent pass.
if [ "$rc" -eq 5 ]; then echo "error: pytest collected no tests" >&2; exit 1; fi
exit "$rc"
