#!/usr/bin/env bash
# Run HERE (the CPU machine), from anywhere: gathers what a lent GPU machine needs into the
# git-ignored folder .gpu/ at the repository root (it travels with `carry: [".gpu"]`):
#   .gpu/whl/   Python 3.12 wheels of the engine's dependencies the GPU image lacks
#   .gpu/data/  a copy of ../shared/data (the ../shared beside a checkout does not travel)
#   .gpu/_rustbpe.abi3.so  the native tokenizer module (abi3: loads on the device's Python 3.12)
# Then run benchmarks/gpu/run.sh there (see benchmarks/README.md, "On a lent GPU").
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
grep -qx '/.gpu/' .git/info/exclude 2>/dev/null || echo '/.gpu/' >>.git/info/exclude
rm -rf .gpu && mkdir -p .gpu/whl .gpu/data

# The image has torch, numpy, safetensors, tensorboard, rich, transformers, tokenizers; the engine
# also needs pydantic (+ its core and helpers) and tomli-w. Versions as installed here.
py=.venv/bin/python
[ -x "$py" ] || { echo "run scripts/setup.sh first (no .venv)" >&2; exit 1; }
pins=$("$py" - <<'PY'
from importlib.metadata import version
print(" ".join(f"{n}=={version(n)}" for n in
      ["pydantic", "pydantic-core", "annotated-types", "typing-inspection", "tomli-w"]))
PY
)
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
    --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2014_x86_64 -d .gpu/whl $pins
ls .gpu/whl

# The release build of the native module, made by scripts/setup.sh.
so=bert_engine/_rustbpe.abi3.so
[ -f "$so" ] || { echo "no $so: run scripts/setup.sh first" >&2; exit 1; }
cp "$so" .gpu/

shared="${BERTBENCH_SHARED_DATA:-$root/../shared/data}"
[ -d "$shared" ] || { echo "no shared data at $shared (set BERTBENCH_SHARED_DATA)" >&2; exit 1; }
cp -r "$shared"/. .gpu/data/
du -sh .gpu
