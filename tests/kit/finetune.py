"""Small labelled data and models for the fine-tuning and inference tests."""

from __future__ import annotations

import csv
import random
from pathlib import Path

from bert_engine.modeling import BertConfig

# The label of a text is decided by which group its three keywords come from; the rest is filler
# shared by every label, so only the keywords carry the signal.
KEYWORDS = {
    "sport": ["football", "tennis", "goal", "match", "runner", "league"],
    "food": ["bread", "cheese", "soup", "apple", "kitchen", "recipe"],
    "tech": ["laptop", "server", "compiler", "network", "keyboard", "cloud"],
}
FILLER = "the a of and to in was it on for with we they this very some".split()


def write_task(path: Path, n: int = 150, seed: int = 0) -> Path:
    rng = random.Random(seed)
    labels = sorted(KEYWORDS)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["text", "label"])
        for i in range(n):
            label = labels[i % len(labels)]
            words = rng.choices(FILLER, k=4) + rng.sample(KEYWORDS[label], 3)
            rng.shuffle(words)
            writer.writerow([" ".join(words), label])
    return path


def tiny_config(max_positions: int = 64) -> BertConfig:
    # vocab_size is replaced by the tokenizer's.
    return BertConfig(
        vocab_size=100,
        hidden_size=32,
        num_layers=1,
        num_heads=2,
        intermediate_size=64,
        max_position_embeddings=max_positions,
    )
