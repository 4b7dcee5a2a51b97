"""The finetune / evaluate / classify / fill-mask verbs, run through the CLI entry point."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from kit.finetune import write_task

from bert_engine.training.finetune import read_results
from workbench.cli import main

PRESET = """
name = "tiny-cls"
extends = "quickstart"

[tokenizer]
vocab_size = 200
min_frequency = 1

[model]
size = "tiny"
num_layers = 1
hidden_size = 32
num_heads = 2
intermediate_size = 64
max_position_embeddings = 64

[data]
max_seq_len = 32

[classification]
train = "task.csv"
test_fraction = 0.2
batch_size = 8
max_seq_len = 32

[finetune]
init = "random"
epochs = 3
lr = 1e-2
device = "cpu"
precision = "fp32"

[tracking]
runs_dir = "{runs}"
tensorboard = false
"""


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("cli")
    write_task(tmp / "task.csv", n=150)
    preset = tmp / "tiny-cls.toml"
    preset.write_text(PRESET.format(runs=(tmp / "runs").as_posix()))
    assert main(["finetune", str(preset), "--quiet", "--set", "finetune.epochs=4"]) == 0
    (run,) = (tmp / "runs").iterdir()
    return run


def test_finetune_verb_trains_with_overrides(cli_run: Path) -> None:
    results = read_results(cli_run)
    assert results["status"] == "finished"
    assert results["steps"] == 4 * results["steps_per_epoch"]  # --set epochs=4 applied
    assert results["test"]["accuracy"] >= 0.8  # random weights, words decide the label


def test_classify_prints_labels_and_bars(cli_run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["classify", str(cli_run), "tennis goal league and the match"]) == 0
    out = capsys.readouterr().out
    assert "-> sport" in out
    assert out.count("%") == 3 and "█" in out


def test_evaluate_verb(cli_run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", str(cli_run)]) == 0
    out = capsys.readouterr().out
    accuracy = read_results(cli_run)["test"]["accuracy"]
    assert f"accuracy {accuracy:.4f}" in out  # the same test split and best checkpoint
    assert "confusion matrix" in out
    assert main(["evaluate", str(cli_run), "--split", "validation"]) == 0


def test_user_errors_are_one_line(
    cli_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["classify", str(tmp_path / "missing"), "text"]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["fill-mask", str(cli_run), "the [MASK]"]) == 2
    assert "masked-LM head" in capsys.readouterr().err
    assert main(["finetune"]) == 2
    assert "give a preset" in capsys.readouterr().err
    assert main(["finetune", "quickstart"]) == 2  # a pre-training preset: no [finetune]
    assert "no [finetune] and [classification]" in capsys.readouterr().err


def front_matter(card: str) -> dict:
    import yaml

    assert card.startswith("---\n")
    header, _, _ = card[4:].partition("\n---\n")
    return yaml.safe_load(header)


def test_export_writes_a_hub_model_card_and_still_loads_in_transformers(
    cli_run: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    out = tmp_path / "hf"
    assert main(["export", str(cli_run), "--out", str(out)]) == 0
    assert "model card README.md" in capsys.readouterr().out
    card = (out / "README.md").read_text(encoding="utf-8")
    meta = front_matter(card)
    assert meta["library_name"] == "transformers"
    assert meta["pipeline_tag"] == "text-classification"
    assert "bertbench" in meta["tags"]
    assert "accuracy" in meta["metrics"] and "base_model" not in meta  # init = "random"
    results = read_results(cli_run)
    assert f"| test/accuracy (last) | {results['test']['accuracy']:.4g} |" in card
    assert "`food`" in card and "`sport`" in card  # the labels
    assert re.search(r"exported from the checkpoint at step \d+\n", card)
    model = AutoModelForSequenceClassification.from_pretrained(out)
    tokenizer = AutoTokenizer.from_pretrained(out)
    with torch.no_grad():
        logits = model(**tokenizer(["tennis goal league"], return_tensors="pt")).logits
    assert logits.shape[-1] == 3
    # --push offline: the export is written, then one clear line; a bad name before anything.
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert main(["export", str(cli_run), "--out", str(tmp_path / "again"), "--push", "me/x"]) == 2
    assert "offline" in capsys.readouterr().err and (tmp_path / "again" / "README.md").is_file()
    assert main(["export", str(cli_run), "--out", str(tmp_path / "bad"), "--push", "../x"]) == 2
    assert "not a Hub model name" in capsys.readouterr().err
    assert not (tmp_path / "bad").exists()
