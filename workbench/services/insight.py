"""What a trained model knows, for both UIs' Try views: where it attends for a text (every
layer and head), and which words it puts near a word (over its input embeddings, or over
contextual vectors averaged on a sample of the run's own data).

    seen = attention(library, run, "the cat sat")      # AttentionMap: tokens, [L, H, q, k]
    near = neighbours(library, run, "river", k=10)      # [Neighbour(token, id, similarity)]
    near = neighbours(library, run, "river", contextual=True)
"""

from __future__ import annotations

from itertools import islice
from pathlib import Path
from typing import Any

from bert_engine.errors import InputError

SAMPLE_TEXTS = 300  # texts of the run's data averaged for contextual neighbours
MAX_TEXT = 2000  # characters of a text looked at (the model reads at most its max length)


def attention(library: Any, run: str | Path, text: str) -> Any:
    """The run's `AttentionMap` of `text` (bert_engine.inference.AttentionMap)."""
    text = (text or "").strip()
    if not text:
        raise InputError("type a text to see where the model attends")
    return library.predictor(run).attention(text[:MAX_TEXT])


def neighbours(
    library: Any,
    run: str | Path,
    word: str,
    k: int = 10,
    contextual: bool = False,
    sample: int = SAMPLE_TEXTS,
) -> list[Any]:
    """The `k` tokens nearest to `word` (cosine): over the input embeddings, or over the
    contextual vectors averaged on `sample` texts of the run's own data."""
    word = (word or "").strip()
    if not word:
        raise InputError("type a word to find its neighbours")
    if not 1 <= k <= 100:
        raise InputError(f"k must be between 1 and 100, got {k}")
    predictor = library.predictor(run)
    if not contextual:
        return predictor.neighbours(word, k)
    texts = corpus_sample(library, run, sample)
    return predictor.contextual_neighbours(word, texts, k)


def corpus_sample(library: Any, run: str | Path, count: int = SAMPLE_TEXTS) -> list[str]:
    """The first `count` texts of the data the run trained on: a pre-training run's corpus
    (`data.source`), a fine-tuned run's training file. The files must still be there (and,
    in the web panel, inside the folders it may read)."""
    from bert_engine.tracking import read_config

    path = library.path(run)
    config = read_config(path)
    library.workspace.sandbox.check_preset(config)
    task = config.get("classification")
    if isinstance(task, dict) and task.get("train"):
        from bert_engine.data.classification import Columns, read_examples

        train = str(task["train"])
        if train == "demo":
            from bert_engine.data.demo_labels import demo_examples

            return [text for text, _ in demo_examples()[:count]]
        columns = Columns(
            text=str(task.get("text_column") or "text"),
            label=str(task.get("label_column") or "label"),
        )
        examples = read_examples(train, columns, require_label=False)
        return [e.text for e in examples[:count]]
    data = config.get("data") or {}
    source = data.get("source")
    if not source:
        raise InputError(f"run {path.name} names no data to sample contextual vectors from")
    from bert_engine.data.sources import open_source

    opened = open_source(
        source,
        text_column=str(data.get("text_column") or "text"),
        cache_dir=data.get("cache_dir"),
    )
    texts = [doc[:MAX_TEXT] for doc in islice(opened.documents(), count) if doc.strip()]
    if not texts:
        raise InputError(f"run {path.name}: its data {source!r} gave no text to sample")
    return texts
