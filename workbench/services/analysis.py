"""Error analysis of a fine-tuned run, for both UIs: the confusion matrix (with each cell's
share of its row, for shading a heatmap), the per-class table, and the misclassified
examples, filtered by true and/or predicted label, of one split.

    analysis = load_analysis(services.runs, run_id, split="test", true="sport")
    analysis.labels, analysis.matrix, analysis.shares, analysis.per_class, analysis.errors

What is read is what the engine wrote into the run folder
(`bert_engine.training.finetune.analysis`): a fine-tuning run writes it for its validation and
test splits when it finishes; `compute_analysis` (``bertbench evaluate``) writes it for a run
fine-tuned before that existed. Plain data, no UI code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bert_engine.errors import BertbenchError

if TYPE_CHECKING:
    from workbench.services.runs import RunLibrary

ANY = "any"  # a filter that keeps every label
RIGHT_RGB = (21, 128, 61)  # a heatmap cell on the diagonal at its row's full share: green
WRONG_RGB = (185, 28, 28)  # off the diagonal: red
PALE_RGB = (248, 250, 252)  # an empty cell on a light page
DARK_RGB = (60, 60, 70)  # an empty cell on a dark terminal
SPLIT_ORDER = ("test", "validation")  # the split shown first when none is asked for


class AnalysisError(BertbenchError, ValueError):
    """A run that has no analysis to show, said so that the user knows what to do."""


class NoAnalysisError(AnalysisError):
    """A finished fine-tuned run without a saved analysis (fine-tuned before it existed):
    `compute_analysis` makes one."""


@dataclass(frozen=True)
class ClassRow:
    label: str
    precision: float
    recall: float
    f1: float
    support: int  # examples whose true label it is
    predicted: int  # examples predicted as it


@dataclass(frozen=True)
class ErrorRow:
    index: int  # the example's position in its split
    text: str
    text_pair: str | None
    true: str
    predicted: str
    confidence: float  # the probability of the (wrong) predicted label
    probabilities: dict[str, float]
    tokens: list[str]


@dataclass(frozen=True)
class RunAnalysis:
    run_id: str
    split: str  # its key: validation, test, file-<name>
    splits: list[str]  # every split the run has an analysis of
    labels: list[str]
    matrix: list[list[int]]  # rows: true label, columns: predicted
    per_class: list[ClassRow]
    examples: int
    accuracy: float
    macro_f1: float
    step: int | None
    checkpoint: str | None
    source: str | None  # the file, for a split that is not the run's own
    total_errors: int
    errors: list[ErrorRow] = field(default_factory=list)  # filtered, most confident first
    true: str = ANY
    predicted: str = ANY

    @property
    def shares(self) -> list[list[float]]:
        """Each cell's share of its row (of the true label's examples): the heatmap shade."""
        return [[n / sum(row) if sum(row) else 0.0 for n in row] for row in self.matrix]

    def describe(self) -> str:
        """One line: split, checkpoint, accuracy, errors, what the filter keeps."""
        where = f"{self.split} ({self.source})" if self.source else self.split
        kept = ""
        if self.true != ANY or self.predicted != ANY:
            kept = f"; {len(self.errors)} shown (true {self.true}, predicted {self.predicted})"
        return (
            f"{where}: {self.examples} examples, {self.checkpoint or 'best checkpoint'}, "
            f"accuracy {self.accuracy:.4f}, macro-F1 {self.macro_f1:.4f}; "
            f"{self.total_errors} misclassified{kept}"
        )


def shade(
    share: float, right: bool, empty: tuple[int, int, int] = PALE_RGB
) -> tuple[int, int, int]:
    """A heatmap cell's colour for its share (0..1) of the true label's row: from `empty` to
    green on the diagonal (right), to red off it (wrong). Both UIs shade with it."""
    top = RIGHT_RGB if right else WRONG_RGB
    t = max(0.0, min(1.0, share))
    r, g, b = (round(a + (z - a) * t) for a, z in zip(empty, top, strict=True))
    return r, g, b


def ink(share: float) -> str:
    """The count's colour on a cell of that share: white on a strong shade, else dark."""
    return "#ffffff" if share > 0.5 else "#111827"


def class_table(analysis: RunAnalysis) -> list[list[Any]]:
    """The per-class table's rows: label, precision, recall, F1 (4 places), support."""
    return [
        [r.label, round(r.precision, 4), round(r.recall, 4), round(r.f1, 4), r.support]
        for r in analysis.per_class
    ]


CLASS_HEADERS = ["label", "precision", "recall", "F1", "support"]
ERROR_HEADERS = ["#", "true", "predicted", "confidence", "text"]


def error_table(analysis: RunAnalysis, limit: int | None = None) -> list[list[Any]]:
    """The error table's rows: index, true, predicted, confidence (4 places), text (and
    ` || pair`)."""
    rows = analysis.errors if limit is None else analysis.errors[:limit]
    return [
        [
            e.index,
            e.true,
            e.predicted,
            round(e.confidence, 4),
            e.text if e.text_pair is None else f"{e.text} || {e.text_pair}",
        ]
        for e in rows
    ]


def _run_path(runs: RunLibrary, run: str | Path) -> tuple[Path, str]:
    from workbench.services.runs import info_of

    path = runs.path(run)
    info = info_of(path)
    if info.kind == "pretrain":
        raise AnalysisError(
            f"{path.name} is a pre-training run: error analysis is for fine-tuned runs "
            "(pick a fine-tuned run)"
        )
    if info.kind != "finetune":
        raise AnalysisError(f"{path.name} is not a fine-tuning run (no labels.json)")
    return path, info.status


def _check_label(value: str | None, labels: list[str], what: str) -> str:
    if value is None or value == "" or value == ANY:
        return ANY
    if value not in labels:
        raise AnalysisError(f"no label {value!r} for {what}; the labels are {', '.join(labels)}")
    return value


def load_analysis(
    runs: RunLibrary,
    run: str | Path,
    split: str | None = None,
    *,
    true: str | None = None,
    predicted: str | None = None,
) -> RunAnalysis:
    """The run's analysis of `split` (else test, else validation, else the first there is),
    with the errors whose true / predicted label is `true` / `predicted` (None or "any": all).

    Raises `AnalysisError` for a pre-training run, a run still training or a split it has no
    analysis of, and `NoAnalysisError` for a finished run without any (fine-tuned before the
    analysis existed, or stopped early): `compute_analysis` makes one."""
    from bert_engine.training.finetune.analysis import read_analysis, read_rows

    path, status = _run_path(runs, run)
    saved = read_analysis(path)
    if not saved:
        if status in ("starting", "running", "paused", "stopping"):
            raise AnalysisError(
                f"{path.name} is still training; its error analysis is written when it finishes"
            )
        raise NoAnalysisError(
            f"{path.name} has no error analysis (it was fine-tuned before bertbench saved one, "
            f"or it did not finish); compute it: `bertbench evaluate {path} --split test`, or "
            "Compute here"
        )
    splits = sorted(saved, key=lambda k: (k not in SPLIT_ORDER, _order(k), k))
    key = split or splits[0]
    if key not in saved:
        raise AnalysisError(f"{path.name} has no analysis of {key!r}; it has {', '.join(splits)}")
    part = saved[key]
    labels = [str(x) for x in part.get("labels", [])]
    want_true = _check_label(true, labels, "the true-label filter")
    want_pred = _check_label(predicted, labels, "the predicted-label filter")
    file = path / str(part.get("errors_file") or f"errors-{key}.jsonl")
    try:
        rows = read_rows(file)
    except BertbenchError as exc:
        raise NoAnalysisError(
            f"{path.name}: the errors file of {key} is missing or unreadable ({exc}); "
            f"compute it again: `bertbench evaluate {path}`, or Compute here"
        ) from exc
    errors = [
        ErrorRow(
            index=int(r.get("index", 0)),
            text=str(r.get("text", "")),
            text_pair=r.get("text_pair"),
            true=str(r.get("true")),
            predicted=str(r.get("predicted")),
            confidence=float(r.get("confidence", 0.0)),
            probabilities={str(k): float(v) for k, v in (r.get("probabilities") or {}).items()},
            tokens=[str(t) for t in r.get("tokens", [])],
        )
        for r in rows
        if (want_true == ANY or r.get("true") == want_true)
        and (want_pred == ANY or r.get("predicted") == want_pred)
    ]
    return RunAnalysis(
        run_id=path.name,
        split=key,
        splits=splits,
        labels=labels,
        matrix=[[int(n) for n in row] for row in part.get("confusion_matrix", [])],
        per_class=[
            ClassRow(
                label=str(c["label"]),
                precision=float(c["precision"]),
                recall=float(c["recall"]),
                f1=float(c["f1"]),
                support=int(c["support"]),
                predicted=int(c.get("predicted", 0)),
            )
            for c in part.get("per_class", [])
        ],
        examples=int(part.get("examples", 0)),
        accuracy=float(part.get("accuracy") or 0.0),
        macro_f1=float(part.get("macro_f1") or 0.0),
        step=part.get("step"),
        checkpoint=part.get("checkpoint"),
        source=part.get("source"),
        total_errors=int(part.get("errors", len(rows))),
        errors=errors,
        true=want_true,
        predicted=want_pred,
    )


def _order(key: str) -> int:
    return SPLIT_ORDER.index(key) if key in SPLIT_ORDER else len(SPLIT_ORDER)


def compute_analysis(runs: RunLibrary, run: str | Path, split: str = "test") -> RunAnalysis:
    """Evaluate a finished fine-tuned run's best checkpoint on its `split` (test or
    validation), save the analysis in the run folder and return it (as `load_analysis`).
    Loads the model and predicts the whole split: call it off the UI thread."""
    from bert_engine.training.finetune.analysis import SPLITS, evaluate_run

    path, status = _run_path(runs, run)
    if status in ("starting", "running", "paused", "stopping"):
        raise AnalysisError(
            f"{path.name} is still training; its error analysis is written when it finishes"
        )
    if split not in SPLITS:
        raise AnalysisError(f"split must be one of {', '.join(SPLITS)}, not {split!r}")
    try:
        evaluate_run(path, split=split)
    except BertbenchError as exc:
        raise AnalysisError(f"cannot compute the analysis of {path.name}: {exc}") from exc
    return load_analysis(runs, path, split)
