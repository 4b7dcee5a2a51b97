"""The Runs pane organises runs (issue #13 item 7): the filter, the notes and tags dialog,
rename, the trash with its confirmation and restore, start and duration columns at 140 and 80
columns. Over run folders written by the real tracker (kit.fixed_runs)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from kit.fixed_runs import write_run
from kit.tui import settle, started, wait_for
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static, TextArea

from workbench.tui.app import BertbenchApp
from workbench.tui.panes.runs import NARROW_COLUMNS, RunsPane
from workbench.tui.screens.run_notes import RunNotesScreen
from workbench.tui.screens.run_rename import RunRenameScreen
from workbench.tui.screens.run_trash import RunTrashScreen

BASE = "base-20260101T000000Z"
SWEEP = "sweep-20260102T000000Z"


@pytest.fixture
def runs_ws(workspace: Path) -> Path:
    write_run(workspace, "base", 1, 1e-3)
    write_run(workspace, "sweep", 2, 3e-4)
    return workspace


async def open_runs(pilot: Pilot) -> tuple[RunsPane, DataTable]:
    await started(pilot)
    await pilot.press("4")
    pane = pilot.app.query_one(RunsPane)
    table = pane.query_one("#runs-table", DataTable)
    await settle(pilot, lambda: table.row_count == 2 and pilot.app.focused is table)
    return pane, table


def ids(table: DataTable) -> list[str]:
    return [str(k.value) for k in table.rows]


def message(pane: RunsPane) -> str:
    return str(pane.query_one("#runs-message", Static).render())


@pytest.mark.asyncio
async def test_slash_filters_as_you_type_and_escape_clears(runs_ws: Path) -> None:
    app = BertbenchApp(root=runs_ws)
    async with app.run_test(size=(140, 40)) as pilot:
        pane, table = await open_runs(pilot)
        await pilot.press("slash")
        box = pane.query_one("#runs-filter", Input)
        assert app.focused is box
        await pilot.press(*"swe")
        assert ids(table) == [SWEEP]
        assert "1 of 2 runs match 'swe'" in message(pane)
        await pilot.press("space", *"zzz")
        assert ids(table) == [] and "no run matches 'swe zzz'" in message(pane)
        await pilot.press("escape")  # clears
        assert box.value == "" and ids(table) == [SWEEP, BASE] and message(pane) == ""
        await pilot.press("escape")  # leaves
        assert app.focused is table
        await pilot.press("slash", *"status:finished", "enter")
        assert ids(table) == [SWEEP, BASE] and app.focused is table


@pytest.mark.asyncio
async def test_n_edits_notes_and_tags_and_a_bad_tag_is_said_in_place(runs_ws: Path) -> None:
    app = BertbenchApp(root=runs_ws)
    async with app.run_test(size=(140, 40)) as pilot:
        pane, table = await open_runs(pilot)
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, RunNotesScreen))
        screen = app.screen
        await pilot.press(*"good a/b")
        await pilot.press("ctrl+s")
        error = screen.query_one("#notes-error", Static)
        await wait_for(pilot, lambda: "'a/b' may hold only letters" in str(error.render()))
        assert app.screen is screen  # still open, nothing written
        assert not (runs_ws / "runs" / SWEEP / "meta.json").exists()
        screen.query_one("#notes-tags", Input).value = "good baseline"
        screen.query_one("#notes-text", TextArea).text = "lr 3e-4 — slower ✓"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen is not screen)
        stored = json.loads((runs_ws / "runs" / SWEEP / "meta.json").read_text("utf-8"))
        assert stored == {"tags": ["good", "baseline"], "notes": "lr 3e-4 — slower ✓"}
        await wait_for(pilot, lambda: "good baseline" in [str(c) for c in table.get_row(SWEEP)])
        assert "saved the notes and tags of " + SWEEP in message(pane)
        # The filter finds it by a tag and by its notes.
        await pilot.press("slash", *"tag:good slower")
        assert ids(table) == [SWEEP]
        # Reopened, the dialog shows what is stored; Esc leaves it unchanged.
        await pilot.press("escape", "escape", "n")
        await wait_for(pilot, lambda: isinstance(app.screen, RunNotesScreen))
        assert app.screen.query_one("#notes-tags", Input).value == "good baseline"
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, RunNotesScreen) is False)


@pytest.mark.asyncio
async def test_shift_r_renames_with_the_name_prefilled(runs_ws: Path) -> None:
    app = BertbenchApp(root=runs_ws)
    async with app.run_test(size=(140, 40)) as pilot:
        pane, table = await open_runs(pilot)
        await pilot.press("R")
        await wait_for(pilot, lambda: isinstance(app.screen, RunRenameScreen))
        screen = app.screen
        box = screen.query_one("#rename-name", Input)
        assert box.value == SWEEP
        error = screen.query_one("#rename-error", Static)
        box.value = "../../etc"
        await pilot.pause()
        assert "contains '..'" in str(error.render())
        box.value = BASE  # taken
        await pilot.press("enter")
        await wait_for(pilot, lambda: "already exists" in str(error.render()))
        box.value = "slow-lr"
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is not screen)
        await wait_for(pilot, lambda: "slow-lr" in ids(table))
        assert ids(table) == ["slow-lr", BASE] and pane._current() == "slow-lr"
        assert (runs_ws / "runs" / "slow-lr" / "summary.json").is_file()
        assert f"renamed {SWEEP} to slow-lr" in message(pane)


@pytest.mark.asyncio
async def test_delete_asks_then_moves_to_the_trash_and_z_restores(runs_ws: Path) -> None:
    app = BertbenchApp(root=runs_ws)
    async with app.run_test(size=(140, 40)) as pilot:
        pane, table = await open_runs(pilot)
        await pilot.press("delete")
        await wait_for(pilot, lambda: isinstance(app.screen, RunTrashScreen))
        text = str(app.screen.query_one("#trash-help", Static).render())
        assert "Nothing is deleted" in text and str(runs_ws / "trash") in text
        await pilot.press("escape")  # keep it
        await wait_for(pilot, lambda: not isinstance(app.screen, RunTrashScreen))
        assert (runs_ws / "runs" / SWEEP).is_dir()
        await pilot.press("delete")
        await wait_for(pilot, lambda: isinstance(app.screen, RunTrashScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: ids(table) == [BASE])
        assert (runs_ws / "trash" / SWEEP / "summary.json").is_file()
        assert "z brings it back" in message(pane)
        await pilot.press("z")
        await wait_for(pilot, lambda: ids(table) == [SWEEP, BASE])
        assert not (runs_ws / "trash" / SWEEP).exists()
        assert f"restored {SWEEP}" in message(pane)


@pytest.mark.asyncio
async def test_start_and_duration_columns_fit_80_columns(runs_ws: Path) -> None:
    app = BertbenchApp(root=runs_ws)
    async with app.run_test(size=(80, 24)) as pilot:
        pane, table = await open_runs(pilot)
        assert pane.columns == NARROW_COLUMNS
        assert [str(c) for c in table.get_row(BASE)][1:] == [
            BASE, "finished", "01-01 01:00", "45s", "loss 2.88"
        ]  # fmt: skip
        # Every column is on screen (nothing scrolls off to the right).
        assert table.virtual_size.width <= table.size.width
        await pilot.resize_terminal(140, 40)
        await wait_for(pilot, lambda: "kind" in pane.columns and table.row_count == 2)
        row = dict(zip(pane.columns, [str(c) for c in table.get_row(BASE)][1:], strict=True))
        assert row["started"] == "2026-01-01 01:00" and row["duration"] == "45s"
