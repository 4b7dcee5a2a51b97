"""'Use in a preset': the key and workspace-relative value for a tokenizer, run or file, and the
warning for fine-tuning from a run that did not finish."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from workbench.services import Workspace
from workbench.services.use import check_init, file_value, run_value, tokenizer_value

PRETRAIN = {"model": {"size": "tiny"}, "pretrain": {"max_steps": 5}}
FINETUNE = {"finetune": {"init": "random"}, "classification": {"train": "a.csv"}}


def fake_run(runs: Path, name: str, status: str, steps: list[int]) -> Path:
    """A run folder as tracking writes it: summary.json and step-* checkpoints."""
    run = runs / name
    for step in steps:
        folder = run / "checkpoints" / f"step-{step:06d}"
        folder.mkdir(parents=True)
        (folder / "model.safetensors").write_bytes(b"")
    (run / "checkpoints" / "latest").write_text(f"step-{steps[-1]:06d}")
    (run / "summary.json").write_text(json.dumps({"name": name, "status": status, "step": 7}))
    return run


def test_values_go_to_the_right_key_relative_to_the_workspace(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    tok = ws.area("tokenizers") / "wp"
    assert tokenizer_value(ws, PRETRAIN, tok, "wp").key == "tokenizer.path"
    assert tokenizer_value(ws, PRETRAIN, tok, "wp").value == "tokenizers/wp"
    assert tokenizer_value(ws, FINETUNE, tok, "wp").key == "finetune.tokenizer"
    run = ws.runs_dir / "r1"
    assert run_value(ws, FINETUNE, run).key == "finetune.init"
    assert run_value(ws, PRETRAIN, run).key == "pretrain.init_from"
    assert run_value(ws, PRETRAIN, run).value == "runs/r1"
    outside = tmp_path / "elsewhere" / "data.csv"
    use = file_value(ws, FINETUNE, outside)
    assert (use.key, use.value) == ("classification.train", str(outside.resolve()))
    assert file_value(ws, PRETRAIN, outside).key == "data.source"


def test_unfinished_init_run_warns_with_its_checkpoint_step(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    stopped = fake_run(runs, "stopped-run", "cancelled", [3, 7])
    check = check_init(str(stopped), runs)
    assert check is not None and check.step == 7 and check.status == "stopped"
    assert check.warning is not None and "step 7" in check.warning
    assert "stopped" in check.warning
    done = fake_run(runs, "done-run", "finished", [5])
    finished = check_init(str(done), runs)
    assert finished is not None and finished.warning is None and finished.step == 5
    assert check_init("random", runs) is None


def test_export_step_is_the_checkpoint_export_uses(tmp_path: Path) -> None:
    from workbench.services import Services

    services = Services(tmp_path / "ws")
    fake_run(services.workspace.runs_dir, "r", "finished", [2, 9])
    assert services.runs.export_step("r") == 9


def test_launched_in_the_checkout_the_workspace_is_an_ignored_folder(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bert_engine.preset_files import bundled_dir
    from workbench.services import WORKSPACE_ENV, default_root

    checkout = bundled_dir().parent
    monkeypatch.delenv(WORKSPACE_ENV, raising=False)
    monkeypatch.chdir(checkout)
    root = Path(default_root())
    assert root == checkout / "workspace"
    if (checkout / ".git").exists():  # a git checkout: the folder is ignored
        ignored = subprocess.run(
            ["git", "check-ignore", "-q", str(root / "presets" / "mine.toml")], cwd=checkout
        )
        assert ignored.returncode == 0
