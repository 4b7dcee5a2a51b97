"""The Presets pane against the real preset service: list, form, validation, save as, diff."""

from __future__ import annotations

from pathlib import Path

import pytest
import tomllib
from kit.tui import idle, settle, started
from textual.widgets import DataTable, Input, OptionList, Static, TabbedContent

from workbench.tui.app import BertbenchApp
from workbench.tui.panes.presets import PresetsPane
from workbench.tui.screens.preset_diff import DiffScreen
from workbench.tui.screens.preset_save import SaveAsScreen
from workbench.tui.widgets.field_row import FieldRow, field_id


async def open_preset(pilot, pane: PresetsPane, name: str) -> None:  # noqa: ANN001
    await settle(pilot, lambda: bool(pane.entries))
    index = next(i for i, e in enumerate(pane.entries) if e.name == name)
    pane.query_one("#preset-list", OptionList).highlighted = index
    await settle(pilot, lambda: pane.current is not None and pane.current.name == name)
    await settle(pilot, lambda: pane.validation is not None and bool(pane.loaded))


async def show_section(pilot, pane: PresetsPane, section: str) -> None:  # noqa: ANN001
    names = [s.name for s in pane.sections]
    pane.query_one("#preset-sections", OptionList).highlighted = names.index(section)
    await settle(pilot, lambda: pane.section == section)


def row(pane: PresetsPane, path: str) -> FieldRow:
    return pane.query_one(f"#row-{field_id(path)}", FieldRow)


@pytest.mark.asyncio
async def test_lists_bundled_presets_and_shows_the_form(workspace: Path) -> None:
    app = BertbenchApp(root=workspace)
    async with app.run_test(size=(100, 30)) as pilot:
        await started(pilot)
        pane = app.query_one(PresetsPane)
        await open_preset(pilot, pane, "quickstart")
        bundled = {e.name for e in app.services.presets.list() if e.origin == "bundled"}
        assert {"quickstart", "classify-quickstart"} <= bundled
        assert bundled <= {e.name for e in pane.entries}
        await show_section(pilot, pane, "pretrain")
        written = tomllib.loads(app.services.presets.text("quickstart"))["pretrain"]
        lr = row(pane, "pretrain.lr")
        assert float(lr.text()) == written["lr"]
        assert int(row(pane, "pretrain.max_steps").text()) == written["max_steps"]
        help_text = str(lr.query_one(".field-help", Static).render())
        assert "learning rate" in help_text.lower() and "<= 1" in help_text
        assert "✓ valid" in str(pane.query_one("#preset-status", Static).render())
        # A pre-training preset has no [finetune] table: marked, no fields shown.
        await show_section(pilot, pane, "finetune")
        assert not pane.query(FieldRow)
        assert "no [finetune] table" in str(pane.query_one(".section-absent").render())


@pytest.mark.asyncio
async def test_an_invalid_edit_shows_the_error_at_the_field(workspace: Path) -> None:
    app = BertbenchApp(root=workspace)
    async with app.run_test(size=(100, 30)) as pilot:
        await started(pilot)
        pane = app.query_one(PresetsPane)
        await open_preset(pilot, pane, "quickstart")
        await show_section(pilot, pane, "data")
        batch = row(pane, "data.batch_size")
        batch.editor.focus()
        batch.editor.value = ""
        await pilot.press("0")
        await settle(pilot, lambda: batch.has_class("-invalid"))
        error = str(batch.query_one(".field-error", Static).render())
        assert "greater than or equal to 1" in error
        assert "problem" in str(pane.query_one("#preset-status", Static).render())
        assert pane.dirty
        # The section list counts the error; other sections keep no marks.
        labels = [str(o.prompt) for o in pane.query_one("#preset-sections", OptionList).options]
        assert "data ✗1" in labels and not any("✗" in x for x in labels if x != "data ✗1")
        # Save as refuses while the form is invalid, and takes the cursor to the error.
        await show_section(pilot, pane, "model")
        await pilot.press("escape", "s")
        assert not isinstance(app.screen, SaveAsScreen)
        await settle(pilot, lambda: pane.section == "data")
        batch = row(pane, "data.batch_size")
        assert app.focused is batch.editor
        # Fixing it clears the error; switching section and back keeps the edit.
        batch.editor.value = "12"
        await settle(pilot, lambda: not batch.has_class("-invalid"))
        await show_section(pilot, pane, "model")
        await show_section(pilot, pane, "data")
        assert row(pane, "data.batch_size").text() == "12"


@pytest.mark.asyncio
async def test_save_as_writes_the_edited_preset_and_rejects_a_bad_name(workspace: Path) -> None:
    app = BertbenchApp(root=workspace)
    async with app.run_test(size=(100, 30)) as pilot:
        await started(pilot)
        pane = app.query_one(PresetsPane)
        await open_preset(pilot, pane, "quickstart")
        await show_section(pilot, pane, "pretrain")
        row(pane, "pretrain.max_steps").editor.value = "321"
        await settle(pilot, lambda: pane.dirty and pane.validation.ok)  # type: ignore[union-attr]
        pane.query_one("#preset-list").focus()
        await pilot.press("s")
        assert isinstance(app.screen, SaveAsScreen)
        name = app.screen.query_one("#save-name", Input)
        name.value = "../escape"
        await pilot.press("enter")
        await settle(pilot, lambda: bool(str(app.screen.query_one("#save-error").render())))
        assert ".." in str(app.screen.query_one("#save-error").render())
        assert not (workspace / "escape.toml").exists()
        name.value = "my-quick"
        await pilot.press("enter")
        await settle(pilot, lambda: not isinstance(app.screen, SaveAsScreen))
        saved = workspace / "presets" / "my-quick.toml"
        assert tomllib.loads(saved.read_text())["pretrain"]["max_steps"] == 321
        # The list now holds the new workspace preset, opened.
        await settle(pilot, lambda: pane.current is not None and pane.current.name == "my-quick")
        assert pane.current.origin == "workspace"
        # Saving again under the same name says it exists.
        await pilot.press("s")
        app.screen.query_one("#save-name", Input).value = "my-quick"
        await pilot.press("enter")
        await settle(pilot, lambda: "exists" in str(app.screen.query_one("#save-error").render()))
        await pilot.press("escape")


@pytest.mark.asyncio
async def test_duplicate_diff_and_use(workspace: Path) -> None:
    app = BertbenchApp(root=workspace)
    async with app.run_test(size=(100, 30)) as pilot:
        await started(pilot)
        pane = app.query_one(PresetsPane)
        await open_preset(pilot, pane, "quickstart")
        pane.query_one("#preset-list").focus()
        await pilot.press("d")
        await settle(pilot, lambda: (workspace / "presets" / "quickstart-copy.toml").is_file())
        await settle(
            pilot, lambda: pane.current is not None and pane.current.name == "quickstart-copy"
        )

        await open_preset(pilot, pane, "quickstart")
        await pilot.press("c")
        assert isinstance(app.screen, DiffScreen)
        others = [e.name for e in pane.entries]
        app.screen.query_one("#diff-other").value = others.index("mlm-only")
        expected = app.services.presets.diff("quickstart", "mlm-only")
        table = app.screen.query_one(DataTable)
        await settle(
            pilot,
            lambda: (
                table.row_count == len(expected)
                and "mlm-only" in str([c.label for c in table.columns.values()])
            ),
        )
        assert {str(k.value) for k in table.rows} == set(expected)
        assert "model.objective" in expected
        await pilot.press("escape")
        await idle(pilot)

        await pilot.press("u")
        await settle(pilot, lambda: app.query_one(TabbedContent).active == "train", limit=10)
