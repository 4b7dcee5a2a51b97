"""A rich progress display driven by the training event stream (and the preparation stages)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


class EventProgress:
    """`on_stage` for tokenizer/shard progress, `on_event` as a trainer listener."""

    def __init__(self, enabled: bool = True, console: Console | None = None) -> None:
        self.enabled = enabled
        self.console = console or Console(stderr=True)
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[info]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=self.console,
            disable=not enabled,
        )
        self._tasks: dict[str, TaskID] = {}

    def __enter__(self) -> EventProgress:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def _task(self, name: str, total: int | None) -> TaskID:
        if name not in self._tasks:
            self._tasks[name] = self.progress.add_task(name, total=total, info="")
        return self._tasks[name]

    def on_run_dir(self, run_dir: Path) -> None:
        if self.enabled:
            self.console.print(f"run folder: {run_dir}")

    def on_stage(self, stage: str, done: int, total: int) -> bool:
        task = self._task(stage, total or None)
        self.progress.update(task, completed=done, total=total or None)
        return True

    def on_event(self, event: Any) -> None:
        if not self.enabled:
            return
        kind = event.kind
        if kind == "started":
            task = self._task("train", event.total_steps)
            self.progress.update(task, completed=event.step)
            note = " (resumed)" if event.resumed else ""
            self.console.print(f"training on {event.device}, {event.precision}{note}")
        elif kind == "step":
            task = self._task("train", event.total_steps)
            info = f"loss {event.loss:.4f}  lr {event.lr:.2e}" if event.loss is not None else ""
            if event.tokens_per_s:
                info += f"  {event.tokens_per_s:,.0f} tok/s"
            # total too: under a time budget it is the estimated last step, refined every event.
            self.progress.update(task, completed=event.step, total=event.total_steps, info=info)
        elif kind == "eval":
            shown = ", ".join(
                f"{k} {v:.4g}" for k, v in event.metrics.items() if isinstance(v, (int, float))
            )
            self.console.print(f"step {event.step} {event.split}: {shown}")
        elif kind == "probe":
            for probe in event.probes:
                self.console.print(escape(probe_line(probe)), highlight=False)
        elif kind == "checkpoint":
            best = " (best)" if event.is_best else ""
            self.console.print(f"step {event.step}: checkpoint {event.path}{best}")
        elif kind == "failed":
            self.console.print(f"[red]failed at step {event.step}: {event.reason}")


def probe_line(probe: dict[str, Any]) -> str:
    """One fill-mask probe in a line: the sentence, the top guesses, the true word's rank."""
    text = str(probe["text"])
    if len(text) > 60:  # keep the [MASK] in view
        at = max(0, text.find("[MASK]") - 30)
        text = ("…" if at else "") + text[at : at + 60] + "…"
    guesses = ", ".join(f"{token} {p:.0%}" for token, p in probe["top"][:3])
    truth = ""
    if probe.get("answer"):
        truth = f"  (true: {probe['answer']}, rank {probe['rank']})"
    return f"  probe: {text} -> {guesses}{truth}"
