"""Suite-wide test settings."""

import sys
from pathlib import Path

import torch

# The shared test helpers live in tests/kit (one module per area): `from kit.services import ...`.
sys.path.insert(0, str(Path(__file__).resolve().parent))

# The test models are tiny: one intra-op thread is fastest, and on a busy shared machine
# OpenMP worker threads spinning for cores make each step ~50x slower.
torch.set_num_threads(1)
