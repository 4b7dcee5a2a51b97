"""The Try pane: ask a run what it learned.

A fine-tuned run classifies the text (label probabilities as bars, and the tokens the model
saw), or every row of a CSV/TSV/JSONL file (a path relative to the workspace, completed as it is
typed), saving the predictions as a CSV in the workspace's `exports/`; `x` (Errors) opens its
error analysis (screens/run_errors.py). For either kind, `a` (Attention) shows where the run
attends for the text (screens/attention.py) and `w` (Words) the words it puts near a word
(screens/neighbours.py). A pre-training run fills every `[MASK]` in the text
with its top predictions. Loading a model imports torch and reads the checkpoint, so
predictions run in a worker.
"""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.css.query import NoMatches
from textual.widgets import Button, Input, Select, Static

from workbench.services.datafiles import SUFFIXES
from workbench.services.live import probability_rows
from workbench.services.tryout import BatchResult, classify_file
from workbench.tui.guard import Guarded, guarded
from workbench.tui.idle_gc import freeze_loaded_objects
from workbench.tui.messages import RunsChanged
from workbench.tui.screens.attention import AttentionScreen
from workbench.tui.screens.neighbours import NeighboursScreen
from workbench.tui.screens.run_errors import RunErrorsScreen
from workbench.tui.widgets.path_suggester import PathSuggester
from workbench.tui.widgets.pickers import offer

BAR_WIDTH = 30
TOP_K = 5
HINTS = {
    "finetune": "a classifier: type any text and press enter",
    "pretrain": "a pre-trained model: type text with [MASK] where a word is missing",
}


class TryPane(Guarded, Vertical):
    """Run picker, text input, file input, and the model's answer."""

    BINDINGS = [
        Binding("x", "errors", "Errors"),  # a fine-tuned run's error analysis
        Binding("a", "attention", "Attention"),
        Binding("w", "neighbours", "Words"),
    ]

    # The file row's own layout (app.tcss styles the rest of the pane).
    DEFAULT_CSS = """
    #try-file-controls { height: auto; }
    #try-file { width: 1fr; }
    #try-file-controls Button { margin-left: 1; min-width: 8; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.kinds: dict[str, str] = {}  # run id -> pretrain / finetune
        self.result: Any = None  # the last Classification or FillMaskOutput

    def compose(self) -> ComposeResult:
        with Horizontal(id="try-controls"):
            yield Select[str]([], prompt="run", id="try-run", compact=True)
            yield Input(placeholder="text to try", id="try-text", compact=True)
            yield Button("Try", id="try-go", variant="primary", compact=True)
        with Horizontal(id="try-file-controls"):
            yield Input(
                placeholder="or a file to classify: .csv/.tsv/.jsonl (→ completes the path)",
                suggester=PathSuggester(self.services.workspace.root, SUFFIXES),
                id="try-file",
                compact=True,
            )
            yield Button("Classify file", id="try-file-go", compact=True)
            yield Button("Errors (x)", id="try-errors", compact=True)
            yield Button("Attention (a)", id="try-attention", compact=True)
            yield Button("Words (w)", id="try-words", compact=True)
        yield Static("pick a run, type text, press enter", id="try-hint", markup=False)
        yield Static("", id="try-error", markup=False)
        with VerticalScroll(id="try-output"):
            yield Static("", id="try-result")
            yield Static("", id="try-tokens")

    def on_mount(self) -> None:
        # After the first frame: listing runs imports the engine, which competes for the GIL.
        self.call_after_refresh(self._list)

    def on_runs_changed(self, message: RunsChanged) -> None:
        message.stop()  # the app forwarded it here; it must not bubble back
        self._list()

    @work(thread=True, exclusive=True, group="try-list")
    @guarded("could not list runs", show="_error")
    def _list(self) -> None:
        runs = self.services.runs.list()
        freeze_loaded_objects()  # the engine is imported now
        usable = [r for r in runs if r.kind in HINTS and r.status not in ("running", "paused")]
        self.app.call_from_thread(self._set_runs, [(r.run_id, r.kind) for r in usable])

    def _set_runs(self, runs: list[tuple[str, str]]) -> None:
        self.kinds = dict(runs)
        select = self.query_one("#try-run", Select)
        previous = select.value
        try:
            options = [(f"{run} ({kind})", run) for run, kind in runs]
            offer(select, options, previous if previous in self.kinds else None)
        except NoMatches:  # the select is not composed yet: try again after the next refresh
            self.call_after_refresh(self._set_runs, runs)
            return

    @on(Select.Changed, "#try-run")
    def _run_changed(self, event: Select.Changed) -> None:
        kind = self.kinds.get(event.value) if isinstance(event.value, str) else None
        self.query_one("#try-hint", Static).update(HINTS.get(kind or "", "pick a run"))
        if kind == "pretrain" and not self.query_one("#try-text", Input).value:
            self.query_one("#try-text", Input).value = "the cat [MASK] a red ball."

    @on(Input.Submitted, "#try-text")
    @on(Button.Pressed, "#try-go")
    def submit(self) -> None:
        run = self.query_one("#try-run", Select).value
        text = self.query_one("#try-text", Input).value
        if not isinstance(run, str):
            self._error("pick a run first")
            return
        if not text.strip():
            self._error("type some text first")
            return
        self._error("")
        self.query_one("#try-result", Static).update(f"asking {run}... (loading the model)")
        self._predict(run, self.kinds.get(run, "pretrain"), text)

    @on(Input.Submitted, "#try-file")
    @on(Button.Pressed, "#try-file-go")
    def submit_file(self) -> None:
        run = self.query_one("#try-run", Select).value
        path = self.query_one("#try-file", Input).value.strip()
        if not isinstance(run, str) or self.kinds.get(run) != "finetune":
            self._error("pick a fine-tuned run (a classifier) first")
            return
        if not path:
            self._error("type the path of a file to classify (relative to the workspace)")
            return
        self._error("")
        self.query_one("#try-result", Static).update(f"classifying {path} with {run}...")
        self.query_one("#try-tokens", Static).update("")
        self._classify_file(run, path)

    @on(Button.Pressed, "#try-errors")
    def action_errors(self) -> None:
        run = self.query_one("#try-run", Select).value
        if not isinstance(run, str) or self.kinds.get(run) != "finetune":
            self._error("pick a fine-tuned run (a classifier) to see its error analysis")
            return
        self._error("")
        self.app.push_screen(RunErrorsScreen(run))

    @on(Button.Pressed, "#try-attention")
    def action_attention(self) -> None:
        run = self.query_one("#try-run", Select).value
        text = self.query_one("#try-text", Input).value
        if not isinstance(run, str):
            self._error("pick a run first to see where it attends")
            return
        if not text.strip():
            self._error("type a text first to see where the run attends")
            return
        self._error("")
        self.app.push_screen(AttentionScreen(run, text))

    @on(Button.Pressed, "#try-words")
    def action_neighbours(self) -> None:
        run = self.query_one("#try-run", Select).value
        if not isinstance(run, str):
            self._error("pick a run first to see the words it puts together")
            return
        self._error("")
        words = self.query_one("#try-text", Input).value.replace("[MASK]", " ").split()
        word = words[-1].strip(".,;:!?\"'()") if words else ""
        self.app.push_screen(NeighboursScreen(run, word))

    @work(thread=True, exclusive=True, group="try-predict")
    @guarded("{run}", show="_failed")
    def _classify_file(self, run: str, path: str) -> None:
        try:
            result = classify_file(self.services, run, path)
        except ValueError as exc:  # the file's problem (DataFileError, too many rows): said
            self.app.call_from_thread(self._failed, str(exc))
            return
        self.app.call_from_thread(self._show_batch, result)

    def _show_batch(self, result: BatchResult) -> None:
        self.result = result
        table = Table(box=None, padding=(0, 1), header_style="bold")
        for name in result.columns:
            table.add_column(name, overflow="ellipsis", no_wrap=True, max_width=48)
        for row in result.preview:
            table.add_row(*row)
        head = Text(result.summary() + "\n", style="bold")
        self.query_one("#try-result", Static).update(head)
        self.query_one("#try-tokens", Static).update(table)

    @work(thread=True, exclusive=True, group="try-predict")
    @guarded("{run}", show="_failed")
    def _predict(self, run: str, kind: str, text: str) -> None:
        runs = self.services.runs
        if kind == "finetune":
            result: Any = runs.classify(run, text)
        else:
            mask = runs.mask_token(run)
            if mask not in text:
                message = f"{run}: the text has no {mask}; put {mask} where a word is missing"
                self.app.call_from_thread(self._failed, message)
                return
            result = runs.fill_mask(run, text, top_k=TOP_K)
        self.app.call_from_thread(self._show, result)

    def _failed(self, text: str) -> None:
        self.query_one("#try-result", Static).update("")
        self._error(text)

    def _error(self, text: str) -> None:
        self.query_one("#try-error", Static).update(text)

    def _show(self, result: Any) -> None:
        # rich Text, not markup: tokens such as "[CLS]" would read as markup tags.
        self.result = result
        out = Text()
        masked: set[int] = set()

        def rows(pairs: list[tuple[str, float]]) -> None:
            for row in probability_rows(pairs, BAR_WIDTH):
                out.append(f"\n{row.label:>16} ")
                out.append(row.bar, style="green")
                out.append(f" {row.percent}")

        if hasattr(result, "probabilities"):  # a Classification
            out.append(f"label: {result.label}", style="bold")
            rows(result.probabilities)
        else:  # a FillMaskOutput
            for n, mask in enumerate(result.masks, start=1):
                masked.add(mask.position)
                out.append(f"{chr(10) if n > 1 else ''}mask {n} (token {mask.position})", "bold")
                rows(mask.candidates)
        self.query_one("#try-result", Static).update(out)
        tokens = Text("tokens the model saw: ", style="bold")
        for i, token in enumerate(result.tokens):
            tokens.append(token, style="reverse" if i in masked else "")
            tokens.append(" ")
        self.query_one("#try-tokens", Static).update(tokens)
