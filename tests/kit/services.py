"""Shared helpers of the services tests: a small generated corpus and a tiny preset."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

SUBJECTS = [
    "the cat",
    "a dog",
    "the teacher",
    "my friend",
    "the old man",
    "a child",
    "the bird",
    "our neighbour",
    "the farmer",
    "a student",
    "the doctor",
    "the river",
]
VERBS = [
    "sees",
    "likes",
    "finds",
    "carries",
    "watches",
    "follows",
    "paints",
    "remembers",
    "builds",
    "visits",
    "reads",
    "answers",
]
OBJECTS = [
    "a red ball",
    "the small house",
    "an apple",
    "the long road",
    "a green hat",
    "the quiet garden",
    "a heavy box",
    "the bright window",
    "some warm bread",
    "the wooden bridge",
    "a paper boat",
    "the blue sky",
]
ENDINGS = [
    "in the morning",
    "after school",
    "near the lake",
    "every day",
    "at night",
    "with great care",
    "before dinner",
    "under the tree",
]


def sentences(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    return [
        f"{rng.choice(SUBJECTS).capitalize()} {rng.choice(VERBS)} {rng.choice(OBJECTS)} "
        f"{rng.choice(ENDINGS)}."
        for _ in range(n)
    ]


def write_corpus(path: Path, n_docs: int = 60, seed: int = 0) -> Path:
    """Documents of 4-7 sentences, separated by blank lines (data.doc_mode = blank_line)."""
    rng = random.Random(seed)
    pool = sentences(n_docs * 7, seed)
    docs, i = [], 0
    for _ in range(n_docs):
        k = rng.randint(4, 7)
        docs.append("\n".join(pool[i : i + k]))
        i += k
    path.write_text("\n\n".join(docs) + "\n", encoding="utf-8")
    return path


def tiny_preset_dict(
    tmp: Path, corpus: Path | None = None, **sections: dict[str, Any]
) -> dict[str, Any]:
    """A one-layer BERT on `corpus` (default: `write_corpus`'s, generated into `tmp`): a run
    takes seconds. `sections` update the tables, e.g. ``pretrain={"max_steps": 20}``."""
    corpus = corpus or write_corpus(tmp / "corpus.txt")
    data: dict[str, Any] = {
        "name": "tiny",
        "tokenizer": {"kind": "wordpiece", "vocab_size": 120, "min_frequency": 1},
        "model": {
            "size": "tiny",
            "num_layers": 1,
            "hidden_size": 32,
            "num_heads": 2,
            "intermediate_size": 64,
            "max_position_embeddings": 32,
        },
        "data": {
            "source": str(corpus),
            "max_seq_len": 32,
            "batch_size": 8,
            "held_out_fraction": 0.1,
            "eval_batches": 2,
            "workers": 1,
            "cache_dir": str(tmp / "cache"),
        },
        "pretrain": {
            "max_steps": 6,
            "lr": 1e-3,
            "warmup_steps": 1,
            "log_every": 1,
            "eval_every": 3,
            "checkpoint_every": 3,
            "device": "cpu",
            "precision": "fp32",
        },
        "tracking": {"tensorboard": False},
    }
    for name, table in sections.items():
        data.setdefault(name, {}).update(table)
    return data


def tiny_overrides(
    corpus: Path, cache: Path, max_steps: int, eval_every: int | None = None
) -> list[str]:
    """`--set` overrides that turn the quickstart preset into a one-layer BERT on `corpus`
    (milliseconds a step on a CPU); evaluation and checkpoints every `eval_every` steps
    (default: at the end)."""
    every = eval_every or max_steps
    return [
        "tokenizer.vocab_size=120",
        "tokenizer.min_frequency=1",
        "model.num_layers=1",
        "model.hidden_size=32",
        "model.num_heads=2",
        "model.intermediate_size=64",
        "model.max_position_embeddings=32",
        f"data.source={corpus}",
        f"data.cache_dir={cache}",
        "data.max_seq_len=32",
        "data.batch_size=8",
        "data.held_out_fraction=0.1",
        "data.eval_batches=2",
        "data.workers=1",
        f"pretrain.max_steps={max_steps}",
        "pretrain.warmup_steps=1",
        "pretrain.log_every=1",
        f"pretrain.eval_every={every}",
        f"pretrain.checkpoint_every={every}",
        "pretrain.device=cpu",
        "pretrain.precision=fp32",
        "tracking.tensorboard=false",
    ]


def tiny_preset(tmp: Path, **sections: dict[str, Any]) -> Any:
    from bert_engine.presets import validate_preset

    return validate_preset(tiny_preset_dict(tmp, **sections))


def wait_until(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    """Poll `condition` (a safety limit, not a timing assertion)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached before the safety limit")
        time.sleep(0.01)


TOPICS = {
    "animals": ["cat", "dog", "bird", "horse"],
    "food": ["bread", "apple", "soup", "cheese"],
}


def write_labelled(path: Path, n: int = 80, seed: int = 0) -> Path:
    """A CSV task: the label is the topic of the one keyword among shared filler words."""
    import csv

    rng = random.Random(seed)
    filler = "the a of and to in was it on for with we they this very some".split()
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["text", "label"])
        for i in range(n):
            label = sorted(TOPICS)[i % len(TOPICS)]
            words = rng.choices(filler, k=5) + [rng.choice(TOPICS[label])]
            rng.shuffle(words)
            writer.writerow([" ".join(words), label])
    return path
