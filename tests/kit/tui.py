"""Helpers of the TUI tests: generated text, a tiny preset, waiting for the app to settle."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot

from kit.services import tiny_overrides

__all__ = ["idle", "sentences", "settle", "started", "tiny_overrides", "write_corpus"]

SUBJECTS = ["the cat", "a dog", "the teacher", "my friend", "the farmer", "a child"]
VERBS = ["sees", "likes", "finds", "carries", "watches", "paints"]
OBJECTS = ["a red ball", "the small house", "an apple", "the long road", "a green hat"]


def sentences(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    return [f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)}." for _ in range(n)]


def write_corpus(path: Path, docs: int = 60, seed: int = 0) -> Path:
    """Documents of five sentences, separated by blank lines."""
    lines = sentences(docs * 5, seed)
    text = "\n\n".join("\n".join(lines[i : i + 5]) for i in range(0, len(lines), 5))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n", encoding="utf-8")
    return path


async def settle(pilot: Pilot, condition: Callable[[], bool], limit: float = 60.0) -> None:
    """Let the app work until `condition` holds (a safety limit, not a timing assertion)."""
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the app did not reach the expected state")
        await pilot.pause(0.05)
    await idle(pilot, limit)


async def started(pilot: Pilot) -> None:
    """Wait for start-up to finish: the first tab shown and focused (a key pressed before
    that can be undone by the tab widget's own start-up)."""
    await settle(pilot, lambda: getattr(pilot.app.focused, "id", None) == "preset-list")


async def idle(pilot: Pilot, limit: float = 60.0) -> None:
    """Wait until no worker is pending or running (cancelled ones are fine)."""
    from textual.worker import WorkerState

    deadline = time.monotonic() + limit
    busy = (WorkerState.PENDING, WorkerState.RUNNING)
    await pilot.pause()
    while any(worker.state in busy for worker in pilot.app.workers):
        if time.monotonic() > deadline:
            raise AssertionError("the app's workers did not finish")
        await pilot.pause(0.05)
    await pilot.pause()
