"""The Train pane's start dialog against real tiny runs: overrides for one run, checked as the
CLI's `--set`, errors in place; the side panel after Stop; Continue from Runs shows Train."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from kit.tui_runs import confirm_start, tiny_preset, wait_for
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Select, Static, TabbedContent, TextArea

from workbench.services.overrides import check_overrides, override_lines
from workbench.tui.app import BertbenchApp
from workbench.tui.panes.runs import RunsPane
from workbench.tui.panes.train import TrainPane
from workbench.tui.screens.start_run import StartRunScreen
from workbench.tui.widgets.curves import CurvePlot

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def make_app(tmp_path: Path, **sections: dict) -> BertbenchApp:
    app = BertbenchApp(root=tmp_path / "ws")
    app.services.presets.save(tiny_preset(tmp_path, **sections), "tiny")
    return app


async def train_pane(pilot: Pilot[None], app: BertbenchApp) -> TrainPane:
    app.query_one(TabbedContent).active = "train"
    pane = app.query_one(TrainPane)
    await wait_for(pilot, lambda: "tiny" in pane._presets)
    pane.query_one("#train-preset", Select).value = "tiny"
    await pilot.pause()
    return pane


def side_text(pane: TrainPane) -> str:
    return "\n".join(
        str(pane.query_one(f"#{i}", Static).render()) for i in ("train-run", "train-figures")
    )


def test_override_lines_and_checks_name_the_line(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    presets = app.services.presets
    lines, problems = override_lines("# a comment\n\npretrain.max_steps=5\nmax_steps 5\n")
    assert [(line.number, line.text, line.key) for line in lines] == [
        (3, "pretrain.max_steps=5", "pretrain.max_steps")
    ]
    assert [(p.line, p.text) for p in problems] == [(4, "max_steps 5")]
    text = "pretrain.max_step=20\ndata.batch_size=0\nmodel.hidden_size=32\npretrain.lr=abc"
    check = check_overrides(presets, "tiny", text)
    assert not check.ok and check.preset is None
    shown = [str(p) for p in check.problems]
    assert shown[0].startswith("line 1 (pretrain.max_step=20): unknown key 'pretrain.max_step'")
    assert "did you mean 'pretrain.max_steps'?" in shown[0]
    assert shown[1].startswith("line 2 (data.batch_size=0): data.batch_size = 0: ")
    assert ">= 1" in shown[1]  # what is allowed
    assert shown[2].startswith("line 4 (pretrain.lr=abc): ") and "valid number" in shown[2]
    assert len(shown) == 3 and "--set" not in check.message()
    good = check_overrides(presets, "tiny", "pretrain.max_steps=20\ndata.batch_size=4\n")
    assert good.ok and good.overrides == ["pretrain.max_steps=20", "data.batch_size=4"]
    assert good.preset is not None and good.preset.pretrain.max_steps == 20
    # Settings fine alone but not together: said of the lines together.
    clash = check_overrides(presets, "tiny", "model.hidden_size=33\nmodel.num_heads=3")
    assert clash.ok  # 33 is divisible by 3
    clash = check_overrides(presets, "tiny", "model.num_heads=4\nmodel.hidden_size=34")
    assert not clash.ok and clash.message().startswith("these settings together: ")
    assert "divisible" in clash.message()


@pytest.mark.asyncio
async def test_the_start_dialog_runs_with_overrides_for_this_run_only(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    preset_file = app.services.presets.resolve("tiny")
    before = preset_file.read_bytes()
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await train_pane(pilot, app)
        pane.focus()
        await pilot.press("t")
        await wait_for(pilot, lambda: isinstance(app.screen, StartRunScreen), what="dialog")
        screen = app.screen
        assert "Pre-train from tiny" in str(screen.query_one("#start-title").render())
        assert "kind pretrain" in str(screen.query_one("#start-what").render())
        # Everything fits at 80x24: the buttons are on screen, whole.
        for button in ("#start-ok", "#start-cancel"):
            region = screen.query_one(button).region
            assert region.width > 0 and region.bottom <= 24 and region.right <= 80, button
        # Bad overrides: a specific message per line, the dialog stays open, the text kept.
        bad = "pretrain.max_step=20\ndata.batch_size=0\nnonsense"
        area = screen.query_one("#start-overrides", TextArea)
        area.text = bad
        await pilot.press("ctrl+s")
        error = screen.query_one("#start-error", Static)
        await wait_for(pilot, lambda: "to fix" in str(error.render()), what="the error")
        said = str(error.render())
        assert "3 overrides to fix" in said
        assert "line 1 (pretrain.max_step=20): unknown key" in said
        assert "did you mean 'pretrain.max_steps'?" in said
        assert "line 2 (data.batch_size=0)" in said and ">= 1" in said
        assert "line 3 (nonsense): not key=value" in said
        assert app.screen is screen and area.text == bad and pane.run_id is None
        # A bad run name is said too.
        screen.query_one("#start-name", Input).value = "a/b"
        area.text = "pretrain.max_steps=4\ndata.batch_size=4"
        await pilot.pause()
        await pilot.click("#start-ok")
        await wait_for(pilot, lambda: "run name" in str(error.render()), what="name error")
        assert app.screen is screen
        # Fixed: Enter in the name box starts.
        screen.query_one("#start-name", Input).value = "short-one"
        screen.query_one("#start-name", Input).focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is not screen, what="the dialog closes")
        await wait_for(pilot, lambda: pane.run_id is not None and not pane.live.active)
        assert pane.live.status == "finished", pane.live.error
        status = app.services.manager.status(pane.run_id)
        assert status.run_dir is not None and status.run_dir.name.startswith("short-one")
        config = tomllib.loads((status.run_dir / "config.toml").read_text(encoding="utf-8"))
        assert config["pretrain"]["max_steps"] == 4 and config["data"]["batch_size"] == 4
        assert pane.live.step == 4
        first = pane.run_id

        # Esc cancels: no run starts. The next dialog of the preset holds the last overrides
        # (of a start or a cancel).
        pane.focus()
        await pilot.press("t")
        await wait_for(pilot, lambda: isinstance(app.screen, StartRunScreen), what="dialog 2")
        again = app.screen
        kept = again.query_one("#start-overrides", TextArea)
        assert kept.text == area.text
        kept.text = "pretrain.max_steps=5\ndata.batch_size=4"  # kept though cancelled
        await pilot.pause()
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is not again, what="the dialog closes")
        await pilot.pause(0.3)
        assert pane.run_id == first and len(app.services.manager.runs()) == 1
        # A second start is quick: the button, then Start with what the box holds.
        await pilot.click("#train-pretrain")
        await confirm_start(pilot)
        await wait_for(pilot, lambda: pane.run_id != first and not pane.live.active)
        second = app.services.manager.status(pane.run_id)
        assert second.status == "finished" and second.step == 5
    assert preset_file.read_bytes() == before  # the preset file is unchanged


@pytest.mark.asyncio
async def test_stop_updates_the_side_panel_and_continue_shows_train(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await train_pane(pilot, app)
        await pilot.click("#train-pretrain")
        await confirm_start(pilot, "pretrain.max_steps=3000\npretrain.eval_every=1000")
        await wait_for(pilot, lambda: pane.live.step >= 2, what="training")
        manager = app.services.manager
        first = pane.run_id
        assert first is not None
        # Stop: the side panel says stopping at once, then stopped at the step, by itself.
        stop = pane.query_one("#train-stop")
        await wait_for(pilot, lambda: not stop.disabled, what="Stop enabled")
        await pilot.click("#train-stop")
        assert "stopping" in side_text(pane) or not pane.live.active
        await wait_for(pilot, lambda: manager.status(first).status == "stopped", what="stopped")
        step = manager.status(first).step
        await wait_for(
            pilot,
            lambda: "status stopped" in side_text(pane) and f"step {step}/3000" in side_text(pane),
            what=f"the side panel says stopped at {step}: {side_text(pane)!r}",
        )
        label = str(pane.query_one("#train-progress-label").render())
        assert label.startswith("stopped") and stop.disabled
        await wait_for(pilot, lambda: "stopped" in str(pane.query_one("#train-run").render()))

        # Continue from Runs: the Train tab follows the continued run, the chart replaying
        # the steps before the stop.
        app.query_one(TabbedContent).active = "runs"
        runs = app.query_one(RunsPane)
        table = runs.query_one("#runs-table", DataTable)
        await wait_for(pilot, lambda: table.row_count == 1 and table.get_row_at(0)[3] == "stopped")
        table.focus()
        await pilot.press("u")
        await wait_for(pilot, lambda: pane.run_id not in (None, first), what="following")
        await wait_for(pilot, lambda: app.query_one(TabbedContent).active == "train")
        await wait_for(pilot, lambda: pane.live.step > step, what="the continued run trains")
        steps = pane.live.series["train/loss"][0]
        assert steps[0] == 1 and steps == sorted(set(steps)) and step in steps
        chart = pane.query_one("#train-loss", CurvePlot)
        await wait_for(pilot, lambda: step + 1 in chart.series.get("train/loss", ([], []))[0])
        assert chart.series["train/loss"][0][:step] == list(range(1, step + 1))
        manager.stop(pane.run_id, wait=True, timeout=180)
        await wait_for(pilot, lambda: not pane.live.active)
