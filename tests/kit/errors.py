"""A tiny real fine-tuned run that makes mistakes (noisy labels), for the error-analysis
tests of the engine, the services and both UIs; and an "older" copy without an analysis."""

from __future__ import annotations

import csv
import json
import random
import shutil
from pathlib import Path

from kit.finetune import tiny_config, write_task

NOISE = 0.2  # labels flipped at random: the model cannot be right about those


def noisy_task(path: Path, n: int = 180, seed: int = 1) -> Path:
    write_task(path, n=n, seed=seed)
    rng = random.Random(seed)
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    labels = sorted({r[1] for r in rows[1:]})
    for row in rows[1:]:
        if rng.random() < NOISE:
            row[1] = rng.choice([x for x in labels if x != row[1]])
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def data_settings(task: Path) -> object:
    from bert_engine.training.finetune import ClassificationDataSettings

    return ClassificationDataSettings.model_validate(
        dict(
            train=str(task),
            test_fraction=0.25,
            validation_fraction=0.2,
            batch_size=8,
            max_seq_len=32,
        )
    )


def finetuned_run(tmp: Path, runs_dir: Path, name: str = "errors") -> Path:
    """Two epochs of a one-layer BERT (random init) on a noisy 3-label task: seconds."""
    from bert_engine.training.finetune import FinetuneSettings, finetune

    task = noisy_task(tmp / "task.csv")
    settings = FinetuneSettings.model_validate(
        dict(epochs=2, lr=1e-2, device="cpu", precision="fp32", seed=0)
    )
    return finetune(
        settings,
        data=data_settings(task),  # type: ignore[arg-type]
        runs_dir=runs_dir,
        name=name,
        model_config=tiny_config(),
    )


def older_copy(run: Path, name: str) -> Path:
    """A copy of `run` as a run fine-tuned before the analysis existed: no `analysis` in its
    summary.json, no predictions or errors files."""
    copy = run.parent / name
    shutil.copytree(run, copy)
    for f in [*copy.glob("errors-*.jsonl"), *copy.glob("predictions-*.jsonl")]:
        f.unlink()
    summary = json.loads((copy / "summary.json").read_text())
    summary.pop("analysis", None)
    summary["run_id"] = name
    (copy / "summary.json").write_text(json.dumps(summary))
    return copy
