"""The Runs pane refreshes by itself when another process changes the runs folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from kit.tui import settle, started
from textual.widgets import DataTable

from workbench.tui.app import BertbenchApp
from workbench.tui.panes.runs import RunsPane


@pytest.mark.asyncio
async def test_a_run_written_elsewhere_appears_and_its_end_shows(tmp_path: Path) -> None:
    app = BertbenchApp(root=tmp_path)
    async with app.run_test(size=(140, 40)) as pilot:
        await started(pilot)
        await pilot.press("4")
        table = app.query_one(RunsPane).query_one("#runs-table", DataTable)
        # As the CLI would write them: a run folder, then its summary as it ends.
        run = tmp_path / "runs" / "elsewhere-20260101T000000Z"
        run.mkdir(parents=True)
        summary = {"status": "running", "pid": 1, "hostname": "gone", "step": 3, "total_steps": 9}
        (run / "summary.json").write_text(json.dumps(summary))
        await settle(pilot, lambda: table.row_count == 1)
        assert table.get_row_at(0)[1] == run.name
        assert table.get_row_at(0)[3] == "interrupted"  # no heartbeat: its process is gone
        summary.update(status="finished", step=9)
        (run / "summary.json").write_text(json.dumps(summary))
        await settle(pilot, lambda: table.get_row_at(0)[3:5] == ["finished", "9/9"])


@pytest.mark.asyncio
async def test_the_cursor_stays_on_its_run_when_a_new_run_appears_above(tmp_path: Path) -> None:
    """A run started meanwhile is listed first: the cursor keeps the run it was on (so `u`
    or `e` act on the run the user chose), not the row number."""
    from kit.fixed_runs import write_run

    write_run(tmp_path, "old", day=1, lr=1e-3, total=4)
    write_run(tmp_path, "mid", day=2, lr=1e-3, total=4)
    app = BertbenchApp(root=tmp_path)
    async with app.run_test(size=(140, 40)) as pilot:
        await started(pilot)
        await pilot.press("4")
        pane = app.query_one(RunsPane)
        table = pane.query_one("#runs-table", DataTable)
        await settle(pilot, lambda: table.row_count == 2)
        table.focus()
        await pilot.press("down")  # the older run
        await settle(pilot, lambda: pane._current() == "old-20260101T000000Z")
        write_run(tmp_path, "new", day=3, lr=1e-3, total=4)
        await settle(pilot, lambda: table.row_count == 3)
        assert table.get_row_at(0)[1] == "new-20260103T000000Z"
        assert pane._current() == "old-20260101T000000Z"
