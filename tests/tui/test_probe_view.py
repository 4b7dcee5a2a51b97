"""The Train pane's probe table (#16.1) against a real tiny pre-training run: the rows show
the predictions the run wrote to metrics.jsonl, live; `[` and `]` step back and forward
through the evaluations; a finished run followed again shows them from its history; at 80x24
the table is one line until `P` opens it, so the loss chart keeps its room."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from kit.tui_runs import tiny_preset, wait_for
from textual.pilot import Pilot
from textual.widgets import Static, TabbedContent

from workbench.services.probes import fit_sentence, format_probability
from workbench.tui.app import BertbenchApp
from workbench.tui.messages import RunStarted
from workbench.tui.panes.train import TrainPane
from workbench.tui.widgets.curves import CurvePlot
from workbench.tui.widgets.probe_table import ProbeTable

STEPS, EVERY = 6, 2  # evaluations (with probes) at steps 2, 4 and 6


def make_app(tmp_path: Path, steps: int = STEPS, every: int = EVERY) -> BertbenchApp:
    app = BertbenchApp(root=tmp_path / "ws")
    preset = tiny_preset(tmp_path, pretrain={"max_steps": steps, "eval_every": every})
    app.services.presets.save(preset, "tiny")
    return app


async def follow_new_run(pilot: Pilot[Any], app: BertbenchApp) -> TrainPane:
    """Start the tiny pre-training as the Runs pane's Continue does (the manager, then
    RunStarted): the Train pane follows it from its first event, whatever its own way of
    starting a run."""
    app.query_one(TabbedContent).active = "train"
    pane = app.query_one(TrainPane)
    await wait_for(pilot, lambda: "tiny" in pane._presets, what="presets listed")
    app.post_message(RunStarted(app.services.manager.start_pretraining("tiny")))
    await wait_for(pilot, lambda: pane.run_id is not None, what="followed")
    return pane


async def pretrain(pilot: Pilot[Any], app: BertbenchApp) -> tuple[TrainPane, Path]:
    """Start the tiny pre-training, follow it to its end; (pane, run folder)."""
    pane = await follow_new_run(pilot, app)
    await wait_for(pilot, lambda: not pane.live.active, what="the run's end")
    assert pane.live.status == "finished", pane.live.error
    run_dir = app.services.manager.status(pane.run_id).run_dir
    assert run_dir is not None
    return pane, run_dir


def recorded(run_dir: Path) -> dict[int, list[dict[str, Any]]]:
    """The probe events in metrics.jsonl, read here as plain JSON: step -> probes."""
    lines = (run_dir / "metrics.jsonl").read_text(encoding="utf-8").splitlines()
    events = [json.loads(line) for line in lines if line.strip()]
    return {e["step"]: e["probes"] for e in events if e["event"] == "probe"}


def rows_text(table: ProbeTable) -> list[str]:
    return str(table.query_one("#probe-rows", Static).render()).splitlines()


def assert_rows_show(table: ProbeTable, probes: list[dict[str, Any]]) -> None:
    """One line per probe, under the header: its sentence (the mask visible), true word,
    rank and top prediction with its probability, as metrics.jsonl has them."""
    header, *lines = rows_text(table)
    assert header.split() == ["sentence", "true", "rank", "top", "predictions"]
    assert len(lines) == len(probes)
    width = header.index("true") - 2  # the sentence column's
    for line, probe in zip(lines, probes, strict=True):
        assert "[MASK]" in line and line.startswith(fit_sentence(probe["text"], width))
        token, p = probe["top"][0]
        assert f"{token} {format_probability(p)}" in line, (line, probe["top"])
        words = line.split()
        assert probe["answer"] in words and f"{probe['rank']:,}" in words, line


@pytest.mark.asyncio
async def test_the_table_follows_the_run_and_steps_back(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(140, 40)) as pilot:
        pane, run_dir = await pretrain(pilot, app)
        table = pane.query_one(ProbeTable)
        by_step = recorded(run_dir)
        assert sorted(by_step) == [2, 4, 6] and all(by_step.values())
        await wait_for(pilot, lambda: table.history.steps == [2, 4, 6], what="3 evaluations")
        assert table.display and table.outer_size.height == 2 + len(by_step[6])  # border, header
        assert table.border_title is not None and "step 6 (3/3, latest)" in table.border_title
        assert_rows_show(table, by_step[6])

        pane.focus()
        await pilot.press("left_square_bracket")  # [ : one evaluation back
        await wait_for(pilot, lambda: "step 4 (2/3)" in str(table.border_title), what="step 4")
        assert_rows_show(table, by_step[4])
        await pilot.press("left_square_bracket", "left_square_bracket")  # the first, and stays
        await wait_for(pilot, lambda: "step 2 (1/3)" in str(table.border_title), what="step 2")
        assert_rows_show(table, by_step[2])
        await pilot.press("right_square_bracket", "right_square_bracket")  # ] back to the newest
        await wait_for(pilot, lambda: "(3/3, latest)" in str(table.border_title), what="latest")
        assert table.history.index is None  # following the run again
        assert_rows_show(table, by_step[6])

        # The finished run followed again: its probes come from the history replay.
        await pilot.press("left_square_bracket")
        pane.follow(pane.run_id)
        await wait_for(pilot, lambda: table.history.steps == [2, 4, 6], what="replayed")
        assert "step 6 (3/3, latest)" in str(table.border_title)
        assert_rows_show(table, by_step[6])


@pytest.mark.asyncio
async def test_at_80x24_the_table_is_a_line_until_opened(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        pane, run_dir = await pretrain(pilot, app)
        table = pane.query_one(ProbeTable)
        await wait_for(pilot, lambda: table.history.count == 3, what="3 evaluations")
        await wait_for(pilot, lambda: table.outer_size.height == 1, what="one line")
        # The loss chart keeps its room; the line says where it is and how to open it.
        assert pane.query_one("#train-loss", CurvePlot).size.height >= 14
        assert "step 6 (3/3, latest)" in str(table.border_title)
        assert "P open" in str(table.border_title)
        pane.focus()
        await pilot.press("P")
        probes = recorded(run_dir)[6]
        await wait_for(pilot, lambda: table.outer_size.height == 2 + len(probes), what="opened")
        assert table.region.right <= 80 and table.region.bottom <= 23
        assert_rows_show(table, probes)
        assert all(len(line) <= table.scrollable_content_region.width for line in rows_text(table))
        await pilot.press("left_square_bracket")
        await wait_for(pilot, lambda: "step 4 (2/3)" in str(table.border_title), what="step 4")
        assert_rows_show(table, recorded(run_dir)[4])
        await pilot.press("P")
        await wait_for(pilot, lambda: table.outer_size.height == 1, what="closed")
        assert pane.query_one("#train-loss", CurvePlot).size.height >= 14


@pytest.mark.asyncio
async def test_the_table_updates_live_while_the_run_trains(tmp_path: Path) -> None:
    app = make_app(tmp_path, steps=3000, every=5)
    async with app.run_test(size=(140, 40)) as pilot:
        pane = await follow_new_run(pilot, app)
        table = pane.query_one(ProbeTable)
        manager = app.services.manager
        await wait_for(pilot, lambda: table.history.count >= 2, what="two evaluations")
        first = table.history.count
        # New evaluations arrive while it trains; the newest is shown, following the run.
        await wait_for(pilot, lambda: table.history.count >= first + 2, what="two more")
        assert pane.live.active and table.history.index is None
        manager.pause(pane.run_id)
        await wait_for(pilot, lambda: pane.live.status == "paused", what="paused")
        shown = table.shown
        assert shown is not None and shown.latest and shown.step == table.history.steps[-1]
        status = manager.status(pane.run_id)
        assert status.run_dir is not None
        assert_rows_show(table, recorded(status.run_dir)[shown.step])
        manager.stop(pane.run_id, wait=True, timeout=180)
        await wait_for(pilot, lambda: not pane.live.active, what="stopped")
