"""benchmarks/quality.py end to end on generated stand-ins for WikiText-2 and Rotten Tomatoes:
a few steps of pre-training by the clock and by steps, the fine-tuning grid on both sides, the
report. Guards the script (it takes an hour on the real data) against rot, not its numbers."""

from __future__ import annotations

import csv
import gzip
import os
import random
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WORDS = "the a film story cast plot river city king war music team game year".split()
GOOD = "wonderful moving funny brilliant".split()
BAD = "dull boring awful clumsy".split()


def make_shared(folder: Path) -> Path:
    rng = random.Random(0)
    wiki = folder / "wikitext-2-raw"
    wiki.mkdir(parents=True)
    lines = [" = Title = \n"]
    for _ in range(120):
        sentences = (" ".join(rng.choices(WORDS, k=rng.randint(5, 12))) + " ." for _ in range(4))
        lines.append(" " + " ".join(sentences) + " \n")
    with gzip.open(wiki / "train.txt.gz", "wt", encoding="utf-8") as f:
        f.writelines(lines)
    rt = folder / "rotten-tomatoes"
    rt.mkdir()
    for split, n in (("train", 120), ("test", 40)):
        with open(rt / f"{split}.csv", "w", newline="", encoding="utf-8") as f:
            out = csv.writer(f)
            out.writerow(["text", "label"])
            for i in range(n):
                label = i % 2
                cue = rng.choice(GOOD if label else BAD)
                out.writerow([" ".join([*rng.choices(WORDS, k=5), cue]), label])
    return folder


def run_quality(tmp_path: Path, *extra: str) -> str:
    shared = make_shared(tmp_path / "shared") if not (tmp_path / "shared").exists() else None
    env = {**os.environ, "BERTBENCH_SHARED_DATA": str(shared or tmp_path / "shared")}
    args = [sys.executable, str(ROOT / "benchmarks" / "quality.py"), "--vocab", "120",
            "--pretrain-batch", "4", "--pretrain-seq-len", "32", "--warmup", "2", "--epochs", "1",
            "--lrs", "1e-3", "--reinit", "0,1", "--batch-size", "16", "--max-seq-len", "16",
            "--threads", "1", "--out", str(tmp_path / "runs"), *extra]  # fmt: skip
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return done.stdout


def test_quality_script_by_the_clock_and_by_steps(tmp_path):
    out = run_quality(tmp_path, "--budget-min", "0.02")
    assert "(time_budget)" in out  # the trainer's wall-clock budget ended pre-training
    # Both sides of the grid ran, one configuration was selected for each, and compared.
    assert out.count("**(selected)**") == 2
    rows = [line for line in out.splitlines() if line.startswith("| pre-trained")]
    assert len(rows) == 2 and any("| 0.001 | 1 |" in row for row in rows)  # re-init 1 tried
    assert "points, 95% interval" in out

    again = run_quality(
        tmp_path, "--steps", "6", "--out", str(tmp_path / "runs-steps"), "--reinit", "0",
        "--seeds", "2", "--pooling", "cls,mean", "--json", str(tmp_path / "q.json"),
    )  # fmt: skip
    assert "pre-training ended at step 6 (completed)" in again
    import json

    result = json.loads((tmp_path / "q.json").read_text())
    # Two poolings on each side, two seeds each; one selected per side; the interval brackets
    # the mean difference.
    assert len(result["configurations"]) == 4
    assert set(result["differences"]) == {"pre-trained"}
    assert all(len(c["test_accuracy"]) == 2 for c in result["configurations"])
    assert sum(c["selected"] for c in result["configurations"]) == 2
    d = result["difference"]
    assert d["low95"] <= d["mean"] <= d["high95"]


def test_quality_script_with_the_adaptation_arms(tmp_path):
    out = run_quality(tmp_path, "--steps", "4", "--reinit", "0", "--adapt-steps", "4")
    for arm in ("pre-trained + adapted", "adapted only"):
        assert f"{arm} " in out and out.count(f"| {arm} **(selected)**") == 1
    runs = {p.name.split("-2")[0] for p in (tmp_path / "runs").iterdir() if p.is_dir()}
    assert {"quality-adapted-adapt", "quality-self-adapt"} <= runs
