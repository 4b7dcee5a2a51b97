"""Task-adaptive pre-training ([adapt], `bertbench adapt`, `finetune --adapt`) on tiny data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from kit.finetune import write_task
from kit.pretrain import write_preset

from bert_engine.presets import PresetError, load_preset
from bert_engine.tracking import read_events
from bert_engine.training.adapt import adaptation_preset, run_adaptation, training_texts
from bert_engine.training.finetune import finetune, load_splits, read_results
from workbench.cli import main

TASK = """
[finetune]
init = "{init}"
epochs = 2
lr = 1e-2
device = "cpu"
precision = "fp32"

[classification]
train = "task.csv"
{test}
validation_fraction = 0.15
test_fraction = 0.2
batch_size = 8
max_seq_len = 32

[adapt]
steps = {steps}
lr = 3e-3
warmup_steps = 2
batch_size = 8
eval_every = 10
checkpoint_every = 10
held_out_fraction = 0.1
"""


def _preset(
    folder: Path, init: str = "random", steps: int = 30, test: str = "", name: str = "task"
) -> Path:
    path = write_preset(folder, name=name, objective="mlm", steps=6, eval_every=3)
    write_task(folder / "task.csv", n=150)
    test_line = f'test = "{test}"' if test else ""
    path.write_text(
        path.read_text() + TASK.format(init=init, steps=steps, test=test_line), encoding="utf-8"
    )
    return path


def test_the_corpus_is_the_training_split_only(tmp_path: Path) -> None:
    preset = load_preset(str(_preset(tmp_path)))
    splits = load_splits(preset.classification)
    lines = training_texts(preset)
    assert sorted(lines) == sorted(e.text for e in splits.train)
    held = {e.text for e in splits.validation} | {e.text for e in splits.test}
    assert held and not held & set(lines) - {e.text for e in splits.train}

    # A separate test file is never opened: one that does not parse changes nothing.
    (tmp_path / "broken-test.csv").write_bytes(b"\xff\xfe not a csv \x00")
    with_test = load_preset(str(_preset(tmp_path, test="broken-test.csv", name="with-test")))
    assert len(training_texts(with_test)) > len(lines)  # test_fraction no longer carves train


def test_self_pre_training_learns_and_a_fine_tune_starts_from_it(tmp_path: Path) -> None:
    preset = load_preset(str(_preset(tmp_path, steps=40)))
    outcome = run_adaptation(preset)
    assert outcome.result.status == "finished" and outcome.result.step == 40
    run = outcome.run_dir
    assert run.name.startswith("task-adapt")
    losses = [e.loss for e in read_events(run) if e.kind == "step" and e.loss is not None]
    assert len(losses) >= 3 and losses[-1] < losses[0] - 0.3  # masked-LM loss falls
    config = adaptation_preset(preset, Path(preset.data.source))
    assert config.model.objective == "mlm" and config.pretrain.init_from is None

    tuned = finetune(load_preset(str(tmp_path / "task.toml"), [f"finetune.init={run}"]))
    init = json.loads((tuned / "init.json").read_text())
    assert init["source"].startswith(f"run:{run}")
    assert read_results(tuned)["status"] == "finished"


def test_adapting_a_pre_trained_run_keeps_its_tokenizer_and_weights(tmp_path: Path) -> None:
    import torch
    from safetensors.torch import load_file

    from bert_engine.training.pretrain import build_model, run_pretraining

    base = run_pretraining(load_preset(str(write_preset(tmp_path / "pre", objective="mlm+nsp"))))
    assert base.result.status == "finished"
    preset = load_preset(str(_preset(tmp_path, init=str(base.run_dir), steps=4)))
    adapted = adaptation_preset(preset, tmp_path / "corpus.txt")
    assert adapted.pretrain.init_from == str(base.run_dir.resolve())
    assert adapted.tokenizer.path == str((base.run_dir / "tokenizer.json").resolve())
    assert adapted.model.objective == "mlm"  # the NSP head is left out

    outcome = run_adaptation(preset)
    assert outcome.result.status == "finished"
    assert (outcome.run_dir / "tokenizer.json").read_text() == (
        base.run_dir / "tokenizer.json"
    ).read_text()
    # The adaptation's model started from the run's backbone (checked by loading as it did).
    model = build_model(adapted, 120)
    from bert_engine.training.pretrain import _load_weights

    _load_weights(model, str(base.run_dir))
    (last,) = sorted((base.run_dir / "checkpoints").glob("step-*"))[-1:]
    original = load_file(str(last / "model.safetensors"))
    name = "bert.embeddings.word.weight"
    assert torch.equal(model.state_dict()[name], original[name])


def test_cli_finetune_with_adapt_runs_both_and_errors_are_clear(tmp_path: Path, capsys) -> None:
    path = _preset(tmp_path, steps=10)
    assert main(["finetune", str(path), "--adapt", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "adapted:" in out and "test: accuracy" in out
    runs = sorted(p.name for p in (tmp_path / "runs").iterdir() if p.is_dir())
    assert any(n.startswith("task-adapt") for n in runs) and any(
        n.startswith("task-2") for n in runs
    )

    plain = write_preset(tmp_path / "plain", name="plain")
    assert main(["adapt", str(plain)]) == 2
    assert "no [adapt] section" in capsys.readouterr().err


def test_adapt_needs_finetune_and_classification(tmp_path: Path) -> None:
    path = write_preset(tmp_path, name="lonely")
    path.write_text(path.read_text() + "\n[adapt]\nsteps = 5\n", encoding="utf-8")
    with pytest.raises(PresetError, match=r"\[adapt\] needs \[finetune\] and \[classification\]"):
        load_preset(str(path))
