"""The Train tab's own-data block: upload a labelled CSV/TSV/JSONL file, pick its text /
text-pair / label columns from its header, see its first rows and label counts; Start then
fine-tunes the chosen preset on it (the file and the columns become overrides, no server path
is typed).

The file is kept in the workspace's `uploads/` folder (the upload limit and UTF-8 check of the
workspace); every read goes through `services.datafiles` confined to the workspace. A problem
is shown in this block's own summary line, never as an overlay on other widgets.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr

from workbench.services import DataFileError, DataFileInfo, Services, WorkspaceError
from workbench.web.common import uploaded

NO_PAIR = "(none)"  # the text-pair picker's entry for single-text tasks
FILE_TYPES = [".csv", ".tsv", ".jsonl", ".ndjson"]
DATA_PRESET = "finetune-csv"  # picked on upload when the chosen preset cannot fine-tune


@dataclass
class DataPicker:
    """What the Train tab reads when it starts a run: one `gr.State` holding the uploaded
    file's path in uploads/ and the picked columns (None before an upload). A state, not the
    pickers themselves: the start endpoint's public inputs stay the same."""

    chosen: Any

    @property
    def inputs(self) -> list[Any]:
        return [self.chosen]


def build(services: Services, preset: Any, kind: Any) -> DataPicker:
    """The block, drawn where it is called; `preset` and `kind` are the tab's pickers (an
    upload switches them to a fine-tuning preset and kind)."""
    path = gr.State(None)  # {"path", "text", "pair", "label"} of the uploaded file
    with gr.Accordion("Your own data (fine-tuning)", open=True, elem_id="train-data"):
        gr.Markdown(
            "Upload a labelled `.csv`, `.tsv` or `.jsonl` file (kept in the workspace's "
            "`uploads/` folder) and pick its columns. **Start** with Kind *fine-tuning* then "
            "trains the preset on this file; its validation and test splits are carved out of "
            "it as the preset says."
        )
        with gr.Row():
            file = gr.File(
                label="Data file",
                file_types=FILE_TYPES,
                type="filepath",
                scale=2,
                elem_id="train-data-file",
            )
            with gr.Column(scale=3):
                with gr.Row():
                    text = gr.Dropdown([], label="Text column", elem_id="train-data-text")
                    pair = gr.Dropdown(
                        [NO_PAIR], value=NO_PAIR, label="Text-pair column (optional)",
                        elem_id="train-data-pair",
                    )  # fmt: skip
                    label = gr.Dropdown([], label="Label column", elem_id="train-data-label")
                summary = gr.Markdown("No file yet.", elem_id="train-data-summary")
        with gr.Row():
            preview = gr.Dataframe(
                label="First rows", interactive=False, scale=3, elem_id="train-data-preview"
            )
            counts = gr.Dataframe(
                headers=["label", "rows"],
                label="Label counts",
                interactive=False,
                scale=1,
                elem_id="train-data-labels",
            )

    def received(file: Any, preset_name: str | None, kind_name: str) -> tuple[Any, ...]:
        skip = (gr.skip(),) * 8
        if file is None:
            return skip
        try:
            name, data = uploaded(file)
            stored = services.datafiles.upload(name, data)
            info = services.datafiles.inspect(stored, confined=True)
        except (DataFileError, WorkspaceError, OSError) as exc:
            return None, *_cleared(f"✗ {exc}"), gr.skip(), gr.skip()
        s = info.suggested
        columns = info.columns
        chosen = {"path": str(stored), "text": s.text, "pair": s.pair, "label": s.label}
        return (
            chosen,
            gr.Dropdown(choices=columns, value=s.text),
            gr.Dropdown(choices=[NO_PAIR, *columns], value=s.pair or NO_PAIR),
            gr.Dropdown(choices=columns, value=s.label),
            _summary(info, stored.name),
            _preview(info),
            _counts(info),
            _finetune_preset(services, preset_name),
            gr.Radio(value="fine-tuning"),
        )

    def recount(
        chosen: dict[str, Any] | None, text_col: str, pair_col: str, label_col: str
    ) -> tuple[Any, ...]:
        if not chosen:
            return gr.skip(), gr.skip(), gr.skip()
        picked = {**chosen, "text": text_col, "pair": pair_col, "label": label_col}
        try:
            info = _inspect(services, picked["path"], text_col, pair_col, label_col)
        except DataFileError as exc:
            return picked, f"✗ {exc}", [["", 0]]
        return picked, _summary(info, info.path.name), _counts(info)

    def cleared() -> tuple[Any, ...]:
        return None, *_cleared("No file yet.")

    file.upload(
        received,
        [file, preset, kind],
        [path, text, pair, label, summary, preview, counts, preset, kind],
        api_name="train_data_upload",
    )
    file.clear(cleared, None, [path, text, pair, label, summary, preview, counts])
    gr.on(
        [text.input, pair.input, label.input],
        recount,
        [path, text, pair, label],
        [path, summary, counts],
        api_name="train_data_columns",
        show_progress="hidden",
    )
    return DataPicker(path)


def overrides(
    services: Services,
    finetuning: bool,
    chosen: dict[str, Any] | None,
    preset_name: str | None = None,
    typed: str = "",
) -> list[str]:
    """The overrides of the uploaded file and its columns ([] with no file, or for a
    pre-training); a gr.Error naming the picker when a column is missing or wrong. With no
    file, a fine-tuning whose preset names a training file that is not there is refused here,
    before it starts (`finetune-csv` as shipped names an example `train.csv`)."""
    if not finetuning:
        return []
    if not chosen or not isinstance(chosen.get("path"), str):
        _check_preset_file(services, preset_name, typed)
        return []
    stored, text_col, pair_col = chosen.get("path"), chosen.get("text"), chosen.get("pair")
    label_col = chosen.get("label")
    if not text_col or not label_col:
        raise gr.Error(
            "pick the Text column and the Label column of the data file first",
            print_exception=False,
        )
    try:
        info = _inspect(services, stored, text_col, pair_col, label_col)
    except DataFileError as exc:
        raise gr.Error(f"Data file: {exc}", print_exception=False) from exc
    pair = pair_col if pair_col and pair_col != NO_PAIR else None
    return services.datafiles.overrides(info.path, text=text_col, pair=pair, label=label_col)


def _check_preset_file(services: Services, preset_name: str | None, typed: str) -> None:
    from workbench.services.runfeed import parse_overrides

    try:
        preset = services.presets.load(preset_name or "", parse_overrides(typed or ""))
    except Exception:  # a bad preset or override: Start reports it with its own words
        return
    data = preset.classification
    if data is None or data.train == "demo" or Path(data.train).expanduser().exists():
        return
    raise gr.Error(
        f"the training file of {preset_name}, {Path(data.train).name}, does not exist: "
        "upload your data file under 'Your own data (fine-tuning)' first",
        print_exception=False,
    )


def _inspect(
    services: Services,
    stored: str,
    text_col: str | None,
    pair_col: str | None,
    label_col: str | None,
) -> DataFileInfo:
    return services.datafiles.inspect(
        stored,
        text_column=text_col or None,
        pair_column=pair_col if pair_col and pair_col != NO_PAIR else None,
        label_column=label_col or None,
        confined=True,
    )


def _cleared(message: str) -> tuple[Any, ...]:
    return (
        gr.Dropdown(choices=[], value=None),
        gr.Dropdown(choices=[NO_PAIR], value=NO_PAIR),
        gr.Dropdown(choices=[], value=None),
        message,
        None,
        None,
    )


def _summary(info: DataFileInfo, name: str) -> str:
    labels = len(info.label_counts)
    text = (
        f"**{name}**: {info.rows} rows, {len(info.columns)} columns "
        f"({info.format}) · {labels} labels in *{info.label_column}*"
        if info.label_column
        else f"**{name}**: {info.rows} rows, {len(info.columns)} columns ({info.format})"
    )
    warning = info.label_warning()
    if warning:
        text += f" · ✗ {warning} (pick the Label column)"
    empty = {c: n for c, n in info.empty_cells.items() if c == info.label_column}
    for column, n in empty.items():
        text += f" · {n} rows without a label in *{column}*"
    return text


def _preview(info: DataFileInfo) -> Any:
    headers, rows = info.preview_table()
    return gr.Dataframe(value=rows, headers=headers)


def _counts(info: DataFileInfo) -> list[list[Any]]:
    return [[label, n] for label, n in info.label_counts.items()]


def _finetune_preset(services: Services, current: str | None) -> Any:
    """The chosen preset when it can fine-tune, else finetune-csv (when there)."""
    try:
        if current and services.presets.load(current).classification is not None:
            return gr.skip()
    except Exception:  # an unreadable preset: offer the one that works
        pass
    names = {e.name for e in services.presets.list()}
    return gr.Dropdown(value=DATA_PRESET) if DATA_PRESET in names else gr.skip()
