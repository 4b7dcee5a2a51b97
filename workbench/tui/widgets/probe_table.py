"""ProbeTable: the fill-mask probes of the pre-training run the Train pane follows.

One row per probe sentence: the sentence (cut around its [MASK] to fit), the true word, its
rank and the top predictions with their probabilities (`the .21 · a .09 · river .05`, the
true word highlighted). The border line says which evaluation is shown, `step 200 (2/7)`;
`[` and `]` step back and forward through the evaluations (`ProbeHistory`, shared with the
web panel), and stepping past the newest follows the run again. Hidden while the run has no
probes (fine-tuning). On a short terminal it is only its border line until `P` opens it, so
the loss chart keeps its room.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from workbench.services.probes import (
    MASK,
    ProbeHistory,
    ProbeRow,
    fit_sentence,
    format_probability,
)
from workbench.services.probes import (
    ProbeTable as ProbeView,
)

# The Train pane's keys for the table (listed in help; the footer has no room at 80 columns).
PROBE_BINDINGS = [
    Binding(
        "left_square_bracket",
        "probes('earlier')",
        "probes: an earlier evaluation",
        show=False,
        key_display="[",
    ),
    Binding(
        "right_square_bracket",
        "probes('later')",
        "probes: a later evaluation (past the newest: follow the run)",
        show=False,
        key_display="]",
    ),
    Binding("P", "probes('toggle')", "probes: open / close the table", show=False),
]

ANSWER_MAX = 12  # the true-word column's widest
RANK_WIDTH = 5
GAP = 2


class ProbeTable(VerticalScroll, can_focus=False):
    """The probe rows of one evaluation; fed the run's events (`feed`), stepped by `move`."""

    SCOPED_CSS = False
    DEFAULT_CSS = """
    ProbeTable {
        display: none;
        height: auto;
        max-height: 12;
        border-top: solid $primary-darken-2;
        border-title-align: center;
        scrollbar-size-vertical: 1;
    }
    ProbeTable.-has-probes { display: block; }
    Screen.-short ProbeTable, ProbeTable.-closed { height: 1; }
    Screen.-short ProbeTable.-open { height: auto; max-height: 8; }
    ProbeTable > Static { height: auto; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.run_id: str | None = None
        self.history = ProbeHistory()
        self.shown: ProbeView | None = None

    def compose(self) -> Any:
        yield Static("", id="probe-rows", markup=False)

    # ------------------------------------------------------------------ feeding
    def feed(self, run_id: str, event: Any) -> None:
        """An event of the run followed (any kind; only probe events count). Another run id
        than before starts over; a replayed evaluation replaces the one of its step."""
        if run_id != self.run_id:
            self.reset(run_id)
        if self.history.add(event):
            self._draw()

    def reset(self, run_id: str | None = None) -> None:
        """Forget the probes (a new run is followed); hidden until its first probes."""
        self.run_id, self.history, self.shown = run_id, ProbeHistory(), None
        self._mark(False)

    # ------------------------------------------------------------------ keys
    @property
    def is_open(self) -> bool:
        if self.has_class("-open") or self.has_class("-closed"):
            return self.has_class("-open")
        return not self.screen.has_class("-short")

    def move(self, what: str) -> None:
        """`earlier`, `later` (past the newest: follow the run) or `toggle` (open/close)."""
        if what == "toggle":
            opened = not self.is_open
            self.set_class(opened, "-open")
            self.set_class(not opened, "-closed")
        elif what in ("earlier", "later"):
            if not self.history.count:
                self.notify("no probes yet: they come with the first evaluation", timeout=3)
                return
            self.history.move(-1 if what == "earlier" else 1)
        self._draw()

    # ------------------------------------------------------------------ drawing
    def _mark(self, shown: bool) -> None:
        """Shown or hidden; the pane is told too (app.tcss: on a short screen this line takes
        the place of the log's top border)."""
        self.set_class(shown, "-has-probes")
        if self.parent is not None:
            self.parent.set_class(shown, "-with-probes")  # type: ignore[attr-defined]

    def on_resize(self, event: events.Resize) -> None:
        self._draw()

    def _draw(self) -> None:
        table = self.history.table()
        self.shown = table
        self._mark(table is not None)
        if table is None:
            return
        keys = "[ ] step" + ("" if table.latest else ", ] to the newest")
        self.border_title = (
            f"probes · {table.label()} · {keys} · P {'close' if self.is_open else 'open'}"
        )
        width = max(self.scrollable_content_region.width, 20)
        self.query_one("#probe-rows", Static).update(render_rows(table, width))


def render_rows(table: ProbeView, width: int) -> Text:
    """A header line and one line per probe, fitted to `width` columns."""
    answer_w = min(ANSWER_MAX, max([len("true"), *(len(p.answer) for p in table.probes)]))
    rest = max(width - answer_w - RANK_WIDTH - 3 * GAP, 10)
    longest = max([len("sentence"), *(len(p.text) for p in table.probes)])
    sentence_w = max(min(rest * 9 // 20, longest), 8)
    top_w = max(rest - sentence_w, 4)
    gap = " " * GAP
    out = Text(no_wrap=True, overflow="ellipsis")
    out.append(
        f"{'sentence':<{sentence_w}}{gap}{'true':<{answer_w}}{gap}{'rank':>{RANK_WIDTH}}{gap}"
        "top predictions",
        style="bold dim",
    )
    for probe in table.probes:
        out.append("\n")
        out.append_text(_sentence(probe.text, sentence_w))
        out.append(gap)
        out.append(f"{fit_sentence(probe.answer, answer_w):<{answer_w}}", style="bold")
        out.append(gap)
        rank = "" if probe.rank is None else f"{probe.rank:,}"
        out.append(f"{rank:>{RANK_WIDTH}}", style="green" if probe.rank == 1 else "")
        out.append(gap)
        out.append_text(_top(probe, top_w))
    return out


def _sentence(text: str, width: int) -> Text:
    shown = fit_sentence(text, width)
    line = Text(f"{shown:<{width}}")
    at = shown.find(MASK)
    if at >= 0:
        line.stylize("bold reverse", at, at + len(MASK))
    return line


def _top(probe: ProbeRow, width: int) -> Text:
    """As many predictions as fit in `width`, the true word highlighted."""
    line = Text()
    for number, (token, p) in enumerate(probe.top):
        piece = f"{token} {format_probability(p)}"
        sep = " · " if number else ""
        if len(line) + len(sep) + len(piece) > width:
            if number == 0:  # not even one: cut it
                line.append(piece[: max(width - 1, 0)] + "…")
            break
        line.append(sep, style="dim")
        line.append(piece, style="bold green" if token == probe.answer else "")
    return line
