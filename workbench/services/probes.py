"""Fill-mask probe history of a run, as both UIs show it: one table per evaluation, and the
way to step back through them ("at step 200 it said `the`, at step 3,000 `river`")."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

COLUMNS = ("sentence", "true word", "rank", "top predictions")


@dataclass(frozen=True)
class ProbeTable:
    step: int
    rows: list[tuple[str, str, str, str]]  # COLUMNS, as text


def probe_history(run_dir: str | Path) -> list[Any]:
    """The run's probe events (`ProbeEvent`), oldest first; [] for a run without probes."""
    from bert_engine.tracking import read_events

    return [e for e in read_events(Path(run_dir)) if e.kind == "probe"]


def probe_table(events: list[Any], step: int | None = None) -> ProbeTable | None:
    """The probes at `step` (the latest evaluation at or before it; None: the last one)."""
    if not events:
        return None
    chosen = events[-1]
    if step is not None:
        before = [e for e in events if e.step <= step]
        chosen = before[-1] if before else events[0]
    rows = []
    for probe in chosen.probes:
        top = ", ".join(f"{token} {p:.0%}" for token, p in probe["top"])
        rank = "" if probe.get("rank") is None else str(probe["rank"])
        rows.append((str(probe["text"]), str(probe.get("answer") or ""), rank, top))
    return ProbeTable(chosen.step, rows)


def probe_steps(events: list[Any]) -> list[int]:
    """The evaluation steps that have probes (for a step picker)."""
    return [e.step for e in events]
