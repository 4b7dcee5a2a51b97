"""The first screen says where the workspace is; the palette's Screenshot writes an SVG into it."""

from __future__ import annotations

from pathlib import Path

import pytest
from kit.tui import settle, started

from workbench.tui.app import BertbenchApp


@pytest.mark.asyncio
async def test_header_names_the_workspace_and_screenshot_goes_into_it(workspace: Path) -> None:
    app = BertbenchApp(root=workspace)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        assert str(workspace.resolve()) in app.sub_title
        saved = app.deliver_screenshot()
        await settle(pilot, lambda: saved is not None)
        assert saved is not None
        path = Path(saved)
        assert path.parent == workspace.resolve() / "screenshots"
        assert path.read_text(encoding="utf-8").lstrip().startswith("<svg")
        notes = [n.message for n in app._notifications]
        assert any(str(path) in note for note in notes), notes
