"""One preset setting in the form: key and editor on a line, help below, the error under it."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, Select, Static

from workbench.services import FieldSpec
from workbench.services.views import bounds_text, field_text


def field_id(path: str) -> str:
    return "field-" + path.replace(".", "--")


def path_of(widget_id: str | None) -> str | None:
    if not widget_id or not widget_id.startswith("field-"):
        return None
    return widget_id.removeprefix("field-").replace("--", ".")


class FieldRow(Vertical):
    """One setting: key and editor on a line, help below, the error (if any) under it."""

    def __init__(self, spec: FieldSpec) -> None:
        super().__init__(classes="field-row", id=f"row-{field_id(spec.path)}")
        self.spec = spec

    def compose(self) -> ComposeResult:
        spec = self.spec
        with Horizontal(classes="field-line"):
            yield Label(spec.key, classes="field-key")
            if spec.type in ("choice", "boolean"):
                choices = spec.choices if spec.type == "choice" else ("true", "false")
                yield Select(
                    [(str(c), str(c)) for c in choices],
                    allow_blank=spec.optional,
                    prompt="(default)",
                    id=field_id(spec.path),
                    compact=True,
                    classes="field-input",
                )
            else:
                default = field_text(spec.default)
                yield Input(
                    placeholder=f"default: {default}" if default else "(empty)",
                    id=field_id(spec.path),
                    compact=True,
                    classes="field-input",
                )
        yield Static(f"{spec.help} [{bounds_text(spec)}]", classes="field-help", markup=False)
        yield Static("", classes="field-error", markup=False)

    @property
    def editor(self) -> Input | Select[str]:
        return self.query_one(".field-input")  # type: ignore[return-value]

    def text(self) -> str:
        editor = self.editor
        if isinstance(editor, Select):
            return "" if editor.is_blank() else str(editor.value)
        return editor.value

    def set_text(self, text: str) -> None:
        editor = self.editor
        if isinstance(editor, Select):
            if text:
                editor.value = text
            elif self.spec.optional:
                editor.clear()
        else:
            editor.value = text

    def show_error(self, message: str | None) -> None:
        self.query_one(".field-error", Static).update(message or "")
        self.set_class(bool(message), "-invalid")
