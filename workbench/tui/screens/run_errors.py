"""Error analysis of a fine-tuned run (`x` in the Try pane): the confusion matrix as a
character-cell heatmap (counts in the cells, shaded by their share of the row: green on the
diagonal, red off it), the per-class precision / recall / F1 / support, and the misclassified
examples, most confident first, filtered by true and predicted label. The highlighted error's
label probabilities and tokens show under the table. A run fine-tuned before the analysis
existed offers Compute (it evaluates the best checkpoint on the test split).

Everything comes from `workbench.services.analysis`, as in the web panel's accordion."""

from __future__ import annotations

from typing import Any

from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Label, Select, Static

from workbench.services.analysis import (
    ANY,
    DARK_RGB,
    NoAnalysisError,
    RunAnalysis,
    compute_analysis,
    load_analysis,
    shade,
)
from workbench.tui.guard import Guarded, describe, guarded
from workbench.tui.widgets.pickers import offer

MAX_ROWS = 500  # error rows put in the table (the count says how many there are)
LABEL_CELL = 8  # characters of a label in a matrix column header
CORNER = "true\\pred"


def cell_style(share: float, right: bool) -> Style:
    """A cell's style: its share of the row (0..1) shades it from dark to green on the
    diagonal, to red off it (services.analysis.shade, as on the web panel)."""
    r, g, b = shade(share, right, DARK_RGB)
    return Style(bgcolor=f"rgb({r},{g},{b})", color="white", bold=share > 0.5)


def heatmap(analysis: RunAnalysis) -> Text:
    """The confusion matrix as text: a header of predicted labels, one row per true label."""
    labels = analysis.labels
    side = max(min(max(len(x) for x in labels), 12), len(CORNER))
    cell = max(min(max(len(x) for x in labels), LABEL_CELL), len(str(analysis.examples))) + 2
    out = Text()
    out.append(f"{CORNER:<{side + 1}}"[: side + 1], style="dim")
    for label in labels:
        out.append(f"{label[: cell - 1]:^{cell}}", style="bold")
    for i, (label, row) in enumerate(zip(labels, analysis.matrix, strict=True)):
        out.append("\n")
        out.append(f"{label[:side]:>{side}} ", style="bold")
        for j, n in enumerate(row):
            out.append(f"{n:^{cell}}", style=cell_style(analysis.shares[i][j], i == j))
    return out


def class_table(analysis: RunAnalysis) -> Table:
    table = Table(box=None, padding=(0, 1), header_style="bold")
    for name in ("label", "prec", "recall", "F1", "n"):
        table.add_column(name, justify="left" if name == "label" else "right", no_wrap=True)
    for r in analysis.per_class:
        table.add_row(
            Text(r.label[:14]),
            f"{r.precision:.3f}",
            f"{r.recall:.3f}",
            f"{r.f1:.3f}",
            str(r.support),
        )
    return table


class RunErrorsScreen(Guarded, ModalScreen[None]):
    """Escape closes it. The split and label pickers reload the analysis."""

    DEFAULT_CSS = """
    RunErrorsScreen { align: center middle; background: $background 60%; }
    #errors-box {
        width: 100%; max-width: 120; height: 100%; max-height: 44;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    #errors-filters { height: auto; }
    #errors-filters Select { width: 1fr; margin-right: 1; }
    #errors-status { height: auto; max-height: 2; color: $text-muted; }
    #errors-top { height: auto; max-height: 8; }
    #errors-matrix { width: auto; margin-right: 2; }
    #errors-classes { width: 1fr; }
    #errors-table { height: 1fr; min-height: 4; }
    #errors-detail { height: auto; max-height: 2; }
    #errors-buttons { height: auto; align-horizontal: right; }
    #errors-buttons Button { margin-left: 1; }
    """

    BINDINGS = [Binding("escape", "close", "Close")]

    def __init__(self, run_id: str) -> None:
        super().__init__()
        self.run_id = run_id
        self.analysis: RunAnalysis | None = None
        self._filling = False  # setting the pickers from an analysis: no reload
        self._options: dict[str, list[tuple[str, str]]] = {}  # what each picker offers

    def compose(self) -> ComposeResult:
        with Vertical(id="errors-box"):
            yield Label(f"Error analysis of {self.run_id}", classes="modal-title")
            with Horizontal(id="errors-filters"):
                yield Select[str]([], prompt="split", id="errors-split", compact=True)
                yield Select[str]([], prompt="true: any", id="errors-true", compact=True)
                yield Select[str]([], prompt="predicted: any", id="errors-pred", compact=True)
            yield Static("loading the analysis...", id="errors-status", markup=False)
            with Horizontal(id="errors-top"):
                yield Static("", id="errors-matrix")
                yield Static("", id="errors-classes")
            table: DataTable[Any] = DataTable(id="errors-table", cursor_type="row")
            table.add_columns("#", "true", "predicted", "conf", "text")
            yield table
            yield Static("", id="errors-detail")
            with Horizontal(id="errors-buttons"):
                yield Button("Compute (test split)", id="errors-compute", compact=True)
                yield Button("Close (Esc)", id="errors-close", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one("#errors-compute", Button).display = False
        self.load()

    # ---------------------------------------------------------------- loading
    def _filters(self) -> tuple[str | None, str | None, str | None]:
        def value(id: str) -> str | None:
            v = self.query_one(id, Select).value
            return v if isinstance(v, str) else None

        return value("#errors-split"), value("#errors-true"), value("#errors-pred")

    @work(thread=True, exclusive=True, group="errors-load")
    def load(self, compute: bool = False) -> None:
        split, true, predicted = self._filters()
        services = self.services
        try:
            if compute:
                analysis = compute_analysis(services.runs, self.run_id, "test")
            else:
                analysis = load_analysis(
                    services.runs, self.run_id, split, true=true, predicted=predicted
                )
        except NoAnalysisError as exc:
            self.app.call_from_thread(self._failed, describe(exc), True)
            return
        except Exception as exc:  # a pre-training run, a bad filter, unreadable files: said
            self.app.call_from_thread(self._failed, describe(exc), False)
            return
        self.app.call_from_thread(self._show, analysis)

    def _failed(self, message: str, can_compute: bool) -> None:
        if not self.is_attached:
            return
        self.query_one("#errors-status", Static).update(message)
        self.query_one("#errors-compute", Button).display = can_compute

    def _show(self, analysis: RunAnalysis) -> None:
        if not self.is_attached:
            return
        self.analysis = analysis
        self.query_one("#errors-compute", Button).display = False
        self._filling = True
        try:
            self._offer("#errors-split", [(s, s) for s in analysis.splits], analysis.split)
            true = [(f"true: {x}", x) for x in analysis.labels]
            pred = [(f"predicted: {x}", x) for x in analysis.labels]
            self._offer("#errors-true", [("true: any", ANY), *true], analysis.true)
            self._offer("#errors-pred", [("predicted: any", ANY), *pred], analysis.predicted)
        finally:
            self.call_after_refresh(self._done_filling)
        self.query_one("#errors-status", Static).update(analysis.describe())
        self.query_one("#errors-matrix", Static).update(heatmap(analysis))
        self.query_one("#errors-classes", Static).update(class_table(analysis))
        table = self.query_one("#errors-table", DataTable)
        table.clear()
        for e in analysis.errors[:MAX_ROWS]:
            text = e.text if e.text_pair is None else f"{e.text} || {e.text_pair}"
            table.add_row(
                str(e.index), e.true, e.predicted, f"{e.confidence:.3f}", Text(text[:200])
            )
        self._detail(0)

    def _done_filling(self) -> None:
        self._filling = False

    def _offer(self, id: str, options: list[tuple[str, str]], value: str) -> None:
        select = self.query_one(id, Select)
        if self._options.get(id) != options:
            self._options[id] = options
            offer(select, options, value)
        if select.value != value:
            select.value = value

    @on(Select.Changed)
    def _filter_changed(self, event: Select.Changed) -> None:
        event.stop()
        if not self._filling and self.analysis is not None:
            self.load()

    # ---------------------------------------------------------------- the table
    @on(DataTable.RowHighlighted, "#errors-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._detail(event.cursor_row)

    def _detail(self, row: int) -> None:
        detail = self.query_one("#errors-detail", Static)
        errors = self.analysis.errors if self.analysis is not None else []
        if not 0 <= row < len(errors):
            detail.update("no misclassified example here" if self.analysis else "")
            return
        e = errors[row]
        out = Text()
        ranked = sorted(e.probabilities.items(), key=lambda kv: -kv[1])
        out.append("  ".join(f"{k} {v:.1%}" for k, v in ranked), style="bold")
        out.append("  tokens: " + " ".join(e.tokens), style="dim")
        detail.update(out)

    # ---------------------------------------------------------------- buttons
    @on(Button.Pressed, "#errors-compute")
    @guarded("could not compute the analysis")
    def _compute(self) -> None:
        self.query_one("#errors-compute", Button).display = False
        self.query_one("#errors-status", Static).update(
            "computing: evaluating the best checkpoint on the test split..."
        )
        self.load(compute=True)

    @on(Button.Pressed, "#errors-close")
    def action_close(self) -> None:
        self.dismiss(None)
