"""Helpers of the Train/Try web tests: tiny-run overrides, an app launched on a free port,
and polling a run through the API until its timer stops. (Corpus and task generators: the
services tests' kit, on the path through conftest.py.)"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import kit.services as services_kit
from workbench.services import Services

LIMIT = 180.0  # seconds: a safety limit for a tiny run on a busy machine, not a timing check


def tiny_overrides(corpus: Path, cache: Path, max_steps: int = 12) -> str:
    """The Overrides box's text that turns the quickstart preset into a run of seconds."""
    lines = services_kit.tiny_overrides(corpus, cache, max_steps, eval_every=4)
    return "# a tiny run\n" + "\n".join(lines) + "\n"


@contextmanager
def running_app(services: Services) -> Iterator[str]:
    """The panel on 127.0.0.1 at a free port; yields its URL, closes it (and the runs) after."""
    from workbench.web.app import launch

    panel = launch(services, port=0, block=False, quiet=True)
    try:
        yield panel.url
    finally:
        services.close(timeout=LIMIT)
        panel.close()


def dropdown_value(output: Any) -> Any:
    """A dropdown output arrives as an update dict (choices and value) or a bare value."""
    return output.get("value") if isinstance(output, dict) else output


def poll_until(client: Any, run_id: str, done: Any, limit: float = LIMIT) -> tuple[Any, ...]:
    """Call /train_poll (what the page's timer does) until `done(outputs)`; the last outputs.

    Outputs: run list, loss plot, metric plot, status, log, timer."""
    deadline = time.monotonic() + limit
    while True:
        outputs = tuple(client.predict(run_id, api_name="/train_poll"))
        if done(outputs):
            return outputs
        if time.monotonic() > deadline:
            raise AssertionError(f"run {run_id} not there before the safety limit: {outputs[3]}")
        time.sleep(0.2)


def timer_stopped(outputs: tuple[Any, ...]) -> bool:
    timer = outputs[-1]
    return isinstance(timer, dict) and timer.get("active") is False
