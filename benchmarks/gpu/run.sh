#!/usr/bin/env bash
# Run THERE (a lent GPU machine, from the repository root) after benchmarks/gpu/prepare.sh here:
#   bash benchmarks/gpu/run.sh quality   # issue 4's GPU recipe: 5 min pre-training + fine-tunings
#   bash benchmarks/gpu/run.sh model     # issue 3's GPU throughput table (eager and compiled)
#   bash benchmarks/gpu/run.sh smoke     # 30 s: imports, CUDA, the varlen/flex paths' tests
# Logs go to $OUT (the device tool brings them back), else to ./gpu-logs.
set -uo pipefail
out="${OUT:-gpu-logs}"
mkdir -p "$out"
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site .gpu/whl/*.whl || exit 1
cp .gpu/_rustbpe.abi3.so bert_engine/
export PYTHONPATH="/tmp/site:$PWD" PYTHONUNBUFFERED=1 BERTBENCH_SHARED_DATA="$PWD/.gpu/data"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$out/gpu.txt"
python3 -c "import torch, bert_engine._rustbpe; print('torch', torch.__version__, torch.cuda.get_device_name())" \
    | tee -a "$out/gpu.txt"
case "${1:-smoke}" in
  quality) python3 benchmarks/quality.py --gpu --out /tmp/quality-runs 2>&1 | tee "$out/quality.log" ;;
  model) python3 benchmarks/model.py --device cuda 2>&1 | tee "$out/model.log" ;;
  smoke) python3 -m pytest -q -x tests/modeling 2>&1 | tail -20 | tee "$out/smoke.log" ;;
  *) echo "usage: run.sh quality|model|smoke" >&2; exit 2 ;;
esac
