"""Full garbage collections at quiet moments instead of in the middle of a key press.

CPython runs a full (generation 2) collection whenever enough objects have survived; with
Textual's caches, and torch loaded, one takes 50-150 ms on a 2-core machine, and it comes
every few dozen repaints — exactly when the user presses keys. The young generations stay
automatic (they are cheap); the full collection runs from a timer once input has been quiet
for a moment, or after `max_wait_s` at the latest, so memory is still reclaimed.
"""

from __future__ import annotations

import gc
import sys
import time

# A generation-2 threshold no program reaches: automatic full collections are off.
NEVER = 1_000_000


class IdleCollector:
    def __init__(self, quiet_s: float = 1.0, every_s: float = 5.0, max_wait_s: float = 30.0):
        self.quiet_s, self.every_s, self.max_wait_s = quiet_s, every_s, max_wait_s
        self.last_input = self.last_collect = time.monotonic()
        self.collections = 0
        self._saved: tuple[int, ...] | None = None

    def start(self) -> None:
        self._saved = gc.get_threshold()
        gen0, gen1 = self._saved[0], self._saved[1]
        gc.set_threshold(gen0, gen1, NEVER)

    def stop(self) -> None:
        if self._saved is not None:
            gc.set_threshold(*self._saved)
            self._saved = None

    def touch(self) -> None:
        """Input arrived: hold the full collection until it has been quiet a while."""
        self.last_input = time.monotonic()

    def tick(self) -> bool:
        """Called from a timer; collects when due. True when it collected."""
        now = time.monotonic()
        since = now - self.last_collect
        quiet = now - self.last_input >= self.quiet_s
        if (quiet and since >= self.every_s) or since >= self.max_wait_s:
            gc.collect()
            self.last_collect = time.monotonic()
            self.collections += 1
            return True
        return False


_modules_frozen = 0  # len(sys.modules) at the last freeze


def freeze_loaded_objects() -> None:
    """Move every object alive now out of the garbage collector's reach. Called once the
    engine (torch) is imported: its ~200k long-lived objects would otherwise make each full
    collection, which comes every few thousand repaints, freeze the interface for 0.1-0.5 s.

    Only when modules were imported since the last freeze, and after a collection: frozen
    objects are never collected, so freezing on every run listing (each second while a run
    trains) kept all cyclic garbage of the moment forever, a leak of ~1,500 objects a second."""
    global _modules_frozen
    loaded = len(sys.modules)
    if loaded <= _modules_frozen:
        return
    gc.collect()
    gc.freeze()
    _modules_frozen = loaded
