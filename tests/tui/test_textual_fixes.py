"""The guard of workbench/tui/textual_fixes.py: paging an OptionList before it is laid out
does nothing (Textual 8 raised KeyError there); paging a laid-out list still moves."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult
from textual.widgets import OptionList

import workbench.tui.app  # noqa: F401 - applies the guard, as running the app does


class Lists(App[None]):
    def compose(self) -> ComposeResult:
        yield OptionList(*(f"option {i}" for i in range(50)), id="ready")


@pytest.mark.asyncio
async def test_paging_before_and_after_layout() -> None:
    fresh = OptionList(*(f"option {i}" for i in range(5)))
    fresh.highlighted = 0
    fresh._move_page(1)  # no lines yet: KeyError before the guard
    assert fresh.highlighted == 0
    async with Lists().run_test(size=(40, 10)) as pilot:
        ready = pilot.app.query_one("#ready", OptionList)
        ready.focus()
        ready.highlighted = 0
        await pilot.press("pagedown")
        assert (ready.highlighted or 0) > 0
