"""Helpers of the Train/Try web tests: a generated corpus and task, tiny-run overrides, an app
launched on a free port, and polling a run through the API until its timer stops."""

from __future__ import annotations

import csv
import random
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from workbench.services import Services

SUBJECTS = ["the cat", "a dog", "the teacher", "my friend", "the farmer", "a child", "the bird"]
VERBS = ["sees", "likes", "finds", "carries", "watches", "paints", "visits", "builds"]
OBJECTS = ["a red ball", "the small house", "an apple", "the long road", "a green hat", "a box"]
TOPICS = {"animals": ["cat", "dog", "bird", "horse"], "food": ["bread", "apple", "soup", "cheese"]}
LIMIT = 180.0  # seconds: a safety limit for a tiny run on a busy machine, not a timing check


def write_corpus(path: Path, n_docs: int = 60, seed: int = 0) -> Path:
    rng = random.Random(seed)
    docs = [
        "\n".join(
            f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)}."
            for _ in range(rng.randint(4, 7))
        )
        for _ in range(n_docs)
    ]
    path.write_text("\n\n".join(docs) + "\n", encoding="utf-8")
    return path


def write_task(path: Path, n: int = 80, seed: int = 0) -> Path:
    """A CSV task: the label is the topic of the one keyword among filler words."""
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


def tiny_overrides(corpus: Path, cache: Path, max_steps: int = 12) -> str:
    """The Overrides box's text that turns the quickstart preset into a run of seconds."""
    lines = [
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
        "pretrain.eval_every=4",
        "pretrain.checkpoint_every=4",
        "pretrain.device=cpu",
        "pretrain.precision=fp32",
        "tracking.tensorboard=false",
    ]
    return "# a tiny run\n" + "\n".join(lines) + "\n"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_app(services: Services) -> Iterator[str]:
    """The panel on 127.0.0.1 at a free port; yields its URL, closes it (and the runs) after."""
    from workbench.web.app import launch

    app = launch(services, port=free_port(), block=False)
    try:
        yield f"http://127.0.0.1:{app.server_port}/"
    finally:
        services.close(timeout=LIMIT)
        app.close()


def dropdown_value(output: Any) -> Any:
    """A dropdown output arrives as an update dict (choices and value) or a bare value."""
    return output.get("value") if isinstance(output, dict) else output


def poll_until(client: Any, run_id: str, done: Any, limit: float = LIMIT) -> tuple[Any, ...]:
    """Call /train_poll (what the page's timer does) until `done(outputs)`; the last outputs.

    Outputs: loss plot, metric plot, status, log, timer."""
    deadline = time.monotonic() + limit
    while True:
        outputs = tuple(client.predict(run_id, api_name="/train_poll"))
        if done(outputs):
            return outputs
        if time.monotonic() > deadline:
            raise AssertionError(f"run {run_id} not there before the safety limit: {outputs[2]}")
        time.sleep(0.2)


def timer_stopped(outputs: tuple[Any, ...]) -> bool:
    timer = outputs[-1]
    return isinstance(timer, dict) and timer.get("active") is False
