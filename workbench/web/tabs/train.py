"""The Train tab: start a pre-training or fine-tuning run from a preset and watch it live.

A `gr.Timer` polls the run's event history (`manager.events_since`) through a `RunFeed`
kept per browser session in `gr.State`; the timer switches itself off when the run ends.
A reloaded page re-attaches to the newest active run (or any run picked in the dropdown).
"""

from __future__ import annotations

from typing import Any

import gradio as gr
import pandas as pd

from workbench.services import RunBusyError, Services, UnknownRunError
from workbench.services.runfeed import RunFeed, Series, parse_overrides
from workbench.services.tables import curve_points

KINDS = ("pre-training", "fine-tuning")
POLL_S = 1.0  # seconds between two polls of a running run's events


def build(services: Services) -> None:
    feed = gr.State(RunFeed())
    with gr.Row():
        preset = gr.Dropdown(
            _preset_names(services),
            value=_default_preset(services),
            label="Preset",
            allow_custom_value=True,  # checked in start(): presets saved later are listed too
            scale=2,
        )
        kind = gr.Radio(list(KINDS), value=KINDS[0], label="Kind", scale=2)
        name = gr.Textbox(label="Run name (optional)", placeholder="the preset's name", scale=2)
    overrides = gr.Textbox(
        label="Overrides (key=value, one per line)",
        placeholder="pretrain.max_steps=200\nmodel.num_layers=2",
        lines=3,
    )
    with gr.Row():
        start_btn = gr.Button("Start", variant="primary")
        pause_btn = gr.Button("Pause")
        resume_btn = gr.Button("Resume")
        stop_btn = gr.Button("Stop", variant="stop")
    with gr.Row():
        run = gr.Dropdown(
            [],
            value=None,
            label="Run (this session's trainings; pick one to follow it)",
            allow_custom_value=True,  # a run id; checked by the manager
            scale=4,
        )
        refresh_btn = gr.Button("Refresh", scale=1)
    status = gr.Textbox(label="Status", interactive=False, elem_id="train-status")
    with gr.Row():
        loss_plot = gr.LinePlot(
            _frame({}),
            x="step",
            y="value",
            color="series",
            title="Loss",
            y_title="loss",
            height=320,
            elem_id="train-loss-plot",
        )
        metric_plot = gr.LinePlot(
            _frame({}),
            x="step",
            y="value",
            color="series",
            title="Validation metrics",
            y_title="value",
            height=320,
            elem_id="train-metric-plot",
        )
    log = gr.Textbox(label="Log", lines=8, max_lines=12, interactive=False, autoscroll=True)
    timer = gr.Timer(POLL_S, active=False)

    shown = [loss_plot, metric_plot, status, log, feed, timer]

    def start(
        preset_name: str | None, kind_name: str, run_name: str, override_text: str
    ) -> tuple[Any, ...]:
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
        try:
            changes = parse_overrides(override_text or "")
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
        fresh = RunFeed()
        fresh.follow(services.manager, run_id)
        gr.Info(f"{run_id} started")
        return (_run_choices(services, run_id), *_show(fresh, True), gr.Timer(active=True))

    def poll(run_id: str | None, state: RunFeed, redraw: bool = False) -> tuple[Any, ...]:
        if not run_id:
            return gr.skip(), gr.skip(), "no run selected", "", state, gr.Timer(active=False)
        try:
            changed = state.follow(services.manager, run_id)
        except UnknownRunError as exc:
            gr.Warning(str(exc))
            return gr.skip(), gr.skip(), str(exc), "", state, gr.Timer(active=False)
        return (*_show(state, changed or redraw), gr.Timer(active=not state.ended))

    def tick(run_id: str | None, state: RunFeed) -> tuple[Any, ...]:
        return poll(run_id, state)

    def attach(run_id: str | None) -> tuple[Any, ...]:
        """Follow another run from its first event."""
        return poll(run_id, RunFeed(), redraw=True)

    def refresh(state: RunFeed) -> tuple[Any, ...]:
        """Re-list presets and runs; with no active run followed, follow the newest active."""
        current = state.run_id
        if current is None or not _is_active(services, current):
            active = services.manager.runs(active_only=True)
            if active:
                current = active[-1].run_id
                state = RunFeed()
        outputs = poll(current, state, redraw=True) if current else _idle(state)
        return (
            gr.Dropdown(choices=_preset_names(services)),
            _run_choices(services, current),
            *outputs,
        )

    def on_load() -> tuple[Any, ...]:
        return refresh(RunFeed())

    def control(action: str) -> Any:
        def act(run_id: str | None) -> str:
            if not run_id:
                raise gr.Error(
                    "no run selected: start one or pick one in the Run list", print_exception=False
                )
            try:
                getattr(services.manager, action)(run_id)
                snapshot = services.manager.status(run_id)
            except UnknownRunError as exc:
                raise gr.Error(str(exc), print_exception=False) from exc
            if not snapshot.active:
                raise gr.Error(f"{run_id} already ended ({snapshot.status})", print_exception=False)
            done = {"pause": "pausing", "resume": "resuming", "stop": "stopping (checkpoint first)"}
            gr.Info(f"{run_id}: {done[action]}")
            return f"{run_id}: {done[action]}"

        return act

    start_btn.click(start, [preset, kind, name, overrides], [run, *shown], api_name="train_start")
    timer.tick(tick, [run, feed], shown, api_name="train_poll", show_progress="hidden")
    run.input(attach, [run], shown, api_name="train_attach")
    refresh_btn.click(refresh, [feed], [preset, run, *shown], api_name="train_runs")
    gr.on(None, on_load, None, [preset, run, *shown], api_name="train_reattach")
    for button, action in ((pause_btn, "pause"), (resume_btn, "resume"), (stop_btn, "stop")):
        button.click(control(action), [run], [status], api_name=f"train_{action}")


def _preset_names(services: Services) -> list[str]:
    names: list[str] = []
    for entry in services.presets.list():
        if entry.name not in names:
            names.append(entry.name)
    return names


def _default_preset(services: Services) -> str | None:
    names = _preset_names(services)
    return "quickstart" if "quickstart" in names else (names[0] if names else None)


def _run_choices(services: Services, value: str | None) -> Any:
    runs = list(reversed(services.manager.runs()))  # newest first
    choices = [(f"{r.run_id} · {r.name} · {r.status}", r.run_id) for r in runs]
    return gr.Dropdown(choices=choices, value=value)


def _is_active(services: Services, run_id: str) -> bool:
    try:
        return services.manager.status(run_id).active
    except UnknownRunError:
        return False


def _frame(series: dict[str, Series]) -> pd.DataFrame:
    """Long form (step, value, series): one colour per series on a LinePlot."""
    points = curve_points(series)
    return pd.DataFrame(
        {
            "step": pd.Series([p["step"] for p in points], dtype="int64"),
            "value": pd.Series([p["value"] for p in points], dtype="float64"),
            "series": pd.Series([p["series"] for p in points], dtype="str"),
        }
    )


def _show(state: RunFeed, curves: bool) -> tuple[Any, ...]:
    """Plots (only when they changed), status, log and the state itself."""
    loss = _frame(state.loss_series()) if curves else gr.skip()
    metric = _frame(state.metric_series()) if curves else gr.skip()
    return loss, metric, state.status_text(), "\n".join(state.live.log), state


def _idle(state: RunFeed) -> tuple[Any, ...]:
    return (*_show(state, True), gr.Timer(active=False))
