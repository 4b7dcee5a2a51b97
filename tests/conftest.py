"""Suite-wide test settings."""

import torch

# The test models are tiny: one intra-op thread is fastest, and on a busy shared machine
# OpenMP worker threads spinning for cores make each step ~50x slower.
torch.set_num_threads(1)
