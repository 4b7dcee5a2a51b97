"""Saying once that a followed run ended: what a UI shows (a toast, a notification) when the
run it follows finishes, is stopped, fails or is interrupted — and only when it saw the run
still going, so that a reload, a re-attach or the next poll of a run already over says nothing.

    ends = EndWatch()                  # one per view of a run (a browser session, a pane)
    feed.follow(manager, run_id)       # on every poll (services/runfeed.py)
    notice = ends.check(feed)          # an EndNotice once, at the end; None otherwise
    if notice: show(notice.text, warning=not notice.ok)

No UI imports here: the web panel turns a notice into `gr.Info` / `gr.Warning`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from workbench.services.live import ENDED
from workbench.services.runfeed import RunFeed

RESULTS = "results: "  # how RunFeed.results begins


@dataclass(frozen=True)
class EndNotice:
    """One line naming the run and how it ended; `ok` for a finished run (good news), not for
    a stopped, failed or interrupted one (a warning)."""

    run: str
    status: str
    text: str

    @property
    def ok(self) -> bool:
        return self.status == "finished"


def end_notice(feed: RunFeed) -> EndNotice | None:
    """The notice of a feed's run once it has ended (None while it goes on or with no run).

    `my-run finished · best validation/accuracy 0.8 at step 40 · test accuracy 0.81`,
    `my-run stopped at step 20 · checkpoint step-20 (Continue in Runs)`,
    `my-run failed at step 0: <reason>`."""
    if feed.run_id is None or feed.status not in (*ENDED, "interrupted"):
        return None
    name, status, live = feed.name or feed.run_id, feed.status, feed.live
    if status == "finished":
        results = (feed.results or "").removeprefix(RESULTS)
        text = f"{name} finished · {results}" if results else f"{name} finished at step {live.step}"
    elif status == "failed":
        text = f"{name} failed at step {live.step}: {live.error or 'unknown error'}"
    elif status == "stopped" and feed.checkpoint:
        checkpoint = Path(feed.checkpoint).name
        text = f"{name} stopped at step {live.step} · checkpoint {checkpoint} (Continue in Runs)"
    else:
        text = f"{name} {status} at step {live.step}"
    return EndNotice(name, status, text)


@dataclass
class EndWatch:
    """Whether a view has still to announce the end of the run it follows: it does once it
    saw the run going, once per run."""

    run_id: str | None = None
    going: bool = False  # saw the run before its end, not announced yet

    def check(self, feed: RunFeed) -> EndNotice | None:
        """After each `feed.follow`: the notice when the run has just ended, else None."""
        if feed.run_id != self.run_id:  # another run: a run already over is not news
            self.run_id, self.going = feed.run_id, False
        notice = end_notice(feed)
        if notice is None:
            self.going = feed.run_id is not None
            return None
        announce, self.going = self.going, False
        return notice if announce else None
