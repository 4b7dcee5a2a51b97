"""Helpers of the Presets pane's Pilot tests: open a preset, show a section, find a field."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot
from textual.widgets import OptionList

from kit.tui import settle
from workbench.tui.panes.presets import PresetsPane
from workbench.tui.widgets.field_row import FieldRow, field_id


def opened(pane: PresetsPane, name: str) -> bool:
    """`name` is the pane's preset and its form is loaded."""
    return pane.current is not None and pane.current.name == name and bool(pane.loaded)


async def open_preset(pilot: Pilot[Any], pane: PresetsPane, name: str) -> None:
    """Highlight `name` in the list (as the arrow keys would) and wait for its form."""
    await settle(pilot, lambda: any(e.name == name for e in pane.entries))
    index = next(i for i, e in enumerate(pane.entries) if e.name == name)
    pane.query_one("#preset-list", OptionList).highlighted = index
    await settle(pilot, lambda: pane.current is not None and pane.current.name == name)
    await settle(pilot, lambda: pane.validation is not None and bool(pane.loaded))


async def show_section(pilot: Pilot[Any], pane: PresetsPane, section: str) -> None:
    names = [s.name for s in pane.sections]
    pane.query_one("#preset-sections", OptionList).highlighted = names.index(section)
    await settle(pilot, lambda: pane.section == section)


def row(pane: PresetsPane, path: str) -> FieldRow:
    """The form row of the setting `path` (e.g. "data.batch_size")."""
    return pane.query_one(f"#row-{field_id(path)}", FieldRow)
