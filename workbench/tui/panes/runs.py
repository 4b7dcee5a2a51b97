"""The Runs pane: every run in the workspace, whoever started it.

Mark two or more rows (space) to overlay their curves and see the settings that differ;
continue a stopped run, export one to the HuggingFace format, or show its TensorBoard command.
Organise them: `/` filters the table as you type, `n` edits a run's notes and tags, `R`
renames it, `delete` moves it to the trash (`z` brings the last one back).
Everything that reads runs imports the engine or touches the disk, so it runs in workers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.events import Resize
from textual.widgets import Button, DataTable, Input, Select, Static

from workbench.services import charts
from workbench.services.live import RUN_COLUMNS, config_rows, run_rows
from workbench.tui.guard import Guarded, guarded
from workbench.tui.idle_gc import freeze_loaded_objects
from workbench.tui.messages import RunsChanged, RunStarted, UseInPreset
from workbench.tui.screens.run_export import RunExportScreen
from workbench.tui.screens.run_notes import RunNotesScreen
from workbench.tui.screens.run_rename import RunRenameScreen
from workbench.tui.screens.run_trash import RunTrashScreen
from workbench.tui.widgets.curves import CHART_KEYS, CurvePlot, controls_text
from workbench.tui.widgets.pickers import offer
from workbench.tui.widgets.wrap_table import WrapTable

MARK = "●"
# Under 100 columns the table keeps what tells runs apart (the step shows in Train, the rest in
# the web panel and the compare view); the start time loses its year, "best validation" is
# headed "best".
NARROW_COLUMNS = ("run", "status", "started", "duration", "best validation")
SHORT_LABELS = {"best validation": "best"}
NARROW_BELOW = 100
# Wider: every column; the tags before the long test scores and the last train loss (what a
# 140-column screen cuts first), so tags just saved are seen.
_LAST = ("test", "last train loss")
WIDE_COLUMNS = tuple(c for c in RUN_COLUMNS if c not in _LAST) + _LAST


class RunsPane(Guarded, Vertical):
    """A table of runs; the curves and config diff of the marked (or highlighted) runs."""

    BINDINGS = [
        Binding("space", "mark", "Mark"),
        Binding("c", "compare", "Compare"),
        Binding("u", "continue_run", "Continue"),
        Binding("e", "export", "Export"),
        Binding("b", "tensorboard", "TensorBoard", show=False),  # a button; footer full at 80
        Binding("i", "use_init", "Use as init", show=False),  # a button too
        Binding("slash", "filter", "Filter", key_display="/"),
        Binding("n", "notes", "Notes"),
        Binding("R", "rename", "Rename", key_display="R", show=False),  # in ? help
        Binding("delete", "trash", "Trash", key_display="del"),
        Binding("z", "restore", "Restore", show=False),
        Binding("g", "refresh", "Refresh", show=False),  # it refreshes by itself; a button too
        Binding("v", "next_chart", "Chart", group=CHART_KEYS),
        Binding("s", "smoothing", "Smooth", group=CHART_KEYS),
        Binding("l", "log_scale", "Log y", group=CHART_KEYS),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.runs: list[Any] = []  # RunInfo, as shown (the filter applied)
        self.all_runs: list[Any] = []  # RunInfo, as listed
        self.columns: tuple[str, ...] = ()  # of RUN_COLUMNS, as shown at this width
        self.trashed: list[str] = []  # runs moved to the trash here, the last one last
        self.marked: list[str] = []  # run ids, in the order they were marked
        self.curves: dict[str, dict[str, tuple[list[int], list[float]]]] = {}  # metric -> run
        self._curves_of: tuple[Any, ...] | None = None  # (run, step, status) of those curves
        # One run shown (not a comparison): its curves, drawn as the charts of charts.CHARTS.
        self.one_run: dict[str, tuple[list[int], list[float]]] | None = None
        self.chart_keys: list[str] = []  # what the chart select offers (key v cycles them)
        self.smoothing = 0.0  # EMA weight (key s)
        self.log_scale = False  # (key l)
        self._select_after: str | None = None  # a run to put the cursor on once listed
        self._listing_said = False  # the message line shows what _fill said
        self._action_said = False  # it shows an action's outcome (kept over a refresh)

    def compose(self) -> ComposeResult:
        with Horizontal(id="runs-actions"):
            yield Button("Refresh", id="runs-refresh", compact=True)
            yield Button("Compare", id="runs-compare", variant="primary", compact=True)
            yield Button("Continue", id="runs-continue", compact=True)
            yield Button("Export HF", id="runs-export", compact=True)
            yield Button("TensorBoard", id="runs-tensorboard", compact=True)
            yield Button("Use as init", id="runs-use", compact=True)
            # The chart of one run (loss, lr, ...), or the metric of a comparison.
            yield Select[str]([], prompt="chart", id="runs-metric", allow_blank=True, compact=True)
        yield Input(
            placeholder="/ filter: words, tag:x, status:x (all must match)",
            id="runs-filter",
            compact=True,
        )
        table: DataTable[str] = DataTable(id="runs-table", cursor_type="row", zebra_stripes=True)
        yield table
        yield Static("", id="runs-message", markup=False)
        with Horizontal(id="runs-detail"):
            yield CurvePlot("curves", id="runs-plot")
            yield WrapTable(id="runs-diff")

    def on_mount(self) -> None:
        self._set_columns()
        # After the first frame: listing runs imports the engine, which competes for the GIL.
        self.call_after_refresh(self.action_refresh)

    # ------------------------------------------------------------------ listing
    def action_refresh(self) -> None:
        self._list()

    @on(Button.Pressed, "#runs-refresh")
    def _refresh_pressed(self) -> None:
        self.action_refresh()

    def on_runs_changed(self, message: RunsChanged) -> None:
        message.stop()  # the app forwarded it here; it must not bubble back
        self.action_refresh()

    @work(thread=True, exclusive=True, group="runs-list")
    @guarded("could not list runs", show="_say_error")
    def _list(self) -> None:
        runs = self.services.runs.list()
        freeze_loaded_objects()  # the engine is imported now
        self.app.call_from_thread(self._fill, runs)

    def _wanted_columns(self) -> tuple[str, ...]:
        return NARROW_COLUMNS if self.app.size.width < NARROW_BELOW else WIDE_COLUMNS

    def _set_columns(self) -> bool:
        """Columns for the screen's width; True when they changed (the rows are then gone)."""
        wanted = self._wanted_columns()
        if wanted == self.columns:
            return False
        table = self.query_one("#runs-table", DataTable)
        table.clear(columns=True)
        table.add_column(" ", key="mark", width=1)
        narrow = wanted == NARROW_COLUMNS
        for name in wanted:
            table.add_column(SHORT_LABELS.get(name, name) if narrow else name, key=name)
        self.columns = wanted
        return True

    def on_resize(self, event: Resize) -> None:
        if self._set_columns():
            self._fill(self.all_runs)

    def _fill(self, runs: list[Any]) -> None:
        try:
            table = self.query_one("#runs-table", DataTable)
            query = self.query_one("#runs-filter", Input).value
        except NoMatches:  # the list arrived while the app was closing
            return
        self.all_runs = runs
        shown = self.services.runs.filter(runs, query)
        self.runs = shown
        ids = {r.run_id for r in runs}
        self.marked = [m for m in self.marked if m in ids]
        current = self._current()
        table.clear()
        narrow = self.columns == NARROW_COLUMNS
        for run, row in zip(shown, run_rows(shown), strict=True):
            cells = dict(zip(RUN_COLUMNS, row, strict=True))
            if narrow and cells["started"] != "-":
                cells["started"] = cells["started"][5:]  # 01-06 14:03
            mark = MARK if run.run_id in self.marked else ""
            table.add_row(mark, *(cells[c] for c in self.columns), key=run.run_id)
        wanted, self._select_after = self._select_after or current, None
        if wanted in {r.run_id for r in shown}:
            table.move_cursor(row=table.get_row_index(wanted))
        # What the listing says about itself; other messages (an action's outcome) stay.
        if not runs:
            said = "no runs yet: start one in the Train tab (or `bertbench pretrain`)"
        elif not shown:
            said = f"no run matches {query.strip()!r} ({len(runs)} runs; Esc in the filter)"
        elif len(shown) < len(runs):
            said = f"{len(shown)} of {len(runs)} runs match {query.strip()!r}"
        else:
            said = ""
        # An action's outcome ("renamed ...") stays until the filter is typed in again.
        if (said or self._listing_said) and not self._action_said:
            self._say(said)
            self._action_said, self._listing_said = False, bool(said)

    # ------------------------------------------------------------------ filter
    def action_filter(self) -> None:
        self.query_one("#runs-filter", Input).focus()

    @on(Input.Changed, "#runs-filter")
    def _filter_changed(self) -> None:
        self._action_said = False
        self._fill(self.all_runs)  # no disk read: the listed runs, narrowed

    @on(Input.Submitted, "#runs-filter")
    def _filter_done(self) -> None:
        self.query_one("#runs-table", DataTable).focus()

    def on_key(self, event: Any) -> None:
        # Esc in the filter clears it (a second Esc leaves it); the table gets the keys back.
        box = self.query_one("#runs-filter", Input)
        if event.key == "escape" and box.has_focus:
            event.stop()
            if box.value:
                box.value = ""
            else:
                self.query_one("#runs-table", DataTable).focus()

    def _current(self) -> str | None:
        table = self.query_one("#runs-table", DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value
        return str(key) if key is not None else None

    def _say(self, text: str, error: bool = False) -> None:
        self._listing_said = False
        self._action_said = bool(text)
        self.query_one("#runs-message", Static).update(text)
        self.set_class(error, "-error")

    def _say_error(self, text: str) -> None:
        self._say(text, True)

    # ------------------------------------------------------------------ marking, curves
    def action_mark(self) -> None:
        run = self._current()
        if run is None:
            return
        if run in self.marked:
            self.marked.remove(run)
        else:
            self.marked.append(run)
        table = self.query_one("#runs-table", DataTable)
        table.update_cell(run, "mark", MARK if run in self.marked else "")
        self._say(f"marked: {', '.join(self.marked)}" if self.marked else "")

    @on(DataTable.RowSelected, "#runs-table")
    def _selected(self, event: DataTable.RowSelected) -> None:
        # Enter on the table (or a click on the highlighted row) marks it, as Space does.
        self.action_mark()

    @on(DataTable.RowHighlighted, "#runs-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        # (No row key when the table emptied before the message arrived: nothing to show.)
        if len(self.marked) < 2 and getattr(event.row_key, "value", None) is not None:
            run = str(event.row_key.value)
            # A refresh re-highlights the row: read the curves again only when they can have
            # changed (another run, or this one moved on), not on every change elsewhere.
            info = next((r for r in self.runs if r.run_id == run), None)
            shown = (run, getattr(info, "step", None), getattr(info, "status", None))
            if shown != self._curves_of:
                self._curves_of = shown
                self._load_curves(run)

    @work(thread=True, exclusive=True, group="runs-curves")
    @guarded("could not read {run}", show="_say_error")
    def _load_curves(self, run: str) -> None:
        curves = self.services.runs.curves(run)
        self.app.call_from_thread(self._show_run, curves)

    def _show_run(self, curves: dict[str, tuple[list[int], list[float]]]) -> None:
        self.one_run, self.curves = curves, {}
        keys = charts.available(curves) or ["loss"]
        self._set_choices([(charts.TITLES[k], k) for k in keys], "loss")

    def action_compare(self) -> None:
        if len(self.marked) < 2:
            self._say("mark two or more runs with space, then compare (c)", True)
            return
        self._compare(list(self.marked))

    @on(Button.Pressed, "#runs-compare")
    def _compare_pressed(self) -> None:
        self.action_compare()

    @work(thread=True, exclusive=True, group="runs-curves")
    @guarded("could not compare", show="_say_error")
    def _compare(self, runs: list[str]) -> None:
        comparison = self.services.runs.compare(runs)
        self.app.call_from_thread(self._show_comparison, comparison)

    def _show_comparison(self, comparison: Any) -> None:
        self._curves_of = None  # the plot shows several runs now
        rows = config_rows(comparison.config_diff, comparison.runs)
        self.query_one("#runs-diff", WrapTable).show(
            ["setting", *comparison.runs],
            rows or [("(same settings)", *("" for _ in comparison.runs))],
        )
        self._show_curves(comparison.curves)
        self._say(f"comparing {', '.join(comparison.runs)}: {len(rows)} settings differ")

    def _show_curves(self, curves: dict[str, dict[str, tuple[list[int], list[float]]]]) -> None:
        self.one_run, self.curves = None, curves
        self._set_choices([(m, m) for m in sorted(curves)], "train/loss")

    def _set_choices(self, choices: list[tuple[str, str]], default: str) -> None:
        """Offer `choices` (label, key) in the chart select and draw the chosen one: the one
        shown before if it is still offered, else `default`, else the first."""
        select = self.query_one("#runs-metric", Select)
        keys = [key for _, key in choices]
        previous = select.value
        try:
            offer(select, choices)
        except NoMatches:  # the select is not composed yet: try again after the next refresh
            self.call_after_refresh(self._set_choices, choices, default)
            return
        self.chart_keys = keys
        wanted = previous if previous in keys else default
        wanted = wanted if wanted in keys else (keys[0] if keys else None)
        if wanted is not None:
            select.value = wanted
        self._plot(wanted)

    @on(Select.Changed, "#runs-metric")
    def _metric_changed(self, event: Select.Changed) -> None:
        if isinstance(event.value, str):
            self._plot(event.value)

    def action_next_chart(self) -> None:
        select = self.query_one("#runs-metric", Select)
        keys = self.chart_keys
        if keys:
            at = keys.index(select.value) if select.value in keys else -1
            select.value = keys[(at + 1) % len(keys)]

    def action_smoothing(self) -> None:
        self.smoothing = charts.next_smoothing(self.smoothing)
        self._replot()

    def action_log_scale(self) -> None:
        self.log_scale = not self.log_scale
        self._replot()

    def _replot(self) -> None:
        value = self.query_one("#runs-metric", Select).value
        self._plot(value if isinstance(value, str) else None)

    def _plot(self, key: str | None) -> None:
        """Chart `key` of the run shown, or metric `key` of the runs compared."""
        options = {"smoothing": self.smoothing, "log_scale": self.log_scale}
        if self.one_run is not None:
            chart = charts.build_chart(key or "loss", self.one_run, **options)
        else:
            chart = charts.compare_chart(key or "curves", self.curves.get(key or "", {}), **options)
        plot = self.query_one("#runs-plot", CurvePlot)
        plot.show_chart(chart, controls_text(chart, self.smoothing))

    # ------------------------------------------------------------------ actions on one run
    def _target(self) -> str | None:
        run = self._current()
        if run is None:
            self._say("no run selected", True)
        return run

    def action_continue_run(self) -> None:
        run = self._target()
        if run is not None:
            self._continue(run)

    @on(Button.Pressed, "#runs-continue")
    def _continue_pressed(self) -> None:
        self.action_continue_run()

    @work(thread=True, exclusive=True, group="runs-continue")
    @guarded("could not continue {run}", show="_say_error")
    def _continue(self, run: str) -> None:
        run_id = self.services.manager.continue_run(run)
        self.app.call_from_thread(self._say, f"continuing {run} in the Train tab")
        self.app.post_message(RunStarted(run_id, show=True))  # the app shows the Train tab

    def action_export(self) -> None:
        run = self._target()
        if run is not None:
            self._say(f"reading {run}'s checkpoints…")
            self._ask_export(run)

    @on(Button.Pressed, "#runs-export")
    def _export_pressed(self) -> None:
        self.action_export()

    @work(thread=True, exclusive=True, group="runs-export")
    @guarded("could not export {run}", show="_say_error")
    def _ask_export(self, run: str) -> None:
        step = self.services.runs.export_step(run)  # reads the checkpoint folder: a thread
        self.app.call_from_thread(self._open_export, run, step)

    def _open_export(self, run: str, step: int | None) -> None:
        library = self.services.runs
        at = f" from its checkpoint at step {step}" if step is not None else ""

        def exported(folder: Path | None) -> None:
            if folder is not None:
                self._say(f"exported {run}{at} (HuggingFace format) to {folder}")

        self.app.push_screen(
            RunExportScreen(
                run,
                step,
                self.services.workspace.root / "exports",
                lambda name, overwrite: library.export_hf(run, name, overwrite=overwrite),
            ),
            exported,
        )

    def action_tensorboard(self) -> None:
        run = self._target()
        if run is not None:
            self._tensorboard(run)

    @work(thread=True, exclusive=True, group="runs-tensorboard")
    @guarded("could not start TensorBoard for {run}", show="_say_error")
    def _tensorboard(self, run: str) -> None:
        # A child process the services own; stopped when the TUI quits.
        info = self.services.tensorboard.start(self.services.runs.path(run) / "tensorboard")
        self.app.call_from_thread(
            self._say, f"TensorBoard for {run}: {info.url} (stopped when you quit)"
        )

    @on(Button.Pressed, "#runs-tensorboard")
    def _tensorboard_pressed(self) -> None:
        self.action_tensorboard()

    # ------------------------------------------------------------------ notes, rename, trash
    def action_notes(self) -> None:
        run = self._target()
        if run is None:
            return
        library = self.services.runs

        def saved(meta: Any) -> None:
            if meta is not None:
                self._say(f"saved the notes and tags of {run}")
                self.action_refresh()

        screen = RunNotesScreen(
            run, library.meta(run), lambda tags, notes: library.set_meta(run, tags, notes)
        )
        self.app.push_screen(screen, saved)

    def action_rename(self) -> None:
        run = self._target()
        if run is None:
            return
        library = self.services.runs

        def renamed(result: Any) -> None:
            if result is None:
                return
            new = result.path.name
            self.marked = [new if m == run else m for m in self.marked]
            text = f"renamed {run} to {new}"
            if result.updated:
                text += f"; runs that start from it now name it: {', '.join(result.updated)}"
            if result.presets:
                text += f"; presets still naming the old folder: {', '.join(result.presets)}"
            self._say(text)
            self._refresh_to(new)

        self.app.push_screen(RunRenameScreen(run, lambda name: library.rename(run, name)), renamed)

    def _refresh_to(self, run: str) -> None:
        """List again and put the cursor on `run` once it is listed."""
        self._select_after = run
        self.action_refresh()

    def action_trash(self) -> None:
        run = self._target()
        if run is None:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._trash(run)

        self.app.push_screen(RunTrashScreen(run, self.services.runs.trash_dir), answered)

    @work(thread=True, exclusive=True, group="runs-trash")
    @guarded("could not move {run} to the trash", show="_say_error")
    def _trash(self, run: str) -> None:
        where = self.services.runs.trash(run)
        self.trashed.append(where.name)
        self.app.call_from_thread(self._say, f"moved {run} to {where} (z brings it back)")
        self.app.call_from_thread(self.action_refresh)

    def action_restore(self) -> None:
        if not self.trashed:
            self._say("nothing moved to the trash here yet (the web panel's Runs tab lists it)")
            return
        self._restore(self.trashed[-1])

    @work(thread=True, exclusive=True, group="runs-trash")
    @guarded("could not restore {name}", show="_say_error")
    def _restore(self, name: str) -> None:
        where = self.services.runs.restore(name)
        self.trashed.remove(name)
        self.app.call_from_thread(self._say, f"restored {where.name} from the trash")
        self.app.call_from_thread(self._refresh_to, where.name)

    # ------------------------------------------------------------------ use as init
    @on(Button.Pressed, "#runs-use")
    def action_use_init(self) -> None:
        """The run under the cursor becomes the starting weights of the preset being edited
        (finetune.init or pretrain.init_from)."""
        run = self._target()
        info = next((r for r in self.runs if r.run_id == run), None)
        if info is not None:
            self.post_message(UseInPreset("run", info.path, info.run_id))
