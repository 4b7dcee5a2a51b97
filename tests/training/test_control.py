import os
import signal
import threading

import pytest

from bert_engine.training import RunControl, stop_on_interrupt


def test_starts_running_and_never_blocks():
    control = RunControl()
    assert not control.should_stop and not control.is_paused
    assert control.wait_if_paused() is True


def test_pause_blocks_a_worker_until_resume():
    control = RunControl()
    control.pause()
    assert control.is_paused
    passed = threading.Event()

    def worker():
        if control.wait_if_paused():
            passed.set()

    thread = threading.Thread(target=worker)
    thread.start()
    # Still blocked after a bounded wait (a liveness check, not a timing measurement).
    assert not passed.wait(0.1)
    control.resume()
    assert passed.wait(10)
    thread.join(10)
    assert not control.is_paused


def test_stop_wakes_a_paused_worker_and_reports_stop():
    control = RunControl()
    control.pause()
    results = []
    thread = threading.Thread(target=lambda: results.append(control.wait_if_paused()))
    thread.start()
    control.stop()
    thread.join(10)
    assert results == [False]
    assert control.should_stop and not control.is_paused


def test_wait_with_timeout_returns_while_still_paused():
    control = RunControl()
    control.pause()
    assert control.wait_if_paused(timeout=0.01) is True  # not stopped, just still paused
    assert control.is_paused


def test_reset_allows_reuse():
    control = RunControl()
    control.pause()
    control.stop()
    control.reset()
    assert not control.should_stop and not control.is_paused
    assert "running" in repr(control)


@pytest.mark.skipif(not hasattr(signal, "SIGINT") or os.name == "nt", reason="needs POSIX kill")
def test_first_ctrl_c_stops_cleanly_second_interrupts():
    control = RunControl()
    before = signal.getsignal(signal.SIGINT)
    with stop_on_interrupt(control):
        os.kill(os.getpid(), signal.SIGINT)
        assert control.should_stop  # no KeyboardInterrupt: the run will checkpoint and end
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
            for _ in range(1000):  # the handler runs between bytecodes of the main thread
                pass
    assert signal.getsignal(signal.SIGINT) is before


def test_ctrl_c_helper_is_inert_off_the_main_thread():
    control = RunControl()
    before = signal.getsignal(signal.SIGINT)
    seen = []

    def worker():
        with stop_on_interrupt(control):
            seen.append(signal.getsignal(signal.SIGINT))

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join(10)
    assert seen == [before] and not control.should_stop
