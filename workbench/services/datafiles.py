"""Labelled data files as the UIs show them: the columns of a CSV/TSV/JSONL file, a preview of
its first rows, its row count, the label counts of a chosen column, and the text / text-pair /
label columns a fine-tune would most likely use.

    info = services.datafiles.inspect("data/reviews.csv", label_column="stars")
    info.columns, info.rows, info.preview[:2], info.label_counts, info.suggested.text
    path = services.datafiles.upload("reviews.csv", data)      # kept in <workspace>/uploads/
    services.datafiles.overrides(path, text="review", label="stars")
    # ["classification.train=/.../uploads/reviews.csv", "classification.text_column=review", ...]

The rows come from the engine's own reader (`bert_engine.data.classification.iter_rows`), so
what is shown here is what training reads. Paths typed in a UI are relative to the workspace.
Torch-free: the engine's data modules import numpy only.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bert_engine.errors import BertbenchError
from workbench.services.workspace import Workspace

SUFFIXES = (".csv", ".tsv", ".jsonl", ".ndjson", ".csv.gz", ".tsv.gz", ".jsonl.gz")
PREVIEW_ROWS = 5
MAX_CELL = 80  # characters of a cell a preview shows
# Fields of a fine-tuning preset naming a labelled file; the TUI offers columns for `train`.
DATA_FIELDS = ("classification.train", "classification.validation", "classification.test")
COLUMN_FIELDS = (
    "classification.text_column",
    "classification.text_pair_column",
    "classification.label_column",
)
# Preset fields holding a file or folder path (the TUI completes them).
PATH_FIELDS = (
    *DATA_FIELDS,
    "data.source",
    "data.cache_dir",
    "tokenizer.path",
    "finetune.init",
    "finetune.tokenizer",
    "pretrain.init_from",
    "tracking.runs_dir",
)
_LABEL_NAMES = ("label", "labels", "class", "category", "target", "sentiment", "y", "stars")
_TEXT_NAMES = ("text", "sentence", "sentence1", "review", "content", "document", "body")
_TEXT_NAMES += ("question", "question1", "premise", "text_a", "title")
_PAIR_NAMES = ("text_pair", "sentence2", "hypothesis", "question2", "text_b", "pair", "answer")


class DataFileError(BertbenchError, ValueError):
    """A data file that cannot be shown: missing, empty, not UTF-8, an unknown column."""


@dataclass(frozen=True)
class Suggested:
    """The columns a fine-tune most likely uses (None: none fits)."""

    text: str | None
    pair: str | None
    label: str | None


@dataclass(frozen=True)
class DataFileInfo:
    path: Path
    format: str  # csv, tsv or jsonl
    columns: list[str]
    rows: int
    preview: list[dict[str, str]]  # the first rows, cells shortened to MAX_CELL characters
    label_column: str | None  # the column counted in label_counts
    label_counts: dict[str, int]  # label -> rows, most frequent first
    suggested: Suggested
    empty_cells: dict[str, int] = field(default_factory=dict)  # column -> rows without a value

    def preview_table(self) -> tuple[list[str], list[list[str]]]:
        """(headers, rows) of the preview, for a table widget."""
        return self.columns, [[row.get(c, "") for c in self.columns] for row in self.preview]

    def label_warning(self) -> str | None:
        """What looks wrong with the counted label column for a fine-tune, or None."""
        labels = len(self.label_counts)
        if not self.label_column:
            return "no label column found: choose one"
        if labels < 2:
            return f"fine-tuning needs at least 2 labels; {self.label_column!r} has {labels}"
        if labels > max(2, self.rows // 2):
            return (
                f"most rows have a label of their own in {self.label_column!r}: "
                "is it the label column?"
            )
        return None

    def summary(self) -> str:
        """One line: what the file is, for a status line."""
        labels = ""
        if self.label_column:
            counts = ", ".join(f"{k} {v}" for k, v in self.label_counts.items())
            labels = f" · {len(self.label_counts)} labels in {self.label_column!r}: {counts}"
        shape = f"{self.format}, {self.rows} rows, {len(self.columns)} columns"
        return f"{self.path.name}: {shape}{labels}"


class DataFileService:
    """Inspects and stores labelled data files for the workspace's UIs."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    def resolve(self, path: str | os.PathLike[str], *, confined: bool = False) -> Path:
        """A typed path: `~` expanded, relative to the workspace root. `confined` (the web
        panel): a path outside the workspace, symlinks followed, is refused."""
        text = str(path).strip()
        if not text or "\0" in text:
            raise DataFileError("no file given; type a path such as uploads/reviews.csv")
        p = Path(text).expanduser()
        p = p if p.is_absolute() else self.workspace.root / p
        if confined:
            try:
                self.workspace.ensure_inside(p)
            except (OSError, ValueError):
                raise DataFileError(
                    f"{Path(text).name!r} is not a file of this workspace; upload it first"
                ) from None
        return p

    def shown(self, path: Path) -> str:
        """`path` as a user typed it: relative to the workspace when inside it."""
        try:
            return str(path.relative_to(self.workspace.root))
        except ValueError:
            return str(path)

    def inspect(
        self,
        path: str | os.PathLike[str],
        *,
        label_column: str | None = None,
        text_column: str | None = None,
        pair_column: str | None = None,
        preview_rows: int = PREVIEW_ROWS,
        confined: bool = False,
    ) -> DataFileInfo:
        """What the file holds. Named columns must exist (a DataFileError lists those there);
        with no `label_column` the suggested one is counted. `confined`: see `resolve`."""
        from bert_engine.data.classification import iter_rows, table_format
        from bert_engine.data.errors import DataError
        from bert_engine.data.sources import TextFile, regular_file

        p = self.resolve(path, confined=confined)
        if not p.exists() and not p.is_symlink():
            raise DataFileError(
                f"{self.shown(p)} does not exist; give a .csv, .tsv or .jsonl file (a path "
                "relative to the workspace, such as uploads/reviews.csv)"
            )
        try:
            regular_file(p, "data file")
            fmt = table_format(p)
            f = TextFile(p)
        except DataError as exc:
            raise DataFileError(str(exc)) from None
        columns: list[str] = []
        rows: list[dict[str, Any]] = []
        try:
            for _, row in iter_rows(p, f):
                for key in row:
                    if key is not None and key not in columns:
                        columns.append(str(key))
                rows.append(row)
            invalid = f.invalid
        except DataError as exc:
            raise DataFileError(str(exc)) from None
        finally:
            f.close()
        if invalid:
            raise DataFileError(
                f"{p.name}: not UTF-8 text ({invalid} invalid byte sequence"
                f"{'s' if invalid != 1 else ''}); save it as UTF-8 and try again"
            )
        if not rows:
            raise DataFileError(
                f"{p.name}: the file is empty (no rows under the header); add one row per example"
            )
        for name, what in ((text_column, "text"), (pair_column, "text pair")):
            if name:
                _check_column(p, name, columns, what)
        suggested = suggest_columns(columns, rows)
        counted = label_column or suggested.label
        if label_column:
            _check_column(p, label_column, columns, "label")
        counts: Counter[str] = Counter()
        if counted:
            counts.update(_cell(row.get(counted)) or "(empty)" for row in rows)
        empty = {c: n for c in columns if (n := sum(1 for r in rows if not _cell(r.get(c))))}
        return DataFileInfo(
            path=p,
            format=fmt,
            columns=columns,
            rows=len(rows),
            preview=[_short(row, columns) for row in rows[:preview_rows]],
            label_column=counted,
            label_counts=dict(counts.most_common()),
            suggested=suggested,
            empty_cells=empty,
        )

    def upload(self, name: str, data: bytes) -> Path:
        """Keep an uploaded data file in `<workspace>/uploads/` (the workspace's name, size and
        UTF-8 checks); a name already there with other content gets a free variant
        (`reviews-2.csv`), the same content the file already there."""
        base = Path(name).name
        suffix = next((s for s in SUFFIXES if base.lower().endswith(s)), "")
        if not suffix:
            raise DataFileError(f"{base!r} is not a data file; upload a .csv, .tsv or .jsonl file")
        stem = base[: -len(suffix)]
        same = self.workspace.area("uploads") / f"{stem}{suffix}"
        if same.is_file() and same.stat().st_size == len(data) and same.read_bytes() == data:
            return same  # the same file uploaded again: no second copy
        free = self.workspace.unique_name("uploads", stem, suffix)
        return self.workspace.save_upload(free, data, suffixes=SUFFIXES)

    def overrides(
        self,
        path: str | os.PathLike[str],
        *,
        text: str,
        label: str,
        pair: str | None = None,
    ) -> list[str]:
        """The `key=value` overrides that fine-tune a preset on this file with these columns."""
        p = self.resolve(path)
        out = [
            f"classification.train={p}",
            f"classification.text_column={text}",
            f"classification.label_column={label}",
        ]
        if pair:
            out.append(f"classification.text_pair_column={pair}")
        return out


def suggest_columns(columns: list[str], rows: list[dict[str, Any]]) -> Suggested:
    """By name first (text, label, sentence2...), else by content: the label is the column with
    the fewest distinct values (2 at least; the shorter on a tie), the text the one with the
    longest cells."""
    lower = {c.lower(): c for c in columns}

    def by_name(names: tuple[str, ...], taken: set[str]) -> str | None:
        return next((lower[n] for n in names if n in lower and lower[n] not in taken), None)

    sample = rows[:1000]
    distinct = {c: len({_cell(r.get(c)) for r in sample}) for c in columns}
    length = {c: sum(len(_cell(r.get(c))) for r in sample) / len(sample) for c in columns}
    label = by_name(_LABEL_NAMES, set())
    if label is None:
        few = [c for c in columns if 2 <= distinct[c] <= max(2, min(50, len(sample) // 2))]
        # Ties (few rows): labels are short, texts long.
        label = min(few, key=lambda c: (distinct[c], length[c], columns.index(c))) if few else None
    taken = {label} if label else set()
    text = by_name(_TEXT_NAMES, taken)
    if text is None:
        rest = [c for c in columns if c not in taken]
        text = max(rest, key=lambda c: length[c]) if rest else None
    pair = by_name(_PAIR_NAMES, taken | ({text} if text else set()))
    return Suggested(text, pair, label)


def _check_column(path: Path, name: str, columns: list[str], what: str) -> None:
    if name not in columns:
        raise DataFileError(
            f"{path.name} has no column {name!r} (chosen as the {what} column); "
            f"its columns: {', '.join(columns)}"
        )


def _cell(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _short(row: dict[str, Any], columns: list[str]) -> dict[str, str]:
    out = {}
    for c in columns:
        text = " ".join(_cell(row.get(c)).split())
        out[c] = text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"
    return out
