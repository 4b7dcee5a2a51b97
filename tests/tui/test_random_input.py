"""Seeded random keys and clicks across every pane while a tiny real pre-training trains.

Each seed draws a fixed list of events (`kit.tui_fuzz`: tab numbers, moves, pane keys, typed
characters, clicks anywhere) and sends them as fast as the app takes them. Then: no exception
reached Textual, nothing was written to the workspace's error log (`tui-errors.log`: the guard
logs every bug a pane caught), the run still trains, paused, finished or stopped (paused or
stopped only if the sequence sent a key or click that does that), and the preset form on
screen, checked every CHECK_EVERY events, equals its file unless the sequence typed into it.

Three seeds by default; `BERTBENCH_FUZZ_SEEDS=20` runs seeds 0-19, `BERTBENCH_FUZZ_SEED=7`
replays seed 7 alone (a failure prints its seed and its numbered events).

Pre-train and Fine-tune open the start dialog; the sequence starts a run from it as a user does
(Enter in its name box, ctrl+s, or a click on Start) and leaves it with Escape or Cancel; what it
types into the overrides box is checked there (a garbled line keeps the dialog open).
Runs the sequence starts (Pre-train, Fine-tune, Continue) get the tiny model's overrides, so
a press of `t` on a bundled preset trains for seconds, not hours; the manager trains one run
at a time, so they queue behind the first one as they would for a user.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from kit.services import tiny_overrides, write_labelled
from kit.tui import started, wait_for
from kit.tui_fuzz import Driver, Event, format_events, make_events
from kit.tui_runs import confirm_start, tiny_preset
from textual.widgets import DataTable, Input, Select

from workbench.tui.app import BertbenchApp
from workbench.tui.guard import LOG_FILE
from workbench.tui.panes.runs import RunsPane
from workbench.tui.panes.tokenizer import TokenizerPane
from workbench.tui.panes.train import TrainPane

EVENTS = int(os.environ.get("BERTBENCH_FUZZ_EVENTS", "300"))
CHECK_EVERY = 60  # events between two checks of the preset form
SIZES = ((140, 40), (80, 24), (100, 30))
BUNDLED = Path(__file__).resolve().parents[2] / "presets"


def seeds() -> list[int]:
    if os.environ.get("BERTBENCH_FUZZ_SEED"):
        return [int(os.environ["BERTBENCH_FUZZ_SEED"])]
    return list(range(int(os.environ.get("BERTBENCH_FUZZ_SEEDS", "3"))))


def main_run_steps(seed: int) -> int:
    """Every third seed's run ends during the sequence; the others train throughout."""
    return 40 if seed % 3 == 2 else 100_000


def bundled_digest() -> str:
    files = sorted(BUNDLED.glob("*.toml"))
    return hashlib.sha256(b"".join(p.read_bytes() for p in files)).hexdigest()


def keep_runs_tiny(app: BertbenchApp, tmp: Path) -> None:
    """Every run the sequence starts becomes a tiny one on the test corpus (its preset's
    own tables otherwise), so a bundled preset cannot start an hour of training."""
    manager, presets = app.services.manager, app.services.presets
    corpus, cache = tmp / "corpus.txt", tmp / "cache"
    task = write_labelled(tmp / "task.csv")
    pretrain, finetune = manager.start_pretraining, manager.start_finetuning

    def start_pretraining(preset: Any, overrides: Any = (), **kwargs: Any) -> str:
        tiny = tiny_overrides(corpus, cache, max_steps=30, eval_every=10)
        return pretrain(preset, [*tiny, *overrides], **kwargs)

    def start_finetuning(preset: Any, overrides: Any = (), **kwargs: Any) -> str:
        tiny: list[str] = []
        if presets.load(preset).finetune is not None:  # else: the real "no [finetune]" error
            tiny = [
                f"classification.train={task}",
                "classification.max_seq_len=32",
                "classification.batch_size=16",
                "finetune.epochs=1",
                "finetune.device=cpu",
                "finetune.precision=fp32",
            ]
        return finetune(preset, [*tiny, *overrides], **kwargs)

    manager.start_pretraining = start_pretraining  # type: ignore[method-assign]
    manager.start_finetuning = start_finetuning  # type: ignore[method-assign]


async def start_main_run(pilot: Any, app: BertbenchApp) -> str:
    """Pre-train the tiny preset from the Train pane, as a user does; its run id."""
    pane = app.query_one(TrainPane)
    await pilot.press("3")
    await wait_for(pilot, lambda: "tiny" in pane._presets, what="the Train pane lists tiny")
    pane.query_one("#train-preset", Select).value = "tiny"
    await pilot.pause()
    pane.action_start("pretrain")
    await confirm_start(pilot)  # the start dialog: no overrides, Start
    await wait_for(pilot, lambda: pane.live.step >= 1, what="the tiny run trains")
    assert pane.run_id is not None
    await pilot.press("1")
    return pane.run_id


def pane_generation(app: BertbenchApp) -> int:
    from workbench.tui.panes.presets import PresetsPane

    return app.query_one(PresetsPane)._generation


async def fuzz(seed: int, events: list[Event], driver_box: list[Driver], workspace: Path) -> None:
    tmp = workspace.parent
    app = BertbenchApp(root=workspace)
    app.services.presets.save(
        tiny_preset(tmp, pretrain={"max_steps": main_run_steps(seed), "eval_every": 50}), "tiny"
    )
    manager, log = app.services.manager, workspace / LOG_FILE
    size = SIZES[seed % len(SIZES)]
    async with app.run_test(size=size, notifications=True) as pilot:
        driver = Driver(pilot)
        driver_box.append(driver)
        await started(pilot)
        run_id = await start_main_run(pilot, app)
        keep_runs_tiny(app, tmp)  # the runs the sequence starts, not the one above
        try:
            for index, event in enumerate(events):
                await driver.send(index, event)
                assert app._exception is None and app.return_code is None, f"after event {index}"
                assert not log.exists() or not log.read_text(encoding="utf-8").strip(), (
                    f"after event {index}, {LOG_FILE} says:\n{log.read_text(encoding='utf-8')}"
                )
                driver.quick_check(f"after event {index}")
                if index % CHECK_EVERY == CHECK_EVERY - 1:
                    await driver.check_form(f"after event {index}")
            await driver.check_form("at the end")

            # The run: alive, or ended in a way the sequence asked for.
            settled = ("running", "paused", "finished", "stopped", "failed")
            await wait_for(pilot, lambda: manager.status(run_id).status in settled)
            status = manager.status(run_id)
            allowed = {"running", "finished"}
            allowed |= {"paused"} if driver.may_pause else set()
            allowed |= {"stopped"} if driver.may_stop else set()
            driver.summary = (
                f"seed {seed} {size[0]}x{size[1]}: run {status.status} at step {status.step}, "
                f"{driver.form_checks} form checks, {pane_generation(app)} presets opened, "
                f"{len(driver.touched)} typed into, {len(driver.marks)} driver notes, "
                f"{len(manager.runs())} run(s) started"
            )
            print(driver.summary)  # shown with -s, or in the report of a failure
            assert status.status in allowed, (
                f"the run is {status.status} ({status.error}); the sequence "
                f"{'sent' if driver.may_stop else 'never sent'} a stop, "
                f"{'sent' if driver.may_pause else 'never sent'} a pause"
            )
            await asyncio.to_thread(manager.stop_all, wait=True, timeout=180)
            await views_show_the_ends(pilot, app)
        finally:
            tokenizer = app.query_one(TokenizerPane)
            if tokenizer.job is not None and not tokenizer.job.done:
                tokenizer.job.cancel()
            manager.stop_all(wait=True, timeout=180)
        assert app._exception is None and app.is_running
    assert not log.exists() or not log.read_text(encoding="utf-8").strip(), log.read_text()
    # Every run the sequence started has ended with its thread: none is left training.
    names = {f"bertbench-{s.run_id}" for s in manager.runs()}
    assert not [s.run_id for s in manager.runs() if s.active]
    await_threads_end(names)


async def views_show_the_ends(pilot: Any, app: BertbenchApp) -> None:
    """Once every run has ended, the views catch up by themselves (no key pressed): the Runs
    table shows each run folder with the manager's last status and step, and the Train pane
    the status of the run it follows."""
    manager = app.services.manager
    latest: dict[str, Any] = {}  # run folder -> the newest managed run in it (a continue)
    for status in sorted(manager.runs(), key=lambda s: s.started):
        if status.run_dir is not None:
            latest[status.run_dir.name] = status
    runs_pane = app.query_one(RunsPane)
    table = runs_pane.query_one("#runs-table", DataTable)
    # The sequence may have typed a filter, or renamed or trashed a run once it ended: clear the
    # filter (as Esc would) and check only the folders still where the manager left them.
    runs_pane.query_one("#runs-filter", Input).value = ""
    latest = {name: s for name, s in latest.items() if s.run_dir is not None and s.run_dir.is_dir()}

    def stale() -> list[str]:
        # The cells by column name: under 100 columns the table has no kind or step column
        # (runs.NARROW_COLUMNS), and then only the status is compared.
        names = ("mark", *runs_pane.columns)
        cells = (map(str, table.get_row_at(i)) for i in range(table.row_count))
        rows = [dict(zip(names, row, strict=False)) for row in cells]
        shown = {row["run"]: row for row in rows}
        wrong = []
        for name, status in latest.items():
            row = shown.get(name)
            if (
                row is None
                or row["status"] != status.status
                or ("step" in row and row["step"].split("/")[0] != str(status.step))
            ):
                wrong.append(f"{name}: {status.status} at {status.step}, the table: {row}")
        return wrong

    await wait_for(pilot, lambda: not stale(), what=f"the Runs table shows the runs: {stale()}")
    train = app.query_one(TrainPane)
    if train.run_id is not None:
        ended = manager.status(train.run_id).status
        await wait_for(pilot, lambda: train.live.status == ended, what=f"Train shows {ended}")


def await_threads_end(names: set[str], limit: float = 120.0) -> None:
    deadline = time.monotonic() + limit
    while alive := [t.name for t in threading.enumerate() if t.name in names]:
        assert time.monotonic() < deadline, f"training threads left running: {alive}"
        time.sleep(0.05)


@pytest.mark.asyncio
@pytest.mark.parametrize("seed", seeds())
async def test_random_keys_and_clicks_while_a_run_trains(seed: int, workspace: Path) -> None:
    tmp_path = workspace.parent
    events = make_events(seed, EVENTS, SIZES[seed % len(SIZES)])
    driver_box: list[Driver] = []
    digest = bundled_digest()
    try:
        await fuzz(seed, events, driver_box, workspace)
    except BaseException as exc:
        marks = driver_box[0].marks if driver_box else {}
        listing = format_events(events, marks)
        (tmp_path / "events.txt").write_text(listing + "\n", encoding="utf-8")
        raise AssertionError(
            f"seed {seed} failed: {type(exc).__name__}: {exc}\n"
            f"replay: BERTBENCH_FUZZ_SEED={seed} pytest tests/tui/test_random_input.py\n"
            f"the events (also in {tmp_path / 'events.txt'}):\n{listing}"
        ) from exc
    assert bundled_digest() == digest, "the bundled presets were written to"
    assert driver_box[0].form_checks >= 1 or driver_box[0].touched
