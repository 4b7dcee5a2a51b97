"""Export a run for HuggingFace: the dialog asks the folder's name under `exports/` (the run's
id suggested), says which checkpoint it writes, and overwrites an existing folder only when
asked to. The service checks the name and refuses a taken folder; shown in place."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Static

from workbench.services.workspace import WorkspaceError, check_name
from workbench.tui.guard import Guarded, guarded


class RunExportScreen(Guarded, ModalScreen[Path | None]):
    """Dismisses with the exported folder, or None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self,
        run_id: str,
        step: int | None,
        exports: Path,
        export: Callable[[str, bool], Path],
    ) -> None:
        super().__init__()
        self.run_id = run_id
        self.step = step
        self.exports = exports  # <workspace>/exports, to say whether a name is taken
        self.export = export
        self.asked = ""

    def compose(self) -> ComposeResult:
        at = f"its checkpoint at step {self.step}" if self.step is not None else "its checkpoint"
        with Vertical(id="export-box", classes="modal-box"):
            yield Label(f"Export {self.run_id} for HuggingFace", classes="modal-title")
            yield Static(
                f"Writes {at} (the best, else the latest) with its tokenizer as a folder "
                "that transformers loads, under exports/:",
                id="export-what",
            )
            yield Input(self.run_id, placeholder="folder name under exports/", id="export-name")
            yield Static("", id="export-where", markup=False)
            yield Checkbox("Overwrite it if it exists", id="export-overwrite", compact=True)
            with Horizontal(classes="modal-buttons"):
                yield Button("Export", id="export-ok", variant="primary", compact=True)
                yield Button("Cancel (Esc)", id="export-cancel", compact=True)

    def on_mount(self) -> None:
        self._describe(self.run_id)

    @on(Input.Changed, "#export-name")
    def _name_changed(self, event: Input.Changed) -> None:
        self._describe(event.value.strip())

    def _describe(self, name: str) -> None:
        where = self.query_one("#export-where", Static)
        try:
            check_name(name, "export name")
        except WorkspaceError as exc:
            where.update(f"✗ {exc}")
            return
        folder = self.exports / name
        taken = folder.exists() and any(folder.iterdir())
        where.update(
            f"→ exports/{name}/"
            + (" already exists: tick Overwrite, or choose another name" if taken else "")
        )

    @on(Input.Submitted, "#export-name")
    @on(Button.Pressed, "#export-ok")
    def _submit(self) -> None:
        self.asked = self.query_one("#export-name", Input).value.strip()
        overwrite = self.query_one("#export-overwrite", Checkbox).value
        self.query_one("#export-where", Static).update(f"exporting to exports/{self.asked}/ …")
        self.write(self.asked, overwrite)

    @on(Button.Pressed, "#export-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    @work(thread=True, exclusive=True)
    @guarded(show="_error")
    def write(self, name: str, overwrite: bool) -> None:
        folder = self.export(name, overwrite)
        self.app.call_from_thread(self._done, folder)

    def _done(self, folder: Path) -> None:
        if self.is_current:
            self.dismiss(folder)

    def _error(self, message: str) -> None:
        if not self.is_current or self.query_one("#export-name", Input).value.strip() != self.asked:
            return
        self.query_one("#export-where", Static).update(f"✗ {message}")
        self.query_one("#export-name", Input).focus()
