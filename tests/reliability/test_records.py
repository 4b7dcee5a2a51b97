"""metrics.jsonl after a SIGKILL and a resume: every step once, losses continuous."""

from __future__ import annotations

import json
import signal

import pytest
from kit.records import long_preset, run_cli, start_cli, step_events, stop, wait_for

from bert_engine.tracking import cut_metrics, read_curves, read_events


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_sigkill_then_resume_records_every_step_once_with_continuous_losses(tmp_path):
    preset = long_preset(tmp_path, steps=120, every=10)
    log = tmp_path / "first.log"
    proc = start_cli("pretrain", str(preset), "--quiet", log=log)
    try:
        run = wait_for(tmp_path / "runs", proc, 25, log)
    finally:
        stop(proc)  # SIGKILL: no final event, a line may be cut mid-write
    killed = {e["step"]: e["loss"] for e in step_events(run)}
    latest = (run / "checkpoints" / "latest").read_text().strip()
    k = int(latest.removeprefix("step-"))
    assert max(killed) > k  # the killed attempt logged steps past its last checkpoint

    done = run_cli("pretrain", "--resume", str(run), "--quiet")
    assert done.returncode == 0, done.stdout + done.stderr

    steps = [e["step"] for e in step_events(run)]
    assert steps == list(range(1, 121))  # each step once, in order
    resumed = [e for e in read_events(run) if e.kind == "started" and e.resumed]
    assert [e.step for e in resumed] == [k]
    # The resumed attempt retrained k+1.. exactly as the killed one had: the same losses.
    again = {e["step"]: e["loss"] for e in step_events(run)}
    for step in range(k + 1, max(killed) + 1):
        assert again[step] == pytest.approx(killed[step], rel=1e-4, abs=1e-6)
    for step in range(1, k + 1):
        assert again[step] == killed[step]  # kept as written
    curve_steps, _ = read_curves(run)["train/loss"]
    assert curve_steps == list(range(1, 121))


def test_cut_metrics_keeps_events_up_to_the_step_and_drops_a_cut_line(tmp_path):
    lines = [
        {"event": "started", "step": 0, "total_steps": 9},
        *({"event": "step", "step": s, "total_steps": 9, "loss": 1.0, "lr": 0.1} for s in (1, 2)),
        {"event": "checkpoint", "step": 2, "path": "x", "is_best": False},
        *({"event": "step", "step": s, "total_steps": 9, "loss": 1.0, "lr": 0.1} for s in (3, 4)),
    ]
    text = "".join(json.dumps(x) + "\n" for x in lines) + '{"event": "step", "st'
    (tmp_path / "metrics.jsonl").write_text(text, encoding="utf-8")
    kept = cut_metrics(tmp_path, 2)
    assert [(e.kind, e.step) for e in kept] == [
        ("started", 0),
        ("step", 1),
        ("step", 2),
        ("checkpoint", 2),
    ]
    written = (tmp_path / "metrics.jsonl").read_text(encoding="utf-8")
    assert written.endswith("\n") and written.count("\n") == 4
    assert not list(tmp_path.glob(".*"))  # no temp file left behind
