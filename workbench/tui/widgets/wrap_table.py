"""WrapTable: a read-only table whose columns always fit its width.

Diff and comparison tables hold a key column and one column per preset or run, with values
that may be long (paths, lists). A plain DataTable sizes columns to their longest cell and
pushes the later columns off-screen; this one shares the width out (`fit_widths`) and wraps
long cells onto more lines, so every column and every value stays on screen at any width."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual import events
from textual.widgets import DataTable

MIN_WIDTH = 6  # no column narrower than this (a value wraps over more lines instead)
PADDING = 2  # DataTable's cell padding, one column each side


KEY_SHARE = 0.4  # the first (key) column may take this much of the width before others


def fit_widths(natural: Sequence[int], total: int, least: int = MIN_WIDTH) -> list[int]:
    """Column widths that fit in `total` cells: each column its natural width when all fit,
    else the first (key) column keeps its width up to `KEY_SHARE` of the total, and of the
    others the narrow ones keep theirs and the wide ones share what is left equally."""
    widths = [max(1, n) for n in natural]
    if sum(widths) <= total or not widths:
        return widths
    key = min(widths[0], max(least, int(total * KEY_SHARE)))
    if len(widths) == 1:
        return [key]
    return [key, *_share(widths[1:], total - key, least)]


def _share(widths: list[int], total: int, least: int) -> list[int]:
    fitted = list(widths)
    wide = set(range(len(widths)))
    room = max(total, least * len(widths))
    while True:
        share = room // len(wide) if wide else 0
        narrow = {i for i in wide if widths[i] <= share}
        if not narrow:
            break
        for i in narrow:
            fitted[i] = widths[i]
            room -= widths[i]
        wide -= narrow
    if wide:
        share = max(least, room // len(wide))
        extra = max(0, room - share * len(wide))
        for n, i in enumerate(sorted(wide)):
            fitted[i] = share + (1 if n < extra else 0)
    return fitted


def lines_needed(text: str, width: int) -> int:
    return max(1, -(-len(text) // max(1, width)))


class WrapTable(DataTable[Text]):
    """`show(headers, rows)` and the table lays itself out to its width, again on resize."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes, zebra_stripes=True, cursor_type="row")
        self.headers: list[str] = []
        self.cells: list[tuple[str, ...]] = []
        self._laid_out_for = -1  # the width the columns were fitted to

    def show(self, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        self.headers = list(headers)
        self.cells = [tuple(row) for row in rows]
        self._laid_out_for = -1
        self._layout()

    def on_resize(self, event: events.Resize) -> None:
        if event.size.width != self._laid_out_for:
            self._layout()

    def _layout(self) -> None:
        width = self.size.width
        if not self.headers or width <= 0:
            return  # not on screen yet: laid out on the first resize
        self._laid_out_for = width
        natural = [
            max([len(h), *(len(row[i]) for row in self.cells if i < len(row))])
            for i, h in enumerate(self.headers)
        ]
        # Room for the cell padding and a vertical scrollbar, should the rows not all fit.
        room = width - PADDING * len(natural) - self.styles.scrollbar_size_vertical
        widths = fit_widths(natural, room)
        row = self.cursor_row
        self.clear(columns=True)
        columns = list(zip(self.headers, widths, strict=True))
        self.header_height = max(lines_needed(h, w) for h, w in columns)
        for header, w in columns:
            self.add_column(Text(header, overflow="fold"), width=w)
        for cells in self.cells:
            # Text, not str: a value such as "[a, b]" is not markup. Keyed by the first cell.
            cells_text = (Text(c, overflow="fold") for c in cells)
            self.add_row(*cells_text, height=None, key=cells[0] if cells else None)
        if self.row_count:
            self.move_cursor(row=min(row, self.row_count - 1))
