"""The Tokenizer pane: train on an uploaded file, see the stats and a highlighted encoding."""

from __future__ import annotations

from pathlib import Path

import pytest
from kit.tui import sentences, settle, started, write_corpus
from textual.content import Content
from textual.widgets import Input, OptionList, Select, Static

from workbench.tui.app import BertbenchApp
from workbench.tui.panes.tokenizer import TOKEN_STYLES, TokenizerPane


@pytest.mark.asyncio
async def test_train_then_see_stats_and_token_boundaries(workspace: Path) -> None:
    from bert_engine.tokenizers import load_tokenizer

    write_corpus(workspace / "uploads" / "stories.txt")
    app = BertbenchApp(root=workspace)
    async with app.run_test(size=(100, 30)) as pilot:
        await started(pilot)
        await pilot.press("2")
        pane = app.query_one(TokenizerPane)
        pane.refresh_sources()
        pane.query_one("#tok-name", Input).value = "wp-small"
        pane.query_one("#tok-source", Select).value = "stories.txt"
        pane.query_one("#tok-vocab", Input).value = "150"
        await settle(pilot, lambda: pane.query_one("#tok-train").region.width > 0)
        await pilot.click("#tok-train")
        await settle(pilot, lambda: pane.job is not None and pane.job.done)
        assert pane.job is not None and pane.job.status == "finished", pane.job.error
        await settle(pilot, lambda: pane.current is not None and pane.current.name == "wp-small")
        assert "✓ wp-small trained" in str(pane.query_one("#tok-job", Static).render())

        saved = workspace / "tokenizers" / "wp-small" / "tokenizer.json"
        tok = load_tokenizer(saved)
        assert 100 <= tok.vocab_size <= 150
        listed = [str(o.prompt) for o in pane.query_one("#tok-list", OptionList).options]
        assert listed == [f"wp-small · wordpiece · {tok.vocab_size}"]
        stats = str(pane.query_one("#tok-stats", Static).render())
        assert f"{tok.vocab_size} tokens" in stats and "[MASK]" in stats
        continuation = sum(t.startswith("##") for t in tok.get_vocab()) / (tok.vocab_size - 5)
        assert f"{continuation:.1%}" in stats

        text = "The farmer paints zebras"
        pane.query_one("#tok-text", Input).focus()
        await pilot.press(*text)
        expected = tok.encode(text)
        ids = pane.query_one("#tok-ids", Static)
        await settle(pilot, lambda: f"{len(expected.ids)} tokens" in str(ids.render()))
        shown = str(ids.render())
        for token, token_id in zip(expected.tokens, expected.ids, strict=True):
            assert f"{token} {token_id}" in shown
        # Each token of the text has its own background, alternating.
        encoded = pane.query_one("#tok-encoded", Static).render()
        assert isinstance(encoded, Content)
        styled = [(encoded.plain[s.start : s.end], str(s.style)) for s in encoded.spans]
        pieces = [(t, st) for t, st in styled if st in TOKEN_STYLES]
        words = [
            text[s:e]
            for (s, e), special in zip(expected.offsets, expected.special_tokens_mask, strict=True)
            if not special
        ]
        assert [t for t, _ in pieces] == words
        assert all(a[1] != b[1] for a, b in zip(pieces, pieces[1:], strict=False))
        assert encoded.plain.startswith("[CLS] ") and encoded.plain.rstrip().endswith("[SEP]")


@pytest.mark.asyncio
async def test_bad_input_is_reported_and_cancel_saves_nothing(workspace: Path) -> None:
    big = workspace / "uploads" / "big.txt"
    big.parent.mkdir()
    big.write_text("\n".join(sentences(20_000, seed=1)) + "\n", encoding="utf-8")
    app = BertbenchApp(root=workspace)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        await pilot.press("2")
        pane = app.query_one(TokenizerPane)
        status = pane.query_one("#tok-job", Static)
        pane.query_one("#tok-vocab", Input).value = "lots"
        pane.action_train()
        assert "whole number" in str(status.render()) and status.has_class("-error")
        pane.query_one("#tok-vocab", Input).value = "8"
        pane.action_train()
        assert "too small" in str(status.render())
        pane.query_one("#tok-vocab", Input).value = "5000"
        pane.query_one("#tok-name", Input).value = "../up"
        pane.action_train()
        assert ".." in str(status.render()) and pane.job is None

        pane.refresh_sources()
        pane.query_one("#tok-source", Select).value = "big.txt"
        pane.query_one("#tok-name", Input).value = "big"
        pane.action_train()
        pane.action_cancel()  # before the training can end
        await settle(pilot, lambda: pane.job is not None and pane.job.done)
        assert pane.job.status == "cancelled"
        assert "cancelled" in str(status.render())
        assert not (workspace / "tokenizers" / "big").exists()
