"""The Try tab's "Error analysis" accordion: a fine-tuned run's confusion matrix as a heatmap
(a Vega-Lite spec in a `gr.Plot`, as the training charts), the per-class table, and the
misclassified examples, most confident first, filtered by true and predicted label. A run
fine-tuned before the analysis existed gets Compute (it evaluates the best checkpoint on the
test split). Everything comes from `workbench.services.analysis`, as in the TUI's screen.
"""

from __future__ import annotations

import json
from typing import Any

import gradio as gr
from gradio.components.plot import AltairPlotData

from workbench.services import Services
from workbench.services.analysis import (
    ANY,
    CLASS_HEADERS,
    ERROR_HEADERS,
    NoAnalysisError,
    RunAnalysis,
    class_table,
    compute_analysis,
    error_table,
    ink,
    load_analysis,
    shade,
)
from workbench.web.common import error_text, failed

MAX_ROWS = 1000  # error rows sent to the browser (the status says how many there are)
CELL_PX = 56


def heatmap_spec(analysis: RunAnalysis) -> dict[str, Any]:
    """The confusion matrix as a Vega-Lite heatmap: a cell per (true, predicted) with its
    count, shaded by its share of the true label's row (green right, red wrong; the colours
    of `services.analysis.shade`, given per cell: Gradio re-colours a `color` scale)."""
    labels = analysis.labels
    rows = []
    for i, t in enumerate(labels):
        for j, p in enumerate(labels):
            share = analysis.shares[i][j]
            rows.append(
                {
                    "true": t,
                    "predicted": p,
                    "count": analysis.matrix[i][j],
                    "share": round(share, 4),
                    "fill": "#{:02x}{:02x}{:02x}".format(*shade(share, i == j)),
                    "ink": ink(share),
                }
            )
    axis = {"labelLimit": 140}
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": "Confusion matrix (shade: share of the true label's row)",
        "data": {"values": rows},
        "height": max(120, CELL_PX * len(labels)),
        "encoding": {
            "x": {
                "field": "predicted",
                "type": "nominal",
                "sort": labels,
                "title": "predicted label",
                "axis": axis,
            },
            "y": {
                "field": "true",
                "type": "nominal",
                "sort": labels,
                "title": "true label",
                "axis": axis,
            },
            "tooltip": [
                {"field": "true", "type": "nominal"},
                {"field": "predicted", "type": "nominal"},
                {"field": "count", "type": "quantitative"},
                {"field": "share", "type": "quantitative", "format": ".1%", "title": "of row"},
            ],
        },
        "layer": [
            {
                "mark": {"type": "rect", "stroke": "#ffffff", "strokeWidth": 1},
                "encoding": {"fill": {"field": "fill", "type": "nominal", "scale": None}},
            },
            {
                "mark": {"type": "text", "fontSize": 14, "strokeWidth": 0},
                "encoding": {
                    "text": {"field": "count", "type": "quantitative"},
                    "fill": {"field": "ink", "type": "nominal", "scale": None},
                },
            },
        ],
    }


def heatmap(analysis: RunAnalysis) -> AltairPlotData:
    # "line": Gradio applies the panel's theme and fits the width (see web/plots.py).
    return AltairPlotData(plot=json.dumps(heatmap_spec(analysis)), chart="line")


def build(services: Services, run: gr.Dropdown) -> None:
    """The accordion, under the classify section; `run` is the tab's fine-tuned run chooser."""
    with gr.Accordion("Error analysis", open=False, elem_id="try-errors"):
        gr.Markdown(
            "The confusion matrix (rows: true label, columns: predicted; shaded by the share "
            "of the row), precision / recall / F1 per label, and the misclassified examples, "
            "most confident first, of the run's validation or test split."
        )
        with gr.Row():
            split = gr.Dropdown([], label="Split", scale=1, elem_id="try-errors-split")
            true = gr.Dropdown(
                [ANY], value=ANY, label="True label", scale=1, elem_id="try-errors-true"
            )
            predicted = gr.Dropdown(
                [ANY], value=ANY, label="Predicted label", scale=1, elem_id="try-errors-pred"
            )
            show_btn = gr.Button("Show", variant="primary", scale=1, elem_id="try-errors-show")
            compute_btn = gr.Button(
                "Compute (test split)", scale=1, visible=False, elem_id="try-errors-compute"
            )
        status = gr.Markdown(elem_id="try-errors-status")
        with gr.Row():
            matrix = gr.Plot(
                label="Confusion matrix", show_label=False, scale=1, elem_id="try-errors-matrix"
            )
            classes = gr.Dataframe(
                headers=CLASS_HEADERS,
                label="Per label",
                interactive=False,
                scale=1,
                elem_id="try-errors-classes",
            )
        errors = gr.Dataframe(
            headers=ERROR_HEADERS,
            label="Misclassified examples (most confident first)",
            interactive=False,
            wrap=True,
            elem_id="try-errors-table",
        )

    outputs = [status, split, true, predicted, matrix, classes, errors, compute_btn]

    def shown(analysis: RunAnalysis) -> list[Any]:
        more = len(analysis.errors) - MAX_ROWS
        note = f" (the first {MAX_ROWS} shown)" if more > 0 else ""
        choices = [ANY, *analysis.labels]
        return [
            analysis.describe() + note,
            gr.Dropdown(choices=analysis.splits, value=analysis.split),
            gr.Dropdown(choices=choices, value=analysis.true),
            gr.Dropdown(choices=choices, value=analysis.predicted),
            heatmap(analysis),
            gr.Dataframe(value=class_table(analysis), headers=CLASS_HEADERS),
            gr.Dataframe(value=error_table(analysis, MAX_ROWS), headers=ERROR_HEADERS),
            gr.Button(visible=False),
        ]

    def refused(exc: BaseException, can_compute: bool = False) -> list[Any]:
        # The message beside the controls; the matrix and tables are emptied, so that what
        # stays on screen is never another run's analysis.
        return [
            failed(error_text(exc)),
            gr.skip(),
            gr.skip(),
            gr.skip(),
            None,
            gr.Dataframe(value=[], headers=CLASS_HEADERS),
            gr.Dataframe(value=[], headers=ERROR_HEADERS),
            gr.Button(visible=can_compute),
        ]

    def show(
        run_id: str | None, split_key: str | None, true_label: str | None, pred: str | None
    ) -> list[Any]:
        if not run_id:
            return refused(ValueError("pick a run in Fine-tuned run first"))
        try:
            analysis = load_analysis(
                services.runs, run_id, split_key or None, true=true_label, predicted=pred
            )
        except NoAnalysisError as exc:
            return refused(exc, can_compute=True)
        except (ValueError, KeyError, OSError) as exc:  # the services' user errors
            return refused(exc)
        return shown(analysis)

    def fresh(run_id: str | None) -> list[Any]:
        """Another run chosen: its analysis from the start (first split, no filter)."""
        return show(run_id, None, ANY, ANY)

    def compute(run_id: str | None) -> list[Any]:
        if not run_id:
            return refused(ValueError("pick a run in Fine-tuned run first"))
        try:
            analysis = compute_analysis(services.runs, run_id, "test")
        except (ValueError, KeyError, OSError) as exc:
            return refused(exc)
        return shown(analysis)

    show_btn.click(show, [run, split, true, predicted], outputs, api_name="try_errors")
    compute_btn.click(compute, [run], outputs, api_name="try_errors_compute")
    gr.on(
        [split.input, true.input, predicted.input],
        show,
        [run, split, true, predicted],
        outputs,
        api_name="try_errors_filter",
        api_visibility="private",
        show_progress="hidden",
    )
    run.change(
        fresh,
        [run],
        outputs,
        api_name="try_errors_run",
        api_visibility="private",
        show_progress="hidden",
    )
