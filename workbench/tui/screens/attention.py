"""Where a run attends for the Try pane's text (`a` in the Try pane): one layer's and head's
attention as a character-cell heatmap (a row per query token, a column per key token, each
cell its probability in percent, shaded by it), `[` / `]` the layer, `-` / `=` the head, `m`
the mean of the heads; under it the attention *from* one token (Up / Down picks it, `[CLS]`
first) as the text with each token's background shaded by its weight.

The attention comes from `workbench.services.insight.attention`, as in the web panel. A long
text shows its first `MAX_TOKENS` tokens and says so. A heatmap bigger than the screen shows a
window on it (the labels and the header stay): it follows the chosen row, and Left / Right
move its columns."""

from __future__ import annotations

from typing import Any

from rich.style import Style
from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from workbench.services import insight
from workbench.services.analysis import DARK_RGB, shade
from workbench.tui.guard import Guarded, describe

MAX_TOKENS = 40  # tokens of a long text shown (rows and columns)
LABEL = 10  # characters of a token in the row labels
CELL = 3  # characters of a cell: the percent, 0..100


def cell_style(p: float) -> Style:
    """A cell's style: its probability (0..1) shades it from dark to green."""
    r, g, b = shade(p, True, DARK_RGB)
    return Style(bgcolor=f"rgb({r},{g},{b})", color="white", bold=p > 0.5)


def percent(p: float) -> str:
    """A probability as the cell's text: whole percent, always CELL characters."""
    return f"{round(p * 100):>{CELL - 1}} "[:CELL] if p < 0.995 else "100"


def heatmap(
    tokens: list[str],
    matrix: list[list[float]],
    query: int,
    rows: range | None = None,
    cols: range | None = None,
) -> Text:
    """The rows of `matrix` (query tokens) over its columns (key tokens): two header lines
    (each column's number and its token's first two characters), then a row per query
    token, the chosen `query` row's label reversed. `rows` and `cols` pick a window of a
    matrix bigger than the screen (the labels and the header stay)."""
    rows = range(len(tokens)) if rows is None else rows
    cols = range(len(tokens)) if cols is None else cols
    side = len(str(len(tokens) - 1)) + 1 + LABEL
    out = Text(no_wrap=True, overflow="crop")
    out.append(" " * side)
    for j in cols:
        out.append(f"{j:>{CELL - 1}} "[-CELL:], style="dim")
    out.append("\n" + " " * side)
    for j in cols:
        out.append(f"{tokens[j][:2]:>{CELL - 1}} ", style="bold")
    for i in rows:
        out.append("\n")
        label = f"{i:>{side - LABEL - 1}} {tokens[i][:LABEL]:<{LABEL}}"
        out.append(label, style="reverse bold" if i == query else "bold")
        for j in cols:
            out.append(percent(matrix[i][j]), style=cell_style(matrix[i][j]))
    return out


def side_width(tokens: list[str]) -> int:
    """The width of the row labels."""
    return len(str(len(tokens) - 1)) + 1 + LABEL


def attention_from(tokens: list[str], weights: list[float], query: int) -> Text:
    """The text as its tokens, each on a background shaded by the weight `query` gives it."""
    out = Text()
    out.append(f"attention from {tokens[query]!s} ({query}): ", style="bold")
    for token, w in zip(tokens, weights, strict=True):
        r, g, b = shade(w, True, DARK_RGB)
        out.append(token, style=Style(bgcolor=f"rgb({r},{g},{b})", color="white"))
        out.append(" ")
    return out


class AttentionScreen(Guarded, ModalScreen[None]):
    """Escape closes it; the keys step the layer, the head and the query token."""

    DEFAULT_CSS = """
    AttentionScreen { align: center middle; background: $background 60%; }
    #attn-box {
        width: 100%; max-width: 160; height: 100%; max-height: 50;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    #attn-status { height: auto; max-height: 2; color: $text-muted; }
    #attn-status.-error { color: $error; }
    #attn-map { height: 1fr; min-height: 4; }
    #attn-from { height: auto; max-height: 4; margin-top: 1; }
    #attn-buttons { height: auto; align-horizontal: right; }
    #attn-buttons Button { margin-left: 1; }
    """

    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("left_square_bracket", "layer(-1)", "Layer", key_display="["),
        Binding("right_square_bracket", "layer(1)", "Layer", key_display="]"),
        Binding("minus", "head(-1)", "Head", key_display="-"),
        Binding("equals_sign", "head(1)", "Head", key_display="="),
        Binding("m", "mean", "Mean of heads"),
        Binding("up", "query(-1)", "Query token", show=False),
        Binding("down", "query(1)", "Query token", show=False),
        Binding("left", "pan(-1)", "Scroll the columns", show=False),
        Binding("right", "pan(1)", "Scroll the columns", show=False),
    ]

    def __init__(self, run_id: str, text: str) -> None:
        super().__init__()
        self.run_id = run_id
        self.text = text
        self.map: Any = None  # the AttentionMap, once loaded
        self.at_layer = 0
        self.at_head: int | None = 0  # None: the mean of the heads
        self.at_query = 0
        self.shown: list[list[float]] = []  # the matrix shown (the first tokens)
        self.top = 0  # the first row and column in the window on a matrix bigger than it
        self.left = 0
        self.window: tuple[range, range] = (range(0), range(0))  # the rows and columns drawn

    def compose(self) -> ComposeResult:
        with Vertical(id="attn-box"):
            yield Label(f"Attention of {self.run_id}", classes="modal-title")
            yield Static("loading the model...", id="attn-status", markup=False)
            yield Static("", id="attn-map")
            yield Static("", id="attn-from")
            with Horizontal(id="attn-buttons"):
                yield Button("Close (Esc)", id="attn-close", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="attention-load")
    def load(self) -> None:
        try:
            seen = insight.attention(self.services.runs, self.run_id, self.text)
        except Exception as exc:  # no text, a run without an encoder, unreadable files: said
            self.app.call_from_thread(self._failed, describe(exc))
            return
        self.app.call_from_thread(self._loaded, seen)

    def _failed(self, message: str) -> None:
        if not self.is_attached:
            return
        status = self.query_one("#attn-status", Static)
        status.update(message)
        status.add_class("-error")

    def _loaded(self, seen: Any) -> None:
        if not self.is_attached:
            return
        self.map = seen
        self.at_layer, self.at_head, self.at_query = 0, 0, 0
        self.redraw()
        self.call_after_refresh(self.redraw)  # again once the heatmap's size is known

    # ---------------------------------------------------------------- drawing
    @property
    def n_layers(self) -> int:
        return int(self.map.probabilities.shape[0]) if self.map is not None else 0

    @property
    def n_heads(self) -> int:
        return int(self.map.probabilities.shape[1]) if self.map is not None else 0

    def matrix(self) -> list[list[float]]:
        """The chosen layer's and head's (or heads' mean) attention over the first tokens."""
        n = min(len(self.map.tokens), MAX_TOKENS)
        weights = self.map.probabilities[self.at_layer]
        chosen = weights.mean(0) if self.at_head is None else weights[self.at_head]
        return [[float(v) for v in row[:n]] for row in chosen[:n]]

    def caption(self) -> str:
        head = (
            "mean of the heads"
            if self.at_head is None
            else f"head {self.at_head + 1}/{self.n_heads}"
        )
        line = f"layer {self.at_layer + 1}/{self.n_layers} · {head}"
        total = len(self.map.tokens)
        if total > MAX_TOKENS:
            line += f" · the first {MAX_TOKENS} of {total} tokens"
        return line + "  ([ ] layer, - = head, m mean, ↑↓ token, ←→ columns)"

    def redraw(self) -> None:
        if self.map is None:
            return
        tokens = self.map.tokens[:MAX_TOKENS]
        self.shown = self.matrix()
        self.at_query = max(0, min(self.at_query, len(tokens) - 1))
        n = len(tokens)
        size = self.query_one("#attn-map", Static).size
        fit_rows = max(1, size.height - 2) if size.height else n
        fit_cols = max(1, (size.width - side_width(tokens)) // CELL) if size.width else n
        # The window keeps the chosen row in view; Left / Right move the columns.
        if self.at_query < self.top:
            self.top = self.at_query
        elif self.at_query >= self.top + fit_rows:
            self.top = self.at_query - fit_rows + 1
        self.top = max(0, min(self.top, n - fit_rows))
        self.left = max(0, min(self.left, n - fit_cols))
        rows = range(self.top, min(n, self.top + fit_rows))
        cols = range(self.left, min(n, self.left + fit_cols))
        self.window = (rows, cols)
        status = self.query_one("#attn-status", Static)
        status.remove_class("-error")
        line = self.caption()
        if len(cols) < n or len(rows) < n:
            line += f" · rows {rows.start}-{rows.stop - 1}, columns {cols.start}-{cols.stop - 1}"
        status.update(line)
        self.query_one("#attn-map", Static).update(
            heatmap(tokens, self.shown, self.at_query, rows, cols)
        )
        self.query_one("#attn-from", Static).update(
            attention_from(tokens, self.shown[self.at_query], self.at_query)
        )

    def on_resize(self, event: events.Resize) -> None:
        self.call_after_refresh(self.redraw)

    # ---------------------------------------------------------------- keys
    def action_layer(self, step: int) -> None:
        if self.map is not None:
            self.at_layer = (self.at_layer + step) % self.n_layers
            self.redraw()

    def action_head(self, step: int) -> None:
        if self.map is not None:
            # From the mean, = goes to the first head and - to the last.
            head = (0 if step > 0 else -1) if self.at_head is None else self.at_head + step
            self.at_head = head % self.n_heads
            self.redraw()

    def action_mean(self) -> None:
        if self.map is not None:
            self.at_head = None if self.at_head is not None else 0
            self.redraw()

    def action_query(self, step: int) -> None:
        if self.map is not None:
            self.at_query = max(0, min(self.at_query + step, len(self.shown) - 1))
            self.redraw()

    def action_pan(self, step: int) -> None:
        """Move the columns of a heatmap wider than the screen by five."""
        if self.map is not None:
            self.left = max(0, self.left + 5 * step)
            self.redraw()

    @on(Button.Pressed, "#attn-close")
    def action_close(self) -> None:
        self.dismiss(None)
