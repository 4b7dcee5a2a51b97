"""Web journey 6 in the browser (docs/journeys.md, "Web journey 6: train, reload, pause, stop,
continue"), Playwright driving Debian's chromium on a real tiny pre-training run: start it in
the Train tab, reload the page mid-run (the page re-attaches to the same run: status, chart),
Pause (the step stops moving), Resume, Stop (stopped, with a checkpoint), then Continue it in
the Runs tab: the page switches to the Train tab and follows the continued run with its whole
curve (from step 1, before the stop, and past it).

A failure saves a screenshot of the page (its path is in the failure message); the key steps
are saved as screenshots under the test's tmp folder. Skips without /usr/bin/chromium unless
BERTBENCH_REQUIRE_BROWSER=1, as the other browser tests.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from gradio_client import Client
from kit.services import write_corpus
from kit.web import launch_chromium
from kit.web import points as plot_points
from kit.web_train import LIMIT, dropdown_value, running_app, tiny_overrides
from test_journey_failed_upload import pick
from test_web_browser import _wait_for_colours, chromium

from workbench.services import Services

MAX_STEPS = 20_000  # far more than the journey needs: it is stopped, continued, stopped again
EVERY = 25  # evaluation and checkpoint interval (keep_last keeps the folder small)
STEP = re.compile(r"step ([\d,]+)/")


def step_of(status: str) -> int:
    """The step a status line shows (`<run>: running · step 40/20000 · ...`)."""
    found = STEP.search(status)
    assert found, status
    return int(found.group(1).replace(",", ""))


def test_train_reload_pause_stop_continue(tmp_path: Path) -> None:
    executable = chromium()
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=LIMIT * 1000)  # a safety limit for a busy machine
    services = Services(tmp_path / "ws")
    corpus = write_corpus(tmp_path / "corpus.txt")
    overrides = tiny_overrides(corpus, tmp_path / "cache", max_steps=MAX_STEPS) + (
        f"pretrain.eval_every={EVERY}\npretrain.checkpoint_every={EVERY}\n"
    )
    shots = tmp_path / "shots"
    shots.mkdir()
    shot = tmp_path / "failure.png"
    with running_app(services) as url, sync_playwright() as pw:
        browser = launch_chromium(pw, executable)
        page = browser.new_page(viewport={"width": 1280, "height": 1100})
        page.set_default_timeout(LIMIT * 1000)
        status = page.locator("#train-status textarea")
        log = page.locator("#train-log textarea")
        train_tab = page.get_by_role("tab", name="Train")

        def shown_step() -> int:
            return step_of(status.input_value())

        def moves_past(step: int) -> None:
            """Until the status shows a step past `step` (the run trains)."""
            expect(status).to_have_value(re.compile(r": running · step"))
            deadline = page.evaluate("Date.now()") + LIMIT * 1000
            while shown_step() <= step:
                assert page.evaluate("Date.now()") < deadline, status.input_value()
                page.wait_for_timeout(250)

        try:
            page.goto(url, wait_until="load")  # not networkidle: the Runs tab's timer polls
            # 1. Start a tiny pre-training of quickstart from the Train tab. Bad override
            # lines first: every one is named under the buttons, and nothing starts.
            train_tab.click()
            box = page.locator("#train-overrides textarea")
            box.fill("pretrain.max_stepz=3\nmax_steps 3\n")
            page.locator("#train-start").click()
            note = page.locator("#train-note")
            expect(note).to_contain_text("fix the Overrides box")
            expect(note).to_contain_text(
                "line 1 (pretrain.max_stepz=3): unknown key 'pretrain.max_stepz' "
                "(did you mean 'pretrain.max_steps'?)"
            )
            expect(note).to_contain_text("line 2 (max_steps 3): not key=value")
            page.screenshot(path=str(shots / "0-bad-overrides.png"))
            assert services.manager.runs() == []
            box.fill(overrides)
            page.locator("#train-start").click()
            running = re.compile(r"(quickstart-\d{8}T\d{6}Z): running · step \d")
            expect(status).to_have_value(running)
            expect(note).to_have_text("")  # the refusal went with the start
            name = running.search(status.input_value()).group(1)  # type: ignore[union-attr]
            moves_past(3)

            # 2. Reload mid-run: the fresh page follows the same run (status, Run list, chart).
            page.reload(wait_until="load")
            train_tab.click()
            expect(status).to_have_value(re.compile(rf"^{name}: running · step \d"))
            expect(page.locator("#train-run input")).to_have_value(re.compile(name))
            before = shown_step()
            moves_past(before)  # still polled: the step moves on the reloaded page
            _wait_for_colours(page, page.locator("#train-loss-plot canvas"), 1)
            page.screenshot(path=str(shots / "1-reattached.png"), full_page=True)

            # 3. Pause: the status says paused and the step stops moving.
            page.locator("#train-pause").click()
            expect(status).to_have_value(re.compile(rf"^{name}: paused · step \d"))
            # (A poll may read the events just before the last step's: one more poll shows it.)
            page.wait_for_timeout(1500)
            paused = shown_step()
            page.wait_for_timeout(3000)  # three more polls of the page's timer
            expect(status).to_have_value(re.compile(rf"^{name}: paused · step {paused}/"))
            assert services.manager.status(services.manager.runs()[-1].run_id).step == paused
            page.screenshot(path=str(shots / "2-paused.png"), full_page=True)

            # 4. Resume: it trains again.
            page.locator("#train-resume").click()
            moves_past(paused)

            # 5. Stop: stopped, with the checkpoint it wrote first (and a toast saying so).
            page.locator("#train-stop").click()
            stopped = re.compile(rf"^{name}: stopped · step (\d+)/.* · checkpoint (step-(\d+))")
            expect(status).to_have_value(stopped)
            found = stopped.search(status.input_value())
            assert found is not None
            at = int(found.group(1))
            checkpoint = services.workspace.runs_dir / name / "checkpoints" / found.group(2)
            assert int(found.group(3)) == at and checkpoint.is_dir()
            toasts = page.get_by_test_id("toast-text")
            expect(toasts.filter(has_text=f"{name} stopped at step {at}")).to_have_count(1)
            expect(log).to_have_value(re.compile(rf"stopped at step {at}\b"))
            page.screenshot(path=str(shots / "3-stopped.png"), full_page=True)

            # 6. Runs: choose the run, Continue. The page shows the Train tab, which follows
            # the continued run: the same run folder, running again past the stop.
            page.get_by_role("tab", name="Runs").click()
            expect(page.locator("#runs-table")).to_contain_text(name)
            pick(page, "#runs-run", name)
            page.get_by_role("button", name="Continue from the latest checkpoint").click()
            expect(train_tab).to_have_attribute("aria-selected", "true")
            expect(page.locator("#runs-action")).to_contain_text(
                f"Continuing {name} from its latest checkpoint: the Train tab follows it"
            )
            expect(page.locator("#train-run input")).to_have_value(re.compile(name))
            moves_past(at)
            # Its history came first: the log says which steps were replayed.
            expect(log).to_have_value(re.compile(rf"history: \d+ logged step\(s\) up to step {at}"))
            _wait_for_colours(page, page.locator("#train-loss-plot canvas"), 1)
            page.screenshot(path=str(shots / "4-continued.png"), full_page=True)

            # The chart the page draws is the whole curve: from step 1 (before the stop) and
            # on past it. (Vega-Lite draws on a canvas: its data is read through the same
            # call the page made, for the run the page's Run list holds.)
            followed = [r.run_id for r in services.manager.runs() if r.active]
            assert len(followed) == 1
            drawn = Client(url, verbose=False).predict(followed[0], api_name="/train_attach")
            assert name in str(dropdown_value(drawn[0])) or dropdown_value(drawn[0]) == followed[0]
            steps = train_steps(drawn[1])
            assert steps[0] == 1 and at in steps and steps[-1] > at, (steps[:3], steps[-3:])
            assert steps == sorted(set(steps))  # one curve, no step drawn twice

            # 7. Stop it again: the Train tab ends on the continued run, stopped.
            page.locator("#train-stop").click()
            expect(status).to_have_value(re.compile(rf"^{name}: stopped · step [\d,]+/"))
            assert shown_step() > at
            expect(page.get_by_text("Error", exact=True)).to_have_count(0)
            page.screenshot(path=str(shots / "5-stopped-again.png"), full_page=True)
        except Exception as exc:
            page.screenshot(path=str(shot), full_page=True)
            raise AssertionError(f"{exc}\n(screenshot of the page: {shot})") from exc
        finally:
            browser.close()


def train_steps(plot: Any) -> list[int]:
    """The steps of the raw train/loss curve of a loss chart."""
    return [
        int(p["step"])
        for p in plot_points(plot)
        if p["series"] == "train/loss" and p.get("line") in (None, "raw")
    ]
