"""benchmarks/pretrain_race.py end to end on a generated corpus, a few seconds per side: both
stacks train, every checkpoint is evaluated on the same held-out batch, the ratio is reported.
Guards the script against rot (the real race takes 20 minutes), not its numbers."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WORDS = "the a film story cast plot river city king war music team game year sat ran".split()


def test_race_runs_both_stacks_and_reports_the_ratio(tmp_path: Path) -> None:
    pytest.importorskip("transformers")
    pytest.importorskip("accelerate")
    rng = random.Random(0)
    for name, n in (("train", 300), ("valid", 40)):
        lines = (" ".join(rng.choices(WORDS, k=rng.randint(8, 20))) + " ." for _ in range(n))
        (tmp_path / f"{name}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "race.json"
    args = [sys.executable, str(ROOT / "benchmarks" / "pretrain_race.py"), "--minutes", "0.05",
            "--vocab", "100", "--batch", "8", "--seq-len", "32", "--warmup", "2", "--threads",
            "1", "--checkpoints", "3", "--steps-per-s-guess", "5", "--eval-rows", "16",
            "--corpus", str(tmp_path / "train.txt"), "--held-out", str(tmp_path / "valid.txt"),
            "--out", str(tmp_path / "work"), "--json", str(out)]  # fmt: skip
    done = subprocess.run(args, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    result = json.loads(out.read_text())
    for side in ("bertbench", "huggingface"):
        curve = result["curves"][side]
        assert len(curve) >= 2, side
        times = [p["time_s"] for p in curve]
        assert times == sorted(times) and all(0 < p["loss"] < 10 for p in curve)
    assert "of HF's time" in done.stdout or "did not reach" in done.stdout
