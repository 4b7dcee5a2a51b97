"""The help screen (`?` / F1): every key binding and what each pane is for."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from workbench.tui.guard import Guarded

PANES = (
    (
        "1 Presets",
        "Browse bundled and workspace presets; edit one as a form (each field has its help, "
        "limits and an error shown right at the field); s saves a workspace preset in place "
        "(comments kept), a saves as, n renames, d duplicates under a name; diff two presets "
        "side by side; use one for training.",
    ),
    (
        "2 Tokenizer",
        "Train a WordPiece or BPE tokenizer on the demo corpus, a file or an upload, with "
        "progress and cancel; see vocabulary statistics; type text to see how it is cut "
        "(alternating colours) and each token's id.",
    ),
    (
        "3 Train",
        "Start pre-training or fine-tuning from the chosen preset (t / f open a dialog: a run "
        "name and key=value overrides, as --set, for that run only); watch loss and evaluation "
        "curves, learning rate, grad norm, speed and ETA live; pause, resume, stop.",
    ),
    (
        "4 Runs",
        "Every run of the workspace (CLI, TUI or web): status, start time, duration and best "
        "metrics; / filters, n notes and tags, R renames, del moves to the trash (z restores); "
        "overlay curves and diff configs of two or more; continue (u: in the Train tab), "
        "export to Hugging Face "
        "format, TensorBoard.",
    ),
    (
        "5 Try",
        "Classify text or a whole file with a fine-tuned run (label probabilities, tokens "
        "seen; x shows its error analysis: confusion matrix, per-label scores, the examples it "
        "gets wrong) or fill [MASK] with a pre-trained one; for either, a shows where it "
        "attends for the text (heatmap per layer and head) and w the words it puts near a word.",
    ),
)


def binding_rows(bindings: Iterable[BindingType]) -> list[tuple[str, str]]:
    """(keys, description) of each binding; bindings sharing an action are listed together."""
    rows: dict[str, tuple[list[str], str]] = {}
    for item in bindings:
        if isinstance(item, Binding):
            key, action, description = item.key, item.action, item.description
            display = item.key_display
        else:
            key, action, description = item[0], item[1], item[2] if len(item) > 2 else ""
            display = None
        for one in key.split(","):
            shown = display or one.strip().replace("ctrl+", "^")
            keys, text = rows.setdefault(action, ([], description or action))
            if shown not in keys:
                keys.append(shown)
    return [(" / ".join(keys), text) for keys, text in rows.values()]


def _action(binding: BindingType) -> str:
    return binding.action if isinstance(binding, Binding) else binding[1]


def _section(title: str, rows: list[tuple[str, str]], width: int) -> list[Content]:
    """A heading and its keys; a description too long for `width` wraps under itself
    (a hanging indent), so the key column stays clear on a narrow screen."""
    keys = max((len(k) for k, _ in rows), default=0) + 2
    lines = [Content(""), Content.styled(title, "bold $accent")]
    room = max(20, width - keys - 2)
    for key, text in rows:
        wrapped = textwrap.wrap(text, room) or [""]
        lines.append(Content.assemble((f"  {key:<{keys}}", "bold $text-primary"), wrapped[0]))
        lines += [Content(" " * (keys + 2) + more) for more in wrapped[1:]]
    return lines


class HelpScreen(Guarded, ModalScreen[None]):
    """A scrollable sheet: global keys, pane keys, the panes; Escape or q closes it."""

    BINDINGS = [
        Binding("escape,q,question_mark,f1", "dismiss", "Close", key_display="Esc"),
    ]

    def __init__(self, workspace: str, pane_bindings: dict[str, list[BindingType]]) -> None:
        super().__init__()
        self.workspace = workspace
        self.pane_bindings = pane_bindings

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box"):
            with VerticalScroll(id="help-scroll"):
                yield Static(self.text(80), id="help-text")
            yield Button("Close (Esc)", id="help-close", variant="primary", compact=True)

    def on_resize(self, event: events.Resize) -> None:
        # The key descriptions wrap to the sheet's width (less its scrollbar and padding).
        width = self.query_one("#help-scroll").size.width - 2
        if width > 0:
            self.query_one("#help-text", Static).update(self.text(width))

    def text(self, width: int) -> Content:
        from workbench.tui.app import BertbenchApp

        keys = [
            ("1 … 5", "switch tab (Presets, Tokenizer, Train, Runs, Try)"),
            *binding_rows(b for b in BertbenchApp.BINDINGS if "show_tab" not in _action(b)),
            ("Tab / Shift+Tab", "move between fields, lists and buttons"),
            ("^p", "command palette (themes, keys, quit)"),
        ]
        parts: list[Content] = [
            Content.styled("bertbench: keys and panes", "bold $accent"),
            Content(f"workspace {self.workspace}"),
            *_section("Everywhere", keys, width),
        ]
        for title, bindings in self.pane_bindings.items():
            rows = binding_rows(bindings)
            if rows:
                parts += _section(title, rows, width)
        parts += [Content(""), Content.styled("The panes", "bold $accent")]
        for title, text in PANES:
            parts.append(Content.assemble((title, "bold"), ": ", text))
        parts.append(Content("The mouse works too: click tabs, buttons, list rows and fields."))
        return Content("\n").join(parts)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)
