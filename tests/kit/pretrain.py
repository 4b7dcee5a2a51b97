"""Small generated corpora and presets for the pre-training workflow tests (seconds each)."""

from __future__ import annotations

import random
from pathlib import Path

ADJECTIVES = ["red", "small", "old", "quick", "green", "quiet", "bright", "heavy"]
NOUNS = ["cat", "dog", "bird", "fish", "horse", "river", "tree", "stone", "house", "ship"]
VERBS = ["sees", "follows", "likes", "finds", "carries", "watches"]


def write_corpus(path: Path, documents: int = 60, seed: int = 0) -> Path:
    """Documents of grammatical sentences (blank-line separated): learnable structure."""
    rng = random.Random(seed)
    docs = []
    for _ in range(documents):
        topic = rng.choice(NOUNS)
        sentences = []
        for _ in range(rng.randint(4, 8)):
            sentences.append(
                f"The {rng.choice(ADJECTIVES)} {topic} {rng.choice(VERBS)} "
                f"the {rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}."
            )
        docs.append(" ".join(sentences))
    path.write_text("\n\n".join(docs) + "\n", encoding="utf-8")
    return path


PRESET = """
name = "{name}"
description = "a tiny test experiment"

[tokenizer]
kind = "wordpiece"
vocab_size = 120
min_frequency = 1

[model]
size = "tiny"
objective = "{objective}"
num_layers = 1
hidden_size = 32
num_heads = 2
intermediate_size = 64
max_position_embeddings = 64

[data]
source = "corpus.txt"
cache_dir = "cache"
max_seq_len = 32
batch_size = 8
held_out_fraction = 0.1
eval_batches = 2
workers = 1
{data_extra}

[pretrain]
max_steps = {steps}
lr = 3e-3
warmup_steps = 2
eval_every = {eval_every}
checkpoint_every = {checkpoint_every}
keep_last = 2
log_every = 1
device = "cpu"
precision = "fp32"
seed = 0

[tracking]
runs_dir = "{runs}"
tensorboard = false
"""


def write_preset(
    folder: Path,
    *,
    name: str = "tiny-test",
    objective: str = "mlm+nsp",
    steps: int = 12,
    eval_every: int = 4,
    checkpoint_every: int = 4,
    data_extra: str = "",
) -> Path:
    """A preset next to a generated corpus (its data.source is relative to the preset)."""
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / "corpus.txt").exists():
        write_corpus(folder / "corpus.txt")
    path = folder / f"{name}.toml"
    path.write_text(
        PRESET.format(
            name=name,
            objective=objective,
            steps=steps,
            eval_every=eval_every,
            checkpoint_every=checkpoint_every,
            data_extra=data_extra,
            runs=(folder / "runs").as_posix(),
        ),
        encoding="utf-8",
    )
    return path
