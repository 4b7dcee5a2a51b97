"""The words a run puts near a word (`w` in the Try pane): the nearest tokens by cosine
similarity over the run's input embeddings, or (ticked) over contextual vectors averaged on a
sample of the run's own data, as a table with a bar per similarity.

The neighbours come from `workbench.services.insight.neighbours`, as in the web panel;
problems (no word, a word the sample lacks) show in place."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, DataTable, Input, Label, Static

from workbench.services import insight
from workbench.tui.guard import Guarded, describe

K = 10  # neighbours shown
BAR = 20  # characters of a similarity of 1


def bar(similarity: float) -> str:
    """A similarity (-1..1) as a bar of its positive part."""
    return "█" * round(max(0.0, similarity) * BAR)


class NeighboursScreen(Guarded, ModalScreen[None]):
    """Enter (or Find) looks the word up; the checkbox picks the vectors; Escape closes it."""

    DEFAULT_CSS = """
    NeighboursScreen { align: center middle; background: $background 60%; }
    #nb-box {
        width: 100%; max-width: 90; height: 100%; max-height: 24;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    #nb-controls { height: auto; }
    #nb-word { width: 1fr; }
    #nb-controls Button { margin-left: 1; min-width: 8; }
    #nb-status { height: auto; max-height: 2; color: $text-muted; }
    #nb-status.-error { color: $error; }
    #nb-table { height: 1fr; min-height: 4; }
    #nb-buttons { height: auto; align-horizontal: right; }
    #nb-buttons Button { margin-left: 1; }
    """

    BINDINGS = [Binding("escape", "close", "Close")]

    def __init__(self, run_id: str, word: str = "") -> None:
        super().__init__()
        self.run_id = run_id
        self.word = word
        self.found: list[Any] = []  # the Neighbours in the table
        self.asked: tuple[str, bool] | None = None  # the word and kind the table shows

    def compose(self) -> ComposeResult:
        with Vertical(id="nb-box"):
            yield Label(f"Nearest words of {self.run_id}", classes="modal-title")
            with Horizontal(id="nb-controls"):
                yield Input(self.word, placeholder="a word", id="nb-word", compact=True)
                yield Button("Find", id="nb-go", variant="primary", compact=True)
            yield Checkbox(
                "contextual (averaged over the run's data); off: input embeddings",
                id="nb-contextual",
                compact=True,
            )
            yield Static("", id="nb-status", markup=False)
            table: DataTable[Any] = DataTable(id="nb-table", cursor_type="row")
            table.add_columns("#", "token", "cosine", "")
            yield table
            with Horizontal(id="nb-buttons"):
                yield Button("Close (Esc)", id="nb-close", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one("#nb-word", Input).focus()
        if self.word.strip():
            self.find()

    @on(Input.Submitted, "#nb-word")
    @on(Button.Pressed, "#nb-go")
    @on(Checkbox.Changed, "#nb-contextual")
    def find(self) -> None:
        word = self.query_one("#nb-word", Input).value
        contextual = self.query_one("#nb-contextual", Checkbox).value
        if not word.strip():
            self._failed("type a word to find its neighbours")
            return
        where = "contextual vectors of the run's data" if contextual else "input embeddings"
        self._status(f"looking for the words nearest to {word.strip()!r} ({where})...")
        self._look(word, contextual)

    @work(thread=True, exclusive=True, group="neighbours")
    def _look(self, word: str, contextual: bool) -> None:
        try:
            found = insight.neighbours(
                self.services.runs, self.run_id, word, k=K, contextual=contextual
            )
        except Exception as exc:  # a word the sample lacks, a run without its data: said
            self.app.call_from_thread(self._failed, describe(exc))
            return
        self.app.call_from_thread(self._show, word.strip(), contextual, found)

    def _status(self, text: str, error: bool = False) -> None:
        status = self.query_one("#nb-status", Static)
        status.update(text)
        status.set_class(error, "-error")

    def _failed(self, message: str) -> None:
        if not self.is_attached:
            return
        self.found, self.asked = [], None
        self.query_one("#nb-table", DataTable).clear()
        self._status(message, error=True)

    def _show(self, word: str, contextual: bool, found: list[Any]) -> None:
        if not self.is_attached:
            return
        self.found, self.asked = found, (word, contextual)
        where = (
            "contextual vectors averaged over the run's data" if contextual else "input embeddings"
        )
        self._status(f"the {len(found)} tokens nearest to {word!r} ({where}), by cosine")
        table = self.query_one("#nb-table", DataTable)
        table.clear()
        for n, near in enumerate(found, start=1):
            table.add_row(
                str(n),
                Text(near.token),
                f"{near.similarity:.3f}",
                Text(bar(near.similarity), style="green"),
            )

    @on(Button.Pressed, "#nb-close")
    def action_close(self) -> None:
        self.dismiss(None)
