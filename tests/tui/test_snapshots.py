"""Snapshots of the Presets and Tokenizer panes over deterministic data (bundled presets, a
tokenizer trained on generated text). Update after a deliberate change of the look with
`pytest tests/tui/test_snapshots.py --snapshot-update`, and look at the new SVGs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kit.tui import sentences, settle, started
from textual.pilot import Pilot
from textual.widgets import Input, OptionList

from workbench.services import Services
from workbench.tui.app import BertbenchApp
from workbench.tui.panes.presets import PresetsPane
from workbench.tui.panes.tokenizer import TokenizerPane
from workbench.tui.widgets.field_row import FieldRow, field_id


def test_presets_pane_with_an_error(workspace: Path, snap_compare: Any) -> None:
    async def run_before(pilot: Pilot) -> None:
        await started(pilot)
        pane = pilot.app.query_one(PresetsPane)
        await settle(pilot, lambda: bool(pane.entries) and pane.validation is not None)
        names = [e.name for e in pane.entries]
        pane.query_one("#preset-list", OptionList).highlighted = names.index("quickstart")
        await settle(pilot, lambda: pane.current.name == "quickstart" and bool(pane.loaded))
        sections = [s.name for s in pane.sections]
        pane.query_one("#preset-sections", OptionList).highlighted = sections.index("data")
        await settle(pilot, lambda: pane.section == "data")
        row = pane.query_one(f"#row-{field_id('data.batch_size')}", FieldRow)
        row.editor.value = "0"
        await settle(pilot, lambda: row.has_class("-invalid"))
        row.scroll_visible(animate=False, top=True)
        pilot.app.set_focus(None)
        await pilot.pause()

    assert snap_compare(
        BertbenchApp(root=workspace), terminal_size=(100, 30), run_before=run_before
    )


def test_tokenizer_pane_with_an_encoding(workspace: Path, snap_compare: Any) -> None:
    job = Services(workspace).tokenizers.train(
        "wp-demo", sentences(300), vocab_size=150, min_frequency=1
    )
    assert job.wait() == "finished", job.error

    async def run_before(pilot: Pilot) -> None:
        await started(pilot)
        await pilot.press("2")
        pane = pilot.app.query_one(TokenizerPane)
        await settle(pilot, lambda: pane.current is not None)
        text = pane.query_one("#tok-text", Input)
        text.value = "The farmer carries a green umbrella."
        await settle(pilot, lambda: "tokens" in str(pane.query_one("#tok-ids").render()))
        pilot.app.set_focus(None)
        await pilot.pause()

    assert snap_compare(
        BertbenchApp(root=workspace), terminal_size=(100, 30), run_before=run_before
    )
