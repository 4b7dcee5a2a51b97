"""What the training file of a fine-tuning preset holds, under the form's [classification]
fields: its columns, first rows and label counts (from `services.datafiles`), or what is wrong
with it. Reading runs in a worker; the columns are posted (`DataPreview.Columns`) so the form
can offer them in its column fields."""

from __future__ import annotations

from dataclasses import dataclass

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Static

from workbench.services.datafiles import DataFileInfo

BAR = 20  # characters of the longest label-count bar
WIDE = 90  # columns from which the label counts stand beside the rows, not under them


class DataPreview(Vertical):
    """The preview of one data file; `inspect` (re)reads it."""

    DEFAULT_CSS = """
    DataPreview { height: auto; margin: 1 0 0 0; }
    DataPreview .data-summary { color: $text-muted; }
    DataPreview.-error .data-summary { color: $error; }
    """

    @dataclass
    class Columns(Message):
        """The columns of the file shown ([] when it cannot be read)."""

        columns: list[str]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="data-preview")
        self.info: DataFileInfo | None = None
        self.error = ""
        self._asked: tuple[str, str, str, str] | None = None

    def compose(self) -> ComposeResult:
        yield Static("training file: (none)", classes="data-summary", markup=False)
        yield Static("", classes="data-table")

    def inspect(self, path: str, label: str = "", text: str = "", pair: str = "") -> None:
        """Read `path` (relative to the workspace) again unless the same was just asked."""
        asked = (path.strip(), label.strip(), text.strip(), pair.strip())
        if asked == self._asked:
            return
        self._asked = asked
        if not asked[0] or asked[0] == "demo":
            self._show(None, "training file: the built-in demo task" if asked[0] else "")
            return
        self._read(*asked)

    @work(thread=True, exclusive=True, group="data-preview")
    def _read(self, path: str, label: str, text: str, pair: str) -> None:
        services = self.app.services  # type: ignore[attr-defined]
        try:
            info = services.datafiles.inspect(path)
            if label and label in info.columns and label != info.label_column:
                info = services.datafiles.inspect(path, label_column=label)
        except Exception as exc:  # a DataFileError says what is wrong; never a crash
            self.app.call_from_thread(self._show, None, f"training file: {exc}")
            return
        # Columns named in the form but not in the file: said, the preview still shown.
        named = (("text_column", text), ("text_pair_column", pair), ("label_column", label))
        missing = [f"{key} {name!r}" for key, name in named if name and name not in info.columns]
        note = f" · ✗ not in the file: {', '.join(missing)}" if missing else ""
        warning = info.label_warning()
        note += f" · ✗ {warning}" if warning and not missing else ""
        self.app.call_from_thread(self._show, info, note)

    def _show(self, info: DataFileInfo | None, message: str) -> None:
        self.info, self.error = info, message if info is None else ""
        summary = self.query_one(".data-summary", Static)
        table = self.query_one(".data-table", Static)
        self.set_class(info is None and bool(message), "-error")
        if info is None:
            summary.update(message)
            table.update("")
            self.post_message(self.Columns([]))
            return
        s = info.suggested
        hint = f"suggested: text {s.text}" + (f", pair {s.pair}" if s.pair else "")
        hint += f", label {s.label}" if s.label else ""
        summary.update(
            f"training file {info.path.name}: {info.rows} rows · columns "
            f"{', '.join(info.columns)} · {hint}{message}"
        )
        table.update(render(info, wide=self.size.width >= WIDE))
        self.post_message(self.Columns(list(info.columns)))

    def on_resize(self) -> None:
        if self.info is not None:  # side by side or stacked, as the width allows
            self.query_one(".data-table", Static).update(
                render(self.info, wide=self.size.width >= WIDE)
            )


def render(info: DataFileInfo, wide: bool = True) -> Table:
    """The first rows and the label counts as bars: side by side when `wide`, else the counts
    first and the rows under them."""
    out = Table.grid(padding=(0, 2))
    rows = Table(box=None, padding=(0, 1), header_style="bold", expand=False)
    headers, cells = info.preview_table()
    for name in headers:
        rows.add_column(name, overflow="ellipsis", no_wrap=True, max_width=40)
    for row in cells:
        rows.add_row(*row)
    counts = Table(box=None, padding=(0, 1), header_style="bold")
    counts.add_column(f"label ({info.label_column})" if info.label_column else "label")
    counts.add_column("rows", justify="right")
    counts.add_column("")
    top = max(info.label_counts.values(), default=1)
    for label, n in info.label_counts.items():
        counts.add_row(label, str(n), Text("█" * max(1, round(BAR * n / top)), style="green"))
    if wide:
        out.add_row(rows, counts)
    else:
        out.add_row(counts)
        out.add_row(rows)
    return out
