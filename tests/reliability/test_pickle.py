"""A planted malicious pickle (a `__reduce__` payload that would create a file) is refused
wherever bertbench reads a torch file, and no message ever advises `weights_only=False`."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from bert_engine.modeling.hf import read_hf_weights
from bert_engine.safe_load import UnsafeFileError, load_tensors
from bert_engine.training import CheckpointError, load_checkpoint, write_checkpoint
from bert_engine.training.checkpoint import RNG_FILE, STATE_FILE

ROOT = Path(__file__).resolve().parents[2]
UNSAFE_ADVICE = ("weights_only=False", "`weights_only` set to `False`", "will likely succeed")


class Payload:
    """Unpickling this runs `touch <marker>`."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, (f"touch {self.marker}",))


def _plant(path: Path, marker: Path) -> None:
    torch.save({"state": Payload(marker)}, path)


def _assert_safe(message: str, marker: Path) -> None:
    assert not marker.exists(), "the payload ran"
    for advice in UNSAFE_ADVICE:
        assert advice not in message
    assert "add_safe_globals" not in message


def test_load_tensors_refuses_the_payload(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    _plant(tmp_path / "evil.pt", marker)
    with pytest.raises(UnsafeFileError) as info:
        load_tensors(tmp_path / "evil.pt")
    message = str(info.value)
    _assert_safe(message, marker)
    assert re.search(r"evil\.pt: refused to load: it refers to \w+\.system", message)
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_a_checkpoint_with_a_planted_rng_file(tmp_path: Path) -> None:
    model = nn.Linear(4, 2)
    ckpt = write_checkpoint(
        tmp_path / "step-000001", model, step=1, rng_state={"python": torch.get_rng_state()}
    )
    marker = tmp_path / "pwned"
    _plant(ckpt / RNG_FILE, marker)
    # An attacker edits the recorded size as well, so the size check passes.
    state = json.loads((ckpt / STATE_FILE).read_text())
    state["files"][RNG_FILE] = (ckpt / RNG_FILE).stat().st_size
    (ckpt / STATE_FILE).write_text(json.dumps(state))
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(ckpt, model)
    _assert_safe(str(info.value), marker)
    assert str(ckpt / RNG_FILE) in str(info.value)


def test_a_huggingface_folder_with_a_planted_bin(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    _plant(tmp_path / "pytorch_model.bin", marker)
    with pytest.raises(ValueError) as info:
        read_hf_weights(tmp_path)
    _assert_safe(str(info.value), marker)


def test_a_corrupt_file_gets_no_unsafe_advice_either(tmp_path: Path) -> None:
    path = tmp_path / "junk.pt"
    torch.save({"w": torch.zeros(3)}, path)
    path.write_bytes(path.read_bytes()[:40])  # truncated
    with pytest.raises(UnsafeFileError) as info:
        load_tensors(path)
    _assert_safe(str(info.value), tmp_path / "never")
    assert "junk.pt: not a readable tensor file" in str(info.value)


def test_the_traceback_holds_no_unsafe_advice(tmp_path: Path) -> None:
    """Uncaught (a script of a user), the whole traceback still never shows torch's advice."""
    marker = tmp_path / "pwned"
    _plant(tmp_path / "pytorch_model.bin", marker)
    code = "import sys; from bert_engine.modeling.hf import read_hf_weights as r; r(sys.argv[1])"
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)],
        capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert out.returncode != 0 and "UnsafeFileError" in out.stderr
    _assert_safe(out.stderr, marker)
