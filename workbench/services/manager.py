"""RunManager: pre-training and fine-tuning runs in background threads, for both UIs.

Each run gets a `RunControl` (pause / resume / stop; a stop writes a checkpoint, then the run
ends "cancelled") and a thread-safe event history. A polling UI (the web panel's timer) calls
`events_since(run_id, cursor)`; a push UI (Textual) calls `subscribe(run_id, callback)` and the
callback runs on the worker thread (Textual's `post_message` is safe from there). The events
are the engine's own (`started`, `step`, `eval`, `checkpoint`, `paused`, `resumed`, `finished`,
`failed`, `cancelled`) plus `progress` (preparation stages: tokenizer training, shard building)
and `message` (a line of text from the workflow). Every event has `.kind` and `.to_dict()`.

The workflows create ordinary run directories under `<workspace>/runs/`, so the CLI, the TUI
and the web panel can all list, resume, compare and try any run. At most `max_per_device`
trainings share a device (default 1): a second start raises `RunBusyError` naming the active run.
Across processes the workflows' device lock (`bert_engine.training.device_lock`) does the same
for the whole workspace; `allow_shared_device=True` (or `max_per_device` > 1) trains anyway.

A run's status: starting (preparing), running, paused, stopping, then finished, stopped (by the
user, checkpointed) or failed (`error` says why). `RunStatus.run_name` is the run's identity
everywhere (its folder name); the manager's ids (`pretrain-1`) are only handles, and every
call that takes a run id also takes that folder name.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from bert_engine.errors import BertbenchError
from workbench.services.workspace import Workspace, WorkspaceError, check_name

if TYPE_CHECKING:
    from bert_engine.presets import Preset
    from bert_engine.training.control import RunControl
    from workbench.services.presets import PresetService

log = logging.getLogger(__name__)

TERMINAL = ("finished", "failed", "stopped")
Callback = Callable[[Any], None]


class RunBusyError(BertbenchError, RuntimeError):
    """The device already trains as many runs as allowed."""


class UnknownRunError(BertbenchError, KeyError):
    """No run with that id in this manager."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0])


@dataclass
class ProgressEvent:
    """A preparation stage advanced (tokenizer training, shard building)."""

    kind: ClassVar[str] = "progress"
    stage: str
    current: int
    total: int
    time: float = field(default_factory=time.time)

    def to_dict(self) -> dict[str, Any]:
        return {"event": self.kind, **asdict(self)}


@dataclass
class MessageEvent:
    """A line of text from the workflow (e.g. how the fine-tuned model was initialised)."""

    kind: ClassVar[str] = "message"
    text: str
    time: float = field(default_factory=time.time)

    def to_dict(self) -> dict[str, Any]:
        return {"event": self.kind, **asdict(self)}


@dataclass(frozen=True)
class RunStatus:
    """A snapshot of one managed run, safe to hand to any thread."""

    run_id: str
    kind: str  # pretrain or finetune
    name: str
    status: str  # starting, running, paused, stopping, finished, failed, stopped
    device: str
    run_dir: Path | None
    step: int
    total_steps: int | None
    loss: float | None
    stage: str | None  # the preparation stage while preparing
    error: str | None
    started: float
    ended: float | None
    events: int
    # The run this one started when it finished (an adaptation hands over to its fine-tune).
    then: str | None = None

    @property
    def active(self) -> bool:
        return self.status not in TERMINAL

    @property
    def run_name(self) -> str:
        """The run's identity in every interface: its folder name (the preset's name until
        the folder exists)."""
        return self.run_dir.name if self.run_dir is not None else self.name


class _Run:
    """Book-keeping of one run; every field is guarded by `lock`."""

    def __init__(self, run_id: str, kind: str, name: str, device: str, control: Any) -> None:
        self.run_id, self.kind, self.name, self.device = run_id, kind, name, device
        self.control = control
        self.lock = threading.RLock()
        self.events: list[Any] = []
        self.subscribers: list[Callback] = []
        self.status = "starting"
        self.run_dir: Path | None = None
        self.step = 0
        self.total_steps: int | None = None
        self.loss: float | None = None
        self.stage: str | None = None
        self.error: str | None = None
        self.started = time.time()
        self.ended: float | None = None
        self.thread: threading.Thread | None = None
        self.then: str | None = None  # the run started when this one finished

    def snapshot(self) -> RunStatus:
        with self.lock:
            status = self.status
            if status in ("running", "paused", "starting") and self.control.should_stop:
                status = "stopping"
            return RunStatus(
                self.run_id,
                self.kind,
                self.name,
                status,
                self.device,
                self.run_dir,
                self.step,
                self.total_steps,
                self.loss,
                self.stage,
                self.error,
                self.started,
                self.ended,
                len(self.events),
                self.then,
            )

    @property
    def active(self) -> bool:
        return self.status not in TERMINAL

    @property
    def run_name(self) -> str:
        return self.run_dir.name if self.run_dir is not None else self.name

    def emit(self, event: Any) -> None:
        """Record an event, update the status, and hand it to the subscribers (in order)."""
        with self.lock:
            self._update(event)
            self.events.append(event)
            for callback in list(self.subscribers):
                try:
                    callback(event)
                except Exception:  # a broken UI widget must not stop training
                    log.exception("run %s: event subscriber failed", self.run_id)

    def _update(self, event: Any) -> None:
        kind = event.kind
        if hasattr(event, "step") and isinstance(event.step, int):
            self.step = max(self.step, event.step) if kind != "started" else event.step
        if kind == "progress":
            self.status, self.stage = "starting", event.stage
        elif kind == "started":
            self.status, self.stage, self.total_steps = "running", None, event.total_steps
        elif kind == "step":
            self.loss, self.total_steps = event.loss, event.total_steps
        elif kind == "paused":
            self.status = "paused"
        elif kind == "resumed":
            self.status = "running"
        elif kind in ("finished", "failed", "cancelled"):
            self.status = "stopped" if kind == "cancelled" else kind
            self.ended = time.time()
            if kind == "failed":
                self.error = event.reason


class RunManager:
    """Starts, controls and follows training runs in background threads."""

    def __init__(
        self,
        workspace: Workspace,
        *,
        presets: PresetService | None = None,
        max_per_device: int = 1,
        allow_shared_device: bool = False,
    ) -> None:
        if max_per_device < 1:
            raise ValueError(f"max_per_device must be at least 1, got {max_per_device}")
        self.workspace = workspace
        self.presets = presets
        self.max_per_device = max_per_device
        # Train even when another process of the workspace holds the device (its lock).
        self.allow_shared_device = allow_shared_device or max_per_device > 1
        self._runs: dict[str, _Run] = {}
        self._lock = threading.Lock()
        self._ids = itertools.count(1)

    # ------------------------------------------------------------------ starting
    def start_pretraining(
        self,
        preset: Preset | str,
        overrides: Sequence[str] = (),
        *,
        name: str | None = None,
        allow_shared_device: bool | None = None,
    ) -> str:
        """Pre-train from a preset (object, name or file) plus `key=value` overrides; the run id."""
        p = self._preset(preset, overrides)
        _check_inputs(p, ("tokenizer", "data", "pretrain"))
        if self._run_name(name) is not None:
            p.tracking.run_name = name
        device = self._device_key(p.pretrain.device)
        shared = self._shared(allow_shared_device)

        work = self._pretraining_work(p, shared, adapt=False)
        return self._launch("pretrain", p.tracking.run_name or p.name, device, work, shared)

    def start_finetuning(
        self,
        preset: Preset | str,
        overrides: Sequence[str] = (),
        *,
        name: str | None = None,
        allow_shared_device: bool | None = None,
        adapt: bool = False,
    ) -> str:
        """Fine-tune from a preset with [finetune] and [classification] tables; the run id.
        `adapt`: first the preset's task-adaptive pre-training (its [adapt] section), as a run
        of its own (kind "adapt"); when it finishes, the fine-tune starts from it (its id in
        the adaptation's `RunStatus.then`). The returned id is then the adaptation's."""
        if adapt:
            return self._start_adaptation(preset, overrides, name, allow_shared_device)
        p = self._preset(preset, overrides)
        self._run_name(name)
        settings = p.finetune
        if settings is None or p.classification is None:
            raise WorkspaceError(
                f"preset {p.name!r} has no [finetune] and [classification] tables; add them "
                "(see presets/classify-quickstart.toml) to fine-tune"
            )
        _check_inputs(p, ("classification",))
        device = self._device_key(settings.device)
        run_name = name or p.tracking.run_name or p.name
        shared = self._shared(allow_shared_device)

        def work(run: _Run) -> None:
            from bert_engine.training.finetune import finetune

            path = finetune(
                p,
                control=run.control,
                listeners=[run.emit],
                runs_dir=self.workspace.runs_dir,
                name=run_name,
                on_message=lambda text: run.emit(MessageEvent(text)),
                on_run_dir=lambda path: self._set_dir(run, path),
                allow_shared_device=shared,
            )
            self._set_dir(run, path)

        return self._launch("finetune", run_name, device, work, shared)

    def _start_adaptation(
        self,
        preset: Preset | str,
        overrides: Sequence[str],
        name: str | None,
        allow_shared_device: bool | None,
    ) -> str:
        p = self._preset(preset, overrides)
        self._run_name(name)
        if p.adapt is None or p.finetune is None or p.classification is None:
            raise WorkspaceError(
                f"preset {p.name!r} has no [adapt] section (with [finetune] and "
                "[classification]); add one (e.g. [adapt] steps = 500) to adapt first"
            )
        _check_inputs(p, ("classification",))
        device = self._device_key(p.finetune.device)
        shared = self._shared(allow_shared_device)
        p.tracking.runs_dir = str(self.workspace.runs_dir)

        work = self._pretraining_work(p, shared, adapt=True)

        def then(run: _Run) -> None:  # the adaptation finished: fine-tune from it
            assert p.finetune is not None and run.run_dir is not None
            tuned = p.model_copy(deep=True)
            assert tuned.finetune is not None
            tuned.finetune.init = str(run.run_dir)
            next_id = self.start_finetuning(tuned, name=name, allow_shared_device=shared)
            with run.lock:
                run.then = next_id

        return self._launch("adapt", f"{p.name}-adapt", device, work, shared, then=then)

    def _pretraining_work(
        self, preset: Preset, shared: bool, *, adapt: bool
    ) -> Callable[[_Run], None]:
        """A run's work: pre-training (or the adaptation, a pre-training of its own) of
        `preset`, its events and folder followed by the run. The engine is imported on use."""

        def work(run: _Run) -> None:
            if adapt:
                from bert_engine.training.adapt import run_adaptation as start
            else:
                from bert_engine.training.pretrain import run_pretraining as start
            outcome = start(
                preset,
                control=run.control,
                listeners=[run.emit],
                progress=self._progress(run),
                on_run_dir=lambda path: self._set_dir(run, path),
                allow_shared_device=shared,
            )
            self._set_dir(run, outcome.run_dir)

        return work

    def continue_run(
        self,
        run_dir: str | Path,
        *,
        checkpoint: str | None = None,
        allow_shared_device: bool | None = None,
    ) -> str:
        """Continue a stopped or interrupted run from its latest checkpoint (same directory),
        or from `checkpoint` (`step-36`).

        `run_dir`: a run id (folder name in the workspace's runs) or a `Path`."""
        from bert_engine.tracking import read_config

        path = self._run_path(run_dir)
        with self._lock:
            for run in self._runs.values():
                if run.active and run.run_dir is not None and run.run_dir.resolve() == path:
                    raise RunBusyError(f"run {path.name} is already running here ({run.run_id})")
        config = read_config(path)
        self.workspace.sandbox.check_preset(config)  # the files it trained on (confined)
        from bert_engine.errors import InputError
        from bert_engine.tracking import read_summary

        summary = read_summary(path)
        done, total = summary.get("step"), summary.get("total_steps")
        if checkpoint is None and summary.get("status") == "finished" and done == total:
            raise InputError(
                f"run {path.name} already finished all its {total} steps: there is nothing to "
                "continue. To train it longer, start a new run from it (Runs: Use as init) "
                "with more steps"
            )
        kind = "finetune" if (path / "labels.json").is_file() else "pretrain"
        section = config.get(kind) or {}
        device = self._device_key(str(section.get("device", "auto")))
        shared = self._shared(allow_shared_device)

        def work(run: _Run) -> None:
            self._set_dir(run, path)
            if kind == "pretrain":
                from bert_engine.training.pretrain import run_pretraining

                run_pretraining(
                    None,
                    control=run.control,
                    listeners=[run.emit],
                    resume=path,
                    progress=self._progress(run),
                    checkpoint=checkpoint,
                    allow_shared_device=shared,
                )
            else:
                from bert_engine.training.finetune import finetune

                finetune(
                    None,
                    control=run.control,
                    listeners=[run.emit],
                    resume=path,
                    on_message=lambda text: run.emit(MessageEvent(text)),
                    checkpoint=checkpoint,
                    allow_shared_device=shared,
                )

        # Followers see the run's whole history first (its curves so far), then the new events.
        history = _history(path)
        return self._launch(kind, path.name, device, work, shared, history)

    # ------------------------------------------------------------------ control
    def pause(self, run_id: str) -> None:
        self._get(run_id).control.pause()

    def resume(self, run_id: str) -> None:
        """Continue a paused run (see `continue_run` for a run that ended)."""
        self._get(run_id).control.resume()

    def stop(self, run_id: str, *, wait: bool = False, timeout: float | None = None) -> RunStatus:
        """Ask the run to stop: it finishes its step, writes a checkpoint and ends cancelled."""
        run = self._get(run_id)
        run.control.stop()
        if wait:
            self.wait(run_id, timeout)
        return run.snapshot()

    def stop_all(self, *, wait: bool = True, timeout: float | None = None) -> list[RunStatus]:
        """Stop every active run (each checkpoints first); for quitting a UI."""
        with self._lock:
            active = [r for r in self._runs.values() if r.active]
        for run in active:
            run.control.stop()
        if wait:
            deadline = None if timeout is None else time.monotonic() + timeout
            for run in active:
                left = None if deadline is None else max(0.0, deadline - time.monotonic())
                if run.thread is not None:
                    run.thread.join(left)
        return [r.snapshot() for r in active]

    def wait(self, run_id: str, timeout: float | None = None) -> RunStatus:
        """Block until the run's thread ends (or `timeout`); its status."""
        run = self._get(run_id)
        if run.thread is not None:
            run.thread.join(timeout)
        return run.snapshot()

    # ------------------------------------------------------------------ following
    def status(self, run_id: str) -> RunStatus:
        return self._get(run_id).snapshot()

    def runs(self, *, active_only: bool = False) -> list[RunStatus]:
        with self._lock:
            runs = list(self._runs.values())
        snaps = [r.snapshot() for r in runs]
        return [s for s in snaps if s.active] if active_only else snaps

    def events_since(self, run_id: str, cursor: int = 0) -> tuple[list[Any], int]:
        """Events recorded after `cursor` (0: all) and the cursor to pass next time."""
        run = self._get(run_id)
        with run.lock:
            cursor = max(0, min(cursor, len(run.events)))
            return run.events[cursor:], len(run.events)

    def subscribe(
        self, run_id: str, callback: Callback, *, replay: bool = True
    ) -> Callable[[], None]:
        """Call `callback(event)` for every new event (from the worker thread); with `replay`,
        first for the history so far, in order. Returns a function that unsubscribes."""
        run = self._get(run_id)
        with run.lock:  # no event can slip between the replay and the subscription
            if replay:
                for event in list(run.events):
                    callback(event)
            run.subscribers.append(callback)

        def unsubscribe() -> None:
            with run.lock:
                if callback in run.subscribers:
                    run.subscribers.remove(callback)

        return unsubscribe

    def find(self, run_dir: str | Path) -> str | None:
        """The id of the managed run writing `run_dir`, if any."""
        target = Path(run_dir).resolve()
        with self._lock:
            for run in self._runs.values():
                if run.run_dir is not None and run.run_dir.resolve() == target:
                    return run.run_id
        return None

    # ------------------------------------------------------------------ internals
    def _get(self, run_id: str) -> _Run:
        with self._lock:
            run = self._runs.get(run_id)
            if run is None:  # a run folder's name: the newest managed run writing it
                named = [r for r in self._runs.values() if r.run_dir and r.run_dir.name == run_id]
                run = named[-1] if named else None
        if run is None:
            known = ", ".join(self._runs) or "none"
            raise UnknownRunError(f"no run {run_id!r} in this session (runs: {known})")
        return run

    def _preset(self, preset: Preset | str, overrides: Sequence[str]) -> Preset:
        from bert_engine.presets import Preset, apply_overrides, load_preset

        if isinstance(preset, Preset):
            p = apply_overrides(preset, overrides) if overrides else preset.model_copy(deep=True)
        elif self.presets is not None:
            p = self.presets.load(preset, tuple(overrides))
        else:
            p = load_preset(preset, overrides)
        # Runs started here live in the workspace, whatever the preset says.
        p.tracking.runs_dir = str(self.workspace.runs_dir)
        # Confined (the web panel): every file the preset and its overrides name must lie
        # inside the workspace or a data folder (services/sandbox.py).
        self.workspace.sandbox.check_preset(p)
        return p

    def _run_name(self, name: str | None) -> str | None:
        if name is not None and self.workspace.confined:
            check_name(name, "run name")
        return name

    @staticmethod
    def _device_key(requested: str) -> str:
        """The device a run will use, as one comparable string ("cpu", "cuda:0")."""
        from bert_engine.training.device_lock import device_key

        return device_key(requested)

    def _shared(self, allow: bool | None) -> bool:
        return self.allow_shared_device if allow is None else allow

    def _holds(self, owner: dict[str, Any]) -> bool:
        """Whether a device lock's owner is one of this manager's active runs (its own limit,
        `max_per_device`, then decides)."""
        import os

        if owner.get("pid") != os.getpid():
            return False
        with self._lock:
            names = {r.run_name for r in self._runs.values() if r.active} | {
                r.name for r in self._runs.values() if r.active
            }
        return owner.get("run") in names

    def _run_path(self, run_dir: str | Path) -> Path:
        # Strings are run ids in the workspace; a Path may point at any run directory.
        path = run_dir if isinstance(run_dir, Path) else self.workspace.path("runs", run_dir)
        path = path.resolve()
        if not (path / "config.toml").is_file():
            raise WorkspaceError(f"{path} is not a run directory (no config.toml)")
        return path

    def _launch(
        self,
        kind: str,
        name: str,
        device: str,
        work: Callable[[_Run], None],
        shared: bool,
        history: Sequence[Any] = (),
        then: Callable[[_Run], None] | None = None,
    ) -> str:
        from bert_engine.training.control import RunControl
        from bert_engine.training.device_lock import describe_holder, holder

        owner = None if shared else holder(self.workspace.runs_dir, device)
        if owner is not None and not self._holds(owner):
            raise RunBusyError(
                f"{describe_holder(device, owner)}; stop it first, or start with "
                "allow_shared_device=True to train side by side"
            )
        with self._lock:
            busy = [r for r in self._runs.values() if r.active and r.device == device]
            if len(busy) >= self.max_per_device:
                names = ", ".join(f"{r.run_name} ({r.status}, step {r.step})" for r in busy)
                raise RunBusyError(
                    f"device {device} is busy with {names}; stop it first, or start the "
                    f"manager with max_per_device={len(busy) + 1} to train side by side"
                )
            run_id = f"{kind}-{next(self._ids)}"
            control: RunControl = RunControl()
            run = _Run(run_id, kind, name, device, control)
            run.events.extend(history)  # recorded, not news: the status stays "starting"
            self._runs[run_id] = run
        run.thread = threading.Thread(
            target=self._work, args=(run, work, then), name=f"bertbench-{run_id}", daemon=True
        )
        run.thread.start()
        return run_id

    def _work(
        self, run: _Run, work: Callable[[_Run], None], then: Callable[[_Run], None] | None = None
    ) -> None:
        from bert_engine.training.events import CancelledEvent, FailedEvent, FinishedEvent

        try:
            work(run)
        except BaseException as exc:  # reported as an event; the UI stays alive
            with run.lock:
                terminal = not run.active
            if not terminal:
                if run.control.should_stop:
                    run.emit(CancelledEvent(step=run.step, checkpoint=None))
                else:
                    run.emit(FailedEvent(step=run.step, reason=_describe(exc)))
            if isinstance(exc, Exception) and not isinstance(exc, BertbenchError):
                log.error("run %s failed unexpectedly", run.run_id, exc_info=exc)  # a bug
            if not isinstance(exc, Exception):
                raise
            return
        with run.lock:
            terminal = not run.active
        if not terminal:  # e.g. a workflow that returned without a final event
            run.emit(FinishedEvent(step=run.step))
        if then is not None and run.status == "finished":
            try:
                then(run)
            except Exception as exc:  # noqa: BLE001 - said in the run's log; the UI stays alive
                run.emit(MessageEvent(f"could not start the next run: {_describe(exc)}"))

    @staticmethod
    def _set_dir(run: _Run, path: Path | None) -> None:
        if path is not None:
            with run.lock:
                run.run_dir = Path(path)

    @staticmethod
    def _progress(run: _Run) -> Callable[[str, int, int], bool]:
        def progress(stage: str, current: int, total: int) -> bool:
            run.emit(ProgressEvent(stage, current, total))
            # Pause holds the preparation too; stop cancels it (returning False).
            return bool(run.control.wait_if_paused()) and not run.control.should_stop

        return progress


def _describe(exc: BaseException) -> str:
    """A failed run's reason: a user error's own message; anything else names its class."""
    text = str(exc) or type(exc).__name__
    return text if isinstance(exc, BertbenchError) else f"{type(exc).__name__}: {text}"


def _history(path: Path) -> list[Any]:
    """The curve and probe events of a run's metrics.jsonl along the branch the model really
    took (points an interrupted attempt logged past the checkpoint a resume went back to are
    dropped), then a message saying so."""
    from bert_engine.tracking import read_events

    kept: list[Any] = []
    for event in read_events(path):
        if event.kind == "started" and getattr(event, "resumed", False):
            kept = [e for e in kept if e.step <= event.step]
        elif event.kind in ("step", "eval", "checkpoint", "probe"):
            kept.append(event)
    steps = sum(1 for e in kept if e.kind == "step")
    if steps:
        last = max(e.step for e in kept)
        kept.append(MessageEvent(f"history: {steps} logged step(s) up to step {last}"))
    return kept


def _check_inputs(preset: Preset, sections: tuple[str, ...]) -> None:
    """Missing input files stop a start with the field and path (not a failed run later)."""
    from bert_engine.presets import check_inputs

    check_inputs(preset, sections)
