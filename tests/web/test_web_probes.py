"""The Train tab's probe table (#16.1) through its API with gradio_client, on a real tiny
pre-training run started from the tab: after the polls, the table holds the predictions the
run wrote to metrics.jsonl at its newest evaluation; the slider steps back to an earlier
evaluation and to the right end (following the run) again; attaching to the finished run
redraws them from its history. One Playwright screenshot of the table."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from gradio_client import Client
from kit.services import write_corpus
from kit.web_train import dropdown_value, poll_until, running_app, timer_stopped, tiny_overrides

from workbench.services import Services
from workbench.services.probes import format_top

STEPS, EVERY = 12, 4  # tiny_overrides: evaluations (with probes) at steps 4, 8 and 12


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, ...]]:
    """(client, url, run id, run folder) of a tiny pre-training run polled to its end."""
    tmp = tmp_path_factory.mktemp("web-probes")
    services = Services(tmp / "ws")
    with running_app(services) as url:
        client = Client(url, verbose=False)
        overrides = tiny_overrides(write_corpus(tmp / "corpus.txt"), tmp / "cache", STEPS)
        out = client.predict("quickstart", "pre-training", "", overrides, api_name="/train_start")
        assert not out[-1], out[-1]
        run_id = str(dropdown_value(out[0]))
        poll_until(client, run_id, timer_stopped)
        run_dir = services.manager.status(run_id).run_dir
        assert run_dir is not None
        yield client, url, run_id, run_dir, tmp


def recorded(run_dir: Path) -> dict[int, list[dict[str, Any]]]:
    """The probe events of metrics.jsonl, read as plain JSON: step -> probes."""
    lines = (run_dir / "metrics.jsonl").read_text(encoding="utf-8").splitlines()
    events = [json.loads(line) for line in lines if line.strip()]
    return {e["step"]: e["probes"] for e in events if e["event"] == "probe"}


def rows(table: Any) -> list[list[str]]:
    """The table's rows; it must be shown (an update that makes it visible)."""
    assert table.get("visible") is True, table
    value = table["value"]
    return [[str(c) for c in row] for row in value["data"]]


def expected(probes: list[dict[str, Any]]) -> list[list[str]]:
    return [
        [p["text"], p["answer"], str(p["rank"]), format_top([tuple(t) for t in p["top"]])]
        for p in probes
    ]


def test_the_table_shows_the_newest_and_steps_back(finished: tuple[Any, ...]) -> None:
    client, _, run_id, run_dir, _ = finished
    by_step = recorded(run_dir)
    assert sorted(by_step) == [4, 8, 12]
    # What the page calls after each poll: the newest evaluation, the slider at its end.
    table, label, slider = client.predict(api_name="/train_probes")
    assert table["value"]["headers"] == ["sentence", "true word", "rank", "top predictions"]
    assert rows(table) == expected(by_step[12])
    assert "step 12 (3/3, latest)" in label and "follows the run" in label
    assert slider["maximum"] == 3 and slider["value"] == 3 and slider["visible"] is True
    assert all("[MASK]" in row[0] for row in rows(table))
    # A poll without a new evaluation sends nothing new.
    again = client.predict(api_name="/train_probes")
    assert all(isinstance(o, dict) and o.get("__type__") == "update" for o in again), again

    # The slider steps back: "at step 4 it said ..."; the right end follows the run again.
    table, label = client.predict(1, api_name="/train_probes_step")
    assert rows(table) == expected(by_step[4]) and "step 4 (1/3)" in label
    assert "right end follows" in label
    table, label = client.predict(2, api_name="/train_probes_step")
    assert rows(table) == expected(by_step[8]) and "step 8 (2/3)" in label
    table, label = client.predict(3, api_name="/train_probes_step")
    assert rows(table) == expected(by_step[12]) and "(3/3, latest)" in label

    # Attaching to the finished run: the table again, from the run's history.
    client.predict(run_id, api_name="/train_attach")
    table, label, slider = client.predict(api_name="/train_probes_redraw")
    assert rows(table) == expected(by_step[12]) and slider["maximum"] == 3


def test_a_fresh_page_without_a_run_says_none_yet(finished: tuple[Any, ...]) -> None:
    _, url, *_ = finished
    fresh = Client(url, verbose=False)
    table, label, slider = fresh.predict(api_name="/train_probes")
    assert table.get("visible") is False and "none yet" in label  # no empty grid
    assert slider["visible"] is False
    table, label = fresh.predict(2, api_name="/train_probes_step")  # nothing to step: no error
    assert "none yet" in label


def test_screenshot_of_the_table(finished: tuple[Any, ...]) -> None:
    """The table on the page, following the finished run picked in the Run list."""
    playwright = pytest.importorskip("playwright.sync_api")
    _, url, run_id, run_dir, tmp = finished
    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        pytest.skip("no chromium")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(url, wait_until="load")
        page.get_by_role("tab", name="Train").click()
        # A fresh page re-attaches to the newest active run; this one ended: pick it.
        run = page.locator("#train-run input")
        run.click()
        page.get_by_role("option").filter(has_text=run_dir.name).first.click()
        table = page.locator("#train-probes")
        table.get_by_text("step 12 (3/3, latest)").wait_for(timeout=60_000)
        probes = recorded(run_dir)[12]
        # (The grid keeps hidden copies of its cells for measuring: read its whole text.)
        shown = table.inner_text()
        assert all(p["text"] in shown and p["answer"] in shown for p in probes)
        table.scroll_into_view_if_needed()
        table.screenshot(path=str(tmp / "probes.png"))
        browser.close()
    assert (tmp / "probes.png").stat().st_size > 0
    print(f"screenshot: {tmp / 'probes.png'}")
