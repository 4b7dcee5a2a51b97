"""Fill-mask probe history of a run, as both UIs show it: one table per evaluation, and the
way to step back through them ("at step 200 it said `the`, at step 3,000 `river`").

`ProbeHistory` collects a run's probe events as they arrive (live, or replayed from the
start) and remembers which evaluation is shown: the newest (it then follows the run) or one
picked by stepping back. The TUI's probe table (tui/widgets/probe_table.py) and the web
Train tab's (web/tabs/train.py, its `RunFeed.probes`) both read it; no UI imports here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

COLUMNS = ("sentence", "true word", "rank", "top predictions")
MASK = "[MASK]"
ELLIPSIS = "…"


@dataclass(frozen=True)
class ProbeRow:
    """One probe sentence at one evaluation."""

    text: str  # with one [MASK]
    answer: str  # the true word; "" when the probe has none
    rank: int | None  # the true word's rank among all tokens (1 = top)
    top: tuple[tuple[str, float], ...]  # the top predictions, most probable first

    def cells(self) -> tuple[str, str, str, str]:
        """The row as text, in COLUMNS order."""
        rank = "" if self.rank is None else str(self.rank)
        return (self.text, self.answer, rank, format_top(self.top))


@dataclass(frozen=True)
class ProbeTable:
    step: int
    rows: list[tuple[str, str, str, str]]  # COLUMNS, as text
    index: int = 0  # this evaluation's place among the run's evaluations with probes (0-based)
    count: int = 1  # how many there are
    probes: tuple[ProbeRow, ...] = ()  # the rows as data (for highlighting, fitting a width)

    @property
    def latest(self) -> bool:
        return self.index == self.count - 1

    def label(self) -> str:
        """Where in the history this is: `step 200 (2/7)`; the newest says `latest`."""
        where = f"step {self.step:,} ({self.index + 1}/{self.count}"
        return where + (", latest)" if self.latest else ")")


def probe_history(run_dir: str | Path) -> list[Any]:
    """The run's probe events (`ProbeEvent`), oldest first; [] for a run without probes."""
    from bert_engine.tracking import read_events

    return [e for e in read_events(Path(run_dir)) if e.kind == "probe"]


def probe_table(events: list[Any], step: int | None = None) -> ProbeTable | None:
    """The probes at `step` (the latest evaluation at or before it; None: the last one)."""
    if not events:
        return None
    index = len(events) - 1
    if step is not None:
        before = [i for i, e in enumerate(events) if e.step <= step]
        index = before[-1] if before else 0
    chosen = events[index]
    probes = tuple(
        ProbeRow(
            str(p["text"]),
            str(p.get("answer") or ""),
            None if p.get("rank") is None else int(p["rank"]),
            tuple((str(token), float(prob)) for token, prob in p["top"]),
        )
        for p in chosen.probes
    )
    return ProbeTable(chosen.step, [p.cells() for p in probes], index, len(events), probes)


def probe_steps(events: list[Any]) -> list[int]:
    """The evaluation steps that have probes (for a step picker)."""
    return [e.step for e in events]


def format_probability(p: float) -> str:
    """`.21`, `1.00`, `.011`: two decimals, three under .1 (an untrained model's guesses all
    lie near 1/vocabulary), no leading zero."""
    text = f"{p:.2f}" if p >= 0.0995 else f"{p:.3f}"
    return text[1:] if text.startswith("0.") else text


def format_top(top: Any, limit: int | None = None) -> str:
    """`the .21 · a .09 · river .05`: the first `limit` predictions (all: None)."""
    shown = list(top)[:limit] if limit is not None else list(top)
    return " · ".join(f"{token} {format_probability(p)}" for token, p in shown)


def fit_sentence(text: str, width: int) -> str:
    """`text` in at most `width` characters, the [MASK] always visible: cut on both sides of
    it (marked …) so about as much context stays before as after."""
    if len(text) <= width:
        return text
    if width <= len(MASK):
        return text[:width]
    at = text.find(MASK)
    if at < 0:
        return text[: width - 1] + ELLIPSIS
    room = width - len(MASK)
    before = room // 2
    start = max(0, at - before)
    end = min(len(text), start + width)
    start = max(0, end - width)
    piece = text[start:end]
    if start > 0:
        piece = ELLIPSIS + piece[1:]
    if end < len(text):
        piece = piece[:-1] + ELLIPSIS
    return piece


@dataclass
class ProbeHistory:
    """A run's probe evaluations as they arrive, one per step, and the one shown.

    `index` is the evaluation shown (0-based), or None for the newest: then the table follows
    the run as new evaluations arrive. Stepping past the newest follows it again."""

    events: list[Any] = field(default_factory=list)
    index: int | None = None

    def add(self, event: Any) -> bool:
        """Take `event` if it is a probe event (a replay of one already here replaces it);
        True when it was one."""
        if getattr(event, "kind", None) != "probe":
            return False
        steps = [e.step for e in self.events]
        if event.step in steps:
            self.events[steps.index(event.step)] = event
        else:
            self.events.append(event)
            self.events.sort(key=lambda e: e.step)
        return True

    @property
    def count(self) -> int:
        return len(self.events)

    @property
    def steps(self) -> list[int]:
        return probe_steps(self.events)

    @property
    def position(self) -> int:
        """The evaluation shown (0-based; -1 while there is none)."""
        return self.count - 1 if self.index is None else min(self.index, self.count - 1)

    def move(self, delta: int) -> None:
        """`delta` evaluations later (> 0) or earlier (< 0); at the newest, follow again."""
        if not self.events:
            return
        self.pick(min(max(self.position + delta, 0), self.count - 1))

    def pick(self, index: int | None) -> None:
        """Show evaluation `index` (0-based); None or the newest: follow the run."""
        if index is None or index >= self.count - 1:
            self.index = None
        else:
            self.index = max(0, int(index))

    def table(self) -> ProbeTable | None:
        """The probes of the evaluation shown (None: no evaluation yet)."""
        if not self.events:
            return None
        return probe_table(self.events, self.events[self.position].step)
