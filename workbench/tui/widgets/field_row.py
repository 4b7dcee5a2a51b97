"""One preset setting in the form: key and editor on a line, help below, the error under it.

A row draws one `FormField` of `services.form` with the text it holds; a field that differs
from the schema default is marked "•" by its key."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.suggester import Suggester
from textual.widgets import Input, Label, Select, Static

from workbench.services.form import FormField

MARK = "•"  # by the key of a setting that differs from the schema default


def field_id(path: str) -> str:
    return "field-" + path.replace(".", "--")


def path_of(widget_id: str | None) -> str | None:
    if not widget_id or not widget_id.startswith("field-"):
        return None
    return widget_id.removeprefix("field-").replace("--", ".")


class FieldRow(Vertical):
    """One setting: key and editor on a line, help below, the error (if any) under it.

    Text, error and mark are given when the row is made and kept here, so they can be set
    at any time, also before the row's children exist."""

    def __init__(
        self,
        field: FormField,
        text: str,
        *,
        differs: bool = False,
        error: str | None = None,
        suggester: Suggester | None = None,  # completion of a text box (paths, columns)
    ) -> None:
        super().__init__(classes="field-row", id=f"row-{field_id(field.path)}")
        self.field = field
        self.spec = field.spec
        self._text = text
        self._error = error
        self._differs = differs
        self._suggester = suggester
        self._editor: Input | Select[str] | None = None
        self.set_class(bool(error), "-invalid")
        self.set_class(differs, "-differs")

    def compose(self) -> ComposeResult:
        field, spec = self.field, self.spec
        with Horizontal(classes="field-line"):
            yield Label(self._key_text(), classes="field-key", markup=False)
            if field.options:
                # An unset optional field is the blank entry, "(default)"; any other starts on
                # its value, never on a blank.
                value = self._text if self._text in field.options else Select.NULL
                self._editor = Select(
                    [(o, o) for o in field.options],
                    allow_blank=spec.optional,
                    value=value,
                    prompt="(default)",
                    id=field_id(spec.path),
                    compact=True,
                    classes="field-input",
                )
            else:
                self._editor = Input(
                    value=self._text,
                    placeholder=field.placeholder,
                    suggester=self._suggester,
                    id=field_id(spec.path),
                    compact=True,
                    classes="field-input",
                )
            yield self._editor
        yield Static(field.help, classes="field-help", markup=False)
        yield Static(self._error or "", classes="field-error", markup=False)

    def _key_text(self) -> str:
        return f"{MARK if self._differs else ' '} {self.spec.key}"

    @property
    def editor(self) -> Input | Select[str]:
        if self._editor is None:
            raise RuntimeError(f"the row of {self.spec.path} is not composed yet")
        return self._editor

    def text(self) -> str:
        editor = self._editor
        if editor is None:
            return self._text
        if isinstance(editor, Select):
            return "" if editor.is_blank() else str(editor.value)
        return editor.value

    def set_text(self, text: str) -> None:
        self._text = text
        editor = self._editor
        if isinstance(editor, Select):
            if text in self.field.options:
                editor.value = text
            elif self.spec.optional:
                editor.clear()
        elif editor is not None:
            editor.value = text

    def show_error(self, message: str | None) -> None:
        self._error = message
        self.set_class(bool(message), "-invalid")
        for static in self.query(".field-error").results(Static):  # none before compose
            static.update(message or "")

    def mark_differs(self, differs: bool) -> None:
        self._differs = differs
        self.set_class(differs, "-differs")
        for label in self.query(".field-key").results(Label):
            label.update(self._key_text())
