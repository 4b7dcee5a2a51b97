"""The Save-as dialog follows its name box, can overwrite on purpose, and a use-in-preset
leaves the pane's keys working (savefix)."""

from __future__ import annotations

from pathlib import Path

import pytest
import tomllib
from kit.tui import settle, started, write_corpus
from textual.widgets import Checkbox, Input, OptionList

from workbench.tui.app import BertbenchApp
from workbench.tui.messages import UseInPreset
from workbench.tui.panes.presets import PresetsPane
from workbench.tui.screens.preset_save import SaveAsScreen


async def open_quickstart(pilot, pane: PresetsPane) -> None:  # noqa: ANN001
    await settle(pilot, lambda: bool(pane.entries))
    index = next(i for i, e in enumerate(pane.entries) if e.name == "quickstart")
    pane.query_one("#preset-list", OptionList).highlighted = index
    await settle(pilot, lambda: pane.current is not None and pane.current.name == "quickstart")
    await settle(pilot, lambda: pane.validation is not None and pane.validation.ok)


def error_text(app: BertbenchApp) -> str:
    return str(app.screen.query_one("#save-error").render())


@pytest.mark.asyncio
async def test_a_name_typed_after_clearing_clears_the_message_and_is_saved(
    workspace: Path,
) -> None:
    app = BertbenchApp(root=workspace)
    async with app.run_test(size=(100, 30)) as pilot:
        await started(pilot)
        pane = app.query_one(PresetsPane)
        await open_quickstart(pilot, pane)
        await pilot.press("s")
        await settle(pilot, lambda: isinstance(app.screen, SaveAsScreen))
        app.screen.query_one("#save-name", Input).value = ""
        await pilot.press("enter")
        await settle(pilot, lambda: "empty" in error_text(app))
        await pilot.press("m", "i", "n", "e")
        await settle(pilot, lambda: app.screen.query_one("#save-name", Input).value == "mine")
        assert "empty" not in error_text(app)
        await pilot.press("enter")
        await settle(pilot, lambda: not isinstance(app.screen, SaveAsScreen))
        assert (workspace / "presets" / "mine.toml").is_file()


@pytest.mark.asyncio
async def test_overwrite_if_it_exists_replaces_a_taken_name(workspace: Path) -> None:
    app = BertbenchApp(root=workspace)
    target = workspace / "presets" / "taken.toml"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("# an older preset\n")
    async with app.run_test(size=(100, 30)) as pilot:
        await started(pilot)
        pane = app.query_one(PresetsPane)
        await open_quickstart(pilot, pane)
        await pilot.press("s")
        await settle(pilot, lambda: isinstance(app.screen, SaveAsScreen))
        app.screen.query_one("#save-name", Input).value = "taken"
        await pilot.press("enter")
        await settle(pilot, lambda: "exists" in error_text(app))
        app.screen.query_one("#save-overwrite", Checkbox).value = True
        app.screen.query_one("#save-name", Input).focus()
        await pilot.press("enter")
        await settle(pilot, lambda: not isinstance(app.screen, SaveAsScreen))
        assert tomllib.loads(target.read_text())["name"] == "taken"


@pytest.mark.asyncio
async def test_after_use_in_preset_s_saves_instead_of_typing(workspace: Path) -> None:
    corpus = write_corpus(workspace / "corpus.txt")
    app = BertbenchApp(root=workspace)
    async with app.run_test(size=(100, 30)) as pilot:
        await started(pilot)
        pane = app.query_one(PresetsPane)
        await open_quickstart(pilot, pane)
        app.post_message(UseInPreset("file", corpus, corpus.name))
        await settle(pilot, lambda: pane.texts.get("data.source") == "corpus.txt")
        await settle(pilot, lambda: pane.validation is not None and pane.validation.ok)
        assert not isinstance(app.focused, Input)
        await pilot.press("s")
        await settle(pilot, lambda: isinstance(app.screen, SaveAsScreen))
        assert pane.texts["data.source"] == "corpus.txt"
