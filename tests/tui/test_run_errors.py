"""The error-analysis screen of the Try pane (`x`) over a real tiny fine-tuned run that makes
mistakes, at 80x24: heatmap, per-class table, errors filtered by label; an older run offers
Compute and gets its analysis."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from kit.errors import finetuned_run, older_copy
from kit.tui import started, wait_for
from rich.console import Console
from textual.widgets import Button, DataTable, Select, Static, TabbedContent

from workbench.services import Services
from workbench.services.analysis import load_analysis
from workbench.tui.app import BertbenchApp
from workbench.tui.panes.playground import TryPane
from workbench.tui.screens.run_errors import RunErrorsScreen


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    tmp = tmp_path_factory.mktemp("tui-errors")
    root = tmp / "ws"
    run = finetuned_run(tmp, root / "runs")
    older_copy(run, "older")
    return root, run.name


def _screen(app: BertbenchApp) -> RunErrorsScreen:
    assert isinstance(app.screen, RunErrorsScreen)
    return app.screen


@pytest.mark.asyncio
async def test_x_opens_the_analysis_and_filters_the_errors(ws: tuple[Path, str]) -> None:
    root, run = ws
    expected = load_analysis(Services(root).runs, run)
    app = BertbenchApp(root=root)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        await pilot.press("5")
        pane = app.query_one(TryPane)
        await wait_for(pilot, lambda: app.query_one(TabbedContent).active == "try")
        await wait_for(pilot, lambda: run in pane.kinds)
        pane.query_one("#try-run", Select).value = run
        pane.query_one("#try-run", Select).focus()
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, RunErrorsScreen))
        screen = _screen(app)
        await wait_for(pilot, lambda: screen.analysis is not None, what="the analysis")
        assert screen.analysis == expected
        # The heatmap: a row per true label with its counts; the per-class table beside it.
        matrix = str(screen.query_one("#errors-matrix", Static).render())
        lines = matrix.splitlines()
        assert len(lines) == 1 + len(expected.labels)
        for label, row, line in zip(expected.labels, expected.matrix, lines[1:], strict=True):
            assert line.split() == [label, *map(str, row)]
        console = Console(width=80, record=True, file=io.StringIO())
        console.print(screen.query_one("#errors-classes", Static).content)
        classes = console.export_text()
        for r in expected.per_class:
            assert f"{r.recall:.3f}" in classes
        table = screen.query_one("#errors-table", DataTable)
        assert table.row_count == expected.total_errors > 0
        first = table.get_row_at(0)
        assert (first[1], first[2]) == (expected.errors[0].true, expected.errors[0].predicted)
        assert "tokens: [CLS]" in str(screen.query_one("#errors-detail", Static).render())
        # Everything is on the 80x24 screen.
        for widget in (table, screen.query_one("#errors-close", Button)):
            assert widget.region.bottom <= 24 and widget.region.right <= 80, widget.id
        # Filter by true label: only that label's errors stay.
        label = expected.errors[0].true
        screen.query_one("#errors-true", Select).value = label
        await wait_for(pilot, lambda: screen.analysis is not None and screen.analysis.true == label)
        want = [e for e in expected.errors if e.true == label]
        await wait_for(pilot, lambda: table.row_count == len(want))
        assert {table.get_row_at(i)[1] for i in range(table.row_count)} == {label}
        # And by predicted label too.
        other = want[0].predicted
        screen.query_one("#errors-pred", Select).value = other
        await wait_for(pilot, lambda: screen.analysis.predicted == other)  # type: ignore[union-attr]
        i, j = expected.labels.index(label), expected.labels.index(other)
        await wait_for(pilot, lambda: table.row_count == expected.matrix[i][j])
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, RunErrorsScreen))


@pytest.mark.asyncio
async def test_an_older_run_offers_compute(ws: tuple[Path, str]) -> None:
    root, run = ws
    app = BertbenchApp(root=root)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        app.push_screen(RunErrorsScreen("older"))
        await wait_for(pilot, lambda: isinstance(app.screen, RunErrorsScreen))
        screen = _screen(app)
        await wait_for(pilot, lambda: bool(screen.query("#errors-compute")))
        compute = screen.query_one("#errors-compute", Button)
        await wait_for(pilot, lambda: compute.display, what="the Compute button")
        status = screen.query_one("#errors-status", Static)
        assert "has no error analysis" in str(status.render())
        await pilot.click("#errors-compute")
        await wait_for(pilot, lambda: screen.analysis is not None, what="the computed analysis")
        assert screen.analysis.split == "test"  # type: ignore[union-attr]
        assert not compute.display
        assert (root / "runs" / "older" / "errors-test.jsonl").is_file()


@pytest.mark.asyncio
async def test_a_pre_training_run_is_refused_in_place(ws: tuple[Path, str]) -> None:
    root, _ = ws
    pre = root / "runs" / "pre"
    pre.mkdir(exist_ok=True)
    (pre / "config.toml").write_text("[model]\n")
    app = BertbenchApp(root=root)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        app.push_screen(RunErrorsScreen("pre"))
        await wait_for(pilot, lambda: isinstance(app.screen, RunErrorsScreen))
        await wait_for(pilot, lambda: bool(app.screen.query("#errors-status")))
        status = _screen(app).query_one("#errors-status", Static)
        await wait_for(pilot, lambda: "pre-training run" in str(status.render()))
        assert not _screen(app).query_one("#errors-compute", Button).display
