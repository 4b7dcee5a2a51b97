"""Journey 2 of docs/journeys.md ("Train a tokenizer and pre-train with it"): train a
tokenizer in the Tokenizer pane, use it in a preset (u), save that as a new preset, pre-train
with it, stop, continue, and see the whole curve. Real tiny runs throughout."""

from __future__ import annotations

from pathlib import Path

import pytest
from kit.tui import settle, started, write_corpus
from kit.tui_runs import tiny_preset, wait_for
from textual.widgets import Input, Select, TabbedContent

from workbench.tui.app import BertbenchApp
from workbench.tui.panes.presets import PresetsPane
from workbench.tui.panes.tokenizer import TokenizerPane


@pytest.mark.asyncio
async def test_tokenizer_into_a_new_preset_then_pretrain_stop_continue(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bert_engine.tokenizers import load_tokenizer

    # Typed paths are relative to the workspace: start the TUI from it, as README does.
    monkeypatch.chdir(workspace)
    write_corpus(workspace / "uploads" / "stories.txt")
    app = BertbenchApp(root=workspace)
    preset = tiny_preset(workspace, pretrain={"max_steps": 40, "checkpoint_every": 2})
    app.services.presets.save(preset, "tiny")
    async with app.run_test(size=(140, 40)) as pilot:
        await started(pilot)
        presets = app.query_one(PresetsPane)
        await settle(pilot, lambda: presets.form is not None)

        # 1. Train a tokenizer.
        await pilot.press("2")
        tok = app.query_one(TokenizerPane)
        tok.refresh_sources()
        tok.query_one("#tok-name", Input).value = "wp-journey"
        tok.query_one("#tok-source", Select).value = "stories.txt"
        tok.query_one("#tok-vocab", Input).value = "150"
        await settle(pilot, lambda: tok.query_one("#tok-train").region.width > 0)
        await pilot.click("#tok-train")
        await settle(pilot, lambda: tok.job is not None and tok.job.done)
        assert tok.job is not None and tok.job.status == "finished", tok.job.error
        await settle(pilot, lambda: tok.current is not None and tok.current.name == "wp-journey")

        # 2. Use it in the preset on screen: Presets opens with tokenizer.path set, unsaved.
        tok.query_one("#tok-list").focus()
        await pilot.press("u")
        await settle(pilot, lambda: app.query_one(TabbedContent).active == "presets")
        await settle(
            pilot,
            lambda: presets.texts.get("tokenizer.path") == "tokenizers/wp-journey/tokenizer.json",
        )
        assert presets.dirty
        await settle(pilot, lambda: presets.validation is not None and presets.validation.ok)

        # 3. Save it as a new preset (Save as, the suggested name).
        presets.query_one("#preset-list").focus()
        await pilot.press("a")
        await settle(pilot, lambda: app.screen.query("#save-name"))
        await pilot.press("enter")
        saved = workspace / "presets" / "tiny-edit.toml"
        await settle(pilot, lambda: saved.is_file())

        # 4. Pre-train with it, stop after a few steps, continue to the end.
        manager = app.services.manager
        run_id = manager.start_pretraining("tiny-edit")
        await wait_for(pilot, lambda: manager.status(run_id).step >= 4)
        manager.stop(run_id, wait=True)
        first = manager.status(run_id)
        assert first.status == "stopped", first.error
        assert first.run_dir is not None
        again = manager.continue_run(first.run_dir)
        await wait_for(pilot, lambda: manager.status(again).status in ("finished", "failed"))
        assert manager.status(again).status == "finished", manager.status(again).error

    run = first.run_dir
    trained = load_tokenizer(workspace / "tokenizers" / "wp-journey" / "tokenizer.json")
    assert load_tokenizer(run / "tokenizer.json").get_vocab() == trained.get_vocab()
    # The whole curve: every step from 1 to the end, before and after the stop.
    steps, _ = app.services.runs.curves(run.name)["train/loss"]
    assert sorted(set(steps)) == list(range(1, 41))
