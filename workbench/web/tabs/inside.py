"""The Try tab's "Look inside" accordion, for any run (pre-training or fine-tuned): where the
model attends for a text (a heatmap of one layer's head, or the mean of its heads; and the
attention from one token as highlighted text), and which words it puts near a word (over the
input embeddings, or over contextual vectors averaged on a sample of the run's own data).
Everything comes from `workbench.services.insight`, as in the TUI's screens.
"""

from __future__ import annotations

import json
from typing import Any

import gradio as gr
from gradio.components.plot import AltairPlotData

from workbench.services import Services, insight
from workbench.services.runs import has_checkpoint
from workbench.web.common import shown_in

MEAN = "mean of the heads"
MAX_TOKENS = 48  # tokens drawn in the heatmap (the model reads more; the status says so)
CELL_PX = 18


def attention_spec(tokens: list[str], weights: list[list[float]], title: str) -> dict[str, Any]:
    """A query x key heatmap (Vega-Lite); tokens are numbered so that repeats stay apart. Each
    cell carries its own colour: Gradio re-colours a `color` scale (see tabs/analysis)."""
    names = [f"{i}:{t}" for i, t in enumerate(tokens)]
    rows = [
        {
            "query": names[q],
            "key": names[k],
            "weight": round(weights[q][k], 4),
            "shade": _shade(weights[q][k]),
        }
        for q in range(len(names))
        for k in range(len(names))
    ]
    side = max(160, CELL_PX * len(names))
    axis = {"labelLimit": 120, "labelFontSize": 10}
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": title,
        "data": {"values": rows},
        "height": side,  # the width fits the panel (as the other charts)
        "encoding": {
            "x": {
                "field": "key",
                "type": "nominal",
                "sort": names,
                "title": "attends to",
                "axis": axis,
            },
            "y": {
                "field": "query",
                "type": "nominal",
                "sort": names,
                "title": "token",
                "axis": axis,
            },
            "tooltip": [
                {"field": "query", "type": "nominal"},
                {"field": "key", "type": "nominal"},
                {"field": "weight", "type": "quantitative", "format": ".3f"},
            ],
        },
        # One layer, as the error analysis' heatmap (Gradio's chart handling expects layers).
        "layer": [
            {
                "mark": {"type": "rect", "stroke": "#ffffff", "strokeWidth": 0.5},
                "encoding": {"fill": {"field": "shade", "type": "nominal", "scale": None}},
            }
        ],
    }


def _shade(weight: float) -> str:
    """White (0) to deep blue (1)."""
    level = max(0.0, min(1.0, weight))
    r, g, b = (int(255 - level * (255 - c)) for c in (29, 78, 216))
    return f"#{r:02x}{g:02x}{b:02x}"


def build(services: Services) -> None:
    """The accordion, at the end of the Try tab."""
    with gr.Accordion("Look inside: attention and word neighbours", open=False, elem_id="inside"):
        with gr.Row():
            run = gr.Dropdown(
                [], label="Run", allow_custom_value=True, scale=4, elem_id="inside-run"
            )
            refresh = gr.Button("Refresh runs", scale=1, elem_id="inside-refresh")
        gr.Markdown("#### Attention")
        with gr.Row():
            text = gr.Textbox(
                label="Text",
                value="the cat sat on the mat",
                scale=4,
                elem_id="inside-text",
            )
            show = gr.Button("Show attention", variant="primary", scale=1, elem_id="inside-show")
        with gr.Row():
            layer = gr.Dropdown(
                ["1"], value="1", label="Layer", allow_custom_value=True, elem_id="inside-layer"
            )
            head = gr.Dropdown(
                [MEAN], value=MEAN, label="Head", allow_custom_value=True, elem_id="inside-head"
            )
            source = gr.Dropdown(
                [], label="Attention from token", allow_custom_value=True, elem_id="inside-from"
            )
        attention_status = gr.Markdown(elem_id="inside-attention-status")
        with gr.Row():
            heat = gr.Plot(show_label=False, elem_id="inside-heatmap")
            from_token = gr.HighlightedText(
                label="Attention from the chosen token (darker: more)",
                show_legend=False,
                elem_id="inside-from-text",
            )
        gr.Markdown("#### Nearest words")
        with gr.Row():
            word = gr.Textbox(label="Word", value="cat", scale=3, elem_id="inside-word")
            k = gr.Slider(1, 50, value=10, step=1, label="How many", scale=1)
            contextual = gr.Checkbox(
                label="Contextual (averaged over the run's data)", value=False, scale=2
            )
            near_btn = gr.Button("Find", variant="primary", scale=1, elem_id="inside-near")
        near_status = gr.Markdown(elem_id="inside-near-status")
        near = gr.Dataframe(
            headers=["token", "similarity"],
            datatype=["str", "number"],
            interactive=False,
            elem_id="inside-near-table",
        )

    def list_runs(kept: str | None = None) -> Any:
        runs = [r for r in services.runs.list() if has_checkpoint(r.path)]
        ids = [r.run_id for r in runs]
        value = kept if kept in ids else (ids[0] if ids else None)
        return gr.Dropdown(
            choices=[(f"{r.run_id} ({r.kind})", r.run_id) for r in runs], value=value
        )

    @shown_in(6)
    def on_attention(
        run_id: str | None, sentence: str, layer_no: str, head_name: str, from_name: str | None
    ) -> list[Any]:
        if not run_id:
            raise gr.Error("pick a run in Run first", print_exception=False)
        seen = insight.attention(services.runs, run_id, sentence)
        layers, heads = int(seen.probabilities.shape[0]), int(seen.probabilities.shape[1])
        typed = str(layer_no or "1")
        chosen_layer = min(max(int(typed) if typed.isdigit() else 1, 1), layers)
        heads_offered = [MEAN, *(f"head {h}" for h in range(1, heads + 1))]
        head_name = head_name if head_name in heads_offered else MEAN
        head_index = None if head_name == MEAN else int(head_name.split()[1]) - 1
        n = min(len(seen.tokens), MAX_TOKENS)
        tokens = seen.tokens[:n]
        weights = [seen.row(chosen_layer - 1, head_index, q)[:n] for q in range(n)]
        names = [f"{i}:{t}" for i, t in enumerate(tokens)]
        query = names.index(from_name) if from_name in names else 0
        cut = (
            f" (the first {MAX_TOKENS} of {len(seen.tokens)} tokens)"
            if n < len(seen.tokens)
            else ""
        )
        title = f"layer {chosen_layer}/{layers} · {head_name}"
        spec = attention_spec(tokens, weights, title)
        row = seen.row(chosen_layer - 1, head_index, query)
        chips = [(token, round(row[i], 4)) for i, token in enumerate(seen.tokens)]
        return [
            f"{len(seen.tokens)} tokens{cut}; {title}; from `{seen.tokens[query]}`",
            AltairPlotData(plot=json.dumps(spec), chart="line"),
            chips,
            gr.Dropdown(choices=[str(i) for i in range(1, layers + 1)], value=str(chosen_layer)),
            gr.Dropdown(choices=heads_offered, value=head_name),
            gr.Dropdown(choices=names, value=names[query]),
        ]

    @shown_in(2)
    def on_neighbours(run_id: str | None, typed: str, count: float, in_context: bool) -> list[Any]:
        if not run_id:
            raise gr.Error("pick a run in Run first", print_exception=False)
        found = insight.neighbours(
            services.runs, run_id, typed, k=int(count or 10), contextual=bool(in_context)
        )
        over = "contextual vectors of the run's data" if in_context else "input embeddings"
        rows = [[n.token, round(n.similarity, 4)] for n in found]
        return [f"nearest to `{typed.strip()}` over the {over}", rows]

    attention_outputs = [attention_status, heat, from_token, layer, head, source]
    refresh.click(list_runs, run, run, api_name="try_inside_runs")
    gr.on(None, list_runs, None, run, api_name="try_inside_runs_on_load", api_visibility="private")
    gr.on(
        [show.click, text.submit],
        on_attention,
        [run, text, layer, head, source],
        attention_outputs,
        api_name="try_attention",
    )
    gr.on(
        [layer.input, head.input, source.input],
        on_attention,
        [run, text, layer, head, source],
        attention_outputs,
        api_name="try_attention_redraw",
        api_visibility="private",
    )
    gr.on(
        [near_btn.click, word.submit],
        on_neighbours,
        [run, word, k, contextual],
        [near_status, near],
        api_name="try_neighbours",
    )
