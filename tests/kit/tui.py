"""Helpers of the TUI tests: generated text, a tiny preset, waiting for the app to settle.

Waits are driven by the app's state, never by fixed sleeps: `wait_for` lets the app work
(`pilot.pause()`) until a condition holds, with a generous safety limit so a busy machine
(load ~8 on 2 cores) only makes a test slower, never failing."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from kit.services import tiny_overrides

__all__ = [
    "LIMIT_S",
    "idle",
    "sentences",
    "settle",
    "started",
    "tiny_overrides",
    "wait_for",
    "write_corpus",
]

LIMIT_S = 180.0  # a safety limit for every wait, not a timing assertion
_POLL_S = 0.05

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


async def wait_for(
    pilot: Pilot[Any],
    condition: Callable[[], bool],
    limit: float = LIMIT_S,
    what: str = "",
) -> None:
    """Let the app run until `condition` holds; `what` names it in the failure."""
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(
                f"the app did not reach the expected state within {limit:.0f} s"
                + (f": {what}" if what else "")
            )
        await pilot.pause(_POLL_S)


async def settle(pilot: Pilot[Any], condition: Callable[[], bool], limit: float = LIMIT_S) -> None:
    """`wait_for(condition)`, then until the app's workers are done."""
    await wait_for(pilot, condition, limit)
    await idle(pilot, limit)


async def started(pilot: Pilot[Any]) -> None:
    """Wait for start-up to finish: the first tab shown and focused (a key pressed before
    that can be undone by the tab widget's own start-up)."""
    await settle(pilot, lambda: getattr(pilot.app.focused, "id", None) == "preset-list")


async def idle(pilot: Pilot[Any], limit: float = LIMIT_S, groups: tuple[str, ...] = ()) -> None:
    """Wait until no worker is pending or running (cancelled ones are fine); with `groups`,
    only the workers of those groups."""
    await pilot.pause()
    await wait_for(
        pilot, lambda: not busy_workers(pilot.app, groups), limit, "the app's workers finish"
    )
    await pilot.pause()


def busy_workers(app: Any, groups: tuple[str, ...] = ()) -> list[str]:
    """The names of the workers still pending or running (of `groups`, when given)."""
    from textual.worker import WorkerState

    busy = (WorkerState.PENDING, WorkerState.RUNNING)
    return [
        worker.name or worker.group
        for worker in app.workers
        if worker.state in busy and (not groups or worker.group in groups)
    ]
