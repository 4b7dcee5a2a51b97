"""Errors in the TUI: a notice, a log entry, and never the end of the app or of a run; a crash
of the app itself first stops the runs with a checkpoint and ends with a non-zero code."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from kit.tui import settle, started, tiny_overrides, write_corpus
from textual.widgets import DataTable, TabbedContent

from workbench.services import WorkspaceError
from workbench.tui.app import BertbenchApp
from workbench.tui.guard import LOG_FILE
from workbench.tui.messages import RunsChanged
from workbench.tui.panes.runs import RunsPane


def _errors(app: BertbenchApp) -> list[str]:
    return [n.message for n in app._notifications if n.severity == "error"]


def _long_run(app: BertbenchApp, workspace: Path) -> str:
    """A tiny pre-training with far more steps than a test waits for."""
    corpus = write_corpus(workspace / "corpus.txt")
    preset = app.services.presets.load(
        "quickstart", tiny_overrides(corpus, workspace / "cache", max_steps=100_000)
    )
    return app.services.manager.start_pretraining(preset)


@pytest.mark.asyncio
async def test_a_failing_pane_is_a_notice_and_a_log_entry_and_the_run_keeps_training(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    def broken_handler(self: RunsPane, message: RunsChanged) -> None:
        calls.append("runs changed")
        raise RuntimeError("injected handler bug")

    def broken_action(self: RunsPane) -> None:
        raise KeyError("injected action bug")

    monkeypatch.setattr(RunsPane, "on_runs_changed", broken_handler)
    monkeypatch.setattr(RunsPane, "action_mark", broken_action)
    app = BertbenchApp(root=workspace)
    manager = app.services.manager
    log = workspace / LOG_FILE
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await started(pilot)
        run_id = _long_run(app, workspace)
        await settle(pilot, lambda: manager.status(run_id).step >= 2, limit=120)

        # A message handler of a pane raises: a notice and a log entry, the app goes on.
        app.post_message(RunsChanged())
        await settle(pilot, lambda: any("injected handler bug" in m for m in _errors(app)))
        assert app.is_running and app.return_code is None
        text = log.read_text(encoding="utf-8")
        assert "RuntimeError: injected handler bug" in text and " UTC · RunsPane" in text
        assert "Traceback (most recent call last)" in text
        notice = next(m for m in _errors(app) if "injected handler bug" in m)
        assert "unexpected RuntimeError" in notice and LOG_FILE.as_posix() in notice

        # The pane still handles messages (Textual would have stopped its message loop).
        seen = len(calls)
        app.post_message(RunsChanged())
        await settle(pilot, lambda: len(calls) > seen)  # (the runs watcher may post more)

        # A key binding's action raises: the same.
        app.query_one(TabbedContent).active = "runs"
        pane = app.query_one(RunsPane)
        await pilot.pause()
        pane.query_one("#runs-table", DataTable).focus()
        await pilot.press("space")
        await settle(pilot, lambda: any("injected action bug" in m for m in _errors(app)))
        assert "KeyError: 'injected action bug'" in log.read_text(encoding="utf-8")

        # The run never noticed: it is still training.
        step = manager.status(run_id).step
        await settle(pilot, lambda: manager.status(run_id).step > step, limit=120)
        assert manager.status(run_id).status == "running"
        assert app.is_running
        manager.stop(run_id, wait=True)


@pytest.mark.asyncio
async def test_a_worker_error_shows_in_the_pane_user_errors_are_not_logged(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = BertbenchApp(root=workspace)
    failure: list[BaseException] = [WorkspaceError("the runs folder is unreadable; fix it")]

    def broken_list(*args: Any, **kwargs: Any) -> Any:
        raise failure[0]

    monkeypatch.setattr(app.services.runs, "list", broken_list)
    log = workspace / LOG_FILE
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await started(pilot)
        pane = app.query_one(RunsPane)
        message = pane.query_one("#runs-message")
        await settle(pilot, lambda: "unreadable" in str(message.render()))
        # A user error: its own message in the pane, no notice, nothing logged.
        assert str(message.render()) == "could not list runs: the runs folder is unreadable; fix it"
        assert not any("unreadable" in m for m in _errors(app)) and not log.exists()

        failure[0] = ZeroDivisionError("a bug in listing")
        pane.action_refresh()
        await settle(pilot, lambda: "a bug in listing" in str(message.render()))
        assert "unexpected ZeroDivisionError" in str(message.render())
        assert any("a bug in listing" in m for m in _errors(app))  # a bug: a notice too
        assert "ZeroDivisionError: a bug in listing" in log.read_text(encoding="utf-8")
        assert app.is_running


@pytest.mark.asyncio
async def test_an_app_crash_stops_the_runs_with_a_checkpoint_and_exits_non_zero(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: BertbenchApp, message: RunsChanged) -> None:
        raise RuntimeError("injected app bug")

    # The app's own handler (not a pane's): nothing guards it, Textual closes the app.
    monkeypatch.setattr(BertbenchApp, "on_runs_changed", broken)
    app = BertbenchApp(root=workspace)
    manager = app.services.manager
    with pytest.raises(RuntimeError, match="injected app bug"):  # run_test re-raises it
        async with app.run_test(size=(100, 30)) as pilot:
            await started(pilot)
            run_id = _long_run(app, workspace)
            await settle(pilot, lambda: manager.status(run_id).step >= 2, limit=120)
            app.post_message(RunsChanged())
            deadline = time.monotonic() + 120  # a safety limit: the crash closes the app
            while app.return_code is None and time.monotonic() < deadline:
                await asyncio.sleep(0.05)

    assert app.return_code == 1
    assert app.stopped_on_crash == [run_id]
    status = manager.status(run_id)
    assert status.status == "stopped" and status.run_dir is not None
    checkpoints = [p for p in (status.run_dir / "checkpoints").glob("step-*") if p.is_dir()]
    assert checkpoints, "the run stopped by the crash wrote no checkpoint"
    assert "RuntimeError: injected app bug" in (workspace / LOG_FILE).read_text(encoding="utf-8")
