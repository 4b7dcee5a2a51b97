"""Error analysis of fine-tuned runs (issue #16 item 4): a tiny real run on a generated task
with noisy labels (so the model makes mistakes), checked against hand counts of its own
predictions file."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from kit.errors import data_settings, finetuned_run

from bert_engine.data.classification import read_examples
from bert_engine.tracking import read_summary
from bert_engine.training.finetune import (
    FinetuneError,
    load_splits,
    read_results,
)
from bert_engine.training.finetune.analysis import (
    errors_file,
    evaluate_run,
    predictions_file,
    read_analysis,
    read_rows,
)
from workbench.cli import main


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("errors")
    return finetuned_run(tmp, tmp / "runs")


def _hand_confusion(rows: list[dict], labels: list[str]) -> list[list[int]]:
    matrix = [[0] * len(labels) for _ in labels]
    for row in rows:
        matrix[labels.index(row["true"])][labels.index(row["predicted"])] += 1
    return matrix


@pytest.mark.parametrize("split", ["validation", "test"])
def test_confusion_and_per_class_equal_hand_counts(run: Path, split: str) -> None:
    analysis = read_analysis(run)[split]
    labels = analysis["labels"]
    assert labels == ["food", "sport", "tech"]
    rows = read_rows(run / predictions_file(split))
    assert len(rows) == analysis["examples"] == read_results(run)["examples"][split]
    assert analysis["confusion_matrix"] == _hand_confusion(rows, labels)
    for k, (label, got) in enumerate(zip(labels, analysis["per_class"], strict=True)):
        tp = sum(1 for r in rows if r["true"] == label and r["predicted"] == label)
        predicted = sum(1 for r in rows if r["predicted"] == label)
        support = sum(1 for r in rows if r["true"] == label)
        precision = tp / predicted if predicted else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        assert got["label"] == label
        assert got["support"] == support == sum(analysis["confusion_matrix"][k])
        assert got["precision"] == pytest.approx(precision)
        assert got["recall"] == pytest.approx(recall)
        assert got["f1"] == pytest.approx(f1)
    # Each row's prediction is its most probable label, its confidence that probability.
    for row in rows:
        assert row["predicted"] == max(row["probabilities"], key=row["probabilities"].get)
        assert row["confidence"] == row["probabilities"][row["predicted"]]
        assert sum(row["probabilities"].values()) == pytest.approx(1.0, abs=1e-4)
    assert analysis["step"] == read_results(run)["best_step"]


def test_test_analysis_is_the_test_evaluation(run: Path) -> None:
    analysis = read_analysis(run)["test"]
    test = json.loads((run / "evaluation" / "test.json").read_text())
    assert analysis["confusion_matrix"] == test["confusion_matrix"]
    assert analysis["accuracy"] == pytest.approx(read_results(run)["test"]["accuracy"])
    # Beside the test metrics the tracker keeps in summary.json.
    summary = read_summary(run)
    assert summary["best"]["test/accuracy"]["value"] == pytest.approx(analysis["accuracy"])


@pytest.mark.parametrize("split", ["validation", "test"])
def test_errors_file_holds_exactly_the_wrong_rows_most_confident_first(
    run: Path, split: str
) -> None:
    predictions = read_rows(run / predictions_file(split))
    errors = read_rows(run / errors_file(split))
    wrong = [r for r in predictions if r["true"] != r["predicted"]]
    assert wrong, "noisy labels: the model must get some wrong"
    assert sorted(e["index"] for e in errors) == [r["index"] for r in wrong]
    assert len(errors) == read_analysis(run)[split]["errors"]
    confidences = [e["confidence"] for e in errors]
    assert confidences == sorted(confidences, reverse=True)
    # Each error carries its text, its true label and the tokens the model saw.
    splits = load_splits(data_settings(Path(json_config_train(run))))  # type: ignore[arg-type]
    examples = splits.test if split == "test" else splits.validation
    for e in errors:
        example = examples[e["index"]]
        assert e["text"] == example.text and e["true"] == example.label
        assert e["tokens"][0] == "[CLS]" and e["tokens"][-1] == "[SEP]"
        assert set(e["probabilities"]) == {"food", "sport", "tech"}


def json_config_train(run: Path) -> str:
    from bert_engine.tracking import read_config

    return str(read_config(run)["classification"]["train"])


def test_evaluate_recomputes_the_same_analysis(run: Path, tmp_path: Path) -> None:
    before = read_analysis(run)["test"]
    result = evaluate_run(run, split="test")
    assert result.saved
    after = read_analysis(run)
    assert after["test"]["confusion_matrix"] == before["confusion_matrix"]
    assert set(after) >= {"validation", "test"}  # the other split's analysis stays
    # Another labelled file: its own key and files, next to the splits'.
    path = tmp_path / "holdout.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([["text", "label"]] + [["tennis goal league", "sport"]] * 3)
    other = evaluate_run(run, data_file=path)
    assert other.split == "holdout.csv"
    saved = read_analysis(run)["file-holdout.csv"]
    assert saved["examples"] == 3 and saved["source"] == str(path)
    assert (run / "errors-file-holdout.csv.jsonl").is_file()
    assert len(read_examples(path)) == 3


def test_evaluate_verb_prints_the_per_class_table_and_matrix(
    run: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["evaluate", str(run), "--split", "validation"]) == 0
    out = capsys.readouterr().out
    analysis = read_analysis(run)["validation"]
    assert "precision  recall      f1  support" in out
    for row in analysis["per_class"]:
        line = next(x for x in out.splitlines() if x.startswith(row["label"] + " "))
        assert f"{row['precision']:.4f}" in line and f"{row['support']}" in line.split()[-1]
    assert "confusion matrix (rows: true label, columns: predicted)" in out
    assert f"{analysis['errors']} misclassified" in out


def test_a_pre_training_run_is_refused_clearly(tmp_path: Path) -> None:
    folder = tmp_path / "pre"
    folder.mkdir()
    (folder / "config.toml").write_text("[model]\n")
    (folder / "checkpoints").mkdir()
    with pytest.raises(FinetuneError, match="pre-training run"):
        evaluate_run(folder)
