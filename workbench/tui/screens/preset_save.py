"""Ask for a preset name (Save as, Rename, Duplicate); the workspace checks it and the error
shows in place.

The name's message follows the box as it is typed (Input.Changed), so an error about an earlier
text never stays; "overwrite if it exists" lets a taken name be replaced on purpose."""

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


class SaveAsScreen(Guarded, ModalScreen[Path | None]):
    """Dismisses with the saved file, or None when cancelled. `save(name, overwrite)` writes
    the preset and raises with a message (bad name, name taken) shown under the name box."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self,
        suggestion: str,
        save: Callable[[str, bool], Path],
        *,
        title: str = "Save as a workspace preset",
        button: str = "Save",
        overwrite: bool = True,
    ) -> None:
        super().__init__()
        self.suggestion = suggestion
        self.save = save
        self.title_text, self.button, self.overwrite = title, button, overwrite
        self.asked = ""  # the name of the last save asked for: its error is about that text

    def compose(self) -> ComposeResult:
        with Vertical(id="save-box", classes="modal-box"):
            yield Label(self.title_text, id="save-title", classes="modal-title", markup=False)
            yield Input(self.suggestion, placeholder="preset name", id="save-name")
            yield Static("", id="save-error", markup=False)
            if self.overwrite:
                yield Checkbox("overwrite if it exists", id="save-overwrite", compact=True)
            with Horizontal(classes="modal-buttons"):
                yield Button(self.button, id="save-ok", variant="primary", compact=True)
                yield Button("Cancel (Esc)", id="save-cancel", compact=True)

    @on(Input.Changed, "#save-name")
    def _name_changed(self, event: Input.Changed) -> None:
        """Check the name as it is now: a message about an earlier text goes away."""
        try:
            check_name(event.value.strip(), "preset name")
        except WorkspaceError as exc:
            self.query_one("#save-error", Static).update(str(exc))
        else:
            self.query_one("#save-error", Static).update("")

    @on(Input.Submitted, "#save-name")
    @on(Button.Pressed, "#save-ok")
    def _submit(self) -> None:
        name = self.query_one("#save-name", Input).value.strip()
        self.asked = name
        boxes = self.query("#save-overwrite").results(Checkbox)
        self.write(name, any(box.value for box in boxes))

    @on(Button.Pressed, "#save-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    @work(thread=True, exclusive=True)
    @guarded(show="_error")  # a bad or taken name: say so here, keep the dialog open
    def write(self, name: str, overwrite: bool) -> None:
        path = self.save(name, overwrite)
        self.app.call_from_thread(self._saved, path)

    def _saved(self, path: Path) -> None:
        # Escape (or a second Enter's save) may have closed the dialog while this one wrote.
        if self.is_current:
            self.dismiss(path)

    def _error(self, message: str) -> None:
        # A late error about a text since changed would contradict the box: drop it.
        if not self.is_current or self.query_one("#save-name", Input).value.strip() != self.asked:
            return
        self.query_one("#save-error", Static).update(message)
        self.query_one("#save-name", Input).focus()
