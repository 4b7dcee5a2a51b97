"""The Runs and Try panes over a workspace holding two real tiny runs: a pre-training run and
a classifier fine-tuned from it (trained once for the module, through the services)."""

from __future__ import annotations

from pathlib import Path

import pytest
from kit.tui_runs import pretrained_and_finetuned, wait_for
from textual.widgets import Checkbox, DataTable, Input, Select, Static, TabbedContent

from workbench.tui.app import BertbenchApp
from workbench.tui.panes.playground import TryPane
from workbench.tui.panes.runs import RunsPane
from workbench.tui.screens.run_export import RunExportScreen
from workbench.tui.widgets.curves import CurvePlot


@pytest.fixture(scope="module")
def trained_ws(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    return pretrained_and_finetuned(tmp_path_factory.mktemp("tui-runs"))


@pytest.mark.asyncio
async def test_runs_pane_lists_compares_and_exports(trained_ws: tuple[Path, str, str]) -> None:
    root, pre, ft = trained_ws
    app = BertbenchApp(root=root)
    async with app.run_test(size=(140, 45)) as pilot:
        app.query_one(TabbedContent).active = "runs"
        pane = app.query_one(RunsPane)
        table = pane.query_one("#runs-table", DataTable)
        await wait_for(pilot, lambda: table.row_count == 2)
        rows = {str(k.value): table.get_row(k) for k in table.rows}
        assert rows[pre][1:4] == [pre, "pretrain", "finished"]
        # An empty listing (a first launch) says so; the next listing with runs clears it.
        message = pane.query_one("#runs-message", Static)
        pane._fill([])
        assert "no runs yet" in str(message.content)
        pane.action_refresh()
        await wait_for(pilot, lambda: table.row_count == 2)
        assert "no runs yet" not in str(message.content)
        assert rows[ft][1:4] == [ft, "finetune", "finished"]
        best = list(pane.columns).index("best validation") + 1  # after the mark column
        assert rows[ft][best].startswith(("accuracy", "macro_f1"))
        # The highlighted run's own curves are drawn.
        plot = pane.query_one("#runs-plot", CurvePlot)
        await wait_for(pilot, lambda: plot.points > 0)
        table.focus()
        await pilot.press("space", "down", "space", "c")
        assert pane.marked == [table.coordinate_to_cell_key((0, 0)).row_key.value, pane.marked[1]]
        await wait_for(pilot, lambda: set(plot.series) == {pre, ft})
        # Both runs logged a training loss: the overlay holds both curves.
        assert pane.query_one("#runs-metric", Select).value == "train/loss"
        diff = pane.query_one("#runs-diff", DataTable)
        cells = [[str(c) for c in diff.get_row_at(i)] for i in range(diff.row_count)]
        settings = {row[0]: row[1:] for row in cells}
        assert "finetune.epochs" in settings
        values = dict(zip(pane.marked, settings["finetune.epochs"], strict=True))
        assert values == {pre: "-", ft: "2"}
        # TensorBoard (a child process, its address shown) and export of the highlighted run.
        current = pane._current()
        await pilot.press("b")
        message = pane.query_one("#runs-message")
        await wait_for(pilot, lambda: "http://127.0.0.1:" in str(message.render()))
        info = app.services.tensorboard.running
        assert info is not None and info.logdir == root / "runs" / current / "tensorboard"
        app.services.tensorboard.stop()
        # Export asks the folder under exports/ (the run id suggested) and names the step.
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, RunExportScreen))
        dialog = app.screen
        assert dialog.query_one("#export-name", Input).value == current
        assert "checkpoint at step" in str(dialog.query_one("#export-what", Static).render())
        await pilot.press("enter")
        await wait_for(pilot, lambda: "exported" in str(message.render()))
        assert "from its checkpoint at step" in str(message.render())
        assert (root / "exports" / current / "config.json").is_file()

        # Another name; then that name again is refused in the dialog until Overwrite is ticked.
        async def export_as(name: str) -> tuple[RunExportScreen, Static]:
            await pilot.press("e")
            await wait_for(pilot, lambda: isinstance(app.screen, RunExportScreen))
            dialog = app.screen
            assert isinstance(dialog, RunExportScreen)
            dialog.query_one("#export-name", Input).value = name
            return dialog, dialog.query_one("#export-where", Static)

        _, where = await export_as("mine")
        await wait_for(pilot, lambda: str(where.render()) == "→ exports/mine/")
        await pilot.press("enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, RunExportScreen))
        dialog, where = await export_as("mine")
        await wait_for(pilot, lambda: "already exists" in str(where.render()))
        await pilot.press("enter")
        await wait_for(pilot, lambda: "✗" in str(where.render()))
        assert app.screen is dialog  # refused: the dialog stays
        dialog.query_one("#export-overwrite", Checkbox).value = True
        await pilot.press("enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, RunExportScreen))
        assert (root / "exports" / "mine" / "config.json").is_file()


@pytest.mark.asyncio
async def test_try_pane_classifies_and_fills_masks(trained_ws: tuple[Path, str, str]) -> None:
    root, pre, ft = trained_ws
    app = BertbenchApp(root=root)
    async with app.run_test(size=(120, 40)) as pilot:
        app.query_one(TabbedContent).active = "try"
        pane = app.query_one(TryPane)
        await wait_for(pilot, lambda: len(pane.kinds) == 2)
        pane.query_one("#try-run", Select).value = ft
        text = pane.query_one("#try-text", Input)
        text.value = "the cat was very happy"
        text.focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: pane.result is not None)
        result = pane.result
        labels = [label for label, _ in result.probabilities]
        assert sorted(labels) == ["animals", "food"]
        assert abs(sum(p for _, p in result.probabilities) - 1.0) < 1e-5
        shown = str(pane.query_one("#try-result").render())
        assert f"label: {result.label}" in shown and "%" in shown and "█" in shown
        tokens = str(pane.query_one("#try-tokens").render())
        assert "[CLS]" in tokens and "cat" in tokens

        pane.result = None
        pane.query_one("#try-run", Select).value = pre
        text.value = "the cat [MASK] a red ball."
        await pilot.press("enter")
        await wait_for(pilot, lambda: pane.result is not None)
        masks = pane.result.masks
        assert len(masks) == 1 and pane.result.tokens[masks[0].position] == "[MASK]"
        assert len(masks[0].candidates) == 5
        shown = str(pane.query_one("#try-result").render())
        assert "mask 1" in shown and masks[0].candidates[0][0] in shown

        # Text without a mask for a pre-training run: a clear error, no traceback.
        pane.result = None
        text.value = "no mask here"
        await pilot.press("enter")
        error = pane.query_one("#try-error")
        await wait_for(pilot, lambda: "has no [MASK]" in str(error.render()))
