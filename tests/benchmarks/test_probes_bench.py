"""benchmarks/probes.py runs end to end (guards the script against rot, not its numbers)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_probe_cost_script_prints_the_ratio():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks/probes.py"), "--rounds", "1", "--steps", "1"],
        capture_output=True, text=True, env=env, timeout=600, check=True,
    ).stdout  # fmt: skip
    assert "probe pass (5 sentences)" in out and "of the step budget" in out
