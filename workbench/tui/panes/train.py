"""The Train pane: start pre-training or fine-tuning from a preset and watch it learn.

The manager trains in its own thread and calls our subscriber there for every event; the
subscriber only posts a `RunEvent` (thread-safe). The pane folds events into a `LiveRun`
(workbench.services.live) at once but redraws on a timer, at most `REDRAWS_PER_S` times a
second, so a flood of fast steps or a slow step never stalls the interface.
"""

from __future__ import annotations

import functools
import gc
import os
import sys
import threading
from collections.abc import Callable
from typing import Any

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container, Horizontal, Vertical, VerticalScroll
from textual.css.query import NoMatches
from textual.widgets import Button, Label, ProgressBar, RichLog, Select, Static

from workbench.services import charts
from workbench.services.live import LiveRun, results_line
from workbench.services.manager import UnknownRunError
from workbench.services.overrides import check_overrides
from workbench.tui.guard import Guarded, guarded
from workbench.tui.idle_gc import freeze_loaded_objects
from workbench.tui.messages import PresetChosen, RunEvent, RunsChanged, RunStarted
from workbench.tui.screens.start_run import StartRequest, StartRunScreen
from workbench.tui.widgets.curves import CHART_KEYS, CurvePlot, controls_text
from workbench.tui.widgets.pickers import offer
from workbench.tui.widgets.probe_table import PROBE_BINDINGS, ProbeTable

REDRAWS_PER_S = 4
# Training threads run this much nicer than the interface (Linux: per-thread nice, inherited
# by the threads they create, e.g. torch's intra-op pool): a key press wins the CPU at once,
# while training still gets every cycle the interface leaves idle.
TRAINING_NICE = 5
# The interface thread keeps the GIL through a whole repaint (default 5 ms): a training thread
# calling torch ops asks for it thousands of times a step and would cut every repaint into
# slices, each waiting for the OS to wake the interface again on a busy machine.
SWITCH_INTERVAL_S = 0.05


def lower_priority_of_this_thread(nice: int = TRAINING_NICE) -> None:
    """Make the calling thread (a training thread) nicer; a no-op where not supported."""
    if (
        nice <= 0
        or not hasattr(os, "setpriority")
        or threading.current_thread() is threading.main_thread()
    ):
        return
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + nice))
    except OSError:  # not permitted or not per-thread here: training just keeps its priority
        pass


class TrainPane(Guarded, Vertical):
    """Preset + start buttons, live curves, figures, progress bar and log of one run."""

    BINDINGS = [
        Binding("t", "start('pretrain')", "Pre-train"),
        Binding("f", "start('finetune')", "Fine-tune"),
        Binding("p", "pause", "Pause"),
        Binding("r", "resume", "Resume"),
        Binding("x", "stop", "Stop"),
        Binding("v", "next_chart", "Chart", group=CHART_KEYS),
        Binding("s", "smoothing", "Smooth", group=CHART_KEYS),
        Binding("l", "log_scale", "Log y", group=CHART_KEYS),
        *PROBE_BINDINGS,
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.run_id: str | None = None
        self.live = LiveRun()
        self._unsubscribe: Callable[[], None] | None = None
        self._drawn = -1  # live.version last drawn
        self._logged = 0  # live.log lines already written
        self._wanted: str | None = None  # a preset chosen before the list was loaded
        self._presets: list[str] = []
        self._figures = ""  # the figures text on screen
        self._results = ""  # what the run achieved, once it ended (results_line)
        self.chart = "loss"  # the upper chart: one of charts.STEP_CHARTS (key v)
        self.smoothing = 0.0  # EMA weight (key s)
        self.log_scale = False  # (key l)
        # The start dialog's overrides text per preset, for the next start (this session).
        self._last_overrides: dict[str, str] = {}
        self._stopping = False  # a stop was asked for the run followed, which still trains
        self._announce = False  # the run followed was seen training: say when it ends

    def compose(self) -> ComposeResult:
        with Horizontal(id="train-controls"):
            yield Select[str]([], prompt="preset", id="train-preset", compact=True)
            yield Button("Pre-train", id="train-pretrain", variant="primary", compact=True)
            yield Button("Fine-tune", id="train-finetune", compact=True)
            yield Button("Pause", id="train-pause", disabled=True, compact=True)
            yield Button("Resume", id="train-resume", disabled=True, compact=True)
            yield Button("Stop", id="train-stop", variant="error", disabled=True, compact=True)
        # A grid, so app.tcss can place the evaluation chart under the step chart (tall
        # terminals) or under the figures (short ones: the step chart gets the full height).
        with Container(id="train-body"):
            yield CurvePlot("loss", id="train-loss")
            with VerticalScroll(id="train-side", can_focus=False):
                yield Static("no run yet", id="train-run")
                yield Static("", id="train-figures")
                yield Static("", id="train-error", markup=False)
            yield CurvePlot("evaluation metrics", id="train-eval")
        yield ProbeTable(id="train-probes")
        with Horizontal(id="train-progress-row"):
            yield Label("idle", id="train-progress-label")
            # A known total from the start: an indeterminate bar animates (repaints) nonstop.
            yield ProgressBar(total=1, id="train-progress", show_eta=False)
        yield RichLog(id="train-log", wrap=True, max_lines=500)

    def on_unmount(self) -> None:
        # Hand the frozen objects back, so the interpreter frees them normally at exit.
        gc.unfreeze()

    def on_mount(self) -> None:
        sys.setswitchinterval(max(sys.getswitchinterval(), SWITCH_INTERVAL_S))
        self.set_interval(1 / REDRAWS_PER_S, self._redraw)
        # After the first frame: listing presets imports the engine, which competes for the GIL.
        self.call_after_refresh(self._load_presets)

    # ------------------------------------------------------------------ presets
    @work(thread=True, exclusive=True, group="train-presets")
    @guarded("could not list presets", show="_show_error")
    def _load_presets(self) -> None:
        # Listing presets imports the engine (seconds): never on the UI thread.
        names = [entry.name for entry in self.services.presets.list()]
        freeze_loaded_objects()  # the engine is imported now
        self.app.call_from_thread(self._set_presets, names)

    def _set_presets(self, names: list[str]) -> None:
        try:
            offer(self.query_one("#train-preset", Select), [(n, n) for n in names])
        except NoMatches:  # the select is not composed yet: try again after the next refresh
            self.call_after_refresh(self._set_presets, names)
            return
        self._presets = list(names)
        wanted = self._wanted or ("quickstart" if "quickstart" in names else None)
        if wanted is not None:
            self._choose(wanted)

    def _choose(self, name: str) -> None:
        select = self.query_one("#train-preset", Select)
        if name not in self._presets:
            self._presets.append(name)
            offer(select, [(n, n) for n in self._presets])
        select.value = name

    def on_preset_chosen(self, message: PresetChosen) -> None:
        message.stop()  # the app forwarded it here; it must not bubble back
        self._wanted = message.name
        self._choose(message.name)

    # ------------------------------------------------------------------ starting
    def action_start(self, kind: str) -> None:
        """Open the start dialog (run name, overrides for this run); the run starts when it
        closes with Start. Pushed here, on the UI thread, from the key or the button."""
        preset = self.query_one("#train-preset", Select).value
        if not isinstance(preset, str):
            self._show_error("choose a preset first (the list at the top, or the Presets tab)")
            return
        if self.live.active and self.run_id is not None:
            self._show_error(f"{self._run_label()} is still training; stop it first (x)")
            return
        if isinstance(self.app.screen, StartRunScreen):
            return
        self._show_error("")
        presets = self.services.presets

        def chosen(request: StartRequest | None) -> None:
            if request is None:
                return
            self._show_error("")
            self.query_one("#train-run", Static).update(f"starting {kind} from {preset}...")
            self._start(kind, preset, request.overrides, request.name)

        screen = StartRunScreen(
            preset,
            kind,
            lambda text: check_overrides(presets, preset, text),
            text=self._last_overrides.get(preset, ""),
            remember=functools.partial(self._last_overrides.__setitem__, preset),
        )
        self.app.push_screen(screen, chosen)

    @on(Button.Pressed, "#train-pretrain")
    def _pretrain_pressed(self) -> None:
        self.action_start("pretrain")

    @on(Button.Pressed, "#train-finetune")
    def _finetune_pressed(self) -> None:
        self.action_start("finetune")

    @work(thread=True, exclusive=True, group="train-start")
    @guarded("could not start", show="_start_failed")
    def _start(
        self, kind: str, preset: str, overrides: list[str] | None = None, name: str | None = None
    ) -> None:
        # Loading the preset and checking the device import torch: not on the UI thread.
        manager = self.services.manager
        changes = list(overrides or ())
        if kind == "pretrain":
            run_id = manager.start_pretraining(preset, changes, name=name)
        else:
            run_id = manager.start_finetuning(preset, changes, name=name)
        self.app.post_message(RunStarted(run_id))

    def _start_failed(self, text: str) -> None:
        self._show_error(text)
        self.query_one("#train-run", Static).update("no run started")

    def on_run_started(self, message: RunStarted) -> None:
        message.stop()
        self.follow(message.run_id)

    def follow(self, run_id: str) -> None:
        """Show `run_id` (a run the manager trains): replay its history, then live events."""
        if self._unsubscribe is not None:
            self._unsubscribe()
        self.run_id, self.live = run_id, LiveRun()
        self._drawn, self._logged, self._figures, self._results = -1, 0, "", ""
        self._stopping = False
        # Announce the end only of a run seen going: following a run already over is no news.
        self._announce = self.services.manager.status(run_id).active
        self.query_one("#train-log", RichLog).clear()
        self.query_one(ProbeTable).reset(run_id)
        self._show_error("")
        app = self.app
        reniced: set[int] = set()

        def deliver(event: Any) -> None:  # runs on the training thread
            if threading.get_ident() not in reniced:  # the first event of this thread
                reniced.add(threading.get_ident())
                lower_priority_of_this_thread()
            app.post_message(RunEvent(run_id, event))

        self._unsubscribe = self.services.manager.subscribe(run_id, deliver)
        self._redraw()

    def on_run_event(self, message: RunEvent) -> None:
        message.stop()
        if message.run_id != self.run_id:
            return
        self.live.apply(message.event)
        if getattr(message.event, "kind", None) == "probe":
            self.query_one(ProbeTable).feed(message.run_id, message.event)
        if not self.live.active:
            if self._unsubscribe is not None:
                self._unsubscribe()
                self._unsubscribe = None
            self._redraw()
            self._announce_end(message.run_id)

    @work(thread=True, group="train-end")
    def _announce_end(self, run_id: str) -> None:
        # The last event comes before the run's files are final (summary, checkpoint, test
        # scores): show the results and tell the other panes once the thread has ended.
        services = self.services
        status = services.manager.wait(run_id, timeout=120)
        if status.run_dir is not None and not status.active:
            try:
                line = results_line(services.runs.info(status.run_dir))
            except Exception:  # noqa: BLE001 - a run folder removed meanwhile: no results line
                line = ""
            self.app.call_from_thread(self._show_results, run_id, line)
            self.app.call_from_thread(self._notify_end, run_id, status, line)
        self.app.post_message(RunsChanged())

    def _show_results(self, run_id: str, line: str) -> None:
        if run_id == self.run_id:
            self._results = line
            self._drawn = -1  # redraw the run line
            self._redraw()

    def _notify_end(self, run_id: str, status: Any, line: str) -> None:
        """A notification once, when the run this pane saw training ends (any tab shows it)."""
        if run_id != self.run_id or not self._announce:
            return
        self._announce = False
        name = status.run_dir.name if status.run_dir is not None else run_id
        if status.status == "finished":
            self.notify(line or f"{name}: finished", title="Run finished", timeout=12)
        elif status.status == "failed":
            self.notify(
                f"{name} failed at step {status.step}: {status.error}",
                title="Run failed",
                severity="error",
                timeout=20,
            )
        else:
            self.notify(
                f"{name} {status.status} at step {status.step} (Continue in Runs)",
                title=f"Run {status.status}",
                severity="warning",
                timeout=12,
            )

    # ------------------------------------------------------------------ control
    @guarded("{verb} failed", show="_show_error")
    def _control(self, verb: str) -> None:
        if self.run_id is None or not self.live.active:
            self.notify("no run is training", severity="warning")
            return
        getattr(self.services.manager, verb)(self.run_id)
        if verb == "stop":
            # Said at once (the run stops after its step and a checkpoint, which may take a
            # while): the side panel and the progress line say "stopping" until it has.
            self._stopping = True
            self._drawn = -1
            self._redraw()
        self.query_one("#train-log", RichLog).write(
            f"{verb} requested (takes effect after the step)"
        )

    def action_pause(self) -> None:
        self._control("pause")

    def action_resume(self) -> None:
        self._control("resume")

    def action_stop(self) -> None:
        self._control("stop")

    @on(Button.Pressed, "#train-pause")
    def _pause_pressed(self) -> None:
        self.action_pause()

    @on(Button.Pressed, "#train-resume")
    def _resume_pressed(self) -> None:
        self.action_resume()

    @on(Button.Pressed, "#train-stop")
    def _stop_pressed(self) -> None:
        self.action_stop()

    def action_probes(self, what: str) -> None:
        self.query_one(ProbeTable).move(what)  # [ ] step through evaluations, P opens

    # ------------------------------------------------------------------ charts
    def action_next_chart(self) -> None:
        keys = charts.STEP_CHARTS
        self.chart = keys[(keys.index(self.chart) + 1) % len(keys)]
        self._draw_charts()

    def action_smoothing(self) -> None:
        self.smoothing = charts.next_smoothing(self.smoothing)
        self._draw_charts()

    def action_log_scale(self) -> None:
        self.log_scale = not self.log_scale
        self._draw_charts()

    def _draw_charts(self) -> None:
        """The chosen step chart above, the evaluation metrics below (hidden while none)."""
        drawn = charts.build_charts(
            self.live.series, smoothing=self.smoothing, log_scale=self.log_scale
        )
        upper, metrics = drawn[self.chart], drawn["metrics"]
        keys = charts.STEP_CHARTS
        where = f"{keys.index(self.chart) + 1}/{len(keys)}"
        self.query_one("#train-loss", CurvePlot).show_chart(
            upper, controls_text(upper, self.smoothing, where)
        )
        lower = self.query_one("#train-eval", CurvePlot)
        lower.show_chart(metrics, " · ".join(metrics.notes))
        lower.display = not metrics.empty
        self.query_one("#train-body").set_class(metrics.empty, "-no-eval")

    # ------------------------------------------------------------------ drawing
    def _run_label(self) -> str:
        """The run's identity, as the Runs pane, the CLI and the web panel show it: its folder
        name (the preset's name until the folder exists)."""
        if self.run_id is None:
            return "no run"
        try:
            return self.app.services.manager.status(self.run_id).run_name
        except UnknownRunError:
            return self.run_id

    def _show_error(self, text: str) -> None:
        self.query_one("#train-error", Static).update(text)
        self.set_class(bool(text), "-has-error")

    def _status(self) -> str:
        """The followed run's status as shown: the manager's "stopping" once a stop was asked
        and until the run's last event (stopped, or finished when it was the last step)."""
        return "stopping" if self._stopping and self.live.active else self.live.status

    def _redraw(self) -> None:
        live = self.live
        if self.run_id is None:
            return
        # The figures every tick (the ETA counts down); the rest only when events arrived.
        status = self._status()
        text = "\n".join(
            f"[b]{name}[/b] {status if name == 'status' else value}"
            for name, value in live.figures()
        )
        if text != self._figures:  # an update repaints even when nothing changed
            self._figures = text
            self.query_one("#train-figures", Static).update(text)
        if live.version == self._drawn:
            return
        self._drawn = live.version
        head = f"[b]{escape(self._run_label())}[/b]"
        if self._results:
            # The run's name is the line above: "finished · best …" without it again.
            results = self._results.partition(": ")[2] or self._results
            head += f"\n{escape(results)}"
        self.query_one("#train-run", Static).update(head)
        self._draw_charts()
        what, done, total = live.progress()
        bar = self.query_one("#train-progress", ProgressBar)
        bar.update(total=max(total, 1), progress=done)
        self.query_one("#train-progress-label", Label).update(f"{status}: {what}")
        log = self.query_one("#train-log", RichLog)
        for line in live.new_log_lines(self._logged):
            log.write(line)
        self._logged = live.log_count
        if live.error:
            self._show_error(f"run failed: {live.error}")
        for button, enabled in (
            ("#train-pause", status in ("running", "starting")),
            ("#train-resume", status == "paused"),
            ("#train-stop", live.active and status != "stopping"),
        ):
            self.query_one(button, Button).disabled = not enabled
