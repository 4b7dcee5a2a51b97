"""RunFeed: follow a run by polling, for a UI that asks rather than listens (the web panel's
timer). It keeps the cursor into `manager.events_since` and folds the new events into a
`live.LiveRun` — the same curves, figures and log the TUI builds from pushed events — and
splits the curves into the two charts the Train views draw: losses, and the 0..1 validation
metrics (accuracy, F1). No UI imports here; everything is plain lists and strings.

    feed = RunFeed()
    changed = feed.follow(manager, run_id)    # on every timer tick
    feed.loss_series(), feed.metric_series(), feed.status_text(), feed.live.log, feed.ended
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.services import probes as probe_tables
from workbench.services.live import LiveRun, results_line
from workbench.services.overrides import override_lines
from workbench.services.workspace import WorkspaceError

if TYPE_CHECKING:
    from workbench.services.manager import RunManager

TERMINAL = ("finished", "failed", "stopped")
MAX_POINTS = 1000  # per series handed to a chart; older points are thinned, not dropped

# A series: parallel lists of steps and values.
Series = tuple[list[int], list[float]]


def parse_overrides(text: str) -> list[str]:
    """`key=value` lines from a text box (blank lines and `#` comments skipped); the first line
    that is not `key=value` raises (`overrides.override_lines` lists them all)."""
    lines, problems = override_lines(text)
    if problems:
        first = problems[0]
        raise WorkspaceError(f"override line {first.line} ({first.text!r}) is {first.message}")
    return [line.text for line in lines]


def thin(steps: Sequence[int], values: Sequence[float], max_points: int = MAX_POINTS) -> Series:
    """At most `max_points` evenly spread points, always keeping the first and the last, so a
    long run's chart stays cheap to send every second."""
    n = len(steps)
    if n <= max_points or max_points < 2:
        return list(steps), list(values)
    stride = (n - 1) / (max_points - 1)
    picks = sorted({round(i * stride) for i in range(max_points)} | {n - 1})
    return [steps[i] for i in picks], [values[i] for i in picks]


@dataclass
class RunFeed:
    """What one UI session knows of one run; update it with `follow` (or `apply`)."""

    run_id: str | None = None
    cursor: int = 0  # for manager.events_since
    status: str = "idle"  # the manager's word: also "stopping", which has no event
    checkpoint: str | None = None  # the latest checkpoint written
    run_dir: str | None = None
    live: LiveRun = field(default_factory=LiveRun)
    results: str | None = None  # what the run achieved (`live.results_line`), once it ended

    name: str | None = None  # the run's identity: its folder name once it exists
    # Its fill-mask probe tables, one per evaluation, and the one shown.
    probes: probe_tables.ProbeHistory = field(default_factory=probe_tables.ProbeHistory)

    @property
    def ended(self) -> bool:
        return self.status in TERMINAL

    def follow(self, manager: RunManager, run_id: str) -> bool:
        """Fetch and fold the events since the last call; True when a curve got a point.

        Another run id than before starts over (a fresh feed for that run)."""
        if run_id != self.run_id:
            self.run_id, self.cursor, self.checkpoint, self.run_dir = run_id, 0, None, None
            self.live, self.results, self.name = LiveRun(), None, None
            self.probes = probe_tables.ProbeHistory()
        events, self.cursor = manager.events_since(run_id, self.cursor)
        changed = self.apply(events)
        snapshot = manager.status(run_id)
        self.status = snapshot.status
        self.name = snapshot.run_name
        if snapshot.run_dir is not None:
            self.run_dir = str(snapshot.run_dir)
        if self.ended and self.results is None and snapshot.run_dir is not None:
            # The last events come before the run's files are final (a fine-tuning run's test
            # scores): read the record once its thread is done.
            if not manager.wait(run_id, timeout=10).active:
                self.results = results_of(snapshot.run_dir)
                changed = True
        return changed

    def apply(self, events: Sequence[object]) -> bool:
        points = sum(len(s) for s, _ in self.live.series.values())
        for event in events:
            self.live.apply(event)
            self.probes.add(event)
            path = getattr(event, "path", None) or getattr(event, "checkpoint", None)
            if isinstance(path, str):
                self.checkpoint = path
        self.status = self.live.status  # follow() then takes the manager's word
        return sum(len(s) for s, _ in self.live.series.values()) != points

    # ------------------------------------------------------------------ showing
    def loss_series(self, max_points: int = MAX_POINTS) -> dict[str, Series]:
        """Train and evaluation losses, thinned for one chart (`LiveRun.loss_curves`)."""
        return {name: thin(*p, max_points) for name, p in self.live.loss_curves().items()}

    def metric_series(self, max_points: int = MAX_POINTS) -> dict[str, Series]:
        """0..1 evaluation metrics, thinned for a second chart (`LiveRun.metric_curves`)."""
        return {name: thin(*p, max_points) for name, p in self.live.metric_curves().items()}

    def status_text(self) -> str:
        """One line: what the run does now and how far it is."""
        if self.run_id is None:
            return "no run selected"
        head = f"{self.name or self.run_id}: {self.status}"
        live = self.live
        if self.status == "failed":
            return f"{head} at step {live.step}: {live.error or 'unknown error'}"
        if self.status == "starting" and live.stage is not None:
            what, done, total = live.progress()
            return (
                f"{head} · {what} {done:,}/{total:,}" if total > 0 else f"{head} · {what} {done:,}"
            )
        figures = [
            f"{name} {value}"
            for name, value in live.figures()
            if name != "status" and value != "-" and not (name == "ETA" and self.ended)
        ]
        if self.status == "stopped" and self.checkpoint:
            figures.append(f"checkpoint {Path(self.checkpoint).name}")
        line = " · ".join([head, *figures])
        return f"{line}\n{self.results}" if self.results else line


def results_of(run_dir: str | Path) -> str:
    """'results: ...' from a run folder's record (best chosen metric, test scores); '' when
    it has none."""
    from workbench.services.runs import info_of

    line = results_line(info_of(Path(run_dir)), head=False)
    return f"results: {line}" if line else ""
