"""Start a run (Train pane, `t` / `f` or the buttons): the preset and kind, an optional run
name, and overrides for this run only, one `key=value` per line as the CLI's `--set` takes
them. The overrides are checked by the services (`services/overrides.py`, the engine's own
`--set` check); every problem names its line and shows here, the dialog staying open with the
text kept. The preset file is never written.

Enter in the name box, `ctrl+s` or Start starts; Esc cancels. Enter in the overrides box is a
new line."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static, TextArea

from workbench.services.overrides import OverrideCheck, check_run_name
from workbench.services.workspace import WorkspaceError
from workbench.tui.guard import Guarded, guarded

KIND_WORDS = {"pretrain": "Pre-train", "finetune": "Fine-tune"}
# An example in the box, for the kind of run the dialog starts.
PLACEHOLDERS = {
    "pretrain": "pretrain.max_steps=20\ndata.batch_size=8",
    "finetune": "finetune.epochs=2\nclassification.batch_size=16",
}


@dataclass(frozen=True)
class StartRequest:
    """What the dialog was closed with: start this run."""

    text: str  # the overrides box as typed (kept for the next start of the preset)
    overrides: list[str] = field(default_factory=list)  # its key=value lines, checked
    name: str | None = None  # the run's name (None: the preset's)


class StartRunScreen(Guarded, ModalScreen[StartRequest | None]):
    """Dismisses with a `StartRequest`, or None when cancelled. `check(text)` checks the
    overrides on the preset (an `OverrideCheck`); with problems the dialog stays open.
    `remember(text)` is handed the overrides box as the dialog closes, either way."""

    DEFAULT_CSS = """
    StartRunScreen {
        align: center middle;
        background: $background 60%;
    }
    #start-box {
        max-width: 90;
    }
    #start-what {
        margin-bottom: 1;
    }
    #start-overrides {
        height: 7;
    }
    StartRunScreen.-short #start-overrides {
        height: 4;
    }
    #start-error-scroll {
        height: auto;
        max-height: 6;
    }
    StartRunScreen.-short #start-error-scroll {
        max-height: 5;
    }
    StartRunScreen.-short #start-what {
        margin-bottom: 0;
    }
    #start-error {
        color: $text-error;
        height: auto;
    }
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "start", "Start", priority=True),
    ]

    def __init__(
        self,
        preset: str,
        kind: str,
        check: Callable[[str], OverrideCheck],
        *,
        text: str = "",
        name: str = "",
        remember: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__()
        self.preset, self.kind, self.check = preset, kind, check
        self.text, self.name_text, self.remember = text, name, remember

    def compose(self) -> ComposeResult:
        words = KIND_WORDS.get(self.kind, self.kind)
        with Vertical(id="start-box", classes="modal-box"):
            yield Label(f"{words} from {self.preset}", id="start-title", classes="modal-title")
            yield Static(
                f"preset [b]{self.preset}[/b] · kind [b]{self.kind}[/b] · overrides apply to "
                "this run only, the preset file stays as it is",
                id="start-what",
            )
            yield Label("Run name (optional; default: the preset's)")
            yield Input(
                self.name_text, placeholder="e.g. lr-sweep-1", id="start-name", compact=True
            )
            yield Label("Overrides, one key=value per line (as the CLI's --set)")
            yield TextArea(
                self.text,
                id="start-overrides",
                soft_wrap=True,
                placeholder=PLACEHOLDERS.get(self.kind, PLACEHOLDERS["pretrain"]),
            )
            # Focusable (Tab) while it holds problems: a long list scrolls with the arrows.
            with VerticalScroll(id="start-error-scroll", can_focus=False):
                yield Static("", id="start-error", markup=False)
            with Horizontal(classes="modal-buttons"):
                yield Button("Start (ctrl+s)", id="start-ok", variant="primary", compact=True)
                yield Button("Cancel (Esc)", id="start-cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#start-name", Input).focus()

    @on(Input.Submitted, "#start-name")
    @on(Button.Pressed, "#start-ok")
    @guarded("could not check the overrides", show="_error")
    def action_start(self) -> None:
        text = self.query_one("#start-overrides", TextArea).text
        problems: list[str] = []
        try:
            name = check_run_name(self.query_one("#start-name", Input).value)
        except WorkspaceError as exc:
            name, problems = None, [str(exc)]
        check = self.check(text)
        if not check.ok:
            count = len(check.problems)
            problems.append(
                f"{count} override{'s' if count != 1 else ''} to fix:\n{check.message()}"
            )
        if problems:
            self._error("\n".join(problems))
            return
        self._remember(text)
        self.dismiss(StartRequest(text, list(check.overrides), name))

    @on(Button.Pressed, "#start-cancel")
    def action_cancel(self) -> None:
        self._remember(self.query_one("#start-overrides", TextArea).text)
        self.dismiss(None)

    def _remember(self, text: str) -> None:
        if self.remember is not None:
            self.remember(text)

    def _error(self, message: str) -> None:
        if self.is_current:
            self.query_one("#start-error", Static).update(message)
            self.query_one("#start-error-scroll").can_focus = bool(message)
