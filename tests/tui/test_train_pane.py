"""The Train pane against real tiny runs: start from a preset, watch the curve fill, pause,
resume and stop."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import pytest
from kit.tui_runs import confirm_start, tiny_preset, wait_for
from textual.widgets import DataTable, Select, Static, TabbedContent

from workbench.tui.app import BertbenchApp
from workbench.tui.panes.runs import RunsPane
from workbench.tui.panes.train import TRAINING_NICE, TrainPane
from workbench.tui.widgets.curves import CurvePlot


def make_app(tmp_path: Path, **sections: dict) -> BertbenchApp:
    app = BertbenchApp(root=tmp_path / "ws")
    app.services.presets.save(tiny_preset(tmp_path, **sections), "tiny")
    return app


@pytest.mark.asyncio
async def test_a_short_pretraining_runs_to_the_end(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        app.query_one(TabbedContent).active = "train"
        pane = app.query_one(TrainPane)
        select = pane.query_one("#train-preset", Select)
        await wait_for(pilot, lambda: "tiny" in pane._presets)
        select.value = "tiny"
        await pilot.pause()
        await pilot.click("#train-pretrain")
        await confirm_start(pilot)
        await wait_for(pilot, lambda: pane.run_id is not None and not pane.live.active)
        assert pane.live.status == "finished", pane.live.error
        figures = pane.query_one("#train-figures")
        # The figures are redrawn on a timer: wait for the tick that shows the end.
        await wait_for(pilot, lambda: "finished" in str(figures.render()), what="figures")
        loss = pane.query_one("#train-loss", CurvePlot)
        # Every logged step is on the chart, the validation loss beside it.
        assert loss.series["train/loss"][0] == list(range(1, 7))
        assert len(loss.series["validation/loss"][0]) >= 1
        assert "6/6" in str(figures.render())
        status = app.services.manager.status(pane.run_id)
        assert status.status == "finished" and status.run_dir is not None
        assert (status.run_dir / "config.toml").is_file()
        # A notification, once, names the run and its result (seen from any tab).
        name = status.run_dir.name

        def ended() -> list[str]:
            return [n.message for n in app._notifications if n.title == "Run finished"]

        await wait_for(pilot, lambda: len(ended()) == 1, what="the end notification")
        assert ended()[0].startswith(f"{name}: finished")
        pane.follow(pane.run_id)  # following it again, over: no second notification
        await wait_for(pilot, lambda: "finished" in str(figures.render()))
        await pilot.pause(0.5)
        assert len(ended()) == 1


@pytest.mark.asyncio
async def test_pause_resume_stop_and_continue(tmp_path: Path) -> None:
    app = make_app(tmp_path, pretrain={"max_steps": 3000, "eval_every": 1000})
    async with app.run_test(size=(120, 40)) as pilot:
        app.query_one(TabbedContent).active = "train"
        pane = app.query_one(TrainPane)
        await wait_for(pilot, lambda: "tiny" in pane._presets)
        pane.query_one("#train-preset", Select).value = "tiny"
        await pilot.pause()
        await pilot.click("#train-pretrain")
        await confirm_start(pilot)
        await wait_for(pilot, lambda: pane.live.step >= 2)
        pause = pane.query_one("#train-pause")
        # The buttons follow the run on the redraw timer: click once it has enabled Pause.
        await wait_for(pilot, lambda: not pause.disabled, what="Pause enabled")
        await pilot.click("#train-pause")
        await wait_for(pilot, lambda: pane.live.status == "paused")
        paused_at = pane.live.step
        # The training thread runs nicer than the interface (Linux), so keys win the CPU.
        if sys.platform == "linux":
            # The newest of that name: an earlier test's manager may have had a run of that id.
            thread = [t for t in threading.enumerate() if t.name == f"bertbench-{pane.run_id}"][-1]
            base = os.getpriority(os.PRIO_PROCESS, 0)
            nice = os.getpriority(os.PRIO_PROCESS, thread.native_id)
            assert nice == min(19, base + TRAINING_NICE)
        resume = pane.query_one("#train-resume")
        await wait_for(pilot, lambda: not resume.disabled, what="Resume enabled")
        await pilot.pause(0.3)  # some time to take a step, if pausing did not work
        assert pane.live.step == paused_at  # no step while paused
        pane.focus()
        await pilot.press("r")
        await wait_for(pilot, lambda: pane.live.step > paused_at)
        await pilot.press("x")
        await wait_for(pilot, lambda: not pane.live.active)
        assert pane.live.status == "stopped"
        manager = app.services.manager
        await wait_for(pilot, lambda: manager.status(pane.run_id).status == "stopped")
        status = manager.status(pane.run_id)
        # One identity: the pane names the run by its folder, as the Runs pane does.
        assert status.run_dir.name in str(pane.query_one("#train-run", Static).render())
        assert any((status.run_dir / "checkpoints").iterdir())
        assert any("stopped at step" in line for line in pane.live.log)
        stopped_at, first = pane.live.step, pane.run_id

        # The Runs pane lists the stopped run and continues it from its checkpoint; the
        # Train pane follows the continued run, its whole history first.
        app.query_one(TabbedContent).active = "runs"
        runs = app.query_one(RunsPane)
        table = runs.query_one("#runs-table", DataTable)
        await wait_for(pilot, lambda: table.row_count == 1 and table.get_row_at(0)[3] == "stopped")
        table.focus()
        await pilot.press("u")
        await wait_for(pilot, lambda: pane.run_id not in (None, first) and pane.live.step > 0)
        # Continue shows the Train tab, following the continued run.
        assert app.query_one(TabbedContent).active == "train"
        assert any("resumed from a checkpoint" in line for line in pane.live.log)
        steps = pane.live.series["train/loss"][0]
        assert steps[0] == 1 and steps == sorted(set(steps))  # the history, each step once
        assert [line for line in pane.live.log if line.startswith("history: ")]
        app.services.manager.stop(pane.run_id, wait=True, timeout=180)
        await wait_for(pilot, lambda: not pane.live.active)
        assert pane.live.status == "stopped" and pane.live.step >= stopped_at


@pytest.mark.asyncio
async def test_a_preset_without_finetune_tables_shows_a_clear_error(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        app.query_one(TabbedContent).active = "train"
        pane = app.query_one(TrainPane)
        await wait_for(pilot, lambda: "tiny" in pane._presets)
        pane.query_one("#train-preset", Select).value = "tiny"
        await pilot.pause()
        await pilot.click("#train-finetune")
        await confirm_start(pilot)
        error = pane.query_one("#train-error")
        await wait_for(pilot, lambda: "finetune" in str(error.render()))
        assert "could not start" in str(error.render()) and pane.run_id is None
