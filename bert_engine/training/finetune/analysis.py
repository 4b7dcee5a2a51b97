"""Error analysis of a fine-tuned classifier on one split: the confusion matrix, per-class
precision / recall / F1 / support, every prediction with its probabilities, and the
misclassified examples, most confident first.

Written into the run folder (both atomically):

    summary.json            "analysis": {split: SplitAnalysis.summary()} beside the metrics
    predictions-<split>.jsonl   every example in split order: index, true, predicted,
                            confidence, probabilities (label -> p)
    errors-<split>.jsonl    the misclassified ones, most confident first, with their text
                            (and text pair) and the tokens the model saw

`finetune` writes it for the validation and test splits with the best checkpoint at the end
of a run; `evaluate_run` (``bertbench evaluate``) writes it for a split or any labelled file.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bert_engine.training.finetune.plan import FinetuneError

if TYPE_CHECKING:
    import torch
    from torch import nn

    from bert_engine.data.classification import ClassificationDataset, TextExample
    from bert_engine.tokenizers import Tokenizer

ANALYSIS_KEY = "analysis"  # in summary.json
SPLITS = ("validation", "test")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def split_key(split: str) -> str:
    """The name a split's analysis is kept under: ``validation``, ``test``, or
    ``file-<name>`` for another labelled file (only safe file-name characters)."""
    if split in SPLITS:
        return split
    name = _UNSAFE.sub("-", Path(split).name).strip("-.") or "data"
    return f"file-{name[:64]}"


def errors_file(split: str) -> str:
    return f"errors-{split_key(split)}.jsonl"


def predictions_file(split: str) -> str:
    return f"predictions-{split_key(split)}.jsonl"


def per_class(matrix: Sequence[Sequence[int]], labels: Sequence[str]) -> list[dict[str, Any]]:
    """Precision, recall, F1 and support of each label (rows of `matrix`: true label, columns:
    predicted). A label never predicted has precision 0; one never true has recall 0."""
    out = []
    for k, label in enumerate(labels):
        tp = matrix[k][k]
        predicted = sum(row[k] for row in matrix)
        support = sum(matrix[k])
        precision = tp / predicted if predicted else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
        out.append(
            {
                "label": label,
                "precision": precision,
                "recall": recall,
                "f1": f1,
                "support": support,
                "predicted": predicted,
            }
        )
    return out


@dataclass
class SplitAnalysis:
    """One split's predictions and what follows from them."""

    split: str  # validation, test, or a file's name
    labels: list[str]
    truth: list[int]
    predicted: list[int]
    probabilities: list[list[float]]  # per example, per label
    loss: float
    step: int | None = None
    checkpoint: str | None = None
    source: str | None = None  # the file, for a split that is not the run's own
    rows: list[dict[str, Any]] = field(default_factory=list)  # texts and tokens, per example
    saved: bool = False  # written into the run folder (`save_analysis`)

    @property
    def confusion_matrix(self) -> list[list[int]]:
        n = len(self.labels)
        matrix = [[0] * n for _ in range(n)]
        for y, p in zip(self.truth, self.predicted, strict=True):
            matrix[y][p] += 1
        return matrix

    @property
    def metrics(self) -> dict[str, Any]:
        """As `evaluate_classifier` returns them (loss, accuracy, macro_f1, confusion_matrix,
        examples, predictions), so the test evaluation is computed once."""
        from bert_engine.training.finetune.data import classification_metrics

        out = classification_metrics(self.truth, self.predicted, len(self.labels))
        out.update(loss=self.loss, examples=len(self.truth), predictions=list(self.predicted))
        return out

    def prediction_rows(self) -> list[dict[str, Any]]:
        out = []
        for i, (y, p, probs) in enumerate(
            zip(self.truth, self.predicted, self.probabilities, strict=True)
        ):
            out.append(
                {
                    "index": i,
                    "true": self.labels[y],
                    "predicted": self.labels[p],
                    "confidence": probs[p],
                    "probabilities": dict(zip(self.labels, probs, strict=True)),
                }
            )
        return out

    def error_rows(self) -> list[dict[str, Any]]:
        """The misclassified examples, most confident first (ties: split order)."""
        wrong = [
            {**row, **(self.rows[row["index"]] if self.rows else {})}
            for row in self.prediction_rows()
            if row["true"] != row["predicted"]
        ]
        return sorted(wrong, key=lambda r: (-r["confidence"], r["index"]))

    def summary(self) -> dict[str, Any]:
        """What summary.json keeps of it (no per-example rows)."""
        m = self.metrics
        return {
            "split": self.split,
            "source": self.source,
            "step": self.step,
            "checkpoint": self.checkpoint,
            "examples": len(self.truth),
            "errors": sum(1 for y, p in zip(self.truth, self.predicted, strict=True) if y != p),
            "loss": self.loss,
            "accuracy": m["accuracy"],
            "macro_f1": m["macro_f1"],
            "labels": list(self.labels),
            "confusion_matrix": self.confusion_matrix,
            "per_class": per_class(self.confusion_matrix, self.labels),
            "errors_file": errors_file(self.split),
            "predictions_file": predictions_file(self.split),
        }


def analyse(
    model: nn.Module,
    dataset: ClassificationDataset,
    examples: Sequence[TextExample],
    labels: Sequence[str],
    tokenizer: Tokenizer,
    *,
    split: str,
    batch_size: int,
    device: torch.device | str | None = None,
    step: int | None = None,
    checkpoint: str | None = None,
    source: str | None = None,
) -> SplitAnalysis:
    """Predict every example of `dataset` (encoded from `examples`, in order) with `model` and
    keep each one's probabilities. Sets eval mode and no_grad itself."""
    import torch

    from bert_engine.training.finetune.data import ordered_batches

    if len(dataset) != len(examples):
        raise FinetuneError(f"{len(dataset)} encoded rows for {len(examples)} examples")
    if tokenizer.pad_id is None:
        raise FinetuneError("the tokenizer has no [PAD] token; it cannot batch texts")
    device = device or next(model.parameters()).device
    was_training = model.training
    model.eval()
    total_loss = 0.0
    truth: list[int] = []
    predicted: list[int] = []
    probabilities: list[list[float]] = []
    try:
        with torch.no_grad():
            for batch in ordered_batches(dataset, batch_size, tokenizer.pad_id):
                batch = {k: v.to(device) for k, v in batch.items()}
                logits = model(**batch).logits.float()
                total_loss += float(
                    torch.nn.functional.cross_entropy(logits, batch["labels"], reduction="sum")
                )
                truth += batch["labels"].tolist()
                predicted += logits.argmax(-1).tolist()
                probabilities += torch.softmax(logits, dim=-1).cpu().tolist()
    finally:
        model.train(was_training)
    rows = []
    for i, example in enumerate(examples):
        ids = dataset.input_ids[i]
        row: dict[str, Any] = {"text": example.text}
        if example.text_pair is not None:
            row["text_pair"] = example.text_pair
        row["tokens"] = [tokenizer.id_to_token(int(t)) or "" for t in ids]
        rows.append(row)
    return SplitAnalysis(
        split=split,
        labels=list(labels),
        truth=truth,
        predicted=predicted,
        probabilities=probabilities,
        loss=total_loss / len(truth) if truth else float("nan"),
        step=step,
        checkpoint=checkpoint,
        source=source,
        rows=rows,
    )


def _jsonl(rows: Sequence[Mapping[str, Any]]) -> str:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def write_files(run_dir: str | os.PathLike[str], analysis: SplitAnalysis) -> dict[str, Any]:
    """The predictions and errors files (atomically); returns the summary part."""
    from bert_engine.files import atomic_write_text

    run = Path(run_dir)
    atomic_write_text(run / predictions_file(analysis.split), _jsonl(analysis.prediction_rows()))
    atomic_write_text(run / errors_file(analysis.split), _jsonl(analysis.error_rows()))
    return _finite(analysis.summary())


def save_analysis(
    run_dir: str | os.PathLike[str], analyses: Sequence[SplitAnalysis]
) -> dict[str, Any]:
    """Write the files of each analysis and merge their summaries into summary.json's
    ``analysis`` (atomically; other splits' analyses stay). For a run whose Tracker is closed;
    `finetune` puts the parts into its Tracker's summary instead."""
    from bert_engine.files import atomic_write_json
    from bert_engine.tracking import SUMMARY_FILE, read_summary

    run = Path(run_dir)
    summary = read_summary(run)
    if not summary:
        raise FinetuneError(f"{run} has no readable {SUMMARY_FILE}; it is not a finished run")
    parts = {split_key(a.split): write_files(run, a) for a in analyses}
    kept = summary.get(ANALYSIS_KEY)
    summary[ANALYSIS_KEY] = {**(kept if isinstance(kept, dict) else {}), **parts}
    atomic_write_json(run / SUMMARY_FILE, summary)
    for a in analyses:
        a.saved = True
    return parts


def read_analysis(run_dir: str | os.PathLike[str]) -> dict[str, dict[str, Any]]:
    """summary.json's ``analysis`` ({} for a run without one: fine-tuned before it existed,
    not finished, or a pre-training run)."""
    from bert_engine.tracking import read_summary

    value = read_summary(run_dir).get(ANALYSIS_KEY)
    if not isinstance(value, dict):
        return {}
    return {k: v for k, v in value.items() if isinstance(v, dict)}


def read_rows(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The rows of a predictions or errors file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise FinetuneError(f"{p}: cannot read it ({exc.strerror or exc})") from exc
    rows = []
    for n, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except ValueError as exc:
                raise FinetuneError(f"{p}:{n}: not a JSON line ({exc})") from exc
    return rows


def _finite(value: Any) -> Any:
    import math

    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def evaluate_run(
    run_dir: str | os.PathLike[str],
    *,
    split: str = "test",
    data_file: str | os.PathLike[str] | None = None,
    checkpoint: str | None = None,
    device: str = "cpu",
    save: bool = True,
) -> SplitAnalysis:
    """Evaluate a fine-tuned run's best (or `checkpoint`) model on its validation or test split,
    or on a labelled file (`data_file`, read with the run's column names), and (`save`) write
    the analysis into the run folder. A run still training is evaluated but not written to
    (its tracker owns summary.json)."""
    from bert_engine.data.classification import Columns, encode_examples, read_examples
    from bert_engine.inference import LABELS_FILE, Predictor, require_run_dir
    from bert_engine.schema import ClassificationDataSettings
    from bert_engine.tracking import read_config
    from bert_engine.training.finetune.data import load_splits

    run = require_run_dir(run_dir)
    if not (run / LABELS_FILE).is_file():
        raise FinetuneError(
            f"{run} is a pre-training run (no {LABELS_FILE}); error analysis is for fine-tuned runs"
        )
    if split not in SPLITS:
        raise FinetuneError(f"split must be one of {', '.join(SPLITS)}, not {split!r}")
    predictor = Predictor.from_run(run, checkpoint=checkpoint, device=device)
    assert predictor.labels is not None
    config = read_config(run)
    if "classification" not in config:
        raise FinetuneError(f"{run}/config.toml has no [classification] table")
    data = ClassificationDataSettings.model_validate(config["classification"])
    source = None
    if data_file is not None:
        columns = Columns(data.text_column, data.text_pair_column, data.label_column)
        examples = read_examples(Path(data_file), columns)
        name, source = str(Path(data_file).name), str(data_file)
    else:
        splits = load_splits(data)
        examples = splits.test if split == "test" else splits.validation
        name = split
        if not examples:
            raise FinetuneError(
                f"{run} has no {split} split (its fraction is 0 and no file was given); "
                "evaluate the other split or a labelled file"
            )
    tok = predictor.tokenizer
    encoded = encode_examples(examples, tok, predictor.labels, max_length=predictor.max_length)
    ckpt = predictor.checkpoint
    digits = ckpt.name.partition("step-")[2] if ckpt is not None else ""
    result = analyse(
        predictor.model,
        encoded,
        examples,
        predictor.labels.labels,
        tok,
        split=name,
        batch_size=predictor.batch_size,
        device=predictor.device,
        step=int(digits) if digits.isdigit() else None,
        checkpoint=ckpt.name if ckpt is not None else None,
        source=source,
    )
    if save and not _live(run):
        save_analysis(run, [result])
    return result


def _live(run: Path) -> bool:
    from bert_engine.tracking import read_summary, run_status

    return run_status(read_summary(run), run_dir=run) in ("starting", "running", "paused")


def format_table(summary: Mapping[str, Any]) -> str:
    """The per-class table and the confusion matrix of one analysis, as plain text (what
    ``bertbench evaluate`` prints)."""
    labels = list(summary["labels"])
    width = max([len(x) for x in labels] + [5])
    lines = [
        f"{'label':<{width}}  precision  recall      f1  support",
    ]
    for row in summary["per_class"]:
        lines.append(
            f"{row['label']:<{width}}  {row['precision']:9.4f}  {row['recall']:6.4f}  "
            f"{row['f1']:6.4f}  {row['support']:7d}"
        )
    cell = max([min(len(x), 8) for x in labels] + [len(str(summary["examples"]))])
    lines += ["", "confusion matrix (rows: true label, columns: predicted)"]
    lines.append(" " * (width + 2) + " ".join(f"{x[:cell]:>{cell}}" for x in labels))
    for label, row in zip(labels, summary["confusion_matrix"], strict=True):
        lines.append(f"{label:>{width}}  " + " ".join(f"{n:>{cell}}" for n in row))
    return "\n".join(lines)
