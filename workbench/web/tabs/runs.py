"""The Runs tab: every run of the workspace, comparison (overlaid curves, config diff,
metrics), continue, HuggingFace export as a download, the TensorBoard command.

API names: /runs_list, /runs_curves, /runs_compare, /runs_continue, /runs_export,
/runs_tensorboard."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gradio as gr
import pandas as pd

from workbench.services import Services, charts
from workbench.services.live import RUN_COLUMNS, config_rows, run_rows
from workbench.services.tables import comparison_metrics, metric_rows
from workbench.web import plots
from workbench.web.common import shown_in

DEFAULT_METRIC = "train/loss"
WATCH_SECONDS = 2.0  # how often the runs folder is checked for changes (cheap: stats only)


def build(services: Services) -> Callable[[gr.Tab], None]:
    library = services.runs

    def table() -> pd.DataFrame:
        return pd.DataFrame(run_rows(library.list()), columns=list(RUN_COLUMNS))

    def run_ids() -> list[str]:
        return [info.run_id for info in library.list()]

    def options(smoothing: Any, log_scale: Any) -> dict[str, Any]:
        weight = charts.check_smoothing(0.0 if smoothing is None else smoothing)
        return {"smoothing": weight, "log_scale": bool(log_scale)}

    # ------------------------------------------------------------------ layout
    runs_table = gr.Dataframe(
        table, headers=list(RUN_COLUMNS), label="Runs (newest first)", interactive=False
    )
    refresh = gr.Button("Refresh", size="sm")
    # Runs started, changed or ended anywhere (the Train tab, the CLI, the TUI) show without a
    # click: the shared watcher notices; each browser session redraws when its version is old.
    ticker = gr.Timer(WATCH_SECONDS)
    seen = gr.State(-1)
    # The chart settings of both charts below (the chart model draws them: services/charts.py).
    with gr.Row():
        smoothing = gr.Slider(
            0,
            charts.SMOOTHING_MAX,
            value=0,
            step=0.01,
            label="Smoothing (EMA weight; raw curve kept faint)",
            elem_id="runs-smoothing",
        )
        log_scale = gr.Checkbox(label="Log scale", value=False, elem_id="runs-log-scale")
    with gr.Row():
        with gr.Column():
            gr.Markdown("### One run")
            # Custom values: API callers name any run id; the service checks every name.
            chosen = gr.Dropdown(run_ids(), label="Run", allow_custom_value=True)
            run_chart = gr.Dropdown(
                [(charts.TITLES[k], k) for k in charts.CHARTS], value="loss", label="Chart"
            )
            run_status = gr.Markdown(elem_id="runs-run-status")
            run_plot = gr.Plot(None, show_label=False, elem_id="runs-plot")
            with gr.Row():
                continue_button = gr.Button("Continue from the latest checkpoint")
                tensorboard_button = gr.Button("TensorBoard command")
            # Continue's and TensorBoard's outcome.
            action = gr.Markdown(elem_id="runs-action")
            tensorboard = gr.Textbox(label="TensorBoard", interactive=False, buttons=["copy"])
            with gr.Row():
                export_name = gr.Textbox(
                    label="Export name", placeholder="(the run id)", max_lines=1
                )
                export_overwrite = gr.Checkbox(label="Replace an export of that name")
            export_button = gr.Button("Export for HuggingFace (zip)")
            export_file = gr.File(label="Download", interactive=False)
            export_status = gr.Markdown(elem_id="runs-export-status")
        with gr.Column():
            gr.Markdown("### Compare")
            selected = gr.Dropdown(
                run_ids(),
                multiselect=True,
                label="Runs to compare (two or more)",
                allow_custom_value=True,
            )
            metric = gr.Dropdown(
                [DEFAULT_METRIC], value=DEFAULT_METRIC, label="Metric", allow_custom_value=True
            )
            compare_button = gr.Button("Compare", variant="primary")
            compare_status = gr.Markdown(elem_id="runs-compare-status")
            compare_plot = gr.Plot(None, show_label=False, elem_id="runs-compare-plot")
            config_diff = gr.Dataframe(
                headers=["setting"], label="Settings that differ", interactive=False
            )
            metrics = gr.Dataframe(
                headers=["metric"], label="Last and best values", interactive=False
            )

    # ------------------------------------------------------------------ handlers
    def on_list() -> list[Any]:
        ids = run_ids()
        return [table(), gr.update(choices=ids), gr.update(choices=ids)]

    def on_watch(version: int) -> list[Any]:
        services.watcher.poll()
        current = services.watcher.version
        if current == version:
            return [gr.skip(), gr.skip(), gr.skip(), version]
        return [*on_list(), current]

    # Each handler's errors go to the status beside its control (common.shown_in).
    @shown_in(2)
    def on_curves(run: str, chart: str, smoothing: float, log: bool) -> list[Any]:
        if not run:
            return ["", None]
        key = chart if chart in charts.CHARTS else "loss"
        drawn = charts.build_chart(key, library.curves(run), **options(smoothing, log))
        return ["", plots.plot(drawn)]

    @shown_in(5)
    def on_compare(runs: list[str], wanted: str, smoothing: float, log: bool) -> list[Any]:
        comparison = library.compare(list(runs or []))
        available = comparison_metrics(comparison)
        if wanted not in available:
            wanted = available[0] if available else wanted
        # A new chart of exactly these runs: its legend never keeps an earlier selection's.
        chart = charts.compare_chart(
            wanted, comparison.curves.get(wanted, {}), **options(smoothing, log)
        )
        headers = ["setting", *comparison.runs]
        diff_rows = config_rows(comparison.config_diff, comparison.runs)
        metric_headers, value_rows = metric_rows(comparison)
        return [
            "",
            plots.plot(chart),
            gr.update(choices=available, value=wanted),
            pd.DataFrame(diff_rows, columns=headers),
            pd.DataFrame(value_rows, columns=metric_headers),
        ]

    @shown_in(5)
    def on_reshape(runs: list[str], wanted: str, smoothing: float, log: bool) -> list[Any]:
        """Other chart settings: redraw a comparison already asked for (two runs or more)."""
        if len(runs or []) < 2:
            return [gr.skip()] * 5
        return on_compare(runs, wanted, smoothing, log)

    @shown_in(4)
    def on_continue(run: str) -> list[Any]:
        if not run:
            raise gr.Error("choose a run to continue in the Run list", print_exception=False)
        services.manager.continue_run(run)
        return [
            f"Continuing `{run}`: follow it in the Train tab.",
            *on_list(),
        ]

    @shown_in(2, at=1)
    def on_export(run: str, name: str, replace: bool) -> list[Any]:
        if not run:
            raise gr.Error("choose a run to export in the Run list", print_exception=False)
        archive = library.export_zip(run, (name or "").strip() or None, overwrite=bool(replace))
        return [str(archive), f"Exported `{run}` to `exports/{archive.stem}/` and zipped it."]

    @shown_in(2)
    def on_tensorboard(run: str) -> list[Any]:
        return ["", library.tensorboard_command(run or None)]

    # ------------------------------------------------------------------ wiring
    refresh.click(
        on_list, None, [runs_table, chosen, selected], api_name="runs_list", show_progress="hidden"
    )
    ticker.tick(
        on_watch,
        seen,
        [runs_table, chosen, selected, seen],
        api_name="runs_watch",
        show_progress="hidden",
    )
    gr.on(
        [chosen.change, run_chart.change, smoothing.release, log_scale.change],
        on_curves,
        [chosen, run_chart, smoothing, log_scale],
        [run_status, run_plot],
        api_name="runs_curves",
    )
    compare_button.click(
        on_compare,
        [selected, metric, smoothing, log_scale],
        [compare_status, compare_plot, metric, config_diff, metrics],
        api_name="runs_compare",
    )
    gr.on(
        [smoothing.release, log_scale.change],
        on_reshape,
        [selected, metric, smoothing, log_scale],
        [compare_status, compare_plot, metric, config_diff, metrics],
        api_visibility="private",
    )
    continue_button.click(
        on_continue, chosen, [action, runs_table, chosen, selected], api_name="runs_continue"
    )
    export_button.click(
        on_export,
        [chosen, export_name, export_overwrite],
        [export_file, export_status],
        api_name="runs_export",
        concurrency_limit=1,  # one export at a time: each loads a model
    )
    tensorboard_button.click(
        on_tensorboard, chosen, [action, tensorboard], api_name="runs_tensorboard"
    )

    def on_select(tab: gr.Tab) -> None:
        # Opening the tab re-reads the runs (the watcher's timer only notices changes later).
        tab.select(
            on_list,
            None,
            [runs_table, chosen, selected],
            api_name="runs_select",
            api_visibility="private",
            show_progress="hidden",
        )

    return on_select
