"""Snapshots of the Train, Runs and Try panes with fixed data: run directories written by the
real tracker from fixed events, and fixed events / predictions handed to the panes. Each pane
is shown alone in a small harness app (the shell around it has its own snapshots), with the
app's stylesheet. Update after a deliberate change: pytest tests/tui --snapshot-update."""

from __future__ import annotations

import math
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets import DataTable

from workbench.services import Classification, FillMaskOutput, MaskFill, ProgressEvent, Services
from workbench.tui.panes.playground import TryPane
from workbench.tui.panes.runs import RunsPane
from workbench.tui.panes.train import TrainPane

SIZE = (110, 34)


class PaneApp(App[None]):
    CSS_PATH = str(Path(__file__).parents[2] / "workbench" / "tui" / "app.tcss")

    def __init__(self, root: Path, pane: type) -> None:
        super().__init__()
        self.services = Services(root)
        self.pane = pane

    def compose(self) -> ComposeResult:
        yield self.pane(id="pane")


def events(total: int, lr: float, paused_at: int | None = None) -> list[Any]:
    """A fixed, plausible run: decaying loss, evaluations every 10 steps."""
    from bert_engine.training.events import (
        CheckpointEvent,
        EvalEvent,
        FinishedEvent,
        PausedEvent,
        StartedEvent,
        StepEvent,
    )  # fmt: skip

    out: list[Any] = [StartedEvent(step=0, total_steps=total, time=0.0)]
    last = paused_at or total
    for step in range(1, last + 1):
        loss = 2.0 + 3.0 * math.exp(-step * lr * 40) + 0.1 * math.sin(step)
        out.append(
            StepEvent(
                step=step, total_steps=total, loss=loss, lr=lr, grad_norm=1.0 / step + 0.5,
                tokens_per_s=5120.0, eta_s=(total - step) * 0.5, time=float(step),
            )
        )  # fmt: skip
        if step % 10 == 0:
            out.append(EvalEvent(step=step, metrics={"loss": loss + 0.2, "accuracy": step / 100}))
            out.append(CheckpointEvent(step=step, path=f"checkpoints/step-{step}"))
    out.append(PausedEvent(step=last) if paused_at else FinishedEvent(step=total, elapsed_s=30))
    return out


def write_run(root: Path, name: str, day: int, lr: float, total: int = 40) -> None:
    from bert_engine.tracking import Tracker, create_run

    config = {"model": {"hidden_size": 32}, "pretrain": {"lr": lr, "max_steps": total}}
    when = datetime(2026, 1, day, tzinfo=timezone.utc)
    run_dir = create_run(root / "runs", name, config, when=when)
    with Tracker(run_dir, tensorboard=False) as tracker:
        for event in events(total, lr):
            tracker(event)


@pytest.fixture
def runs_root(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    write_run(root, "base", 1, 1e-3)
    write_run(root, "small-lr", 2, 3e-4)
    return root


def test_train_pane_snapshot(snap_compare: Any, tmp_path: Path) -> None:
    async def show_a_paused_run(pilot: Pilot[Any]) -> None:
        pane = pilot.app.query_one(TrainPane)
        while not pane._presets:  # the preset list loads in a worker
            await pilot.pause(0.05)
        pane.run_id = "pretrain-1"
        pane.live.apply(ProgressEvent("shards", 4, 4))
        for event in events(60, 1e-3, paused_at=35):
            pane.live.apply(event)
        pane._redraw()
        await pilot.pause()

    app = PaneApp(tmp_path / "ws", TrainPane)
    assert snap_compare(app, terminal_size=SIZE, run_before=show_a_paused_run)


def test_runs_pane_snapshot(snap_compare: Any, runs_root: Path) -> None:
    async def compare_both(pilot: Pilot[Any]) -> None:
        pane = pilot.app.query_one(RunsPane)
        table = pane.query_one("#runs-table", DataTable)
        while table.row_count < 2:
            await pilot.pause(0.05)
        table.focus()
        await pilot.press("space", "down", "space", "c")
        while pane.query_one("#runs-diff", DataTable).row_count == 0:
            await pilot.pause(0.05)
        await pilot.pause()

    app = PaneApp(runs_root, RunsPane)
    assert snap_compare(app, terminal_size=SIZE, run_before=compare_both)


@pytest.mark.parametrize("kind", ["classify", "fill-mask"])
def test_try_pane_snapshot(snap_compare: Any, runs_root: Path, kind: str) -> None:
    results = {
        "classify": Classification(
            "positive", [("positive", 0.8125), ("negative", 0.1875)],
            ["[CLS]", "a", "fine", "film", "[SEP]"],
        ),
        "fill-mask": FillMaskOutput(
            ["[CLS]", "the", "cat", "[MASK]", "a", "ball", "[SEP]"],
            [MaskFill(3, [("sees", 0.5), ("likes", 0.25), ("finds", 0.125)])],
        ),
    }  # fmt: skip

    async def show_result(pilot: Pilot[Any]) -> None:
        pane = pilot.app.query_one(TryPane)
        while len(pane.kinds) < 2:
            await pilot.pause(0.05)
        pane._show(results[kind])
        await pilot.pause()

    app = PaneApp(runs_root, TryPane)
    assert snap_compare(app, terminal_size=SIZE, run_before=show_result)
