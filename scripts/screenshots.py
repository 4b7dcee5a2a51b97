"""Drive the real TUI over a demo workspace and save an SVG screenshot of each pane.

    .venv/bin/python scripts/screenshots.py            # -> docs/images/tui-<pane>.svg
    .venv/bin/python scripts/screenshots.py --workspace /tmp/demo --size 120x36

Everything goes through the app the way a person would use it (Pilot key presses and
clicks): train a small WordPiece tokenizer on the built-in demo corpus, pre-train a small
BERT on it, fine-tune that on the built-in demo classification task, compare runs, classify
a sentence. Small models, so the whole script takes a minute or two on a laptop CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from textual.pilot import Pilot  # noqa: E402
from textual.widgets import Input, OptionList, Select  # noqa: E402

from workbench.tui.app import BertbenchApp  # noqa: E402

# A small BERT on the demo corpus: seconds per hundred steps on a CPU.
PRETRAIN = [
    "tokenizer.vocab_size=2000",
    "model.num_layers=2",
    "model.hidden_size=64",
    "model.num_heads=2",
    "model.intermediate_size=128",
    "model.max_position_embeddings=64",
    "data.max_seq_len=64",
    "data.batch_size=16",
    "pretrain.max_steps=300",
    "pretrain.warmup_steps=20",
    "pretrain.log_every=5",
    "pretrain.eval_every=50",
    "pretrain.checkpoint_every=300",
    "pretrain.device=cpu",
    "tracking.tensorboard=false",
]
FINETUNE = [
    "finetune.epochs=2",
    "finetune.patience=2",
    "finetune.device=cpu",
    "classification.max_seq_len=64",
]


async def wait(pilot: Pilot, condition: Callable[[], bool], limit: float = 600.0) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit("screenshots: the app did not get there in time")
        await pilot.pause(0.1)


async def settle(pilot: Pilot) -> None:
    """Let workers finish and the screen repaint."""
    from textual.worker import WorkerState

    busy = (WorkerState.PENDING, WorkerState.RUNNING)
    for _ in range(600):
        if not any(w.state in busy for w in pilot.app.workers):
            break
        await pilot.pause(0.1)
    await pilot.pause(0.5)


async def start_in_dialog(pilot: Pilot) -> None:
    """The start dialog (a run name, overrides) just opened: start with none, as Enter does."""
    from workbench.tui.screens.start_run import StartRunScreen

    await wait(pilot, lambda: isinstance(pilot.app.screen, StartRunScreen))
    dialog = pilot.app.screen
    await pilot.click("#start-ok")
    await wait(pilot, lambda: pilot.app.screen is not dialog)


async def shoot(pilot: Pilot, out: Path, pane: str) -> None:
    app = pilot.app
    app.set_focus(None)  # no text cursor in the picture
    await pilot.pause(0.3)
    path = app.save_screenshot(f"tui-{pane}.svg", str(out))
    print(f"wrote {path}")


async def drive(workspace: Path, out: Path, size: tuple[int, int]) -> None:
    app = BertbenchApp(root=workspace)
    services = app.services
    pretrain = services.presets.save(services.presets.load("quickstart", PRETRAIN), "demo-bert")
    print(f"preset {pretrain}")
    async with app.run_test(size=size) as pilot:
        await wait(pilot, lambda: getattr(app.focused, "id", None) == "preset-list")

        # Tokenizer: train one through the form, then look at a sentence.
        print("tokenizer…")
        await pilot.press("2")
        await pilot.pause(0.3)
        tok = app.query_one("TokenizerPane")
        tok.query_one("#tok-name", Input).value = "wordpiece-2k"
        tok.query_one("#tok-vocab", Input).value = "2000"
        await pilot.click("#tok-train")
        await wait(pilot, lambda: tok.job is not None and tok.job.done)
        await wait(pilot, lambda: tok.current is not None)
        await pilot.click("#tok-text")
        await pilot.press(*"Tokenizers cut unfamiliar words into pieces.")
        await settle(pilot)
        await shoot(pilot, out, "tokenizer")

        # Train: pre-train the small BERT chosen on the Presets pane.
        print("pre-training…")
        await pilot.press("escape", "1")
        presets = app.query_one("PresetsPane")
        await wait(pilot, lambda: bool(presets.entries))
        presets.load_presets("demo-bert")
        await wait(pilot, lambda: getattr(presets.current, "name", None) == "demo-bert")
        await settle(pilot)
        app.set_focus(presets.query_one("#preset-list", OptionList))
        await pilot.press("u")  # use for training: switches to the Train tab
        await wait(pilot, lambda: app.query_one("TabbedContent").active == "train")
        train = app.query_one("TrainPane")
        await wait(pilot, lambda: train.query_one("#train-preset", Select).value == "demo-bert")
        await pilot.click("#train-pretrain")
        await start_in_dialog(pilot)
        await wait(pilot, lambda: train.run_id is not None)
        pretrain_id = train.run_id
        await wait(pilot, lambda: not services.manager.status(pretrain_id).active)
        status = services.manager.status(pretrain_id)
        print(f"pre-training {status.status}: {status.run_dir or status.error}")
        if status.status != "finished":
            raise SystemExit(f"screenshots: pre-training {status.status}: {status.error}")
        await settle(pilot)
        await shoot(pilot, out, "train")

        # Presets: the preset the run used, its [pretrain] section.
        await pilot.press("1")
        sections = [s.name for s in presets.sections]
        presets.query_one("#preset-sections", OptionList).highlighted = sections.index("pretrain")
        await wait(pilot, lambda: presets.section == "pretrain")
        await settle(pilot)
        await shoot(pilot, out, "presets")

        # Fine-tune the pre-trained model on the built-in classification task.
        print("fine-tuning…")
        finetune = services.presets.load(
            "classify-quickstart", [*PRETRAIN, *FINETUNE, f"finetune.init={status.run_dir}"]
        )
        services.presets.save(finetune, "demo-classify")
        app.post_message(_preset_chosen("demo-classify"))
        await wait(pilot, lambda: train.query_one("#train-preset", Select).value == "demo-classify")
        await pilot.click("#train-finetune")
        await start_in_dialog(pilot)
        await wait(pilot, lambda: train.run_id not in (None, pretrain_id))
        finetune_id = train.run_id
        await wait(pilot, lambda: not services.manager.status(finetune_id).active)
        status = services.manager.status(finetune_id)
        print(f"fine-tuning {status.status}: {status.run_dir or status.error}")
        if status.status != "finished" or status.run_dir is None:
            raise SystemExit(f"screenshots: fine-tuning {status.status}: {status.error}")
        await settle(pilot)

        # Runs: the table of both runs.
        await pilot.press("4")
        await pilot.pause(0.5)
        runs = app.query_one("RunsPane")
        runs.action_refresh()
        await settle(pilot)
        await shoot(pilot, out, "runs")

        # Try: classify a sentence with the fine-tuned run.
        await pilot.press("5")
        await pilot.pause(0.5)
        try_pane = app.query_one("TryPane")
        run_select = try_pane.query_one("#try-run", Select)
        await wait(pilot, lambda: status.run_dir.name in try_pane.kinds)
        run_select.value = status.run_dir.name
        try_pane.query_one(
            "#try-text", Input
        ).value = "Create a window with a button and a text entry, then start the event loop."
        await pilot.click("#try-go")
        await wait(pilot, lambda: bool(str(try_pane.query_one("#try-result").render()).strip()))
        await settle(pilot)
        await shoot(pilot, out, "try")
        app.exit()


def _preset_chosen(name: str):  # noqa: ANN202 (a Textual message)
    from workbench.tui.messages import PresetChosen

    return PresetChosen(name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workspace", help="demo workspace (default: a new temporary folder)")
    parser.add_argument("--out", default=str(ROOT / "docs" / "images"), help="output folder")
    parser.add_argument("--size", default="120x36", help="terminal size, COLSxROWS")
    args = parser.parse_args()
    cols, rows = (int(x) for x in args.size.lower().split("x"))
    workspace = Path(args.workspace or tempfile.mkdtemp(prefix="bertbench-demo-")).resolve()
    workspace.mkdir(parents=True, exist_ok=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    os.chdir(workspace)  # presets' relative paths (runs/) resolve inside the workspace
    started = time.monotonic()
    asyncio.run(drive(workspace, out, (cols, rows)))
    print(f"done in {time.monotonic() - started:.0f} s; workspace {workspace}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
