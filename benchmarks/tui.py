"""TUI responsiveness: first-frame time of `bertbench`, and key-press-to-repaint latency while
a real training run keeps the CPU busy in the same process.

    .venv/bin/python benchmarks/tui.py                 # 5 launches, 50 key presses
    .venv/bin/python benchmarks/tui.py --launches 3 --keys 30 --hidden 256

First frame: the real `bertbench` command is started in a pseudo-terminal (so Textual uses its
ordinary terminal driver, not the headless one) over an empty workspace; the time is from just
before the process is spawned to the moment the terminal receives the first frame, i.e. the
first output containing the tab labels of the drawn screen. Python start-up, imports and the
app's first layout are all inside it. In the same launch, the time until the Presets pane's
list is filled (bundled preset names on the screen) is taken too. The process is then
terminated.

Key latency: `BertbenchApp` runs under Pilot (headless) with a pre-training run started from
the Train pane's services (a model sized so that one step takes ~0.5-1 s on 2 cores; the
training thread uses every core, as the TUI would). The app's `_display` (called with each
compositor update) is wrapped to record when a frame is produced, and also to encode it as the
terminal bytes the real driver would write, so that cost is counted too. Per key press (the
tab shortcuts 1-5, cycling), latency = first frame that shows the new tab - moment the key
was sent. Median, p95 and max are printed; the target is under 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import pty
import random
import select
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FRAME_MARKERS = (b"Presets", b"Tokenizer")  # tab labels: present in the first drawn frame
# Bundled preset names: drawn once the Presets pane's list is filled (its worker has listed and
# read the presets and the form's schema).
LIST_MARKERS = (b"mlm-only", b"wikitext-mini-cpu")


# ---------------------------------------------------------------------------- first frame
# The peer: the smallest Textual app with the same two labels, launched the same way. Its
# first frame is the floor set by Python and Textual on this machine at this moment.
HELLO = """
from textual.app import App
from textual.widgets import Footer, Header, Label
class Hello(App):
    def compose(self):
        yield Header()
        yield Label("Presets Tokenizer")
        yield Footer()
Hello().run()
"""


def first_frame(workspace: Path, command: list[str], limit: float = 60.0) -> float:
    """Seconds from spawning `command` to its first frame reaching the terminal."""
    return shown_times(workspace, command, {"frame": FRAME_MARKERS}, limit)["frame"]


def stop_group(proc: subprocess.Popen, grace: float) -> None:
    """Stop a child started in its own process group (only that group): SIGTERM, then SIGKILL
    after `grace` seconds."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def shown_times(
    workspace: Path,
    command: list[str],
    stages: dict[str, tuple[bytes, ...]],
    limit: float = 60.0,
    env: dict[str, str] | None = None,
) -> dict[str, float]:
    """Seconds from spawning `command` to the terminal having received every marker of each
    stage (e.g. the first frame's tab labels, then a name of the filled preset list)."""
    master, slave = pty.openpty()
    env = {**(env or os.environ), "BERTBENCH_WORKSPACE": str(workspace), "TERM": "xterm-256color"}
    env.update(COLUMNS="120", LINES="40")
    start = time.perf_counter()
    proc = subprocess.Popen(
        command, stdin=slave, stdout=slave, stderr=slave, env=env,
        start_new_session=True, cwd=workspace,
    )  # fmt: skip
    os.close(slave)
    seen = b""
    times: dict[str, float] = {}
    try:
        while time.perf_counter() - start < limit:
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                try:
                    seen += os.read(master, 1 << 16)
                except OSError:  # the process ended
                    break
                now = time.perf_counter() - start
                for stage, markers in stages.items():
                    if stage not in times and all(marker in seen for marker in markers):
                        times[stage] = now
                if len(times) == len(stages):
                    return times
            if proc.poll() is not None:
                break
        tail = seen[-400:].decode("utf-8", "replace")
        missing = ", ".join(s for s in stages if s not in times)
        raise RuntimeError(f"no {missing} from {command} within {limit}s; output ends: {tail!r}")
    finally:
        stop_group(proc, grace=10)
        os.close(master)


# ---------------------------------------------------------------------------- key latency
def write_corpus(path: Path, n_docs: int = 1500, seed: int = 0) -> Path:
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(3000)]
    docs = [
        "\n".join(" ".join(rng.choices(words, k=rng.randint(8, 30))) + "." for _ in range(6))
        for _ in range(n_docs)
    ]
    path.write_text("\n\n".join(docs) + "\n", encoding="utf-8")
    return path


def busy_preset(tmp: Path, hidden: int, layers: int, seq: int, batch: int) -> Any:
    from bert_engine.presets import validate_preset

    return validate_preset(
        {
            "name": "bench-tui",
            "tokenizer": {"kind": "wordpiece", "vocab_size": 4000, "min_frequency": 1},
            "model": {
                "num_layers": layers, "hidden_size": hidden,
                "num_heads": max(1, hidden // 64), "intermediate_size": 4 * hidden,
                "max_position_embeddings": seq,
            },
            "data": {
                "source": str(write_corpus(tmp / "corpus.txt")), "max_seq_len": seq,
                "batch_size": batch, "held_out_fraction": 0.05, "eval_batches": 2,
                "workers": 1, "cache_dir": str(tmp / "cache"),
            },
            "pretrain": {
                "max_steps": 100000, "warmup_steps": 10, "log_every": 1, "eval_every": 50,
                "checkpoint_every": 100000, "device": "cpu", "precision": "fp32",
            },
            "tracking": {"tensorboard": False},
        }
    )  # fmt: skip


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def key_latency(
    tmp: Path, keys: int, model: dict[str, int], train: bool = True
) -> dict[str, Any]:
    from textual._compositor import CompositorUpdate
    from textual.widgets import TabbedContent

    from workbench.tui.app import TABS, BertbenchApp
    from workbench.tui.messages import RunStarted

    app = BertbenchApp(root=tmp / "ws")
    frames: list[tuple[float, str]] = []  # (time, active tab) of every frame produced
    display = app._display

    def recording_display(screen: Any, renderable: Any) -> None:
        display(screen, renderable)
        if renderable is None:
            return
        if isinstance(renderable, CompositorUpdate):
            renderable.render_segments(app.console)  # what the terminal driver would write
        try:
            active = app.query_one(TabbedContent).active
        except Exception:
            active = ""
        frames.append((time.perf_counter(), active))

    app._display = recording_display  # type: ignore[method-assign]
    (tmp / "ws").mkdir(parents=True, exist_ok=True)
    async with app.run_test(size=(120, 40)) as pilot:
        run_id = None
        if train:
            preset = busy_preset(tmp, **model)
            run_id = await asyncio.to_thread(app.services.manager.start_pretraining, preset)
            app.post_message(RunStarted(run_id))
            print(f"  waiting for {run_id} to prepare its data and take 3 steps...", flush=True)
            while app.services.manager.status(run_id).step < 3:
                status = app.services.manager.status(run_id)
                if not status.active:
                    raise RuntimeError(f"the training run ended: {status.status} {status.error}")
                await pilot.pause(0.2)
        else:  # the same app with no run: the reference the loaded numbers compare with
            await app.workers.wait_for_complete()  # the panes' first listings (engine import)

        def step() -> int:
            return app.services.manager.status(run_id).step if run_id else 0

        first = (step(), time.perf_counter())
        tab_ids = [tab_id for tab_id, _, _ in TABS]

        async def switch() -> tuple[str, float]:
            """Press the key of the next tab; (tab, seconds until a frame shows it)."""
            current = app.query_one(TabbedContent).active
            target = tab_ids[(tab_ids.index(current) + 1) % len(tab_ids)]  # each tab in turn
            sent = time.perf_counter()
            await pilot.press(str(tab_ids.index(target) + 1))
            while not any(t > sent and active == target for t, active in frames):
                await asyncio.sleep(0.002)
            shown = next(t for t, active in frames if t > sent and active == target)
            await asyncio.sleep(random.uniform(0.05, 0.15))  # a person's pace, varied
            return target, shown - sent

        # A tab's first showing lays out its widgets once: timed apart from the rest.
        first_visits = [await switch() for _ in tab_ids]
        latencies: list[float] = []
        by_tab: dict[str, list[float]] = {}
        for _ in range(keys):
            target, latency = await switch()
            latencies.append(latency)
            by_tab.setdefault(target, []).append(latency)
        last = (step(), time.perf_counter())
        steps = [first, last]
        if run_id:
            await asyncio.to_thread(app.services.manager.stop, run_id, wait=True, timeout=120)
    step_s = (steps[1][1] - steps[0][1]) / max(1, steps[1][0] - steps[0][0])
    return {
        "keys": keys,
        "median_ms": 1000 * statistics.median(latencies),
        "p95_ms": 1000 * percentile(latencies, 0.95),
        "max_ms": 1000 * max(latencies),
        "steps_during": steps[1][0] - steps[0][0],
        "step_s": step_s if run_id else float("nan"),
        "first_visits": {t: 1000 * v for t, v in first_visits},
        "by_tab": {t: (1000 * statistics.median(v), 1000 * max(v)) for t, v in by_tab.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--launches", type=int, default=5, help="first-frame launches")
    parser.add_argument("--keys", type=int, default=50, help="key presses to time")
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--seq", type=int, default=128)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--skip-first-frame", action="store_true")
    parser.add_argument("--skip-latency", action="store_true")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load {os.getloadavg()}")
    with tempfile.TemporaryDirectory(prefix="bertbench-tui-bench-") as name:
        tmp = Path(name)
        if not args.skip_first_frame:
            workspace = tmp / "first-frame"
            workspace.mkdir()
            bertbench = [str(Path(sys.executable).parent / "bertbench")]
            hello = [sys.executable, "-c", HELLO]
            times: dict[str, list[float]] = {"bertbench": [], "hello": [], "list": []}
            stages = {"frame": FRAME_MARKERS, "list": LIST_MARKERS}
            for _ in range(args.launches):  # interleaved: both see the same machine load
                shown = shown_times(workspace, bertbench, stages)
                times["bertbench"].append(shown["frame"])
                times["list"].append(shown["list"])
                times["hello"].append(first_frame(workspace, hello))
            for what, label in (("bertbench", "`bertbench`"), ("hello", "minimal Textual app")):
                t = times[what]
                print(
                    f"first frame of {label} ({args.launches} launches): median "
                    f"{statistics.median(t):.2f} s, min {min(t):.2f} s, max {max(t):.2f} s"
                )
            ratio = statistics.median(times["bertbench"]) / statistics.median(times["hello"])
            print(f"bertbench / minimal Textual app: {ratio:.2f}x (target: bertbench < 2 s)")
            t = times["list"]
            print(
                f"preset list filled in `bertbench` ({args.launches} launches): median "
                f"{statistics.median(t):.2f} s, min {min(t):.2f} s, max {max(t):.2f} s "
                "(target < 1.5 s)"
            )
        if not args.skip_latency:
            model = {k: getattr(args, k) for k in ("hidden", "layers", "seq", "batch")}
            idle = asyncio.run(key_latency(tmp / "idle", args.keys, model, train=False))
            print(
                f"key press -> repaint, no training ({idle['keys']} tab switches): median "
                f"{idle['median_ms']:.1f} ms, p95 {idle['p95_ms']:.1f} ms, "
                f"max {idle['max_ms']:.1f} ms"
            )
            print_by_tab(idle)
            result = asyncio.run(key_latency(tmp / "busy", args.keys, model))
            print(
                f"key press -> repaint with training active ({result['keys']} tab switches; "
                f"one step every {result['step_s']:.2f} s, {result['steps_during']} steps "
                f"meanwhile): median {result['median_ms']:.1f} ms, p95 {result['p95_ms']:.1f} ms, "
                f"max {result['max_ms']:.1f} ms (target < 100 ms)"
            )
            print_by_tab(result)
            print(f"load after: {os.getloadavg()}")


def print_by_tab(result: dict[str, Any]) -> None:
    shown = ", ".join(f"{t} {m:.0f}/{x:.0f}" for t, (m, x) in result["by_tab"].items())
    print(f"  by tab switched to (median/max ms): {shown}")
    shown = ", ".join(f"{t} {v:.0f}" for t, v in result["first_visits"].items())
    print(f"  first showing of each tab (ms, not in the numbers above): {shown}")


if __name__ == "__main__":
    main()
