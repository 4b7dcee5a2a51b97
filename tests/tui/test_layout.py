"""The panes at 80x24 and the keys on focused widgets (issue #12 B.6, B.7): every pane's
buttons and footer keys on screen, the loss chart with room, tables that fit, Space and Enter
on the table a tab focuses, no picker on a blank entry."""

from __future__ import annotations

from pathlib import Path

import pytest
from kit.fixed_runs import write_run
from kit.tui import settle, started
from textual.widgets import Button, DataTable, Select, TabbedContent
from textual.widgets._footer import FooterKey
from textual.widgets._select import SelectOverlay

from workbench.tui.app import TABS, BertbenchApp
from workbench.tui.panes.playground import TryPane
from workbench.tui.panes.runs import RunsPane
from workbench.tui.panes.train import TrainPane
from workbench.tui.screens.preset_diff import DiffScreen
from workbench.tui.widgets.curves import CurvePlot
from workbench.tui.widgets.wrap_table import PADDING, WrapTable, fit_widths


def test_fit_widths_keeps_natural_widths_that_fit_and_shares_the_rest() -> None:
    assert fit_widths([10, 20], 40) == [10, 20]
    # The narrow key column keeps its width; the two long values share what is left.
    assert fit_widths([8, 60, 60], 60) == [8, 26, 26]
    assert fit_widths([8, 60, 61], 61) == [8, 27, 26]
    # The key column keeps its width up to 40% of the total; the values share the rest.
    assert fit_widths([20, 30, 30], 50) == [20, 15, 15]
    assert fit_widths([40, 30, 30], 50) == [20, 15, 15]
    # Never narrower than the least width, even when that cannot fit.
    assert fit_widths([30, 30, 30], 9) == [6, 6, 6]


@pytest.fixture
def runs_ws(workspace: Path) -> Path:
    write_run(workspace, "base", 1, 1e-3)
    write_run(workspace, "small-lr", 2, 3e-4)
    return workspace


@pytest.mark.asyncio
async def test_every_pane_fits_80x24(runs_ws: Path) -> None:
    app = BertbenchApp(root=runs_ws)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        tabs = app.query_one(TabbedContent)
        for number, (tab_id, _, pane_type) in enumerate(TABS, start=1):
            await pilot.press(str(number))
            await settle(pilot, lambda tab_id=tab_id: tabs.active == tab_id)
            pane = app.query_one(pane_type)
            # The focus is in the pane (so its keys are active), never left on the tab bar.
            await settle(pilot, lambda pane=pane: pane in app.focused.ancestors)
            for button in pane.query(Button):  # Presets' Diff too
                assert button.region.right <= 80 and button.region.bottom <= 23, button.id
            # Every key the pane shows in the footer is on screen.
            shown = {b.key.split(",")[0] for b in pane.BINDINGS if b.show}  # type: ignore[union-attr]
            keys = {key.key: key for key in app.query(FooterKey)}
            for key in shown:
                assert key in keys and keys[key].region.right <= 80, (tab_id, key)
        # The loss chart gets the room: the whole height beside the figures.
        await pilot.press("3")
        plot = app.query_one(TrainPane).query_one("#train-loss", CurvePlot)
        await settle(pilot, lambda: plot.size.height >= 14)


@pytest.mark.asyncio
async def test_space_and_enter_mark_runs_on_the_focused_table(runs_ws: Path) -> None:
    app = BertbenchApp(root=runs_ws)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        await pilot.press("4")  # no click: the tab focuses its table
        pane = app.query_one(RunsPane)
        table = pane.query_one("#runs-table", DataTable)
        await settle(pilot, lambda: table.row_count == 2 and app.focused is table)
        first = pane._current()
        await pilot.press("space")
        assert pane.marked == [first]
        await pilot.press("down", "enter")
        assert len(pane.marked) == 2 and pane.marked[0] == first
        await pilot.press("c")
        diff = pane.query_one("#runs-diff", WrapTable)
        await settle(pilot, lambda: diff.row_count > 0)
        # Every run's column fits the table's width.
        widths = [c.width + PADDING for c in diff.columns.values()]
        assert len(widths) == 3 and sum(widths) <= diff.size.width


@pytest.mark.asyncio
async def test_pickers_start_on_a_choice(runs_ws: Path) -> None:
    app = BertbenchApp(root=runs_ws)
    async with app.run_test(size=(100, 30)) as pilot:
        await started(pilot)
        train = app.query_one(TrainPane)
        await settle(pilot, lambda: bool(train._presets))
        try_pane = app.query_one(TryPane)
        await settle(pilot, lambda: len(try_pane.kinds) == 2)
        for select, count in (
            (train.query_one("#train-preset", Select), len(train._presets)),
            (try_pane.query_one("#try-run", Select), 2),
        ):
            assert select.value is not Select.BLANK, select.id
            # The list that opens holds the choices only: no blank first entry.
            assert select.query_one(SelectOverlay).option_count == count, select.id


@pytest.mark.asyncio
async def test_preset_diff_shows_every_column_and_whole_values(workspace: Path) -> None:
    app = BertbenchApp(root=workspace)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        await pilot.press("c")
        await settle(pilot, lambda: isinstance(app.screen, DiffScreen))
        table = app.screen.query_one("#diff-table", WrapTable)
        await settle(pilot, lambda: len(table.headers) == 3 and table.row_count > 0)
        widths = [c.width + PADDING for c in table.columns.values()]
        assert len(widths) == 3 and sum(widths) <= table.size.width
        # A long value (a description) is whole, on more lines.
        row = next(i for i, cells in enumerate(table.cells) if cells[0] == "description")
        assert [str(c) for c in table.get_row_at(row)] == list(table.cells[row])
        assert table.rows[table.coordinate_to_cell_key((row, 0)).row_key].height > 1
