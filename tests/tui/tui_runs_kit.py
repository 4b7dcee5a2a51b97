"""Helpers of the Train / Runs / Try pane tests: a generated corpus, tiny presets saved in
the workspace (runs of a few seconds), and waiting on a Pilot for a condition."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from test_services_kit import write_labelled
from textual.pilot import Pilot

WORDS = {
    "subjects": ["the cat", "a dog", "the teacher", "my friend", "the farmer", "a child"],
    "verbs": ["sees", "likes", "finds", "carries", "watches", "paints"],
    "objects": ["a red ball", "the small house", "an apple", "the long road", "a green hat"],
}


def write_corpus(path: Path, n_docs: int = 60, seed: int = 0) -> Path:
    rng = random.Random(seed)
    docs = [
        "\n".join(
            f"{rng.choice(WORDS['subjects'])} {rng.choice(WORDS['verbs'])} "
            f"{rng.choice(WORDS['objects'])}."
            for _ in range(5)
        )
        for _ in range(n_docs)
    ]
    path.write_text("\n\n".join(docs) + "\n", encoding="utf-8")
    return path


def tiny_preset(tmp: Path, name: str = "tiny", **sections: dict[str, Any]) -> Any:
    """A one-layer BERT on a generated corpus: a run takes seconds."""
    from bert_engine.presets import validate_preset

    data: dict[str, Any] = {
        "name": name,
        "tokenizer": {"kind": "wordpiece", "vocab_size": 120, "min_frequency": 1},
        "model": {
            "size": "tiny", "num_layers": 1, "hidden_size": 32, "num_heads": 2,
            "intermediate_size": 64, "max_position_embeddings": 32,
        },
        "data": {
            "source": str(write_corpus(tmp / "corpus.txt")), "max_seq_len": 32,
            "batch_size": 8, "held_out_fraction": 0.1, "eval_batches": 2, "workers": 1,
            "cache_dir": str(tmp / "cache"),
        },
        "pretrain": {
            "max_steps": 6, "lr": 1e-3, "warmup_steps": 1, "log_every": 1, "eval_every": 3,
            "checkpoint_every": 3, "device": "cpu", "precision": "fp32",
        },
        "tracking": {"tensorboard": False},
    }  # fmt: skip
    for section, table in sections.items():
        data.setdefault(section, {}).update(table)
    return validate_preset(data)


def finetune_sections(tmp: Path, init: str) -> dict[str, dict[str, Any]]:
    task = write_labelled(tmp / "task.csv")
    return {
        "finetune": {"init": init, "epochs": 2, "lr": 1e-3, "device": "cpu", "precision": "fp32"},
        "classification": {"train": str(task), "max_seq_len": 32, "batch_size": 16},
    }


async def wait_for(pilot: Pilot[Any], condition: Callable[[], bool], limit: float = 120.0) -> None:
    """Let the app run until `condition` holds (a safety limit, not a timing assertion)."""
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached before the safety limit")
        await pilot.pause(0.05)
