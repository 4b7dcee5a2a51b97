"""What starts without torch: the preset schema, the preset verbs of the CLI, and the TUI up to
its filled preset list. Each check runs in a fresh interpreter and reads its `sys.modules`
(this test process has torch loaded already)."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIMIT = 180  # seconds; generous, the machine may be busy

# Defines heavy(): torch and the modules of the models and workflows loaded so far, printed as
# the last line. (The torch-free parts of the engine, e.g. tracking and training.events, may
# load: the Runs pane lists runs at start-up.)
HEAVY = """
import sys
WORKFLOWS = ("bert_engine.modeling", "bert_engine.inference", "bert_engine.training.pretrain",
             "bert_engine.training.finetune", "bert_engine.training.loop")
def heavy(prefixes=WORKFLOWS):
    print(sorted(m for m in sys.modules if m == "torch" or m.startswith(prefixes)), flush=True)
"""


def heavy_modules(code: str, cwd: Path, *args: str) -> list[str]:
    """What `code` (which calls `heavy()` last) reports, run in a new process."""
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    out = subprocess.run(
        [sys.executable, "-c", HEAVY + code, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": path},
        timeout=LIMIT,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return ast.literal_eval(out.stdout.strip().splitlines()[-1])


def test_the_schema_imports_neither_torch_nor_a_workflow(tmp_path: Path) -> None:
    code = """
from bert_engine.presets import Preset, load_preset
Preset.model_json_schema()
assert load_preset("classify-quickstart").finetune is not None
heavy(("bert_engine.training", "bert_engine.tracking", "bert_engine.data", *WORKFLOWS))
"""
    assert heavy_modules(code, tmp_path) == []


def test_listing_and_validating_presets_does_not_import_torch(tmp_path: Path) -> None:
    code = """
import contextlib, io
from workbench.cli import main
with contextlib.redirect_stdout(io.StringIO()) as out:
    assert main(["presets", "list"]) == 0
    assert main(["presets", "validate", "quickstart", "classify-quickstart"]) == 0
    assert main(["presets", "show", "quickstart"]) == 0
assert "classify-quickstart" in out.getvalue()
heavy()
"""
    assert heavy_modules(code, tmp_path) == []


def test_listing_presets_does_not_even_build_the_schema(tmp_path: Path) -> None:
    code = """
import contextlib, io
from workbench.cli import main
with contextlib.redirect_stdout(io.StringIO()) as out:
    assert main(["presets", "list"]) == 0
assert "classify-quickstart" in out.getvalue()
heavy(("pydantic", "bert_engine.schema", "bert_engine.presets"))
"""
    assert heavy_modules(code, tmp_path) == []


def test_the_tui_draws_and_lists_presets_without_torch(tmp_path: Path) -> None:
    code = """
import asyncio
from textual.widgets import OptionList
from workbench.tui.app import BertbenchApp

async def start():
    app = BertbenchApp(root=sys.argv[1])
    async with app.run_test(size=(120, 40)) as pilot:
        assert "torch" not in sys.modules  # the first frame is drawn
        options = app.query_one("#preset-list", OptionList)
        while options.option_count == 0:  # the pane's worker fills it
            await pilot.pause(0.05)
        heavy()
        await app.workers.wait_for_complete()  # leave cleanly

asyncio.run(start())
"""
    assert heavy_modules(code, tmp_path, str(tmp_path)) == []
