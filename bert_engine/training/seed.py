"""Seeding and random-number-generator state capture / restore.

An exactly resumable run needs every generator that training touches — Python's `random`,
NumPy's global generator, torch's CPU generator and each CUDA device's generator — to be put
back where it was. The captured state holds only tensors, ints, floats and strings, so it can
be saved with `torch.save` and read back with `torch.load(weights_only=True)` (no pickled code).
"""

from __future__ import annotations

import logging
import random
from typing import Any

import numpy as np
import torch

from bert_engine.training.device import _mps_available

log = logging.getLogger(__name__)


def seed_everything(seed: int) -> None:
    """Seed Python's `random`, NumPy's global generator and torch (CPU and all CUDA devices)."""
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed % 2**32)  # NumPy's legacy seeding accepts 32-bit values only
    torch.manual_seed(seed)  # also seeds every CUDA device


def capture_rng_state() -> dict[str, Any]:
    """A snapshot of all global generators, made of tensors and plain values only."""
    version, internal, gauss = random.getstate()
    np_name, np_key, np_pos, np_has_gauss, np_gauss = np.random.get_state(legacy=True)
    state: dict[str, Any] = {
        "python": {
            "version": version,
            "state": torch.tensor(internal, dtype=torch.int64),
            "gauss": gauss,
        },
        "numpy": {
            "name": np_name,
            "key": torch.from_numpy(np.asarray(np_key, dtype=np.int64)),
            "pos": int(np_pos),
            "has_gauss": int(np_has_gauss),
            "gauss": float(np_gauss),
        },
        "torch": torch.get_rng_state(),
    }
    # Only touch CUDA when it is already initialised: capturing must not grab a GPU by itself.
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    if _mps_available():
        state["mps"] = torch.mps.get_rng_state()
    return state


def restore_rng_state(state: dict[str, Any]) -> None:
    """Put the generators back to a snapshot from `capture_rng_state`."""
    try:
        py = state["python"]
        internal = tuple(int(x) for x in py["state"].tolist())
        random.setstate((int(py["version"]), internal, py["gauss"]))
        npy = state["numpy"]
        np.random.set_state(
            (
                str(npy["name"]),
                npy["key"].numpy().astype(np.uint32),
                int(npy["pos"]),
                int(npy["has_gauss"]),
                float(npy["gauss"]),
            )
        )
        torch.set_rng_state(state["torch"])
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ValueError(f"RNG state is incomplete or malformed: {exc}") from exc
    cuda_states = state.get("cuda")
    if cuda_states:
        if torch.cuda.is_available() and torch.cuda.device_count() == len(cuda_states):
            torch.cuda.set_rng_state_all(cuda_states)
        else:
            # Resuming on a different machine is allowed; only bit-exactness is lost.
            log.warning(
                "checkpoint holds RNG state for %d CUDA device(s) but %d are visible here; "
                "CUDA random streams start fresh, so the run will not be bit-identical",
                len(cuda_states),
                torch.cuda.device_count() if torch.cuda.is_available() else 0,
            )
    mps_state = state.get("mps")
    if mps_state is not None and _mps_available():
        torch.mps.set_rng_state(mps_state)
