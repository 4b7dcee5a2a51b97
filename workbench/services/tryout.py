"""What the playgrounds show, for both UIs: label scores, the tokens the model saw (as
highlight chips), the fill-mask predictions as rows, and the batch classification of a whole
file (`classify_file`, written as a CSV of predictions into the workspace's `exports/`).
Plain lists and dicts, no UI code."""

from __future__ import annotations

import csv
import io
import os
import re
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.services.runs import Classification, FillMaskOutput

if TYPE_CHECKING:
    from workbench.services import Services

MAX_BATCH_ROWS = 100_000  # rows a batch classification reads at most (a UI waits for it)

# A chip: (text, category) — the shape of a highlighted-text widget; None is uncoloured.
Chip = tuple[str, str | None]
# A prediction row: (mask number from 1, rank from 1, token, probability).
MaskRow = tuple[int, int, str, float]

_SPECIAL = re.compile(r"^\[[A-Z]+\]$|^<[a-z/]+>$")  # [CLS], [SEP], [PAD]; <s>, </s>, <pad>


def token_kind(token: str, mask_token: str | None = None) -> str:
    """ "mask", "special" ([CLS], [SEP]...), "piece" (a WordPiece continuation, `##ing`) or
    "word"."""
    if mask_token is not None and token == mask_token:
        return "mask"
    if _SPECIAL.match(token):
        return "special"
    if token.startswith("##"):
        return "piece"
    return "word"


def token_chips(tokens: list[str], mask_token: str | None = None) -> list[Chip]:
    """The tokens the model saw, each tagged with its kind, so the cuts are visible."""
    return [(token, token_kind(token, mask_token)) for token in tokens]


def label_scores(result: Classification) -> dict[str, float]:
    """Label -> probability, most probable first (what a label widget ranks)."""
    return {label: float(p) for label, p in result.probabilities}


def mask_scores(output: FillMaskOutput) -> list[dict[str, float]]:
    """For each mask, in order: candidate token -> probability, most probable first.

    Two candidates may read the same (e.g. `cat` and `##cat`): they stay apart, keyed as
    written, so no probability is lost or merged."""
    return [{token: float(p) for token, p in m.candidates} for m in output.masks]


def mask_rows(output: FillMaskOutput) -> list[MaskRow]:
    """Every candidate of every mask as one table row."""
    return [
        (number, rank, token, float(p))
        for number, m in enumerate(output.masks, 1)
        for rank, (token, p) in enumerate(m.candidates, 1)
    ]


def filled_chips(output: FillMaskOutput) -> list[Chip]:
    """The input's tokens with each mask replaced by its best guess, tagged "guess"; other
    tokens tagged by kind as in `token_chips`."""
    best = {m.position: m.candidates[0][0] for m in output.masks if m.candidates}
    return [
        (best[position], "guess") if position in best else (token, token_kind(token))
        for position, token in enumerate(output.tokens)
    ]


@dataclass(frozen=True)
class BatchResult:
    """A file classified by a run: the CSV written and what it holds."""

    output: Path  # <workspace>/exports/predictions-<run>-<time>.csv
    rows: int
    columns: list[str]  # the CSV's header: text, [text_pair], [label], predicted, p(<label>)...
    preview: list[list[str]]  # its first rows
    predicted_counts: dict[str, int]  # predicted label -> rows, most frequent first
    accuracy: float | None  # when the file has the run's label column
    # When the run's own text column is not in the file: (the run's, the one read instead).
    guessed: tuple[str, str] | None = None

    def summary(self) -> str:
        counts = ", ".join(f"{k} {v}" for k, v in self.predicted_counts.items())
        score = (
            f" · accuracy {self.accuracy:.3f} against its labels"
            if self.accuracy is not None
            else ""
        )
        said = f"{self.rows} rows classified ({counts}){score} → {self.output.name} in exports/"
        if self.guessed is not None:
            trained, read = self.guessed
            said += (
                f" · the file has no {trained!r} column (the run's text column): the texts "
                f"were read from {read!r}"
            )
        return said


def classify_file(
    services: Services,
    run: str | os.PathLike[str],
    path: str | os.PathLike[str],
    *,
    text_column: str | None = None,
    pair_column: str | None = None,
    preview_rows: int = 5,
    confined: bool = False,
) -> BatchResult:
    """Classify every row of a CSV/TSV/JSONL file with a fine-tuned run and write the
    predictions (text, predicted label, every label's probability; the true label too when the
    file has the run's label column) as a CSV into `exports/`.

    Columns default to the ones the run was trained on, else the file's suggested text column.
    A relative `path` is relative to the workspace; `confined` refuses one outside it."""
    from bert_engine.data.classification import Columns, read_examples
    from bert_engine.tracking import read_config

    run_dir = services.runs.path(run)
    trained = read_config(run_dir).get("classification", {})
    info = services.datafiles.inspect(
        path, text_column=text_column, pair_column=pair_column, confined=confined
    )
    if info.rows > MAX_BATCH_ROWS:
        raise ValueError(
            f"{info.path.name} has {info.rows} rows; classify at most {MAX_BATCH_ROWS} at once"
        )
    text = text_column or _present(trained.get("text_column"), info.columns) or info.suggested.text
    if text is None:
        raise ValueError(f"{info.path.name}: no text column found; choose one")
    pair = pair_column or _present(trained.get("text_pair_column"), info.columns)
    label = _present(trained.get("label_column"), info.columns)
    label = label if label not in (text, pair) else None
    examples = read_examples(info.path, Columns(text, pair, label), require_label=False)
    predictor = services.runs.predictor(run_dir)
    pairs = [e.text_pair or "" for e in examples] if pair else None
    predictions = predictor.classify([e.text for e in examples], pairs)
    labels = list(predictor.labels.labels) if predictor.labels is not None else []
    header = [text] + ([pair] if pair else []) + ([label] if label else []) + ["predicted"]
    header += [f"p({name})" for name in labels]
    rows: list[list[str]] = []
    right = known = 0
    for example, prediction in zip(examples, predictions, strict=True):
        row = [example.text] + ([example.text_pair or ""] if pair else [])
        if label:
            row.append(example.label or "")
            if example.label:
                known += 1
                right += example.label == prediction.label
        row.append(prediction.label)
        row += [f"{prediction.probabilities.get(name, 0.0):.4f}" for name in labels]
        rows.append(row)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    name = services.workspace.unique_name("exports", f"predictions-{run_dir.name}-{stamp}", ".csv")
    output = services.workspace.write_text("exports", name, buffer.getvalue())
    counts = Counter(p.label for p in predictions)
    return BatchResult(
        output=output,
        rows=len(rows),
        columns=header,
        preview=rows[:preview_rows],
        predicted_counts=dict(counts.most_common()),
        accuracy=right / known if known else None,
        guessed=(
            (str(trained["text_column"]), text)
            if text_column is None
            and isinstance(trained.get("text_column"), str)
            and trained["text_column"] != text
            else None
        ),
    )


def _present(column: object, columns: list[str]) -> str | None:
    return column if isinstance(column, str) and column in columns else None
