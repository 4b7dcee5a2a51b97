"""Suite-wide test settings."""

import sys
from pathlib import Path

import torch

# The services tests' kit (tiny presets, generated corpora and labelled sets) is shared by the
# UI tests in tests/tui and tests/web rather than copied there.
sys.path.insert(0, str(Path(__file__).resolve().parent / "workbench"))

# The test models are tiny: one intra-op thread is fastest, and on a busy shared machine
# OpenMP worker threads spinning for cores make each step ~50x slower.
torch.set_num_threads(1)
