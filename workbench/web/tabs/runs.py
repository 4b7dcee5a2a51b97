"""The Runs tab: every run of the workspace, comparison (overlaid curves, config diff,
metrics), continue, HuggingFace export as a download, the TensorBoard command.

Organising (the service checks every run name, services/run_meta.py): a search box over the
table, notes and tags of the chosen run, rename, move to the trash (a confirmation step) and
restore from it.

API names: /runs_list, /runs_curves, /runs_compare, /runs_continue, /runs_export,
/runs_tensorboard, /runs_search, /runs_meta, /runs_meta_save, /runs_rename, /runs_trash,
/runs_restore."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gradio as gr
import pandas as pd

from workbench.services import Services, charts
from workbench.services.live import RUN_COLUMNS, config_rows, run_rows
from workbench.services.tables import comparison_metrics, metric_rows
from workbench.web import plots
from workbench.web.common import Page, exact_first, shown_in
from workbench.web.tabs.train import run_choices

DEFAULT_METRIC = "train/loss"
WATCH_SECONDS = 2.0  # how often the runs folder is checked for changes (cheap: stats only)


def build(services: Services, page: Page | None = None) -> Callable[[gr.Tab], None]:
    library = services.runs

    def table(query: str | None = None) -> pd.DataFrame:
        shown = library.filter(library.list(), str(query or "")[:500])
        return pd.DataFrame(run_rows(shown), columns=list(RUN_COLUMNS))

    def run_ids() -> list[str]:
        return exact_first([info.run_id for info in library.list()])

    def options(smoothing: Any, log_scale: Any) -> dict[str, Any]:
        weight = charts.check_smoothing(0.0 if smoothing is None else smoothing)
        return {"smoothing": weight, "log_scale": bool(log_scale)}

    # ------------------------------------------------------------------ layout
    search = gr.Textbox(
        "",  # a default: API callers of /runs_list and /runs_watch may leave it out
        label="Search runs",
        placeholder="words in the name, status, tags or notes; tag:x, status:x",
        max_lines=1,
        elem_id="runs-search",
    )
    runs_table = gr.Dataframe(
        table,
        headers=list(RUN_COLUMNS),
        label="Runs (newest first)",
        interactive=False,
        elem_id="runs-table",
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
            chosen = gr.Dropdown(
                run_ids(), label="Run", allow_custom_value=True, elem_id="runs-run"
            )
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
            with gr.Accordion("Notes, tags, rename, trash", open=True):
                tags = gr.Textbox(
                    label="Tags", placeholder="short words: baseline lr-sweep", max_lines=1
                )
                notes = gr.Textbox(label="Notes", lines=3, max_length=4000)
                meta_button = gr.Button("Save notes and tags", size="sm")
                with gr.Row():
                    new_name = gr.Textbox(label="New name", max_lines=1)
                    rename_button = gr.Button("Rename", size="sm", elem_id="runs-rename")
                trash_button = gr.Button(
                    "Move to trash", size="sm", variant="stop", elem_id="runs-trash"
                )
                # Under the buttons it speaks for (not below the trash list).
                organise_status = gr.Markdown(elem_id="runs-organise-status")
                with gr.Column(visible=False) as confirm_row:
                    confirm_text = gr.Markdown(elem_id="runs-trash-confirm")
                    with gr.Row():
                        confirm_button = gr.Button(
                            "Yes, move it to the trash", variant="stop", elem_id="runs-trash-yes"
                        )
                        cancel_button = gr.Button("Keep it", elem_id="runs-trash-keep")
                with gr.Row():
                    trashed = gr.Dropdown(
                        exact_first(library.trashed()),
                        label="In the trash",
                        allow_custom_value=True,
                        elem_id="runs-trashed",
                    )
                    restore_button = gr.Button("Restore", size="sm", elem_id="runs-restore")
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
    def on_list(query: str = "") -> list[Any]:
        ids = run_ids()
        return [table(query), gr.update(choices=ids), gr.update(choices=ids)]

    def on_watch(version: int, query: str) -> list[Any]:
        services.watcher.poll()
        current = services.watcher.version
        if current == version:
            return [gr.skip(), gr.skip(), gr.skip(), version]
        return [*on_list(query), current]

    @shown_in(2, at=1)
    def on_search(query: str) -> list[Any]:
        return [table(query), ""]

    def meta_of(run: str | None) -> list[Any]:
        """Tags, notes and the rename box of `run` (all empty for none)."""
        if not run:
            return ["", "", ""]
        meta = library.meta(run)
        return [" ".join(meta.tags), meta.notes, run]

    @shown_in(4, at=2)
    def on_meta(run: str) -> list[Any]:
        # A run chosen by the user: an earlier action's message goes. (Rename, trash and
        # restore set the Run list themselves and fill these boxes in their own outputs, so
        # their message stays.)
        tag_text, note_text, name = meta_of(run)
        return [tag_text, note_text, "", name]

    def chosen_run(run: str, action: str) -> str:
        if not run:
            raise gr.Error(f"choose a run in the Run list to {action}", print_exception=False)
        return run

    @shown_in(2)
    def on_meta_save(run: str, tag_text: str, note_text: str, query: str) -> list[Any]:
        meta = library.set_meta(chosen_run(run, "tag"), tag_text or "", note_text or "")
        said = f"Saved the notes and tags of `{run}` ({len(meta.tags)} tags)."
        return [said, table(query)]

    @shown_in(5)
    def on_rename(run: str, name: str, query: str) -> list[Any]:
        result = library.rename(chosen_run(run, "rename"), (name or "").strip())
        said = f"Renamed `{run}` to `{result.path.name}`."
        if result.updated:
            said += f" Runs that start from it now name it: {', '.join(result.updated)}."
        if result.presets:
            said += f" Presets that still name the old folder: {', '.join(result.presets)}."
        ids = run_ids()
        new = result.path.name
        return [
            said,
            table(query),
            gr.update(choices=ids, value=new),
            gr.update(choices=ids),
            new,
        ]

    @shown_in(3)
    def on_trash_ask(run: str) -> list[Any]:
        run = library.info(chosen_run(run, "move to the trash")).run_id  # checked, it exists
        where = library.trash_dir
        text = (
            f"Move `{run}` to the trash? Nothing is deleted: its folder goes to `{where}/`, "
            "and **Restore** brings it back."
        )
        return ["", gr.update(visible=True), text]

    def on_trash_cancel() -> Any:
        return gr.update(visible=False)

    @shown_in(9)
    def on_trash(run: str, query: str) -> list[Any]:
        where = library.trash(chosen_run(run, "move to the trash"))
        ids = run_ids()
        return [
            f"Moved `{run}` to `trash/{where.name}`; **Restore** brings it back.",
            gr.update(visible=False),
            table(query),
            gr.update(choices=ids, value=None),
            gr.update(choices=ids),
            gr.update(choices=exact_first(library.trashed()), value=where.name),
            *meta_of(None),
        ]

    @shown_in(8)
    def on_restore(name: str, query: str) -> list[Any]:
        if not name:
            raise gr.Error("choose a run in the trash list to restore", print_exception=False)
        where = library.restore(name)
        ids = run_ids()
        return [
            f"Restored `{where.name}` from the trash.",
            table(query),
            gr.update(choices=ids, value=where.name),
            gr.update(choices=ids),
            gr.update(choices=exact_first(library.trashed()), value=None),
            *meta_of(where.name),
        ]

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

    # With the Train tab there, Continue also sets its Run list to the continued run and
    # shows that tab, which then follows the run from its first event (Page.follow).
    linked = page is not None and page.follow is not None and page.tabs is not None

    @shown_in(6 if linked else 4)
    def on_continue(run: str) -> list[Any]:
        if not run:
            raise gr.Error("choose a run to continue in the Run list", print_exception=False)
        run_id = services.manager.continue_run(run)
        said = f"Continuing `{run}` from its latest checkpoint"
        if not linked:
            return [f"{said}: follow it in the Train tab.", *on_list()]
        return [
            f"{said}: the Train tab follows it.",
            *on_list(),
            run_choices(services, run_id),
            gr.Tabs(selected="train"),
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
        on_list,
        search,
        [runs_table, chosen, selected],
        api_name="runs_list",
        show_progress="hidden",
    )
    search.change(
        on_search, search, [runs_table, organise_status], api_name="runs_search",
        show_progress="hidden",
    )  # fmt: skip
    chosen.input(on_meta, chosen, [tags, notes, organise_status, new_name], api_name="runs_meta")
    meta_button.click(
        on_meta_save, [chosen, tags, notes, search], [organise_status, runs_table],
        api_name="runs_meta_save",
    )  # fmt: skip
    rename_button.click(
        on_rename, [chosen, new_name, search],
        [organise_status, runs_table, chosen, selected, new_name],
        api_name="runs_rename",
    )  # fmt: skip
    trash_button.click(
        on_trash_ask, chosen, [organise_status, confirm_row, confirm_text],
        api_visibility="private",
    )  # fmt: skip
    cancel_button.click(on_trash_cancel, None, confirm_row, api_visibility="private")
    confirm_button.click(
        on_trash, [chosen, search],
        [organise_status, confirm_row, runs_table, chosen, selected, trashed, tags, notes,
         new_name],
        api_name="runs_trash",
    )  # fmt: skip
    restore_button.click(
        on_restore, [trashed, search],
        [organise_status, runs_table, chosen, selected, trashed, tags, notes, new_name],
        api_name="runs_restore",
    )  # fmt: skip
    ticker.tick(
        on_watch,
        [seen, search],
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
    continued = continue_button.click(
        on_continue,
        chosen,
        [action, runs_table, chosen, selected]
        + ([page.train_run, page.tabs] if linked and page is not None else []),
        api_name="runs_continue",
    )
    if linked and page is not None and page.follow is not None:
        page.follow(continued)
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
            search,
            [runs_table, chosen, selected],
            api_name="runs_select",
            api_visibility="private",
            show_progress="hidden",
        ).then(
            # The Run list starts on its first run (no change event): show its notes and tags.
            on_meta,
            chosen,
            [tags, notes, organise_status, new_name],
            api_name="runs_meta_on_select",
            api_visibility="private",
            show_progress="hidden",
        )

    return on_select
