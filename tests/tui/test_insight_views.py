"""Journey 7 (docs/journeys.md), in the TUI: the Try pane's attention view (`a`) and
nearest-words view (`w`) over real tiny runs (a pre-training run and a classifier fine-tuned
from it): the heatmap shows the run's own attention for the chosen layer and head, the keys
step them, the words table is the service's answer; at 80x24 and 140x40."""

from __future__ import annotations

from pathlib import Path

import pytest
from kit.tui import started
from kit.tui_runs import pretrained_and_finetuned, wait_for
from textual.widgets import Button, Checkbox, DataTable, Input, Select, Static, TabbedContent

from workbench.services import Services, insight
from workbench.tui.app import BertbenchApp
from workbench.tui.panes.playground import TryPane
from workbench.tui.screens import attention
from workbench.tui.screens.attention import AttentionScreen
from workbench.tui.screens.neighbours import NeighboursScreen

TEXT = "the cat sees a red ball"


@pytest.fixture(scope="module")
def trained_ws(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    return pretrained_and_finetuned(tmp_path_factory.mktemp("tui-insight"))


async def _try_pane(pilot: object, app: BertbenchApp, run: str, text: str) -> TryPane:
    await started(pilot)  # type: ignore[arg-type]
    await pilot.press("5")  # type: ignore[attr-defined]
    pane = app.query_one(TryPane)
    await wait_for(pilot, lambda: app.query_one(TabbedContent).active == "try")  # type: ignore[arg-type]
    await wait_for(pilot, lambda: run in pane.kinds)  # type: ignore[arg-type]
    pane.query_one("#try-run", Select).value = run
    pane.query_one("#try-text", Input).value = text
    pane.query_one("#try-run", Select).focus()
    await pilot.pause()  # type: ignore[attr-defined]
    return pane


def _expected(seen: object, layer: int, head: int | None, n: int) -> list[list[float]]:
    weights = seen.probabilities[layer]  # type: ignore[attr-defined]
    chosen = weights.mean(0) if head is None else weights[head]
    return [[float(v) for v in row[:n]] for row in chosen[:n]]


def _close(a: list[list[float]], b: list[list[float]]) -> bool:
    return len(a) == len(b) and all(
        abs(x - y) < 1e-6 for ra, rb in zip(a, b, strict=True) for x, y in zip(ra, rb, strict=True)
    )


@pytest.mark.asyncio
@pytest.mark.parametrize("size", [(80, 24), (140, 40)], ids=["80x24", "140x40"])
async def test_attention_view_shows_the_runs_attention_layer_by_layer(
    trained_ws: tuple[Path, str, str], size: tuple[int, int]
) -> None:
    root, pre, ft = trained_ws
    run = ft if size == (80, 24) else pre
    seen = insight.attention(Services(root).runs, run, TEXT)
    layers, heads = seen.probabilities.shape[:2]
    n = len(seen.tokens)
    app = BertbenchApp(root=root)
    async with app.run_test(size=size) as pilot:
        await _try_pane(pilot, app, run, TEXT)
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, AttentionScreen))
        screen = app.screen
        assert isinstance(screen, AttentionScreen)
        await wait_for(pilot, lambda: screen.map is not None, what="the attention")
        assert screen.map.tokens == seen.tokens
        # Layer 1, head 1: the matrix shown is the run's, and so are the cells' percents.
        assert _close(screen.shown, _expected(seen, 0, 0, n))
        status = str(screen.query_one("#attn-status", Static).render())
        assert f"layer 1/{layers} · head 1/{heads}" in status
        lines = str(screen.query_one("#attn-map", Static).render()).splitlines()
        assert len(lines) == 2 + n
        cells = lines[2].split()[2:]  # the [CLS] row: its number, its token, then the cells
        assert cells == [str(round(p * 100)) for p in _expected(seen, 0, 0, n)[0]]
        # Attention from [CLS] first, then Down picks the next token.
        attn_from = screen.query_one("#attn-from", Static)
        assert str(attn_from.render()).startswith(f"attention from {seen.tokens[0]} (0):")
        await pilot.press("down")
        assert screen.at_query == 1
        assert str(attn_from.render()).startswith(f"attention from {seen.tokens[1]} (1):")
        # Stepping the head, the mean of the heads and the layer change what is shown.
        if heads > 1:
            await pilot.press("equals_sign")
            assert screen.at_head == 1 and _close(screen.shown, _expected(seen, 0, 1, n))
            await pilot.press("minus")
        assert screen.at_head == 0
        await pilot.press("m")
        assert screen.at_head is None and _close(screen.shown, _expected(seen, 0, None, n))
        assert "mean of the heads" in str(screen.query_one("#attn-status", Static).render())
        await pilot.press("right_square_bracket")
        assert screen.at_layer == 1 % layers
        assert _close(screen.shown, _expected(seen, 1 % layers, None, n))
        await pilot.press("left_square_bracket")
        assert screen.at_layer == 0
        # Everything is on the screen.
        close = screen.query_one("#attn-close", Button)
        assert close.region.bottom <= size[1] and close.region.right <= size[0]
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, AttentionScreen))


@pytest.mark.asyncio
async def test_attention_needs_a_text_and_caps_a_long_one(
    trained_ws: tuple[Path, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, pre, _ = trained_ws
    app = BertbenchApp(root=root)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await _try_pane(pilot, app, pre, "")
        pane.query_one("#try-text", Input).value = ""
        await pilot.click("#try-attention")
        assert not isinstance(app.screen, AttentionScreen)
        assert "type a text" in str(pane.query_one("#try-error", Static).render())
        # A long text: its first MAX_TOKENS tokens, said; the heatmap scrolls to the query row.
        # (The tiny runs read 32 tokens at most: a smaller cap here.)
        monkeypatch.setattr(attention, "MAX_TOKENS", 30)
        long = " ".join([TEXT] * 12)
        pane.query_one("#try-text", Input).value = long
        button = pane.query_one("#try-attention", Button)
        await wait_for(pilot, lambda: not button.has_class("-active"))  # the first press's
        await pilot.click("#try-attention")
        await wait_for(pilot, lambda: isinstance(app.screen, AttentionScreen))
        screen = app.screen
        assert isinstance(screen, AttentionScreen)
        await wait_for(pilot, lambda: screen.map is not None, what="the attention")
        total = len(screen.map.tokens)
        assert total > attention.MAX_TOKENS and len(screen.shown) == attention.MAX_TOKENS
        status = str(screen.query_one("#attn-status", Static).render())
        assert f"the first {attention.MAX_TOKENS} of {total} tokens" in status
        # 30 rows do not fit at 80x24, nor 30 columns: a window, its labels kept, that
        # follows the chosen row; Right moves the columns.
        rows, cols = screen.window
        assert len(rows) < 30 and len(cols) < 30 and rows.start == 0 and cols.start == 0
        assert "rows 0-" in status
        for _ in range(attention.MAX_TOKENS):
            await pilot.press("down")
        assert screen.at_query == attention.MAX_TOKENS - 1
        rows, _ = screen.window
        assert rows.stop == attention.MAX_TOKENS
        last = str(screen.query_one("#attn-map", Static).render()).splitlines()[-1]
        assert last.split()[:2] == ["29", screen.map.tokens[29][: attention.LABEL]]
        await pilot.press("right")
        assert screen.window[1].start == 5


def _rows(table: DataTable[object]) -> list[tuple[str, str]]:
    return [(str(table.get_row_at(i)[1]), table.get_row_at(i)[2]) for i in range(table.row_count)]


@pytest.mark.asyncio
@pytest.mark.parametrize("size", [(80, 24), (140, 40)], ids=["80x24", "140x40"])
async def test_words_view_shows_the_nearest_tokens(
    trained_ws: tuple[Path, str, str], size: tuple[int, int]
) -> None:
    root, pre, ft = trained_ws
    # A word of each run's own data (the classifier's is its training file).
    run, text, asked = (
        (pre, "the cat sees a red ball.", "ball")
        if size == (80, 24)
        else (ft, "they saw a horse.", "horse")
    )
    runs = Services(root).runs
    app = BertbenchApp(root=root)
    async with app.run_test(size=size) as pilot:
        await _try_pane(pilot, app, run, text)
        await pilot.press("w")
        await wait_for(pilot, lambda: isinstance(app.screen, NeighboursScreen))
        screen = app.screen
        assert isinstance(screen, NeighboursScreen)
        word = screen.query_one("#nb-word", Input)
        assert word.value == asked  # the text's last word, its full stop left out
        table = screen.query_one("#nb-table", DataTable)
        await wait_for(pilot, lambda: screen.asked == (asked, False), what="the neighbours")
        expected = insight.neighbours(runs, run, asked, k=10)
        assert screen.found == expected
        assert _rows(table) == [(n.token, f"{n.similarity:.3f}") for n in expected]
        # Contextual: averaged over the run's own data.
        screen.query_one("#nb-contextual", Checkbox).value = True
        await wait_for(pilot, lambda: screen.asked == (asked, True), what="contextual")
        assert screen.found == insight.neighbours(runs, run, asked, k=10, contextual=True)
        assert "averaged over the run's data" in str(screen.query_one("#nb-status").render())
        # A word the sample lacks, then no word at all: said in place, the table emptied.
        # (The corpus has no "z"; the classifier's training file has no "ball".)
        word.value = "zebra" if run == pre else "ball"
        word.focus()
        await pilot.press("enter")
        status = screen.query_one("#nb-status", Static)
        await wait_for(pilot, lambda: "does not occur" in str(status.render()), what="error")
        assert table.row_count == 0 and status.has_class("-error")
        word.value = "  "
        await pilot.press("enter")
        assert "type a word" in str(status.render())
        close = screen.query_one("#nb-close", Button)
        assert close.region.bottom <= size[1] and close.region.right <= size[0]
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, NeighboursScreen))
