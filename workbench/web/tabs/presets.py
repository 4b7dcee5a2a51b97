"""The Presets tab: list, the preset form (`services.form`, drawn here) and a TOML editor
kept in sync, validation with field and line, save in place, save as, rename, download,
upload, duplicate (with a name), diff.

API names: /presets_list, /preset_load, /preset_validate, /preset_form_to_toml, /preset_save,
/preset_save_in_place, /preset_rename, /preset_download, /preset_upload, /preset_duplicate,
/preset_diff."""

from __future__ import annotations

from typing import Any

import gradio as gr
import pandas as pd

from workbench.services import Services, Validation, form
from workbench.services.form import FormField, PresetForm
from workbench.services.presets import SUFFIX
from workbench.services.tables import preset_diff_rows
from workbench.web.common import exact_first, shown_in, uploaded

LIST_COLUMNS = ["name", "origin", "description"]
ERROR_COLUMNS = ["field", "line", "message"]
START = "quickstart"


def build(services: Services) -> None:
    presets = services.presets
    paths = [spec.path for spec in form.specs()]
    sections = list(form.optional_tables())

    def names() -> list[str]:
        return exact_first([e.name for e in presets.list() if not e.shadowed])

    def listing() -> tuple[pd.DataFrame, Any, Any, Any]:
        entries = presets.list()
        table = pd.DataFrame(
            [
                [e.name + (" (shadowed)" if e.shadowed else ""), e.origin, e.description]
                for e in entries
            ],
            columns=LIST_COLUMNS,
        )
        choices = exact_first([e.name for e in entries if not e.shadowed])
        return (
            table,
            gr.update(choices=choices),
            gr.update(choices=choices),
            gr.update(choices=choices),
        )

    def errors_table(check: Validation) -> pd.DataFrame:
        return pd.DataFrame(
            [[e.path or "(preset)", e.line, e.message] for e in check.errors],
            columns=ERROR_COLUMNS,
        )

    def summary(check: Validation) -> str:
        if check.ok:
            return "**Valid preset.**"
        return f"**{len(check.errors)} problem(s)** — see the table below."

    def form_of(check: Validation) -> list[Any]:
        """The included sections, the differences from the defaults and the widget values of
        a valid preset; unchanged otherwise."""
        if not check.ok or check.preset is None:
            return [gr.update()] * (len(paths) + 2)
        shown = form.to_form(check.preset)
        return [shown.included, differing(shown), *(widget_value(f) for f in shown.fields())]

    # The page opens on the quickstart preset: editor and form show the same preset.
    start = presets.validate_text(presets.text(START)) if START in names() else None
    start_text = presets.text(START) if start is not None else ""
    start_form = form.to_form(start.preset if start is not None and start.ok else None)

    # ------------------------------------------------------------------ layout
    with gr.Row():
        with gr.Column(scale=2):
            # A callable value is re-read on every page load.
            table = gr.Dataframe(
                lambda: listing()[0],
                headers=LIST_COLUMNS,
                label="Presets",
                interactive=False,
                wrap=True,
                elem_id="presets-table",
            )
            refresh = gr.Button("Refresh", size="sm")
        with gr.Column(scale=1):
            # Custom values: API callers may name presets the page has not listed; the service
            # checks every name.
            choice = gr.Dropdown(
                names(),
                value=START if start is not None else None,
                label="Preset",
                info="bundled and workspace presets",
                allow_custom_value=True,
                elem_id="presets-choice",
            )
            load = gr.Button("Load into the editor", variant="primary")
            # The preset the editor holds: Save writes it in place, Rename renames it.
            loaded = gr.Textbox(
                START if start is not None else "",
                label="In the editor",
                interactive=False,
                max_lines=1,
                elem_id="presets-loaded",
            )
            save_here = gr.Button("Save", variant="primary", elem_id="presets-save-here")
            # What Save did, or why it could not (a bundled preset: use Save as).
            here_status = gr.Markdown(elem_id="presets-here-status")
            new_name = gr.Textbox(
                label="New name",
                info="for Rename (the preset in the editor) and Duplicate (the chosen one)",
                max_lines=1,
                elem_id="presets-new-name",
            )
            with gr.Row():
                rename = gr.Button("Rename", size="sm", elem_id="presets-rename")
                duplicate = gr.Button("Duplicate", size="sm", elem_id="presets-duplicate")
            # What Load, Rename and Duplicate did, or why they could not.
            status = gr.Markdown(elem_id="presets-status")
    with gr.Row():
        with gr.Column(scale=1):
            # Gradio's code editor has no TOML mode: plain text, with line numbers.
            editor = gr.Code(
                start_text,
                language=None,
                label="TOML",
                lines=24,
                interactive=True,
                wrap_lines=True,
                elem_id="presets-editor",
            )
            validate = gr.Button("Validate")
            verdict = gr.Markdown()
            problems = gr.Dataframe(headers=ERROR_COLUMNS, label="Problems", interactive=False)
        with gr.Column(scale=1):
            included = gr.CheckboxGroup(
                sections,
                value=start_form.included,
                label="Optional sections",
                info="include these tables in the preset",
            )
            changed = gr.Markdown(differing(start_form))
            widgets = _form(start_form)
    with gr.Row():
        with gr.Column():
            save_name = gr.Textbox(label="Save as", placeholder="my-experiment", max_lines=1)
            overwrite = gr.Checkbox(label="Replace a workspace preset of that name")
            save = gr.Button("Save", variant="primary")
            save_status = gr.Markdown(elem_id="presets-save-status")
        with gr.Column():
            download = gr.Button("Download the editor's TOML")
            download_file = gr.File(label="Download", interactive=False)
            upload = gr.UploadButton(
                "Upload a preset (.toml)", file_types=[SUFFIX], elem_id="presets-upload"
            )
            # Download's and Upload's outcome, right under their buttons.
            file_status = gr.Markdown(elem_id="presets-file-status")
    with gr.Accordion("Diff two presets", open=False):
        with gr.Row():
            diff_a = gr.Dropdown(
                names(), label="A", allow_custom_value=True, elem_id="presets-diff-a"
            )
            diff_b = gr.Dropdown(
                names(), label="B", allow_custom_value=True, elem_id="presets-diff-b"
            )
            diff_go = gr.Button("Diff")
        diff_status = gr.Markdown(elem_id="presets-diff-status")
        diff_table = gr.Dataframe(
            headers=["setting", "A", "B"], interactive=False, elem_id="presets-diff-table"
        )

    choosers = [choice, diff_a, diff_b]
    list_outputs = [table, *choosers]
    form_outputs = [included, changed, *widgets]

    # ------------------------------------------------------------------ handlers
    # Each handler's errors go to the status beside its control (common.shown_in); the
    # numbers are the handlers' output counts.
    @shown_in(5 + len(form_outputs))
    def on_load(name: str) -> list[Any]:
        if not name:
            raise gr.Error("choose a preset in the Preset list first", print_exception=False)
        text = presets.text(name)
        check = presets.validate_text(text)
        said = f"Loaded `{name}` into the editor."
        return [said, text, summary(check), errors_table(check), *form_of(check), name]

    def workspace_preset(name: str, doing: str) -> str:
        """`name` when it is a workspace preset; a bundled one is refused in the panel's words."""
        if not name:
            raise gr.Error("load a preset into the editor first", print_exception=False)
        entry = next((e for e in presets.list() if e.name == name and not e.shadowed), None)
        if entry is not None and entry.origin != "workspace":
            raise gr.Error(
                f"`{name}` is a {entry.origin} preset and cannot be changed: {doing}",
                print_exception=False,
            )
        return name

    @shown_in(1)
    def on_save_here(text: str, name: str) -> str:
        name = workspace_preset(
            name, "type a name under **Save as** below and press **Save** there to keep a copy"
        )
        path = presets.save_in_place(name, text or "")
        return f"Saved `{path.name}` in place (its comments are kept)."

    def chosen(name: str) -> list[Any]:
        """The lists refreshed, with `name` chosen in the Preset list."""
        table, choices, *diffs = listing()
        return [table, gr.update(choices=choices["choices"], value=name), *diffs]

    @shown_in(2 + len(list_outputs))
    def on_rename(name: str, new: str) -> list[Any]:
        name = workspace_preset(name, "use **Duplicate** to make a workspace copy, then rename it")
        path = presets.rename(name, (new or "").strip())
        warn_if_shadowing(path.stem)
        return [f"Renamed `{name}` to `{path.stem}`.", path.stem, *chosen(path.stem)]

    @shown_in(2 + len(form_outputs))
    def on_validate(text: str) -> list[Any]:
        check = presets.validate_text(text or "")
        return [summary(check), errors_table(check), *form_of(check)]

    @shown_in(4, at=1)
    def on_form(chosen: list[str], *values: Any) -> list[Any]:
        data = form.from_form(dict(zip(paths, values, strict=True)), chosen or [])
        check = presets.validate_form(data)
        if not check.ok or check.preset is None:
            return [gr.update(), summary(check), errors_table(check), gr.update()]
        from bert_engine.presets import preset_toml

        # Input paths absolute: the editor's text has no folder of its own to be relative to
        # (relative ones would be read against the working directory when saved).
        return [
            preset_toml(check.preset),
            summary(check),
            errors_table(check),
            differing(form.to_form(check.preset)),
        ]

    def warn_if_shadowing(stem: str) -> None:
        """A workspace preset named like a bundled one hides it: say so (a toast)."""
        hidden = [e for e in presets.list() if e.name == stem and e.origin != "workspace"]
        if hidden:
            gr.Warning(
                f"the workspace preset {stem!r} now hides the {hidden[0].origin} preset of the "
                "same name; save under another name to keep both in view"
            )

    @shown_in(1 + len(list_outputs))
    def on_save(text: str, name: str, replace: bool) -> list[Any]:
        path = presets.save(text or "", (name or "").strip(), overwrite=bool(replace))
        warn_if_shadowing(path.stem)
        return [f"Saved `{path.name}` in the workspace presets.", *listing()]

    @shown_in(2)
    def on_download(text: str, name: str) -> list[Any]:
        check = presets.validate_text(text or "")
        if not check.ok or check.preset is None:
            raise gr.Error(
                "fix the problems first: "
                + "; ".join(f"{e.path or 'preset'}: {e.message}" for e in check.errors),
                print_exception=False,
            )
        from bert_engine.presets import preset_toml

        stem = (name or "").strip() or check.preset.name
        # Downloads are served from exports/ only; the name is checked like any other.
        path = services.workspace.write_text(
            "exports", stem.removesuffix(SUFFIX) + SUFFIX, preset_toml(check.preset)
        )
        return [f"`{path.name}` is ready below: click it to download.", str(path)]

    @shown_in(1 + len(list_outputs))
    def on_upload(file: Any) -> list[Any]:
        filename, data = uploaded(file)
        path = presets.upload(filename, data)
        warn_if_shadowing(path.stem)
        return [f"Uploaded and saved `{path.name}` (valid).", *listing()]

    @shown_in(1 + len(list_outputs))
    def on_duplicate(name: str, new: str) -> list[Any]:
        if not name:
            raise gr.Error("choose a preset to duplicate in the Preset list", print_exception=False)
        if not (new or "").strip():
            raise gr.Error(
                "type a name for the copy in **New name**, then press **Duplicate**",
                print_exception=False,
            )
        path = presets.duplicate(name, new.strip())
        warn_if_shadowing(path.stem)
        return [f"Copied `{name}` to `{path.stem}` in the workspace presets.", *chosen(path.stem)]

    @shown_in(2)
    def on_diff(a: str, b: str) -> list[Any]:
        if not a or not b:
            raise gr.Error("choose two presets to compare in A and B", print_exception=False)
        rows = preset_diff_rows(presets.diff(a, b))
        table = pd.DataFrame(rows or [["(no difference)", "", ""]], columns=["setting", a, b])
        return ["", table]

    # ------------------------------------------------------------------ wiring
    refresh.click(listing, None, list_outputs, api_name="presets_list")
    load.click(
        on_load,
        choice,
        [status, editor, verdict, problems, *form_outputs, loaded],
        api_name="preset_load",
    )
    save_here.click(on_save_here, [editor, loaded], here_status, api_name="preset_save_in_place")
    rename.click(
        on_rename,
        [loaded, new_name],
        [status, loaded, *list_outputs],
        api_name="preset_rename",
    )
    gr.on(
        [editor.input, validate.click],
        on_validate,
        editor,
        [verdict, problems, *form_outputs],
        api_name="preset_validate",
        trigger_mode="always_last",
    )
    gr.on(
        [included.input, *(w.input for w in widgets)],
        on_form,
        [included, *widgets],
        [editor, verdict, problems, changed],
        api_name="preset_form_to_toml",
        trigger_mode="always_last",
    )
    save.click(
        on_save,
        [editor, save_name, overwrite],
        [save_status, *list_outputs],
        api_name="preset_save",
    )
    download.click(
        on_download, [editor, save_name], [file_status, download_file], api_name="preset_download"
    )
    upload.upload(on_upload, upload, [file_status, *list_outputs], api_name="preset_upload")
    duplicate.click(
        on_duplicate, [choice, new_name], [status, *list_outputs], api_name="preset_duplicate"
    )
    diff_go.click(on_diff, [diff_a, diff_b], [diff_status, diff_table], api_name="preset_diff")


def _form(shown: PresetForm) -> list[Any]:
    """One widget per field, grouped in an accordion per section."""
    widgets: list[Any] = []
    for section in shown.sections:
        with gr.Accordion(f"[{section.name}]" if section.name else "general", open=False):
            widgets.extend(_widget(field) for field in section.fields)
    return widgets


def _widget(field: FormField) -> Any:
    """The widget of a field, showing its value; help, type and bounds as its description.

    Optional numbers are text boxes: a number box cannot be empty (it shows and sends 0)."""
    spec, value = field.spec, widget_value(field)
    label, info = spec.path, field.help
    if spec.type == "boolean" and not spec.optional:
        return gr.Checkbox(value=value, label=label, info=info)
    if field.options:
        choices = [form.UNSET, *field.options] if spec.optional else list(field.options)
        picker = gr.Radio if spec.type == "boolean" else gr.Dropdown
        return picker(choices, value=value, label=label, info=info)
    if spec.type in ("integer", "number") and not spec.optional:
        # Bounds are shown, not enforced by the widget: the preset validation reports a value
        # out of range at its field, like every other problem.
        return gr.Number(
            value=value, label=label, info=info, precision=0 if spec.type == "integer" else None
        )
    return gr.Textbox(
        value=value, label=label, info=info, placeholder=field.placeholder, max_lines=1
    )


def widget_value(field: FormField) -> Any:
    """What the field's widget holds: a number or yes/no where the widget is typed, the text
    elsewhere; a picker never starts blank (an unset optional one is on "default")."""
    spec = field.spec
    if spec.type == "boolean" and not spec.optional:
        return bool(field.value)
    if field.options:
        return field.text or (form.UNSET if spec.optional else field.options[0])
    if spec.type in ("integer", "number") and not spec.optional:
        return field.value
    return field.text


def differing(shown: PresetForm) -> str:
    """The settings that differ from the schema defaults, as a line of Markdown."""
    fields = shown.differing()
    if not fields:
        return "All settings are at their defaults."
    return "**Set differently from the defaults (•):** " + " · ".join(
        f"• `{f.path}` = {_short(f.text)} (default {_short(form.value_text(f.spec.default))})"
        for f in fields
    )


def _short(text: str) -> str:
    text = text if len(text) <= 40 else text[:37] + "…"
    return f"`{text}`" if text else "empty"
