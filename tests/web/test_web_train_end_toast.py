"""The Train tab says once that the run it follows ended (issue #13): a toast naming the run and
its result (finished · its results, stopped · its checkpoint, failed: the reason), through the
API with gradio_client on tiny real runs — on the poll that sees the end and never again: not on
a Refresh, not after a page reload (a new session), not on a re-attach to the ended run.
(The toast in a real browser: test_web_browser.py.)"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from gradio_client import Client
from gradio_client.utils import StatusUpdate
from kit.services import write_corpus
from kit.web_train import LIMIT, dropdown_value, running_app, tiny_overrides

from workbench.services import Services

Toast = tuple[str, str]  # (message, level: "info", "success", "warning")


class Session:
    """One browser session (a gradio_client Client keeps its session's state) and the toasts
    each call brought."""

    def __init__(self, url: str) -> None:
        self.client = Client(url, verbose=False)

    def call(self, *args: Any, api_name: str) -> tuple[tuple[Any, ...], list[Toast]]:
        job = self.client.submit(*args, api_name=api_name)
        outputs = job.result(timeout=LIMIT)
        toasts: list[Toast] = []
        updates = job.communicator.updates  # everything the server sent, in order
        while not updates.empty():
            update = updates.get_nowait()
            if isinstance(update, StatusUpdate) and update.log is not None:
                toasts.append((update.log[0], update.log[1]))
        return tuple(outputs), toasts

    def poll_to_the_end(self, run_id: str) -> tuple[tuple[Any, ...], list[Toast]]:
        """/train_poll (the page's timer) until the timer stops; the last outputs, all toasts."""
        deadline, seen = time.monotonic() + LIMIT, []
        while True:
            outputs, toasts = self.call(run_id, api_name="/train_poll")
            seen += toasts
            if outputs[-1].get("active") is False:
                return outputs, seen
            assert time.monotonic() < deadline, f"{run_id} did not end: {outputs[3]}"
            time.sleep(0.2)


@pytest.fixture(scope="module")
def panel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Services, Path]]:
    tmp = tmp_path_factory.mktemp("web-toast")
    services = Services(tmp / "ws")
    with running_app(services) as url:
        yield url, services, tmp


def start(session: Session, overrides: str) -> str:
    out, toasts = session.call("quickstart", "pre-training", "", overrides, api_name="/train_start")
    assert not out[-1], out[-1]
    assert ("pre-training of quickstart started", "info") in toasts
    return str(dropdown_value(out[0]))


def ended_toasts(toasts: list[Toast]) -> list[Toast]:
    return [t for t in toasts if "started" not in t[0]]


def test_a_finished_run_is_announced_once(panel: tuple[str, Services, Path]) -> None:
    url, services, tmp = panel
    corpus = write_corpus(tmp / "corpus.txt")
    page = Session(url)
    run_id = start(page, tiny_overrides(corpus, tmp / "cache", max_steps=8))
    last, toasts = page.poll_to_the_end(run_id)
    name = services.manager.status(run_id).run_name
    assert last[3].startswith(f"{name}: finished")
    [(text, level)] = ended_toasts(toasts)
    # The name, how it ended and what it achieved (the results line of the status).
    assert level == "success" and text.startswith(f"{name} finished · best validation/loss ")
    assert text.endswith(" at step 8")
    # Not again: the next poll, a Refresh, a re-attach, a page reload (a new session).
    assert ended_toasts(page.call(run_id, api_name="/train_poll")[1]) == []
    assert ended_toasts(page.call(api_name="/train_runs")[1]) == []
    assert ended_toasts(page.call(run_id, api_name="/train_attach")[1]) == []
    reloaded = Session(url)
    out, toasts = reloaded.call(run_id, api_name="/train_attach")
    assert out[3].startswith(f"{name}: finished") and ended_toasts(toasts) == []
    assert ended_toasts(reloaded.call(api_name="/train_reattach")[1]) == []


def test_a_stopped_and_a_failed_run_are_warnings(panel: tuple[str, Services, Path]) -> None:
    url, services, tmp = panel
    corpus = write_corpus(tmp / "corpus-2.txt")
    page = Session(url)
    run_id = start(page, tiny_overrides(corpus, tmp / "cache-2", max_steps=5000))
    deadline = time.monotonic() + LIMIT
    while ": running" not in page.call(run_id, api_name="/train_poll")[0][3]:
        assert time.monotonic() < deadline, "the run did not start training"
        time.sleep(0.2)
    page.call(run_id, api_name="/train_stop")
    _, toasts = page.poll_to_the_end(run_id)
    name = services.manager.status(run_id).run_name
    [(text, level)] = ended_toasts(toasts)
    assert level == "warning" and text.startswith(f"{name} stopped at step ")
    assert "· checkpoint step-" in text and text.endswith("(Continue in Runs)")

    empty = tmp / "empty.txt"
    empty.write_text("", encoding="utf-8")
    run_id = start(page, tiny_overrides(empty, tmp / "cache-3", max_steps=4))
    last, toasts = page.poll_to_the_end(run_id)
    name = services.manager.status(run_id).run_name
    [(text, level)] = ended_toasts(toasts)
    assert level == "warning" and text.startswith(f"{name} failed at step 0: the corpus text")
    assert "holds no document" in text and "Error" not in text  # no exception class names
    assert ended_toasts(page.call(run_id, api_name="/train_poll")[1]) == []
