"""Cooperative pause / resume / stop for a running training loop.

One `RunControl` is shared between the loop (which checks it once per optimizer step) and
whoever steers the run: Ctrl-C in the CLI, a Stop button in the web panel, quitting the TUI.
Everything is built on `threading.Event`, so any thread may call any method at any time.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType


class RunControl:
    """Thread-safe switches a training loop polls between steps.

    Nothing is interrupted mid-step: a stop or pause takes effect at the next step boundary,
    which is what keeps checkpoints consistent.
    """

    def __init__(self) -> None:
        self._stop = threading.Event()
        # Set while the run may proceed; cleared while paused. Waiting on a set Event is free.
        self._running = threading.Event()
        self._running.set()

    def pause(self) -> None:
        """Ask the loop to wait at the next step boundary until `resume()` or `stop()`."""
        self._running.clear()

    def resume(self) -> None:
        """Let a paused loop continue."""
        self._running.set()

    def stop(self) -> None:
        """Ask the loop to checkpoint and end at the next step boundary (also ends a pause)."""
        self._stop.set()
        # A paused loop must wake up to notice the stop request.
        self._running.set()

    @property
    def should_stop(self) -> bool:
        return self._stop.is_set()

    @property
    def is_paused(self) -> bool:
        return not self._running.is_set() and not self._stop.is_set()

    def wait_if_paused(self, timeout: float | None = None) -> bool:
        """Block while paused. Returns True when the run may go on, False when it should stop.

        With a `timeout` (seconds) it returns after at most that long; check `is_paused` then.
        """
        self._running.wait(timeout)
        return not self._stop.is_set()

    def reset(self) -> None:
        """Clear a stop request and any pause, so the same object can steer a new run."""
        self._stop.clear()
        self._running.set()

    def __repr__(self) -> str:
        state = "stopping" if self.should_stop else "paused" if self.is_paused else "running"
        return f"RunControl({state})"


@contextlib.contextmanager
def stop_on_interrupt(control: RunControl) -> Iterator[RunControl]:
    """Within the block, the first Ctrl-C (SIGINT) asks the run to stop cleanly — finish the
    step, checkpoint, emit `cancelled` — and a second Ctrl-C interrupts at once.

    Signal handlers can only be installed from the main thread; elsewhere this does nothing
    (a UI that runs training in a worker thread calls `control.stop()` itself).
    """
    if threading.current_thread() is not threading.main_thread():
        yield control
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        if control.should_stop:
            raise KeyboardInterrupt
        control.stop()

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield control
    finally:
        signal.signal(signal.SIGINT, previous)
