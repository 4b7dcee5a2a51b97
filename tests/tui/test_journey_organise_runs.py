"""Journey 5: organise runs (docs/journeys.md, "Journey 5: organise runs"), in the TUI: find a
run with the filter, tag it and write a note, rename it, move another to the trash and bring
it back. On run folders the real tracker wrote (kit.fixed_runs)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from kit.fixed_runs import write_run
from kit.tui import settle, started, wait_for
from textual.widgets import DataTable, Input, Static, TextArea

from workbench.tui.app import BertbenchApp
from workbench.tui.panes.runs import RunsPane
from workbench.tui.screens.run_notes import RunNotesScreen
from workbench.tui.screens.run_rename import RunRenameScreen
from workbench.tui.screens.run_trash import RunTrashScreen


@pytest.mark.asyncio
async def test_journey_organise_runs(workspace: Path) -> None:
    """Journey 5: organise runs."""
    for day, name in enumerate(("quickstart", "baseline", "lr-sweep"), 3):
        write_run(workspace, name, day, 1e-3)
    base = "baseline-20260104T000000Z"
    app = BertbenchApp(root=workspace)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        # 1. Runs: start time and duration, fitting 80 columns.
        await pilot.press("4")
        pane = app.query_one(RunsPane)
        table = pane.query_one("#runs-table", DataTable)
        await settle(pilot, lambda: table.row_count == 3 and app.focused is table)
        assert "started" in pane.columns and "duration" in pane.columns
        message = pane.query_one("#runs-message", Static)

        def said() -> str:
            return str(message.render())

        # 2. The filter.
        await pilot.press("slash", *"base")
        assert [str(k.value) for k in table.rows] == [base]
        assert "1 of 3 runs match 'base'" in said()
        await pilot.press("enter")
        assert app.focused is table
        # 3. Notes and tags.
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, RunNotesScreen))
        await pilot.press(*"good baseline", "tab")
        assert isinstance(app.focused, TextArea)
        await pilot.press(*"first try")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: f"saved the notes and tags of {base}" in said())
        meta = json.loads((workspace / "runs" / base / "meta.json").read_text("utf-8"))
        assert meta == {"tags": ["good", "baseline"], "notes": "first try"}
        # 4. Rename.
        await pilot.press("R")
        await wait_for(pilot, lambda: isinstance(app.screen, RunRenameScreen))
        box = app.screen.query_one("#rename-name", Input)
        assert box.value == base
        box.value = "my-baseline"
        await pilot.press("enter")
        await wait_for(pilot, lambda: f"renamed {base} to my-baseline" in said())
        # The filter still says base: the renamed run is found, by its name and its tag.
        await wait_for(pilot, lambda: [str(k.value) for k in table.rows] == ["my-baseline"])
        # 5. The trash, and back.
        await pilot.press("slash", "escape", "escape")
        await wait_for(pilot, lambda: table.row_count == 3 and app.focused is table)
        table.move_cursor(row=table.get_row_index("my-baseline"))
        await pilot.press("delete")
        await wait_for(pilot, lambda: isinstance(app.screen, RunTrashScreen))
        assert "Nothing is deleted" in str(app.screen.query_one("#trash-help", Static).render())
        await pilot.press("y")
        await wait_for(pilot, lambda: "z brings it back" in said() and table.row_count == 2)
        assert (workspace / "trash" / "my-baseline" / "meta.json").is_file()
        await pilot.press("z")
        await wait_for(pilot, lambda: table.row_count == 3)
        assert "restored my-baseline from the trash" in said()
        assert pane._current() == "my-baseline"
