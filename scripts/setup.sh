#!/usr/bin/env bash
# Creates .venv (with uv when available, else pip), installs bertbench in editable mode with
# its dev extras, and builds the native tokenizer module. Safe to run again. Prints a line per
# stage; on a terminal the installer shows its own progress too.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
stage() { echo "setup [$((SECONDS - start))s] $*"; }
command -v cargo >/dev/null || { echo "error: Rust toolchain (cargo) not found; install it from rustup.rs" >&2; exit 1; }
PY=${PYTHON:-python3}
# The installers' progress bars only help a person watching; logs (CI) get the stage lines.
QUIET=(--quiet)
if [ -t 1 ]; then QUIET=(); fi
if ! command -v uv >/dev/null; then
  stage "installing uv with pip"
  "$PY" -m pip install --quiet uv || true
fi
if command -v uv >/dev/null; then
  if [ ! -x .venv/bin/python ]; then stage "creating .venv ($("$PY" --version))"; uv venv --quiet --python "$PY" .venv; fi
  stage "installing bertbench[${EXTRAS:-dev}] with uv and building its Rust tokenizer module with maturin"
  stage "(the first time: a few minutes, and PyTorch is a large download; later installs come from uv's cache)"
  VIRTUAL_ENV=$PWD/.venv uv pip install "${QUIET[@]}" -e ".[${EXTRAS:-dev}]"
else
  if [ ! -x .venv/bin/python ]; then stage "creating .venv ($("$PY" --version))"; "$PY" -m venv .venv; fi
  stage "installing bertbench[${EXTRAS:-dev}] with pip, building the Rust module (a few minutes the first time)"
  .venv/bin/pip install "${QUIET[@]}" -e ".[${EXTRAS:-dev}]"
fi
stage "done: .venv/bin/bertbench is ready"
