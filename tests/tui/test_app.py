"""The app shell: tabs by number key, help, themes, fast start, and quitting safely."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from kit.tui import settle, started, tiny_overrides, wait_for, write_corpus
from textual.widgets import TabbedContent

from workbench.tui.app import TABS, BertbenchApp
from workbench.tui.screens.help import HelpScreen
from workbench.tui.screens.quit import QuitScreen


def test_importing_the_app_does_not_import_torch() -> None:
    code = "import sys, workbench.tui.app; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


POOL_IN_APP = """
import asyncio, concurrent.futures, multiprocessing, sys
from workbench.tui.app import BertbenchApp

async def main() -> None:
    app = BertbenchApp(root=sys.argv[1])
    async with app.run_test() as pilot:
        await pilot.pause(0.5)
        ctx = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(1, mp_context=ctx) as pool:
            print("pool says", pool.submit(abs, -3).result())

asyncio.run(main())
"""


def test_process_pools_work_inside_the_app(workspace: Path) -> None:
    # Textual's stand-in stderr has no file descriptor; the engine tokenizes corpora in
    # "spawn" worker processes, whose resource tracker needs one (a fresh process, so no
    # tracker started by an earlier test hides the problem).
    out = subprocess.run(
        [sys.executable, "-c", POOL_IN_APP, str(workspace)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "pool says 3" in out.stdout, out.stderr[-2000:]


@pytest.mark.asyncio
async def test_number_keys_visit_every_tab(workspace: Path) -> None:
    app = BertbenchApp(root=workspace)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        tabs = app.query_one(TabbedContent)
        seen = []
        for number in range(len(TABS), 0, -1):
            await pilot.press(str(number))
            seen.append(tabs.active)
        assert seen == [tab_id for tab_id, _, _ in reversed(TABS)]
        # Escape leaves a text box, so the number keys switch tabs again.
        await pilot.press("2")
        app.query_one("#tok-text").focus()
        await pilot.press("4")
        assert tabs.active == "tokenizer"
        await pilot.press("escape", "4")
        assert tabs.active == "runs"


@pytest.mark.asyncio
async def test_help_lists_the_keys_of_the_app_and_the_panes(workspace: Path) -> None:
    app = BertbenchApp(root=workspace)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        text = str(app.screen.query_one("#help-text").render())
        for expected in ("Theme", "Quit", "Save as", "Duplicate", "Cancel training", "5 Try"):
            assert expected in text, expected
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.click("#help-close")
        assert not isinstance(app.screen, HelpScreen)


@pytest.mark.asyncio
async def test_theme_toggles_between_dark_and_light(workspace: Path) -> None:
    app = BertbenchApp(root=workspace)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        assert app.current_theme.dark
        background = app.screen.styles.background
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert not app.current_theme.dark
        assert app.screen.styles.background != background
        await pilot.press("ctrl+t")
        assert app.current_theme.dark


@pytest.mark.asyncio
async def test_quit_without_runs_exits_at_once(workspace: Path) -> None:
    app = BertbenchApp(root=workspace)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        await pilot.press("ctrl+q")
        await settle(pilot, lambda: not app.is_running)
    assert app.return_code == 0


@pytest.mark.asyncio
async def test_quit_with_an_active_run_asks_and_stops_it_with_a_checkpoint(
    workspace: Path,
) -> None:
    corpus = write_corpus(workspace / "corpus.txt")
    app = BertbenchApp(root=workspace)
    manager = app.services.manager
    # Far more steps than the test waits for: the run is still training when we quit.
    preset = app.services.presets.load(
        "quickstart", tiny_overrides(corpus, workspace / "cache", max_steps=100_000)
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        run_id = manager.start_pretraining(preset)
        await settle(pilot, lambda: manager.status(run_id).step >= 2, limit=120)

        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: isinstance(app.screen, QuitScreen), what="the quit dialog")
        folder = manager.status(run_id).run_dir
        assert folder is not None  # named by its folder, as every pane names it
        assert folder.name in str(app.screen.query_one("#quit-runs").render())
        await pilot.press("escape")  # go back: the run keeps training
        await wait_for(pilot, lambda: not isinstance(app.screen, QuitScreen), what="it closes")
        assert app.is_running
        step = manager.status(run_id).step
        await settle(pilot, lambda: manager.status(run_id).step > step, limit=120)

        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: isinstance(app.screen, QuitScreen), what="the quit dialog")
        await pilot.click("#quit-stop")
        await settle(pilot, lambda: not app.is_running, limit=120)

    status = manager.status(run_id)
    assert status.status == "stopped"
    assert status.run_dir is not None
    checkpoints = [p for p in (status.run_dir / "checkpoints").glob("step-*") if p.is_dir()]
    assert checkpoints, "the stopped run wrote no checkpoint"
    assert max(int(p.name.removeprefix("step-")) for p in checkpoints) >= step


@pytest.mark.asyncio
async def test_messages_of_threads_after_the_panes_are_gone_are_dropped(workspace: Path) -> None:
    # A run ending while the app closes posts RunsChanged / RunEvent from its thread; the
    # panes are already removed then, which must not turn quitting into a crash.
    from workbench.tui.messages import RunEvent, RunsChanged

    app = BertbenchApp(root=workspace)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        await app.query_one(TabbedContent).remove()
        app.post_message(RunsChanged())
        app.post_message(RunEvent("run-1", None))
        await pilot.pause()
        assert app.is_running and app._exception is None
    assert app._exception is None and app.return_code in (None, 0)
