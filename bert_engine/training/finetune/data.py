"""Fine-tuning data and metrics: the labelled splits, the epoch batches (resumable), and
accuracy / macro-F1 / confusion matrix of a classifier."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bert_engine.schema import ClassificationDataSettings
from bert_engine.training.finetune.plan import FinetuneError

if TYPE_CHECKING:
    import torch
    from torch import nn

    from bert_engine.data.classification import ClassificationData, ClassificationDataset

# One padded batch: input_ids, token_type_ids, attention_mask, labels.
Batch = dict[str, "torch.Tensor"]


# ----------------------------------------------------------------------------- data
def load_splits(data: ClassificationDataSettings) -> ClassificationData:
    """Train / validation / test examples and the label vocabulary (from train only)."""
    from bert_engine.data.classification import Columns, load_classification
    from bert_engine.data.demo_labels import DEMO_TASK, demo_task_path

    def resolve(value: str | None) -> str | None:
        # "demo" is the built-in task; a preset loader may have made it absolute.
        if value is not None and Path(value).name == DEMO_TASK and not Path(value).exists():
            return str(demo_task_path())
        return value

    train = resolve(data.train)
    assert train is not None
    if data.format != "auto":
        for value in (train, data.validation, data.test):
            name = Path(value).name.lower().removesuffix(".gz") if value else ""
            if value and not name.endswith(f".{data.format}"):
                raise FinetuneError(
                    f"{value}: format = {data.format!r} but the file name does not end in "
                    f".{data.format}; rename it or use format = 'auto'"
                )
    return load_classification(
        train,
        resolve(data.validation),
        resolve(data.test),
        columns=Columns(text=data.text_column, pair=data.text_pair_column, label=data.label_column),
        validation_fraction=data.validation_fraction,
        test_fraction=data.test_fraction,
        seed=data.split_seed,
    )


class EpochBatches:
    """Length-bucketed, shuffled (reseeded per epoch) padded batches of a ClassificationDataset.

    Resumable: ``state_dict`` is (epoch, next batch), so a resumed run reads the same batches."""

    def __init__(
        self, dataset: ClassificationDataset, batch_size: int, pad_id: int, seed: int
    ) -> None:
        from bert_engine.data.classification import ClassificationCollator
        from bert_engine.data.collate import LengthBucketSampler

        self.dataset = dataset
        self.sampler = LengthBucketSampler(dataset.lengths, batch_size, seed=seed)
        self.collate = ClassificationCollator(pad_id)
        self.epoch, self.position = 0, 0

    def __len__(self) -> int:
        return len(self.sampler)

    def set_epoch(self, epoch: int) -> None:
        if epoch != self.epoch:  # the same epoch again is a resume: keep the position
            self.epoch, self.position = epoch, 0

    def __iter__(self) -> Iterator[Batch]:
        self.sampler.set_epoch(self.epoch)
        for i, indices in enumerate(self.sampler):
            if i < self.position:
                continue
            self.position = i + 1
            yield self.collate([self.dataset[j] for j in indices])
        self.epoch, self.position = self.epoch + 1, 0

    def state_dict(self) -> dict[str, int]:
        return {"epoch": self.epoch, "position": self.position}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.epoch, self.position = int(state["epoch"]), int(state["position"])


def ordered_batches(dataset: ClassificationDataset, batch_size: int, pad_id: int) -> list[Batch]:
    """Evaluation batches in dataset order."""
    from bert_engine.data.classification import ClassificationCollator

    collate = ClassificationCollator(pad_id)
    return [
        collate([dataset[j] for j in range(i, min(i + batch_size, len(dataset)))])
        for i in range(0, len(dataset), batch_size)
    ]


# ----------------------------------------------------------------------------- metrics
def classification_metrics(
    labels: Sequence[int], predictions: Sequence[int], num_labels: int
) -> dict[str, Any]:
    """Accuracy, macro-F1 (over labels present in the truth or the predictions, as
    scikit-learn does) and the confusion matrix (rows: true label, columns: predicted)."""
    matrix = [[0] * num_labels for _ in range(num_labels)]
    for y, p in zip(labels, predictions, strict=True):
        matrix[y][p] += 1
    total = len(labels)
    correct = sum(matrix[i][i] for i in range(num_labels))
    f1s = []
    for k in range(num_labels):
        tp = matrix[k][k]
        predicted = sum(matrix[i][k] for i in range(num_labels))
        actual = sum(matrix[k])
        if predicted == 0 and actual == 0:
            continue
        precision = tp / predicted if predicted else 0.0
        recall = tp / actual if actual else 0.0
        f1s.append(2 * precision * recall / (precision + recall) if tp else 0.0)
    return {
        "accuracy": correct / total if total else 0.0,
        "macro_f1": sum(f1s) / len(f1s) if f1s else 0.0,
        "confusion_matrix": matrix,
    }


def evaluate_classifier(
    model: nn.Module,
    batches: Iterable[Mapping[str, torch.Tensor]],
    num_labels: int,
    device: torch.device | str | None = None,
) -> dict[str, Any]:
    """Loss (mean over examples), accuracy, macro-F1, confusion matrix and the predictions.
    The caller sets eval mode and no_grad."""
    import torch

    device = device or next(model.parameters()).device
    total_loss, count = 0.0, 0
    truth: list[int] = []
    predicted: list[int] = []
    for batch in batches:
        batch = {k: v.to(device) for k, v in batch.items()}
        out = model(**batch)
        n = int(batch["labels"].shape[0])
        loss = torch.nn.functional.cross_entropy(
            out.logits.float(), batch["labels"], reduction="sum"
        )
        total_loss += float(loss)
        count += n
        truth += batch["labels"].tolist()
        predicted += out.logits.argmax(-1).tolist()
    metrics = classification_metrics(truth, predicted, num_labels)
    metrics["loss"] = total_loss / count if count else float("nan")
    metrics["examples"] = count
    metrics["predictions"] = predicted
    return metrics


def metrics_report(
    metrics: Mapping[str, Any], labels: Sequence[str], split: str, step: int
) -> dict[str, Any]:
    """The JSON written per evaluation in the run's `evaluation/` folder."""
    return {
        "split": split,
        "step": step,
        "loss": metrics["loss"],
        "accuracy": metrics["accuracy"],
        "macro_f1": metrics["macro_f1"],
        "examples": metrics["examples"],
        "labels": list(labels),
        "confusion_matrix": metrics["confusion_matrix"],
    }
