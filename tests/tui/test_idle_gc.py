"""IdleCollector: full collections only when input has been quiet (or overdue)."""

from __future__ import annotations

import gc
import time

import pytest

from workbench.tui.idle_gc import NEVER, IdleCollector


def test_thresholds_are_set_and_restored() -> None:
    before = gc.get_threshold()
    collector = IdleCollector()
    collector.start()
    try:
        assert gc.get_threshold() == (before[0], before[1], NEVER)
    finally:
        collector.stop()
    assert gc.get_threshold() == before


def test_collects_only_when_quiet_or_overdue(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    collector = IdleCollector(quiet_s=1.0, every_s=5.0, max_wait_s=30.0)
    now[0] += 6.0
    collector.touch()  # a key just now: not quiet
    assert not collector.tick()
    now[0] += 1.5  # quiet for 1.5 s and 7.5 s since the last collection
    assert collector.tick() and collector.collections == 1
    assert not collector.tick()  # just collected
    for _ in range(70):  # keys every 0.5 s for 35 s: never quiet, but overdue at 30 s
        now[0] += 0.5
        collector.touch()
        collector.tick()
    assert collector.collections == 2


def test_a_full_collection_frees_cycles() -> None:
    collector = IdleCollector(quiet_s=0.0, every_s=0.0)
    collector.start()
    try:

        class Node:
            pass

        a, b = Node(), Node()
        a.other, b.other = b, a  # a reference cycle only the collector can free
        import weakref

        ref = weakref.ref(a)
        del a, b
        assert collector.tick()
        assert ref() is None
    finally:
        collector.stop()


def test_freezing_keeps_garbage_collectable() -> None:
    import sys
    import types
    import weakref

    from workbench.tui.idle_gc import freeze_loaded_objects

    class Node:
        other: Node

    def cycle() -> weakref.ref[Node]:
        a, b = Node(), Node()
        a.other, b.other = b, a  # only the collector frees it
        return weakref.ref(a)

    try:
        # A module was imported: garbage of the moment is collected first, not frozen.
        before = cycle()
        sys.modules["_bertbench_freeze_probe"] = types.ModuleType("_bertbench_freeze_probe")
        freeze_loaded_objects()
        assert before() is None
        # Nothing imported since: a listing's call freezes nothing, later garbage is freed.
        later = cycle()
        freeze_loaded_objects()
        gc.collect()
        assert later() is None
    finally:
        del sys.modules["_bertbench_freeze_probe"]
        gc.unfreeze()
