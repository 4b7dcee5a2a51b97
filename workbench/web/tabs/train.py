"""The Train tab: start a pre-training or fine-tuning run from a preset and watch it live.

A `gr.Timer` polls the run's event history (`manager.events_since`) through a `RunFeed`
(services/runfeed.py), kept per browser session in `gr.State` (a `Watch`); the timer switches
itself off when the run ends.
A reloaded page re-attaches to the newest active run (or any run picked in the dropdown); the
Runs tab's Continue switches the page to this tab following the continued run (`Page.follow`),
its curves replayed from step 1.
Start checks the Overrides box line by line first (services/overrides.py, `check_overrides`, as
the TUI's start dialog does) and says every bad line at once: its number, text and why.
When the run followed ends, a toast says so once (services/run_end.py): not on a later poll, nor
after a reload or a re-attach to a run already over.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import gradio as gr

from workbench.services import RunBusyError, Services, UnknownRunError, charts
from workbench.services.overrides import OverrideCheck, check_overrides
from workbench.services.probes import COLUMNS as PROBE_COLUMNS
from workbench.services.probes import ProbeHistory
from workbench.services.run_end import EndWatch
from workbench.services.runfeed import RunFeed
from workbench.web import plots
from workbench.web.common import Page, browser_words, exact_first, shown_in
from workbench.web.tabs import train_data

KINDS = ("pre-training", "fine-tuning")
POLL_S = 1.0  # seconds between two polls of a running run's events


def build(services: Services, page: Page | None = None) -> None:
    watch = gr.State(Watch())
    with gr.Row():
        preset = gr.Dropdown(
            _preset_names(services),
            value=_default_preset(services),
            label="Preset",
            allow_custom_value=True,  # checked in start(): presets saved later are listed too
            scale=2,
            elem_id="train-preset",
        )
        kind = gr.Radio(list(KINDS), value=KINDS[0], label="Kind", scale=2, elem_id="train-kind")
        name = gr.Textbox(label="Run name (optional)", placeholder="the preset's name", scale=2)
    overrides = gr.Textbox(
        label="Overrides (key=value, one per line)",
        placeholder="pretrain.max_steps=200\nmodel.num_layers=2",
        lines=3,
        elem_id="train-overrides",
    )
    data = train_data.build(services, preset, kind)  # own data file: upload and columns
    with gr.Row():
        start_btn = gr.Button("Start", variant="primary", elem_id="train-start")
        pause_btn = gr.Button("Pause", elem_id="train-pause")
        resume_btn = gr.Button("Resume", elem_id="train-resume")
        stop_btn = gr.Button("Stop", variant="stop", elem_id="train-stop")
    # Why Start, Pause, Resume or Stop could not do it (the other widgets stay as they are).
    note = gr.Markdown(elem_id="train-note")
    with gr.Row(elem_id="train-run-row"):
        run = gr.Dropdown(
            [],
            value=None,
            label="Run (this session's trainings; pick one to follow it)",
            allow_custom_value=True,  # a run id; checked by the manager
            scale=4,
            elem_id="train-run",
        )
        refresh_btn = gr.Button("Refresh", scale=1, elem_id="train-refresh")
    status = gr.Textbox(label="Status", interactive=False, elem_id="train-status")
    # The chart controls (the same as the TUI's keys v, s and l); the series math is the
    # chart model's (services/charts.py), these only pick what it builds.
    with gr.Row(elem_id="train-chart-controls"):
        chart = gr.Radio(
            [(charts.TITLES[k], k) for k in charts.STEP_CHARTS],
            value="loss",
            label="Chart",
            scale=3,
            elem_id="train-chart",
        )
        smoothing = gr.Slider(
            0,
            charts.SMOOTHING_MAX,
            value=0,
            step=0.01,
            label="Smoothing (EMA weight; raw curve kept faint)",
            scale=2,
            elem_id="train-smoothing",
        )
        log_scale = gr.Checkbox(label="Log scale", value=False, scale=1, elem_id="train-log-scale")
    # Side by side on a wide page; each needs min_width pixels, so they stack on a narrow one.
    with gr.Row(elem_classes="charts"):
        loss_plot = gr.Plot(
            None, show_label=False, min_width=plots.MIN_WIDTH, elem_id="train-loss-plot"
        )
        metric_plot = gr.Plot(
            None, show_label=False, min_width=plots.MIN_WIDTH, elem_id="train-metric-plot"
        )
    probes = ProbeSection.build()
    log = gr.Textbox(
        label="Log", lines=8, max_lines=12, interactive=False, autoscroll=True, elem_id="train-log"
    )
    timer = gr.Timer(POLL_S, active=False)

    # Client outputs of start/poll/attach: run, loss plot, metric plot, status, log, timer.
    shown = [run, loss_plot, metric_plot, status, log, watch, timer]
    view = [chart, smoothing, log_scale]  # the last inputs of start/poll/attach/refresh

    @shown_in(len(shown) + 1, at=len(shown))
    def start(
        preset_name: str | None,
        kind_name: str,
        run_name: str,
        override_text: str,
        chart_name: str,
        weight: float,
        log: bool,
        chosen: dict[str, Any] | None = None,  # the data block's file and columns (a state)
    ) -> Iterator[tuple[Any, ...]]:
        shape = (chart_name, weight, log)
        names = _preset_names(services)
        if not preset_name or preset_name not in names:
            raise gr.Error(
                f"no preset {preset_name!r}; pick one of: {', '.join(names)}",
                print_exception=False,
            )
        if kind_name not in KINDS:
            raise gr.Error(
                f"kind must be one of {', '.join(KINDS)}, got {kind_name!r}", print_exception=False
            )
        # Every bad line at once, each with its number and why (the TUI start dialog's check).
        check = check_overrides(services.presets, preset_name, override_text or "")
        if not check.ok:
            raise gr.Error(override_problems(kind_name, preset_name, check), print_exception=False)
        # The picked data file first: overrides typed in the box win over it.
        own = train_data.overrides(
            services, kind_name == KINDS[1], chosen, preset_name, override_text
        )
        try:
            changes = own + check.overrides
            begin = (
                services.manager.start_pretraining
                if kind_name == KINDS[0]
                else services.manager.start_finetuning
            )
            run_id = begin(preset_name, changes, name=run_name.strip() or None)
        except RunBusyError as exc:
            raise gr.Error(f"cannot start a second training: {exc}", print_exception=False) from exc
        except Exception as exc:  # bad preset, bad override, missing table: say which
            raise gr.Error(
                f"could not start {kind_name} with {preset_name}: {exc}", print_exception=False
            ) from exc
        gr.Info(f"{kind_name} of {preset_name} started")
        for outputs in _follow(services, run_id, Watch(), *shape, redraw=True):
            yield (*outputs, "")

    def tick(run_id: str | None, watch: Watch, *shape: Any) -> Iterator[tuple[Any, ...]]:
        yield from _follow(services, run_id, watch, *shape)

    def attach(run_id: str | None, *shape: Any) -> Iterator[tuple[Any, ...]]:
        """Follow another run from its first event."""
        yield from _follow(services, run_id, Watch(), *shape, redraw=True)

    def reshape(watch: Watch, *shape: Any) -> tuple[Any, Any]:
        """Redraw the charts of the run followed with other chart settings."""
        return _plots(watch.feed, *shape)

    def refresh(watch: Watch, *shape: Any) -> Iterator[tuple[Any, ...]]:
        """Re-list presets and runs; with no active run followed, follow the newest active."""
        current = watch.feed.run_id
        if current is None or not _is_active(services, current):
            active = services.manager.runs(active_only=True)
            if active:
                current, watch = active[-1].run_id, Watch()
        presets = gr.Dropdown(choices=_preset_names(services))
        for outputs in _follow(services, current, watch, *shape, redraw=True):
            yield (presets, *outputs)

    def on_load(*shape: Any) -> Iterator[tuple[Any, ...]]:
        yield from refresh(Watch(), *shape)

    def control(action: str) -> Any:
        @shown_in(2, at=1)
        def act(run_id: str | None) -> list[Any]:
            if not run_id:
                raise gr.Error(
                    "no run selected: start one or pick one in the Run list", print_exception=False
                )
            try:
                getattr(services.manager, action)(run_id)
                snapshot = services.manager.status(run_id)
            except UnknownRunError as exc:
                raise gr.Error(str(exc), print_exception=False) from exc
            name = snapshot.run_name
            if not snapshot.active:
                raise gr.Error(f"{name} already ended ({snapshot.status})", print_exception=False)
            done = {"pause": "pausing", "resume": "resuming", "stop": "stopping (checkpoint first)"}
            gr.Info(f"{name}: {done[action]}")
            return [f"{name}: {done[action]}", ""]

        return act

    start_btn.click(
        start,
        [preset, kind, name, overrides, *view, *data.inputs],
        [*shown, note],
        api_name="train_start",
    )
    polled = timer.tick(
        tick, [run, watch, *view], shown, api_name="train_poll", show_progress="hidden"
    )
    attached = run.input(attach, [run, *view], shown, api_name="train_attach")
    probes.wire(watch, polled, attached)
    refresh_btn.click(refresh, [watch, *view], [preset, *shown], api_name="train_runs")
    gr.on(None, on_load, view, [preset, *shown], api_name="train_reattach")
    gr.on(
        [chart.change, smoothing.release, log_scale.change],
        reshape,
        [watch, *view],
        [loss_plot, metric_plot],
        api_name="train_chart",
        show_progress="hidden",
    )
    for button, action in ((pause_btn, "pause"), (resume_btn, "resume"), (stop_btn, "stop")):
        button.click(control(action), [run], [status, note], api_name=f"train_{action}")

    if page is not None:
        # Another tab (Runs: Continue) puts a run id in the Run list: follow it from its
        # first event, as picking it here does (the continued run's history comes first).
        def follow(event: Any) -> Any:
            followed = event.then(
                attach,
                [run, *view],
                shown,
                api_name="train_follow",
                api_visibility="private",
                show_progress="hidden",
            )
            return followed.then(
                ProbeSection.redraw,
                [watch, probes.sent],
                [probes.table, probes.label, probes.slider, probes.sent],
                api_name="train_follow_probes",
                api_visibility="private",
                show_progress="hidden",
            )

        page.train_run, page.follow = run, follow


def override_problems(kind_name: str, preset_name: str, check: OverrideCheck) -> str:
    """Why Start refused the Overrides box: one line per problem (Markdown line breaks), in
    the panel's words."""
    lines = [
        f"could not start {kind_name} with {preset_name}, fix the Overrides box:",
        *(browser_words(str(problem)) for problem in check.problems),
    ]
    return "  \n".join(lines)


def _preset_names(services: Services) -> list[str]:
    names: list[str] = []
    for entry in services.presets.list():
        if entry.name not in names:
            names.append(entry.name)
    return exact_first(names)  # typing a name and Enter takes that name


def _default_preset(services: Services) -> str | None:
    names = _preset_names(services)
    return "quickstart" if "quickstart" in names else (names[0] if names else None)


def run_choices(services: Services, value: str | None) -> Any:
    runs = list(reversed(services.manager.runs()))  # newest first
    # Shown by the run's identity (its folder name, as in the Runs tab and the CLI).
    choices = [(f"{r.run_name} · {r.status}", r.run_id) for r in runs]
    return gr.Dropdown(choices=choices, value=value)


def _is_active(services: Services, run_id: str) -> bool:
    try:
        return services.manager.status(run_id).active
    except UnknownRunError:
        return False


class ProbeSection:
    """The fill-mask probes of the run followed (pre-training): one table per evaluation,
    the newest shown and followed; the slider steps back through them (`ProbeHistory`, the
    same the TUI's `[` `]` step). Refreshed after every poll, from the poll's own feed."""

    def __init__(self, label: Any, slider: Any, table: Any, sent: Any) -> None:
        self.label, self.slider, self.table, self.sent = label, slider, table, sent

    @classmethod
    def build(cls) -> ProbeSection:
        with gr.Column(elem_id="train-probes"):
            label = gr.Markdown(NO_PROBES, elem_id="train-probes-label")
            slider = gr.Slider(  # shown from the second evaluation on
                1,
                2,
                value=1,
                step=1,
                label="Evaluation (at the right end: the newest, following the run)",
                visible=False,
                elem_id="train-probes-step",
            )
            table = gr.Dataframe(
                headers=list(PROBE_COLUMNS),
                value=[],
                interactive=False,
                wrap=True,
                column_widths=["38%", "12%", "8%", "42%"],
                visible=False,  # until the run followed has probes
                elem_id="train-probes-table",
            )
        # What this page shows: (run id, evaluations), so a poll without news sends nothing.
        sent = gr.State((None, -1))
        return cls(label, slider, table, sent)

    def wire(self, watch: Any, polled: Any, attached: Any) -> None:
        shown = [self.table, self.label, self.slider, self.sent]
        for event, fn, name in (
            (polled, self.refresh, "train_probes"),
            (attached, self.redraw, "train_probes_redraw"),
        ):
            event.then(fn, [watch, self.sent], shown, api_name=name, show_progress="hidden")
        # Every move by the user (dragging, clicking, arrow keys), not the poll's updates; a
        # drag's flood of moves is answered for its last one.
        self.slider.input(
            self.pick,
            [watch, self.slider],
            [self.table, self.label],
            api_name="train_probes_step",
            show_progress="hidden",
            trigger_mode="always_last",
        )

    @staticmethod
    def refresh(watch: Watch, sent: Any) -> tuple[Any, ...]:
        """After a poll: the table, its label and the slider when an evaluation arrived or
        another run is followed; otherwise nothing is sent."""
        now = (watch.feed.run_id, watch.feed.probes.count)
        if tuple(sent or ()) == now:
            return gr.skip(), gr.skip(), gr.skip(), sent
        return ProbeSection.redraw(watch, sent)

    @staticmethod
    def redraw(watch: Watch, sent: Any) -> tuple[Any, ...]:
        """After attaching to a run: the table, label and slider, from its first event."""
        history = watch.feed.probes
        now = (watch.feed.run_id, history.count)
        table, label = probe_outputs(history)
        slider = gr.Slider(
            minimum=1,
            maximum=max(history.count, 2),  # a slider needs two ends
            value=max(history.position + 1, 1),
            visible=history.count > 1,
        )
        return table, label, slider, now

    @staticmethod
    def pick(watch: Watch, number: float | None) -> tuple[Any, Any]:
        """Show evaluation `number` (1 = the first; the last follows the run again)."""
        history = watch.feed.probes
        if number is not None and history.count:
            history.pick(int(number) - 1)
        return probe_outputs(history)


NO_PROBES = "**Probes** · none yet: a pre-training run shows them at each evaluation"


def probe_outputs(history: ProbeHistory) -> tuple[Any, str]:
    """The table (hidden while there are no probes) and the label of the evaluation shown."""
    table = history.table()
    if table is None:
        return gr.Dataframe(value=[], visible=False), NO_PROBES
    follows = "follows the run" if table.latest else "the slider's right end follows the run"
    rows = [list(row) for row in table.rows]
    return gr.Dataframe(value=rows, visible=True), f"**Probes** · {table.label()} · {follows}"


@dataclass
class Watch:
    """One browser session's view of a run: the feed and the last status."""

    feed: RunFeed = field(default_factory=RunFeed)
    status: str = ""
    ends: EndWatch = field(default_factory=EndWatch)  # says once that the run ended


def _follow(
    services: Services,
    run_id: str | None,
    watch: Watch,
    chart: str = "loss",
    smoothing: float = 0.0,
    log_scale: bool = False,
    *,
    redraw: bool = False,
) -> Iterator[tuple[Any, ...]]:
    """Fetch the run's new events and yield the outputs (run list, charts, status, log,
    state, timer). The timer stays on until the run has ended."""
    if not run_id:
        yield run_choices(services, None), None, None, "no run selected", "", watch, _timer(False)
        return
    try:
        changed = watch.feed.follow(services.manager, run_id) or redraw
    except UnknownRunError as exc:
        gr.Warning(str(exc))
        yield gr.skip(), gr.skip(), gr.skip(), str(exc), "", watch, _timer(False)
        return
    feed = watch.feed
    announce(watch.ends, feed)
    # Each plot value is a whole new chart (its legend is its series): no stale legends.
    shown = _plots(feed, chart, smoothing, log_scale) if changed else (gr.skip(), gr.skip())
    runs = run_choices(services, run_id) if feed.status != watch.status or redraw else gr.skip()
    watch.status = feed.status
    # A failed run's reason in the panel's words (no exception class names).
    status = browser_words(feed.status_text())
    yield runs, *shown, status, "\n".join(feed.live.log), watch, _timer(not feed.ended)


def announce(ends: EndWatch, feed: RunFeed) -> None:
    """A toast when the run followed has just ended (once; it stays until closed): a success
    for a finished run, a warning for a stopped, failed or interrupted one.

    Not an Info: the page groups toasts by kind and a group goes when its first toast's time is
    up, so the end would vanish with the "started" toast of a short run."""
    notice = ends.check(feed)
    if notice is not None:
        toast = gr.Success if notice.ok else gr.Warning
        toast(browser_words(notice.text), duration=None)


def _plots(feed: RunFeed, chart: Any, smoothing: Any, log_scale: Any) -> tuple[Any, Any]:
    """The chosen step chart and the evaluation metrics of the run followed (none: empty)."""
    if feed.run_id is None:
        return None, None
    key = chart if chart in charts.STEP_CHARTS else "loss"
    try:
        weight = charts.check_smoothing(0.0 if smoothing is None else smoothing)
    except ValueError as exc:
        raise gr.Error(str(exc), print_exception=False) from exc
    drawn = charts.build_charts(feed.live.series, smoothing=weight, log_scale=bool(log_scale))
    return plots.plot(drawn[key]), plots.plot(drawn["metrics"])


def _timer(active: bool) -> Any:
    return gr.Timer(active=active)
