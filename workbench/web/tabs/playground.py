"""The Try tab: classify text with a fine-tuned run (one text, or every row of an uploaded
file, with the predictions as a CSV download), see its error analysis (tabs/analysis.py),
fill [MASK] with a pre-training run.

Any run directory in the workspace works, whoever trained it (the CLI, the TUI, this panel);
predictors are cached per run by the service, so trying one sentence after another is quick.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gradio as gr

from workbench.services import DataFileError, Services, WorkspaceError
from workbench.services.runs import has_checkpoint
from workbench.services.tryout import (
    classify_file,
    filled_chips,
    label_scores,
    mask_rows,
    mask_scores,
    token_chips,
)
from workbench.web.common import shown_in, uploaded
from workbench.web.tabs import analysis, inside

MAX_MASK_LABELS = 4  # one probability widget per mask for the first few; the table has all
CHIP_COLORS = {"special": "#9ca3af", "piece": "#f59e0b", "word": "#60a5fa", "mask": "#ef4444"}


def build(services: Services) -> Callable[[gr.Tab], None]:
    gr.Markdown("### Classify with a fine-tuned run")
    with gr.Row():
        ft_run = gr.Dropdown([], label="Fine-tuned run", allow_custom_value=True, scale=4)
        refresh_btn = gr.Button("Refresh runs", scale=1)
    with gr.Row():
        text = gr.Textbox(label="Text", lines=2, scale=3)
        pair = gr.Textbox(label="Second text (optional, for sentence-pair tasks)", lines=2, scale=2)
    classify_btn = gr.Button("Classify", variant="primary")
    classify_status = gr.Markdown(elem_id="try-classify-status")
    with gr.Row():
        label = gr.Label(label="Label probabilities", num_top_classes=10, scale=1)
        seen = gr.HighlightedText(
            label="Tokens the model saw",
            color_map=CHIP_COLORS,
            show_legend=True,
            show_inline_category=False,
            scale=2,
        )

    gr.Markdown("#### Classify a whole file")
    with gr.Row():
        batch_file = gr.File(
            label="File to classify (.csv, .tsv or .jsonl; kept in the workspace's uploads/)",
            file_types=[".csv", ".tsv", ".jsonl", ".ndjson"],
            type="filepath",
            scale=3,
            elem_id="try-batch-file",
        )
        batch_btn = gr.Button("Classify file", scale=1, elem_id="try-batch-go")
    batch_summary = gr.Markdown("", elem_id="try-batch-summary")
    with gr.Row():
        batch_table = gr.Dataframe(
            label="Predictions (first rows)",
            interactive=False,
            scale=3,
            elem_id="try-batch-preview",
        )
        batch_download = gr.File(
            label="Predictions (CSV)", interactive=False, scale=1, elem_id="try-batch-download"
        )

    analysis.build(services, ft_run)  # the "Error analysis" accordion (tabs/analysis.py)

    gr.Markdown("### Fill [MASK] with a pre-training run")
    pre_run = gr.Dropdown([], label="Pre-training run", allow_custom_value=True)
    with gr.Row():
        masked = gr.Textbox(
            label="Text with [MASK] where a word is hidden",
            placeholder="the cat [MASK] a red ball",
            lines=2,
            scale=4,
        )
        top_k = gr.Slider(1, 20, value=5, step=1, label="Predictions per mask", scale=1)
    fill_btn = gr.Button("Fill", variant="primary")
    fill_status = gr.Markdown(elem_id="try-fill-status")
    filled = gr.HighlightedText(
        label="Best guess for each mask",
        color_map={**{k: v for k, v in CHIP_COLORS.items() if k != "mask"}, "guess": "#ef4444"},
        show_legend=True,
        show_inline_category=False,
    )
    with gr.Row():
        mask_labels = [
            gr.Label(label=f"Mask {i}", num_top_classes=20, visible=False)
            for i in range(1, MAX_MASK_LABELS + 1)
        ]
    table = gr.Dataframe(
        headers=["mask", "rank", "token", "probability"],
        datatype=["number", "number", "str", "number"],
        label="All predictions",
        interactive=False,
    )
    inside.build(services)  # the "Look inside" accordion (tabs/inside.py)

    def list_runs(ft_kept: str | None = None, pre_kept: str | None = None) -> tuple[Any, Any]:
        """Both choosers; a run already chosen (`*_kept`) stays chosen while it is listed."""
        runs = services.runs.list()
        ft = [r for r in runs if r.kind == "finetune"]
        pre = [r for r in runs if r.kind == "pretrain"]

        def chooser(kind: list[Any], kept: str | None) -> Any:
            # Else pre-selected: the newest run that can answer (a running one without a
            # checkpoint yet cannot: choosing it would only show an error); all stay listed.
            ready = next((r.run_id for r in kind if has_checkpoint(r.path)), None)
            value = kept if kept in [r.run_id for r in kind] else ready
            return gr.Dropdown(choices=[(_label(r), r.run_id) for r in kind], value=value)

        return chooser(ft, ft_kept), chooser(pre, pre_kept)

    def relist(ft_kept: str | None, pre_kept: str | None) -> tuple[Any, Any]:
        return list_runs(ft_kept, pre_kept)

    # Errors go to the status under the button that failed (common.shown_in).
    @shown_in(3)
    def classify(run: str | None, sentence: str, second: str) -> list[Any]:
        if not run:
            raise gr.Error(
                "pick a run in Fine-tuned run first (train one in the Train tab)",
                print_exception=False,
            )
        if not sentence.strip():
            raise gr.Error("type a text to classify in Text", print_exception=False)
        try:
            result = services.runs.classify(run, sentence, second.strip() or None)
        except Exception as exc:  # unknown run, not a classifier, unreadable checkpoint
            raise gr.Error(f"cannot classify with {run}: {exc}", print_exception=False) from exc
        return ["", label_scores(result), token_chips(result.tokens)]

    def classify_batch(run: str | None, file: Any) -> tuple[Any, Any, Any]:
        """Every row of the uploaded file; a problem is said in the summary line only."""
        if not run:
            return "✗ pick a fine-tuned run first (train one in the Train tab)", gr.skip(), None
        if file is None:
            return "✗ choose a file to classify first", gr.skip(), None
        try:
            name, data = uploaded(file)
            stored = services.datafiles.upload(name, data)
            result = classify_file(services, run, stored, confined=True)
        except (DataFileError, WorkspaceError, OSError) as exc:
            return f"✗ {exc}", gr.skip(), None
        except Exception as exc:  # a run that is not a classifier, an unreadable checkpoint
            return f"✗ cannot classify with {run}: {exc}", gr.skip(), None
        table = gr.Dataframe(value=result.preview, headers=result.columns)
        return result.summary(), table, str(result.output)

    @shown_in(2)
    def mask_token(run: str | None) -> list[Any]:
        if not run:
            return ["", gr.Textbox()]
        try:
            token = services.runs.mask_token(run)
        except Exception as exc:
            raise gr.Error(f"cannot load {run}: {exc}", print_exception=False) from exc
        return [
            "",
            gr.Textbox(
                label=f"Text with {token} where a word is hidden",
                placeholder=f"the cat {token} a red ball",
            ),
        ]

    @shown_in(3 + MAX_MASK_LABELS)
    def fill(run: str | None, sentence: str, k: float) -> list[Any]:
        if not run:
            raise gr.Error(
                "pick a run in Pre-training run first (train one in the Train tab)",
                print_exception=False,
            )
        try:
            out = services.runs.fill_mask(run, sentence, top_k=int(k))
        except Exception as exc:  # no mask in the text, a classifier run, unknown run
            raise gr.Error(f"cannot fill masks with {run}: {exc}", print_exception=False) from exc
        scores = mask_scores(out)
        labels = [
            gr.Label(value=scores[i], visible=True)
            if i < len(scores)
            else gr.Label(value=None, visible=False)
            for i in range(MAX_MASK_LABELS)
        ]
        table = [[n, rank, token, round(p, 4)] for n, rank, token, p in mask_rows(out)]
        return ["", filled_chips(out), table, *labels]

    refresh_btn.click(list_runs, None, [ft_run, pre_run], api_name="try_runs")
    gr.on(None, list_runs, None, [ft_run, pre_run], api_name="try_runs_on_load")
    gr.on(
        [classify_btn.click, text.submit],
        classify,
        [ft_run, text, pair],
        [classify_status, label, seen],
        api_name="try_classify",
    )
    batch_btn.click(
        classify_batch,
        [ft_run, batch_file],
        [batch_summary, batch_table, batch_download],
        api_name="try_classify_file",
    )
    pre_run.change(mask_token, [pre_run], [fill_status, masked], api_name="try_mask_token")
    gr.on(
        [fill_btn.click, masked.submit],
        fill,
        [pre_run, masked, top_k],
        [fill_status, filled, table, *mask_labels],
        api_name="try_fill_mask",
    )

    def on_select(tab: gr.Tab) -> None:
        # Opening the tab lists the runs trained since; the runs chosen stay chosen.
        tab.select(
            relist,
            [ft_run, pre_run],
            [ft_run, pre_run],
            api_name="try_select",
            api_visibility="private",
            show_progress="hidden",
        )

    return on_select


def _label(run: Any) -> str:
    total = f"/{run.total_steps}" if run.total_steps else ""
    return f"{run.run_id} · {run.status} · step {run.step}{total}"
