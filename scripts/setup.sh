#!/usr/bin/env bash
# Creates .venv (with uv when available, else pip), installs bertbench in editable mode with
# its dev extras, and builds the native tokenizer module. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo >/dev/null || { echo "error: Rust toolchain (cargo) not found; install it from rustup.rs" >&2; exit 1; }
PY=${PYTHON:-python3}
if ! command -v uv >/dev/null; then
  "$PY" -m pip install --quiet uv || true
fi
if command -v uv >/dev/null; then
  [ -x .venv/bin/python ] || uv venv --quiet --python "$PY" .venv
  VIRTUAL_ENV=$PWD/.venv uv pip install --quiet -e ".[${EXTRAS:-dev}]"
else
  [ -x .venv/bin/python ] || "$PY" -m venv .venv
  .venv/bin/pip install --quiet -e ".[${EXTRAS:-dev}]"
fi
