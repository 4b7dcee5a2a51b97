"""Snapshots of every pane of the real app at 80x24 and 140x40 (issue #12 B.6, B.7).

The workspace is generated here and the same on every run: bundled presets, a tokenizer
trained on generated text, two run folders written by the real tracker from fixed events
(fixed dates, so fixed run names; no timings), a finished run and a model's answer handed to
the Train and Try panes as fixed events and results. Nothing in the pictures comes from a
clock or a temporary path.

After a deliberate change of the look (or another helper's change to a pane), regenerate
them all and look at the new pictures:

    pytest tests/tui/test_snapshots.py --snapshot-update
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from kit.fixed_runs import events, write_run
from kit.tui import sentences, settle, started
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, OptionList, Select, TextArea

from workbench.services import Classification, FillMaskOutput, MaskFill, Services
from workbench.services.live import results_line
from workbench.tui.app import BertbenchApp
from workbench.tui.panes.playground import TryPane
from workbench.tui.panes.presets import PresetsPane
from workbench.tui.panes.runs import RunsPane
from workbench.tui.panes.tokenizer import TokenizerPane
from workbench.tui.panes.train import TrainPane
from workbench.tui.screens.preset_diff import DiffScreen
from workbench.tui.screens.start_run import StartRunScreen
from workbench.tui.widgets.field_row import FieldRow, field_id

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((140, 40), id="140x40")]
BASE = "base-20260101T000000Z"  # the run folders `write_run` makes (name + fixed date)
SMALL_LR = "small-lr-20260102T000000Z"
CLASSIFIER = "classify-20260103T000000Z"


@pytest.fixture(autouse=True)
def fixed_workspace_name(monkeypatch: pytest.MonkeyPatch) -> None:
    """The header names the workspace; a temporary folder's name must not be in the picture."""
    monkeypatch.setattr("workbench.tui.app.shown_path", lambda path: "~/bench")


@pytest.fixture
def runs_ws(workspace: Path) -> Path:
    """Two finished pre-training runs and a classifier (a run with labels)."""
    write_runs(workspace)
    return workspace


def write_runs(root: Path) -> None:
    write_run(root, "base", 1, 1e-3)
    write_run(root, "small-lr", 2, 3e-4)
    classifier = write_run(root, "classify", 3, 1e-3, total=20)
    (classifier / "labels.json").write_text('["negative", "positive"]', encoding="utf-8")


def shoot(snap_compare: Any, root: Path, size: tuple[int, int], before: Any) -> bool:
    return bool(snap_compare(BertbenchApp(root=root), terminal_size=size, run_before=before))


async def open_preset(pilot: Pilot, name: str, section: str | None = None) -> PresetsPane:
    await started(pilot)
    pane = pilot.app.query_one(PresetsPane)
    await settle(pilot, lambda: bool(pane.entries) and pane.validation is not None)
    names = [e.name for e in pane.entries]
    pane.query_one("#preset-list", OptionList).highlighted = names.index(name)
    await settle(pilot, lambda: pane.current is not None and pane.current.name == name)
    await settle(pilot, lambda: bool(pane.loaded) and pane.validation is not None)
    if section is not None:
        sections = [s.name for s in pane.sections]
        pane.query_one("#preset-sections", OptionList).highlighted = sections.index(section)
        await settle(pilot, lambda: pane.section == section)
    return pane


@pytest.mark.parametrize("size", SIZES)
def test_presets(workspace: Path, snap_compare: Any, size: tuple[int, int]) -> None:
    """quickstart's data section with an invalid edit; the list keeps the focus (its bar)."""

    async def before(pilot: Pilot) -> None:
        pane = await open_preset(pilot, "quickstart", "data")
        row = pane.query_one(f"#row-{field_id('data.batch_size')}", FieldRow)
        row.editor.value = "0"
        await settle(pilot, lambda: row.has_class("-invalid"))
        row.scroll_visible(animate=False, top=True)
        pane.query_one("#preset-list", OptionList).focus()
        await pilot.pause()

    assert shoot(snap_compare, workspace, size, before)


DESCRIPTION = (
    "A copy of quickstart with a long description, to see that a diff wraps long values"
    " onto more lines instead of cutting them or pushing a column off-screen."
)
LONG_NOTES = f"""name = "long-notes"
description = "{DESCRIPTION}"

[model]
size = "tiny"
objective = "mlm"

[data]
source = "demo"
max_seq_len = 64

[pretrain]
max_steps = 120
lr = 5e-4
"""


@pytest.mark.parametrize("size", SIZES)
def test_preset_diff(workspace: Path, snap_compare: Any, size: tuple[int, int]) -> None:
    """Every column on screen, the long description wrapped, not cut."""
    (workspace / "presets").mkdir()
    (workspace / "presets" / "long-notes.toml").write_text(LONG_NOTES, encoding="utf-8")

    async def before(pilot: Pilot) -> None:
        pane = await open_preset(pilot, "long-notes")
        await pilot.press("c")
        await settle(pilot, lambda: isinstance(pilot.app.screen, DiffScreen))
        screen = pilot.app.screen
        names = [e.name for e in pane.entries]
        screen.query_one("#diff-other", Select).value = names.index("quickstart")
        table = screen.query_one("#diff-table", DataTable)
        await settle(pilot, lambda: "quickstart" in str([c.label for c in table.columns.values()]))
        table.focus()
        await pilot.pause()

    assert shoot(snap_compare, workspace, size, before)


@pytest.mark.parametrize("size", SIZES)
def test_tokenizer(workspace: Path, snap_compare: Any, size: tuple[int, int]) -> None:
    job = Services(workspace).tokenizers.train(
        "wp-demo", sentences(300), vocab_size=150, min_frequency=1
    )
    assert job.wait() == "finished", job.error

    async def before(pilot: Pilot) -> None:
        await started(pilot)
        await pilot.press("2")
        pane = pilot.app.query_one(TokenizerPane)
        await settle(pilot, lambda: pane.current is not None)
        pane.query_one("#tok-text", Input).value = "The farmer carries a green umbrella."
        await settle(pilot, lambda: "tokens" in str(pane.query_one("#tok-ids").render()))
        pane.query_one("#tok-list", OptionList).focus()  # not a text box: no blinking cursor
        await pilot.pause()

    assert shoot(snap_compare, workspace, size, before)


@pytest.mark.parametrize("size", SIZES)
def test_train_finished_run(runs_ws: Path, snap_compare: Any, size: tuple[int, int]) -> None:
    """A finished tiny run: loss and evaluation charts, figures, results line, log."""

    async def before(pilot: Pilot) -> None:
        await started(pilot)
        await pilot.press("3")
        pane = pilot.app.query_one(TrainPane)
        await settle(pilot, lambda: bool(pane._presets))
        pane.run_id = BASE
        for event in events(40, 1e-3):
            pane.live.apply(event)
        services = pilot.app.services  # type: ignore[attr-defined]
        pane._show_results(BASE, results_line(services.runs.info(runs_ws / "runs" / BASE)))
        await settle(pilot, lambda: pane._drawn == pane.live.version)

    assert shoot(snap_compare, runs_ws, size, before)


@pytest.mark.parametrize("size", SIZES)
def test_train_start_dialog(workspace: Path, snap_compare: Any, size: tuple[int, int]) -> None:
    """The start dialog of the Train pane with overrides that need fixing: each problem
    names its line; the buttons fit at 80x24."""

    async def before(pilot: Pilot) -> None:
        await started(pilot)
        await pilot.press("3")
        pane = pilot.app.query_one(TrainPane)
        select = pane.query_one("#train-preset", Select)
        await settle(pilot, lambda: select.value == "quickstart")
        pane.action_start("pretrain")
        await settle(pilot, lambda: isinstance(pilot.app.screen, StartRunScreen))
        screen = pilot.app.screen
        screen.query_one(
            "#start-overrides", TextArea
        ).text = "pretrain.max_step=20\ndata.batch_size=8"
        await pilot.press("ctrl+s")
        error = screen.query_one("#start-error")
        await settle(pilot, lambda: "to fix" in str(error.render()))

    assert shoot(snap_compare, workspace, size, before)


@pytest.mark.parametrize("size", SIZES)
def test_runs_compared(runs_ws: Path, snap_compare: Any, size: tuple[int, int]) -> None:
    """Space marks the focused table's rows at once (no click first); c compares them."""

    async def before(pilot: Pilot) -> None:
        await started(pilot)
        await pilot.press("4")
        pane = pilot.app.query_one(RunsPane)
        table = pane.query_one("#runs-table", DataTable)
        await settle(pilot, lambda: table.row_count == 3 and pilot.app.focused is table)
        table.move_cursor(row=table.get_row_index(SMALL_LR))
        await pilot.press("space")
        table.move_cursor(row=table.get_row_index(BASE))
        await pilot.press("space", "c")
        await settle(pilot, lambda: pane.query_one("#runs-diff", DataTable).row_count > 0)

    assert shoot(snap_compare, runs_ws, size, before)


RESULTS = {
    "classify": Classification(
        "positive", [("positive", 0.8125), ("negative", 0.1875)],
        ["[CLS]", "a", "fine", "film", "[SEP]"],
    ),
    "fill-mask": FillMaskOutput(
        ["[CLS]", "the", "cat", "[MASK]", "a", "ball", "[SEP]"],
        [MaskFill(3, [("sees", 0.5), ("likes", 0.25), ("finds", 0.125)])],
    ),
}  # fmt: skip


@pytest.mark.parametrize(
    ("size", "kind"),
    [
        pytest.param((80, 24), "classify", id="80x24-classify"),
        pytest.param((140, 40), "classify", id="140x40-classify"),
        pytest.param((80, 24), "fill-mask", id="80x24-fill-mask"),
    ],
)
def test_try(runs_ws: Path, snap_compare: Any, size: tuple[int, int], kind: str) -> None:
    """The run picker starts on a run (no blank entry); the model's answer below."""
    run = CLASSIFIER if kind == "classify" else BASE

    async def before(pilot: Pilot) -> None:
        await started(pilot)
        await pilot.press("5")
        pane = pilot.app.query_one(TryPane)
        await settle(pilot, lambda: len(pane.kinds) == 3)
        pane.query_one("#try-run", Select).value = run
        await pilot.pause()
        pane._show(RESULTS[kind])
        pane.query_one("#try-run", Select).focus()
        await pilot.pause()

    assert shoot(snap_compare, runs_ws, size, before)
