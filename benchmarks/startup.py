"""Start-up times of the workbench: `bertbench presets list`, the TUI until its preset list is
filled, and `bertbench web` until it serves its first page; with the floors they stand on.

    .venv/bin/python benchmarks/startup.py                         # 5 rounds
    .venv/bin/python benchmarks/startup.py --compare ../old-checkout --rounds 3

Every measurement is a fresh process started from this tree (PYTHONPATH), over an empty
workspace. `--compare DIR` measures another checkout of bertbench (with its native module)
the same way, interleaved round by round so both see the same machine load.

- presets list: wall time of `python -m workbench.cli presets list` (exits by itself).
- TUI: `python -m workbench.cli` in a pseudo-terminal (as benchmarks/tui.py): time to the
  first frame (tab labels on the screen) and to the filled preset list (bundled preset names).
- web: `python -m workbench.cli web --port P`; time until `GET /` answers 200.
- floors: `python -c pass`; `import pydantic, rich.console` (what `presets list` needs);
  `import textual.app`; `import gradio` (the web panel's own import); `import torch` (what
  the workbench no longer imports to start).
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from tui import FRAME_MARKERS, LIST_MARKERS, shown_times, stop_group  # benchmarks/tui.py

ROOT = Path(__file__).resolve().parents[1]
FLOORS = {
    "python -c pass": "pass",
    "import pydantic, rich.console": "import pydantic, rich.console",
    "import textual.app": "import textual.app",
    "import gradio": "import gradio",
    "import torch": "import torch",
}


def env_for(tree: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(tree), "GRADIO_ANALYTICS_ENABLED": "False"}


def timed(command: list[str], env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(command, env=env, cwd=cwd, check=True, capture_output=True, timeout=300)
    return time.perf_counter() - start


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def web_first_page(tree: Path, workspace: Path, limit: float = 180.0) -> float:
    """Seconds from spawning `bertbench web` to its first 200 answer on `/`."""
    port = free_port()
    command = [sys.executable, "-m", "workbench.cli", "web", "--port", str(port)]
    command += ["--workspace", str(workspace)]
    start = time.perf_counter()
    proc = subprocess.Popen(
        command, env=env_for(tree), cwd=workspace, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        while time.perf_counter() - start < limit:
            if proc.poll() is not None:
                err = proc.stderr.read().decode("utf-8", "replace")[-400:] if proc.stderr else ""
                raise RuntimeError(f"bertbench web ended ({proc.returncode}): {err}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as answer:
                    if answer.status == 200:
                        return time.perf_counter() - start
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.05)
        raise RuntimeError(f"bertbench web served nothing within {limit}s")
    finally:
        stop_group(proc, grace=20)


def one_round(tree: Path, tmp: Path, skip_web: bool) -> dict[str, float]:
    workspace = tmp / f"ws-{time.monotonic_ns()}"
    workspace.mkdir()
    env = env_for(tree)
    cli = [sys.executable, "-m", "workbench.cli"]
    out = {"presets list": timed([*cli, "presets", "list"], env, workspace)}
    shown = shown_times(
        workspace, cli, {"frame": FRAME_MARKERS, "list": LIST_MARKERS}, limit=120, env=env
    )
    out["TUI first frame"], out["TUI preset list"] = shown["frame"], shown["list"]
    if not skip_web:
        out["web first page"] = web_first_page(tree, workspace)
    return out


def summary(values: list[float]) -> str:
    median = statistics.median(values)
    return f"median {median:.2f} s (min {min(values):.2f}, max {max(values):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--compare", type=Path, help="another bertbench checkout to measure too")
    parser.add_argument("--skip-web", action="store_true")
    args = parser.parse_args()
    trees = {"this tree": ROOT}
    if args.compare is not None:
        trees["compare"] = args.compare.resolve()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load {os.getloadavg()}")
    results: dict[str, dict[str, list[float]]] = {name: {} for name in [*trees, "floors"]}
    with tempfile.TemporaryDirectory(prefix="bertbench-startup-") as name:
        tmp = Path(name)
        for _ in range(args.rounds):  # interleaved: every tree sees the same machine load
            for tree_name, tree in trees.items():
                for what, seconds in one_round(tree, tmp, args.skip_web).items():
                    results[tree_name].setdefault(what, []).append(seconds)
            for what, code in FLOORS.items():
                if args.skip_web and what == "import gradio":
                    continue
                seconds = timed([sys.executable, "-c", code], env_for(ROOT), tmp)
                results["floors"].setdefault(what, []).append(seconds)
    for tree_name, measured in results.items():
        where = f" ({trees[tree_name]})" if tree_name in trees else ""
        print(f"{tree_name}{where}, {args.rounds} rounds:")
        for what, values in measured.items():
            print(f"  {what:32} {summary(values)}")
    print(f"load after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
