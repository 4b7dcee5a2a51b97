"""The Presets pane: a list of presets on the left, the chosen one as a form on the right.

The form is the preset's `services.form` model: one row per setting with its help text, limits
and a mark when it differs from the default. Every edit is validated in a worker against the same
schema the CLI uses; errors appear under the field they are about. Save (in place, after a
confirmation; Save as for a bundled preset), Save as, Rename, Duplicate and Diff open small
modal screens; "use" hands the preset to the Train pane.

Loading and drawing race with the keyboard (a preset is left before its form arrives), so each
opened preset gets a generation number: a result for an older one is dropped, rebuilds of the
form run one at a time, and only the rows of a finished rebuild are ever read or written.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Button, Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from workbench.services import PresetEntry, Validation, form, use
from workbench.services.datafiles import COLUMN_FIELDS
from workbench.services.form import FormField, FormSection, PresetForm
from workbench.tui.guard import Guarded
from workbench.tui.messages import PresetChosen
from workbench.tui.screens.preset_confirm import ConfirmScreen
from workbench.tui.screens.preset_diff import DiffScreen
from workbench.tui.screens.preset_save import SaveAsScreen
from workbench.tui.widgets.field_row import FieldRow, path_of
from workbench.tui.widgets.path_preview import DataPreview
from workbench.tui.widgets.path_suggester import field_suggester

# Fields whose change re-reads the training file's preview (the owndata helper's hook).
DATA_WATCHED = ("classification.train", *COLUMN_FIELDS)


class PresetsPane(Guarded, Vertical):
    """Browse, edit, save (in place or as), rename, duplicate, diff, and use presets.

    The form shows one section (table) at a time, picked in the list under the presets:
    few widgets at once keeps it quick, and a section fits a small terminal. The texts of
    every field live in `self.texts`, so switching section keeps the edits."""

    BINDINGS = [
        Binding("u", "use", "Use for training"),
        Binding("s,ctrl+s", "save", "Save", key_display="s"),
        Binding("a", "save_as", "Save as"),
        Binding("n", "rename", "Rename"),
        Binding("d", "duplicate", "Duplicate"),
        Binding("c", "diff", "Diff"),
        Binding("r", "reload", "Reload", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.entries: list[PresetEntry] = []
        self.form: PresetForm | None = None  # the preset as loaded
        self.sections: list[FormSection] = []
        self.section = ""  # the section on screen
        self.current: PresetEntry | None = None
        self.texts: dict[str, str] = {}  # every field of the present sections, as edited
        self.loaded: dict[str, str] = {}  # the same as loaded: edits are the differences
        self.validation: Validation | None = None
        self.errors: dict[str, list[str]] = {}
        self._version = 0  # validations asked for: a slow one never overrides a newer one
        self._generation = 0  # presets opened: a late load of an earlier one is dropped
        self._rows: dict[str, FieldRow] = {}  # the rows on screen, once fully mounted
        self._drawing = asyncio.Lock()  # one rebuild of the form at a time
        self._columns: list[str] = []  # the training file's columns, offered in column fields

    def compose(self) -> ComposeResult:
        with Horizontal(id="presets-main"):
            with Vertical(id="preset-side"):
                yield Label("Presets", classes="pane-title")
                yield OptionList(id="preset-list", compact=True)
                yield Label("Sections", classes="pane-title")
                yield OptionList(id="preset-sections", compact=True)
            with Vertical(id="preset-detail"):
                with Horizontal(id="preset-toolbar"):
                    yield Button("Use", id="preset-use", variant="success", compact=True)
                    yield Button("Save", id="preset-save", compact=True)
                    yield Button("Save as", id="preset-save-as", compact=True)
                    yield Button("Rename", id="preset-rename", compact=True)
                    yield Button("Duplicate", id="preset-duplicate", compact=True)
                    yield Button("Diff", id="preset-diff", compact=True)
                yield Static("loading presets…", id="preset-title", markup=False)
                yield Static("", id="preset-status", markup=False)
                yield VerticalScroll(id="preset-form")

    def on_mount(self) -> None:
        self.load_presets()

    # ------------------------------------------------------------------ loading
    @work(thread=True, exclusive=True, group="presets-list")
    def load_presets(self, select: str | Path | None = None) -> None:
        services = self.app.services  # type: ignore[attr-defined]
        try:
            entries = services.presets.list()
        except Exception as exc:  # shown, never a crash: the pane stays usable
            self.app.call_from_thread(self._status, f"cannot list presets: {exc}", error=True)
            return
        self.app.call_from_thread(self._show_list, entries, select)

    def _show_list(self, entries: list[PresetEntry], select: str | Path | None) -> None:
        self.entries = entries
        options = self.query_one("#preset-list", OptionList)
        options.clear_options()
        options.add_options(
            Option(f"{e.name} · {e.origin}" + (" (shadowed)" if e.shadowed else ""), id=f"p{i}")
            for i, e in enumerate(entries)
        )
        index = 0
        if select is not None:
            index = next(
                (i for i, e in enumerate(entries) if e.path == select or e.name == select), 0
            )
        if entries:
            options.highlighted = index
            self.open_entry(entries[index])

    def open_entry(self, entry: PresetEntry) -> None:
        self.current = entry
        self._generation += 1
        self._version += 1  # a validation of the previous preset is now stale
        # The rows on screen belong to the previous preset: no edit or error goes to them.
        self._rows = {}
        self._columns = []  # the columns of the previous preset's training file
        self.form, self.loaded, self.validation = None, {}, None
        self._status("loading…")
        self.query_one("#preset-title", Static).update(f"{entry.name} · {entry.origin}")
        self.load_preset(self._generation, entry)

    @work(thread=True, exclusive=True, group="presets-load")
    def load_preset(self, generation: int, entry: PresetEntry) -> None:
        services = self.app.services  # type: ignore[attr-defined]
        try:
            shown = form.to_form(services.presets.load(entry.path))
        except Exception as exc:
            self.app.call_from_thread(self._load_failed, generation, entry, exc)
            return
        self.app.call_from_thread(self._fill, generation, entry, shown)

    def _load_failed(self, generation: int, entry: PresetEntry, exc: Exception) -> None:
        if generation == self._generation:
            self._status(f"cannot load {entry.name}: {exc}", error=True)

    async def _fill(self, generation: int, entry: PresetEntry, shown: PresetForm) -> None:
        if generation != self._generation:
            return  # another preset was opened meanwhile
        self.form, self.sections = shown, list(shown.sections)
        self.texts = shown.texts()
        self.loaded = dict(self.texts)
        self.errors = {}
        description = shown.field("description").text
        self.query_one("#preset-title", Static).update(
            f"{entry.name} · {entry.origin}" + (f" — {description}" if description else "")
        )
        self.validate_now()
        self._section_list()
        await self._draw()

    # ------------------------------------------------------------------ sections
    def _section_list(self) -> None:
        options = self.query_one("#preset-sections", OptionList)
        highlighted = options.highlighted
        options.clear_options()
        for section in self.sections:
            label = section.name or "preset"
            count = sum(len(self.errors.get(f.path, ())) for f in section.fields)
            if not section.present:
                label += " (absent)"
            elif count:
                label += f" ✗{count}"
            options.add_option(Option(label, id=f"s-{section.name}"))
        index = next(
            (i for i, s in enumerate(self.sections) if s.name == self.section), highlighted
        )
        options.highlighted = index

    @on(OptionList.OptionHighlighted, "#preset-sections")
    async def _section_picked(self, event: OptionList.OptionHighlighted) -> None:
        name = (event.option_id or "s-").removeprefix("s-")
        if name != self.section:
            await self.show_section(name)

    async def show_section(self, name: str) -> None:
        """Put the fields of section `name` on screen, with their texts and errors."""
        if any(s.name == name for s in self.sections):
            self.section = name
            await self._draw()

    async def _draw(self) -> None:
        """Rebuild the form for the current preset and section; one rebuild at a time, each
        drawing what is current when its turn comes."""
        async with self._drawing:
            generation, name = self._generation, self.section
            section = next((s for s in self.sections if s.name == name), None)
            if section is None or self.form is None:
                return
            self._rows = {}
            scroll = self.query_one("#preset-form", VerticalScroll)
            await scroll.remove_children()
            title = f"[{name}]" if name else "preset"
            widgets: list[Widget] = [Label(title, classes="section-title", markup=False)]
            rows: list[FieldRow] = []
            if not section.present:
                widgets.append(
                    Static(
                        f"This preset has no [{name}] table: it is used by "
                        f"{'fine-tuning' if section.optional else 'runs'} "
                        "presets (see classify-quickstart).",
                        classes="section-absent",
                        markup=False,
                    )
                )
            else:
                rows = [self._row(field) for field in section.fields]
                for row in rows:
                    widgets.append(row)
                    if row.spec.path == "classification.train":  # what the file holds, under it
                        widgets.append(DataPreview(id="preset-data-preview"))
            await scroll.mount_all(widgets)
            if (generation, name) == (self._generation, self.section):
                self._rows = {row.spec.path: row for row in rows}
                self._preview_data()
            scroll.scroll_home(animate=False)

    def _row(self, field: FormField) -> FieldRow:
        text = self.texts.get(field.path, "")
        messages = self.errors.get(field.path)
        return FieldRow(
            field,
            text,
            differs=form.differs(field.spec, form.parse(field.spec, text)),
            error="; ".join(messages) if messages else None,
            suggester=field_suggester(field.path, self._root(), self._columns),
        )

    def _preview_data(self) -> None:
        """Show what the training file holds (when the [classification] fields are shown)."""
        for preview in self.query(DataPreview).results(DataPreview):
            t = self.texts.get
            preview.inspect(
                t("classification.train", ""),
                t("classification.label_column", ""),
                t("classification.text_column", ""),
                t("classification.text_pair_column", ""),
            )

    def on_data_preview_columns(self, message: DataPreview.Columns) -> None:
        """Offer the training file's columns in the column fields."""
        self._columns = message.columns
        for path in COLUMN_FIELDS:
            row = self._rows.get(path)
            if row is not None and isinstance(row.editor, Input):
                row.editor.suggester = field_suggester(path, self._root(), self._columns)

    def _root(self) -> Path:
        return Path(self.app.services.workspace.root)  # type: ignore[attr-defined]

    async def goto_field(self, path: str) -> None:
        """Show the section of `path` and put the cursor in its field."""
        section = path.rsplit(".", 1)[0] if "." in path else ""
        names = [s.name for s in self.sections]
        if section not in names:
            return
        if section != self.section:
            await self.show_section(section)
            self.query_one("#preset-sections", OptionList).highlighted = names.index(section)
        row = self._rows.get(path)
        if row is not None:
            row.editor.focus()
            row.scroll_visible(animate=False)

    # ------------------------------------------------------------------ editing
    def apply_values(self, values: dict[str, str]) -> list[str]:
        """Set form fields (`{"tokenizer.path": "tokenizers/wt2-wp"}`) as if typed: the preset
        shows as edited and is validated (paths: relative to the workspace). Returns the keys
        this form does not show (e.g. a table the preset leaves out), which are not applied."""
        skipped: list[str] = []
        for path, text in values.items():
            if path not in self.texts:
                skipped.append(path)
                continue
            self.texts[path] = text  # rows of other sections are drawn from these texts
            row = self._rows.get(path)
            if row is not None:
                row.set_text(text)
                row.mark_differs(form.differs(row.spec, form.parse(row.spec, text)))
        self.validate_now()
        return skipped

    @property
    def dirty(self) -> bool:
        return bool(self.loaded) and self.texts != self.loaded

    @on(Input.Changed, ".field-input")
    @on(Select.Changed, ".field-input")
    def _edited(self, event: Input.Changed | Select.Changed) -> None:
        path = path_of(event.control.id)
        row = self._rows.get(path or "")
        if row is None or event.control is not row.editor or path not in self.texts:
            return  # a row being replaced, or one of a preset no longer shown
        text = row.text()
        if text != self.texts[path]:
            self.texts[path] = text
            row.mark_differs(form.differs(row.spec, form.parse(row.spec, text)))
            self.validate_now()
            if path in DATA_WATCHED:
                self._preview_data()

    def validate_now(self) -> None:
        self._version += 1
        included = self.form.included if self.form is not None else []
        self.validate(self._version, dict(self.texts), included)

    @work(thread=True, exclusive=True, group="presets-validate")
    def validate(self, version: int, texts: dict[str, str], included: list[str]) -> None:
        services = self.app.services  # type: ignore[attr-defined]
        result = services.presets.validate_form(form.from_form(texts, included))
        self.app.call_from_thread(self._show_validation, version, result)

    def _show_validation(self, version: int, result: Validation) -> None:
        if version != self._version:
            return
        self.validation = result
        self.errors = {}
        for error in result.errors:
            self.errors.setdefault(error.path, []).append(error.message)
        for path, row in self._rows.items():
            messages = self.errors.get(path)
            row.show_error("; ".join(messages) if messages else None)
        self._section_list()
        edited = " · edited" if self.dirty else ""
        if result.ok:
            self._status(f"✓ valid{edited}")
            return
        shown = set(self._rows)
        text = f"✗ {len(result.errors)} problem{'s' if len(result.errors) != 1 else ''}{edited}"
        elsewhere = [
            f"{e.path or 'preset'}: {e.message}" for e in result.errors if e.path not in shown
        ]
        if elsewhere:
            text += "; in other sections: " + " | ".join(elsewhere)
        self._status(text, error=True)

    def _status(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#preset-status", Static)
        status.update(text)
        status.set_class(error, "-error")

    # ------------------------------------------------------------------ the list
    @on(OptionList.OptionHighlighted, "#preset-list")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        entry = self._entry(event.option_id)
        if entry is None or entry is self.current:
            return
        if self.dirty:
            self.notify(
                f"your edits to {self.current.name} are not saved (s saves them, a saves them "
                f"as a new preset); Enter opens {entry.name} after asking",
                severity="warning",
            )
            return
        self.open_entry(entry)

    @on(OptionList.OptionSelected, "#preset-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        entry = self._entry(event.option_id)
        if entry is None or entry is self.current:
            return
        if not self.dirty or self.current is None:
            self.open_entry(entry)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.open_entry(entry)

        self.app.push_screen(
            ConfirmScreen(
                f"Discard your edits to {self.current.name} and open {entry.name}?",
                "What you typed and did not save is lost (Esc keeps it: s saves, a saves as).",
            ),
            answered,
        )

    def _entry(self, option_id: str | None) -> PresetEntry | None:
        if not option_id:
            return None
        index = int(option_id[1:])
        return self.entries[index] if index < len(self.entries) else None

    # ------------------------------------------------------------------ actions
    @on(Button.Pressed, "#preset-toolbar Button")
    def _button(self, event: Button.Pressed) -> None:
        action = {
            "preset-use": self.action_use,
            "preset-save": self.action_save,
            "preset-save-as": self.action_save_as,
            "preset-rename": self.action_rename,
            "preset-duplicate": self.action_duplicate,
            "preset-diff": self.action_diff,
        }[event.button.id or ""]
        action()

    def action_use(self) -> None:
        entry = self.current
        if entry is None:
            return
        if self.dirty:
            self.notify(
                "The Train pane uses the preset as saved; save your edits first (s)",
                severity="warning",
            )
        # A shadowed preset's name means the workspace one: hand over its file instead.
        self.post_message(PresetChosen(str(entry.path) if entry.shadowed else entry.name))

    def _valid_preset(self) -> Any:
        result = self.validation
        if result is None or not result.ok or result.preset is None:
            count = len(result.errors) if result else 0
            self.notify(
                f"Fix the {count} problem{'s' if count != 1 else ''} first: "
                "each is shown under its field",
                severity="error",
            )
            if result is not None and result.errors:
                self.call_later(self.goto_field, result.errors[0].path)
            return None
        return result.preset

    def _own(self, entry: PresetEntry) -> bool:
        return bool(self.app.services.presets.is_own(entry.path))  # type: ignore[attr-defined]

    def action_save(self) -> None:
        """Save in place (asks first) a workspace preset; Save as for a read-only one."""
        entry = self.current
        if entry is None:
            return
        if not self._own(entry):
            self.notify(f"{entry.name} is {entry.origin} (read-only): save it as a new preset")
            self.action_save_as()
            return
        preset = self._valid_preset()
        if preset is None:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.save_in_place(entry, preset)

        self.app.push_screen(
            ConfirmScreen(f"Overwrite presets/{entry.path.name}?", "Comments are kept."), answered
        )

    @work(thread=True, exclusive=True, group="presets-write")
    def save_in_place(self, entry: PresetEntry, preset: Any) -> None:
        services = self.app.services  # type: ignore[attr-defined]
        try:
            path = services.presets.save_in_place(entry.path, preset)
        except Exception as exc:  # refused or invalid: said, the form keeps the edits
            self.app.call_from_thread(
                self.notify, f"cannot save {entry.name}: {exc}", severity="error"
            )
            return
        self.app.call_from_thread(self._written, f"saved {path.name} in place", path)

    def _written(self, message: str, path: Path) -> None:
        self.notify(message)
        self.load_presets(select=path)

    def action_save_as(self) -> None:
        preset = self._valid_preset()
        entry = self.current
        if preset is None or entry is None:
            return
        services = self.app.services  # type: ignore[attr-defined]
        suggestion = services.workspace.unique_name("presets", f"{entry.name}-edit")

        def save(name: str, overwrite: bool) -> Path:
            return services.presets.save(preset, name, overwrite=overwrite, source=entry.path)

        self._ask_name(SaveAsScreen(suggestion, save), "saved {} in the workspace presets")

    def _ask_name(self, screen: SaveAsScreen, done: str) -> None:
        def finished(path: Path | None) -> None:
            if path is not None:
                self._written(done.format(path.name), path)

        self.app.push_screen(screen, finished)

    def action_rename(self) -> None:
        entry = self.current
        if entry is None:
            return
        if not self._own(entry):
            self.notify(
                f"{entry.name} is {entry.origin} (read-only); duplicate it (d) to get a "
                "workspace copy you can rename",
                severity="warning",
            )
            return
        if self.dirty:
            self.notify(
                f"save your edits to {entry.name} first (s), or reload it (r)", severity="warning"
            )
            return
        presets = self.app.services.presets  # type: ignore[attr-defined]

        def rename(name: str, overwrite: bool) -> Path:
            return presets.rename(entry.path.stem, name, overwrite=overwrite)

        screen = SaveAsScreen(entry.name, rename, title=f"Rename {entry.name}", button="Rename")
        self._ask_name(screen, "renamed " + entry.name + " to {}")

    def action_duplicate(self) -> None:
        """Duplicate the preset as saved, under a name asked for (never silently)."""
        entry = self.current
        if entry is None:
            return
        services = self.app.services  # type: ignore[attr-defined]
        suggestion = services.workspace.unique_name("presets", f"{entry.name}-copy")
        if self.dirty:
            self.notify(
                f"Duplicate copies {entry.name} as saved; your edits stay here (a saves them "
                "as a new preset)",
                severity="warning",
            )

        def duplicate(name: str, overwrite: bool) -> Path:
            return services.presets.duplicate(entry.path, name)

        screen = SaveAsScreen(
            suggestion,
            duplicate,
            title=f"Duplicate {entry.name} as",
            button="Duplicate",
            overwrite=False,
        )
        self._ask_name(screen, "duplicated " + entry.name + " as {}")

    def action_diff(self) -> None:
        if self.current is None or len(self.entries) < 2:
            return
        edited = self.validation.preset if self.validation and self.dirty else None
        self.app.push_screen(DiffScreen(self.entries, self.current, edited))

    # ------------------------------------------------------------------ use in a preset
    async def use_thing(self, kind: str, path: Path, name: str) -> None:
        """A tokenizer, run or data file from another pane goes to its field of this preset
        (the key depends on whether the preset fine-tunes: see services/use.py)."""
        if self.form is None or self.current is None:
            self.notify("open a preset first, then use it again", severity="warning")
            return
        tables = self.form.included
        workspace = self.app.services.workspace  # type: ignore[attr-defined]
        if kind == "tokenizer":
            chosen = use.tokenizer_value(workspace, tables, path, name)
        elif kind == "run":
            chosen = use.run_value(workspace, tables, path)
        else:
            chosen = use.file_value(workspace, tables, path)
        missing = self.apply_values({chosen.key: chosen.value})
        if not missing:
            await self.goto_field(chosen.key)
            # The field is shown, but the cursor leaves it: the next `s` saves, not types.
            self.query_one("#preset-form", VerticalScroll).focus()
        if missing:
            self.notify(
                f"{self.current.name} has no {chosen.key} field; pick another preset",
                severity="error",
            )
        else:
            self.notify(
                f"{chosen.what} set as {chosen.key} in {self.current.name} (not saved yet: s)"
            )

    def action_reload(self) -> None:
        """Read the presets again; edits not saved are lost, so asked first."""
        select = self.current.path if self.current else None
        if not self.dirty or self.current is None:
            self.load_presets(select=select)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.load_presets(select=select)

        self.app.push_screen(
            ConfirmScreen(
                f"Discard your edits to {self.current.name}?",
                "Reload reads the preset again from its file; what you typed and did not "
                "save is lost (s saves, a saves as).",
            ),
            answered,
        )
