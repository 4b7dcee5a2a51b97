"""Journey 3 in the TUI (docs/journeys.md, "Journey 3: edit, save in place, reload, diff",
section "In the TUI"): duplicate a bundled preset under a name, edit a field, save in place
(confirmed), reload, diff against the bundled origin; and rename it."""

from __future__ import annotations

from pathlib import Path

import pytest
import tomllib
from kit.tui import settle, started
from kit.tui_presets import open_preset, opened
from textual.widgets import DataTable, Input, OptionList

from workbench.tui.app import BertbenchApp
from workbench.tui.panes.presets import PresetsPane
from workbench.tui.screens.preset_confirm import ConfirmScreen
from workbench.tui.screens.preset_diff import DiffScreen
from workbench.tui.screens.preset_save import SaveAsScreen
from workbench.tui.widgets.field_row import FieldRow, field_id


@pytest.mark.asyncio
async def test_edit_save_in_place_reload_diff(workspace: Path) -> None:
    app = BertbenchApp(root=workspace)
    saved = workspace / "presets" / "my-quick.toml"
    async with app.run_test(size=(120, 36)) as pilot:
        await started(pilot)
        pane = app.query_one(PresetsPane)
        await open_preset(pilot, pane, "quickstart")
        # Duplicate with a name (d): the dialog suggests quickstart-copy.
        pane.query_one("#preset-list").focus()
        await pilot.press("d")
        await settle(pilot, lambda: isinstance(app.screen, SaveAsScreen))
        name = app.screen.query_one("#save-name", Input)
        assert name.value == "quickstart-copy"
        name.value = "my-quick"
        await pilot.press("enter")
        await settle(pilot, lambda: opened(pane, "my-quick"))
        assert pane.current.origin == "workspace"
        comment = "# Dropout only slows a short run of a tiny model down."
        assert comment in saved.read_text()
        # Edit a field in the form.
        names = [s.name for s in pane.sections]
        pane.query_one("#preset-sections", OptionList).highlighted = names.index("pretrain")
        await settle(pilot, lambda: "pretrain.max_steps" in pane._rows)
        row = pane.query_one(f"#row-{field_id('pretrain.max_steps')}", FieldRow)
        row.editor.focus()
        row.editor.value = ""
        await pilot.press("7", "7", "7")
        await settle(pilot, lambda: pane.dirty and pane.validation is not None)
        await settle(pilot, lambda: pane.validation.ok)  # type: ignore[union-attr]
        # Save in place: Esc leaves the box, s asks, y confirms.
        await pilot.press("escape", "s")
        await settle(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        question = str(app.screen.query_one("#confirm-question").render())
        assert question == "Overwrite presets/my-quick.toml?"
        assert "Comments are kept" in str(app.screen.query_one("#confirm-detail").render())
        await pilot.press("y")
        await settle(
            pilot, lambda: tomllib.loads(saved.read_text())["pretrain"]["max_steps"] == 777
        )
        assert comment in saved.read_text()
        await settle(pilot, lambda: opened(pane, "my-quick") and not pane.dirty)
        # Reload (r): the value is the saved one.
        pane.query_one("#preset-list").focus()
        await pilot.press("r")
        await settle(pilot, lambda: opened(pane, "my-quick") and pane.form is not None)
        assert pane.texts["pretrain.max_steps"] == "777" and not pane.dirty
        # An edit not saved: Reload asks first; Esc keeps the edit, y discards it.
        row = pane.query_one(f"#row-{field_id('pretrain.max_steps')}", FieldRow)
        row.editor.value = "778"
        await settle(pilot, lambda: pane.dirty)
        pane.query_one("#preset-list").focus()
        await pilot.press("r")
        await settle(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert "Discard your edits to my-quick?" in str(
            app.screen.query_one("#confirm-question").render()
        )
        await pilot.press("escape")
        await settle(pilot, lambda: not isinstance(app.screen, ConfirmScreen))
        assert pane.texts["pretrain.max_steps"] == "778" and pane.dirty
        # Enter on another preset asks too; Esc stays on this one with the edit.
        listing = pane.query_one("#preset-list", OptionList)
        listing.highlighted = next(i for i, e in enumerate(pane.entries) if e.name == "quickstart")
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert "Discard your edits to my-quick and open quickstart?" in str(
            app.screen.query_one("#confirm-question").render()
        )
        await pilot.press("escape")
        await settle(pilot, lambda: not isinstance(app.screen, ConfirmScreen))
        assert opened(pane, "my-quick") and pane.texts["pretrain.max_steps"] == "778"
        listing.highlighted = next(i for i, e in enumerate(pane.entries) if e.name == "my-quick")
        await pilot.press("r")
        await settle(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await settle(pilot, lambda: opened(pane, "my-quick") and not pane.dirty)
        assert pane.texts["pretrain.max_steps"] == "777"
        # Diff against the bundled origin: the name and exactly the edited field.
        await pilot.press("c")
        await settle(pilot, lambda: isinstance(app.screen, DiffScreen))
        others = [e.name for e in pane.entries]
        app.screen.query_one("#diff-other").value = others.index("quickstart")
        table = app.screen.query_one(DataTable)
        await settle(
            pilot,
            lambda: (
                "quickstart" in str([str(c.label) for c in table.columns.values()])
                and table.row_count == 2
            ),
        )
        rows = {str(k.value): table.get_row(k) for k in table.rows}
        assert set(rows) == {"name", "pretrain.max_steps"}
        assert [str(c) for c in rows["pretrain.max_steps"][1:]] == ["777", "1000"]
        await pilot.press("escape")
        await settle(pilot, lambda: not isinstance(app.screen, DiffScreen))


@pytest.mark.asyncio
async def test_rename_and_bundled_save_open_the_right_dialogs(workspace: Path) -> None:
    app = BertbenchApp(root=workspace)
    async with app.run_test(size=(120, 36)) as pilot:
        await started(pilot)
        pane = app.query_one(PresetsPane)
        await open_preset(pilot, pane, "quickstart")
        pane.query_one("#preset-list").focus()
        # s on a bundled preset opens Save as; n refuses (read-only).
        await pilot.press("s")
        await settle(pilot, lambda: isinstance(app.screen, SaveAsScreen))
        app.screen.query_one("#save-name", Input).value = "mine"
        await pilot.press("enter")
        await settle(pilot, lambda: opened(pane, "mine"))
        pane.query_one("#preset-list").focus()
        await pilot.press("n")
        await settle(pilot, lambda: isinstance(app.screen, SaveAsScreen))
        box = app.screen.query_one("#save-name", Input)
        assert box.value == "mine"
        box.value = "yours"
        await pilot.press("enter")
        await settle(pilot, lambda: opened(pane, "yours"))
        presets = workspace / "presets"
        assert not (presets / "mine.toml").exists()
        assert tomllib.loads((presets / "yours.toml").read_text())["name"] == "yours"
        # A clash is refused in the dialog, which stays open.
        (presets / "taken.toml").write_text((presets / "yours.toml").read_text())
        pane.query_one("#preset-list").focus()
        await pilot.press("n")
        await settle(pilot, lambda: isinstance(app.screen, SaveAsScreen))
        app.screen.query_one("#save-name", Input).value = "taken"
        await pilot.press("enter")
        await settle(
            pilot, lambda: "already exists" in str(app.screen.query_one("#save-error").render())
        )
        await pilot.press("escape")
        assert (presets / "yours.toml").is_file()
