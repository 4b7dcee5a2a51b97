"""Text classification data: CSV, TSV or JSONL files with a text column, an optional text-pair
column and a label column.

- ``read_examples(path)`` reads and checks rows (missing columns list what is there; empty texts
  and missing labels name the file and line).
- ``LabelVocab`` maps label strings to ids; it is built from the training split only, saved as
  JSON with the run, and rejects labels never seen in training with the file and line.
- ``load_classification(train, validation, test)`` reads the given files; a missing validation or
  test split is carved out of the training file by a seeded (by default stratified) split.
- ``encode_examples(examples, tokenizer, labels)`` tokenizes into a ``ClassificationDataset``
  (map-style, for a DataLoader with ``LengthBucketSampler`` and ``ClassificationCollator``).
"""

from __future__ import annotations

import json
import os
import random
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bert_engine.data.errors import DataError, DataFileNotFoundError
from bert_engine.data.sources import (
    TextFile,
    iter_csv_rows,
    parse_jsonl_line,
    read_error,
    regular_file,
)
from bert_engine.files import atomic_write_text


@dataclass(frozen=True)
class TextExample:
    text: str
    text_pair: str | None
    label: str | None
    where: str  # "file:line", for error messages


@dataclass(frozen=True)
class Columns:
    text: str = "text"
    pair: str | None = None
    label: str | None = "label"


def read_examples(
    path: str | os.PathLike[str], columns: Columns | None = None, *, require_label: bool = True
) -> list[TextExample]:
    """Rows of a .csv/.tsv/.jsonl file (optionally .gz) as examples."""
    cols = columns or Columns()
    p = Path(path)
    if not p.exists() and not p.is_symlink():
        raise DataFileNotFoundError(
            f"dataset file {p} does not exist; expected a .csv, .tsv or .jsonl file "
            f"with columns {cols.text!r}" + (f" and {cols.label!r}" if cols.label else "")
        )
    regular_file(p, "dataset file")  # a directory, FIFO, device or dangling link: say which
    required = [c for c in (cols.text, cols.pair, cols.label if require_label else None) if c]
    f = TextFile(p)
    try:
        rows = iter_rows(p, f, required)
        out = [_example(row, where, cols, require_label) for where, row in rows]
    except DataError:
        raise
    except (OSError, EOFError) as e:  # e.g. the csv module reading a failing file
        raise read_error(p, e) from e
    finally:
        f.close()
    if not out:
        raise DataError(f"{p}: no rows; the file holds a header at most")
    return out


def table_format(path: str | os.PathLike[str]) -> str:
    """ "csv", "tsv" or "jsonl" from the file's suffix (a trailing .gz ignored); a DataError
    for any other suffix."""
    p = Path(path)
    name = p.name.lower().removesuffix(".gz")
    if name.endswith(".csv"):
        return "csv"
    if name.endswith(".tsv"):
        return "tsv"
    if name.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    raise DataError(f"{p}: unknown dataset format; use .csv, .tsv or .jsonl (or .gz)")


def iter_rows(
    path: Path, f: TextFile, required: Sequence[str] = ()
) -> Iterator[tuple[str, dict[str, Any]]]:
    """("file:line", row) for every row of an open dataset file (the one reader both training
    and the workbench's file inspection use); a CSV/TSV header must name `required`."""
    if table_format(path) == "jsonl":
        return _jsonl_rows(path, f)
    return iter_csv_rows(path, f.lines(), None, required)


def _jsonl_rows(path: Path, f: TextFile) -> Iterator[tuple[str, dict[str, Any]]]:
    for lineno, line in enumerate(f.lines(), 1):
        if line.strip():
            yield f"{path}:{lineno}", parse_jsonl_line(line, path, lineno)


def _example(row: dict[str, Any], where: str, cols: Columns, require_label: bool) -> TextExample:
    def cell(column: str) -> Any:
        if column not in row:
            raise DataError(
                f"{where}: no column {column!r}; available columns: {', '.join(map(str, row))}"
            )
        return row[column]

    text = cell(cols.text)
    if not isinstance(text, str) or not text.strip():
        raise DataError(
            f"{where}: empty text in column {cols.text!r}; fill it in or remove the row"
        )
    pair = None
    if cols.pair:
        pair = cell(cols.pair)
        if not isinstance(pair, str) or not pair.strip():
            raise DataError(f"{where}: empty text pair in column {cols.pair!r}")
    label = None
    if cols.label and (require_label or cols.label in row):
        value = cell(cols.label)
        if value is None or (isinstance(value, str) and not value.strip()):
            if require_label:
                raise DataError(f"{where}: no label in column {cols.label!r}")
        else:
            label = str(value).strip()
    return TextExample(text, pair, label, where)


class LabelVocab:
    """Label strings <-> ids; ids follow sorted order (numeric order for integer labels)."""

    def __init__(self, labels: Sequence[str]) -> None:
        if len(set(labels)) != len(labels):
            raise DataError(f"duplicate labels in {list(labels)}")
        if len(labels) < 2:
            raise DataError(
                f"classification needs at least 2 labels, the training data has {list(labels)}"
            )
        self.labels = list(labels)
        self._ids = {label: i for i, label in enumerate(self.labels)}

    @classmethod
    def from_examples(cls, examples: Sequence[TextExample]) -> LabelVocab:
        found = {e.label for e in examples if e.label is not None}
        numeric = all(_is_int(x) for x in found)
        return cls(sorted(found, key=lambda x: (int(x), x) if numeric else (0, x)))

    def __len__(self) -> int:
        return len(self.labels)

    def encode(self, label: str, where: str = "") -> int:
        try:
            return self._ids[label]
        except KeyError:
            raise DataError(
                f"{where + ': ' if where else ''}label {label!r} was not seen in the training "
                f"data; known labels: {', '.join(self.labels)}"
            ) from None

    def decode(self, index: int) -> str:
        return self.labels[index]

    def save(self, path: str | os.PathLike[str]) -> None:
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(target, json.dumps({"labels": self.labels}, indent=1) + "\n")

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> LabelVocab:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            labels = data["labels"]
        except (OSError, json.JSONDecodeError, KeyError, TypeError) as e:
            raise DataError(f"{path}: not a label vocabulary file ({e})") from e
        return cls([str(x) for x in labels])


def _is_int(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True


def split_examples(
    examples: Sequence[TextExample],
    fraction: float,
    *,
    seed: int = 0,
    stratify: bool = True,
) -> tuple[list[TextExample], list[TextExample]]:
    """(rest, held out) with ``fraction`` of the examples held out; stratified keeps each label's
    share the same in both parts (rounded per label)."""
    if not 0.0 < fraction < 1.0:
        raise DataError(f"a split fraction must be in (0, 1), got {fraction}")
    rng = random.Random(seed)
    groups: dict[str | None, list[int]] = defaultdict(list)
    for i, e in enumerate(examples):
        groups[e.label if stratify else None].append(i)
    held: list[int] = []
    for key in sorted(groups, key=str):
        idx = groups[key]
        rng.shuffle(idx)
        held.extend(idx[: round(len(idx) * fraction)])
    held_set = set(held)
    if not held_set or len(held_set) == len(examples):
        raise DataError(
            f"splitting {len(examples)} examples with fraction {fraction} leaves a part empty; "
            "give more data or a separate file"
        )
    rest = [e for i, e in enumerate(examples) if i not in held_set]
    out = [examples[i] for i in sorted(held_set)]
    return rest, out


@dataclass
class ClassificationData:
    train: list[TextExample]
    validation: list[TextExample]
    test: list[TextExample]
    labels: LabelVocab


def load_classification(
    train: str | os.PathLike[str],
    validation: str | os.PathLike[str] | None = None,
    test: str | os.PathLike[str] | None = None,
    *,
    columns: Columns | None = None,
    validation_fraction: float = 0.1,
    test_fraction: float = 0.0,
    seed: int = 0,
    stratify: bool = True,
) -> ClassificationData:
    """Reads the splits; missing ones are split off the training file (test first, then
    validation, both seeded). The label vocabulary comes from the final training split, and every
    label in validation/test must be in it."""
    cols = columns or Columns()
    train_ex = read_examples(train, cols)
    test_ex: list[TextExample] = []
    if test is not None:
        test_ex = read_examples(test, cols)
    elif test_fraction > 0:
        train_ex, test_ex = split_examples(train_ex, test_fraction, seed=seed, stratify=stratify)
    if validation is not None:
        val_ex = read_examples(validation, cols)
    else:
        train_ex, val_ex = split_examples(
            train_ex, validation_fraction, seed=seed + 1, stratify=stratify
        )
    labels = LabelVocab.from_examples(train_ex)
    for e in val_ex + test_ex:
        if e.label is not None:
            labels.encode(e.label, e.where)
    return ClassificationData(train_ex, val_ex, test_ex, labels)


class ClassificationDataset:
    """Tokenized examples: ``dataset[i]`` is ``(input_ids, token_type_ids, label)`` with numpy
    rows of different lengths (padding happens per batch); ``lengths`` feeds bucketing."""

    def __init__(
        self, input_ids: list[np.ndarray], token_type_ids: list[np.ndarray], labels: np.ndarray
    ) -> None:
        self.input_ids, self.token_type_ids, self.labels = input_ids, token_type_ids, labels
        self.lengths = np.array([len(r) for r in input_ids], dtype=np.int64)

    def __len__(self) -> int:
        return len(self.input_ids)

    def __getitem__(self, i: int) -> tuple[np.ndarray, np.ndarray, int]:
        return self.input_ids[i], self.token_type_ids[i], int(self.labels[i])


def encode_examples(
    examples: Sequence[TextExample],
    tokenizer: Any,
    labels: LabelVocab,
    *,
    max_length: int = 128,
    chunk: int = 1024,
) -> ClassificationDataset:
    """Tokenizes with ``[CLS] text [SEP] (pair [SEP])``, truncated to ``max_length``. Examples
    without a label get -100 (prediction only)."""
    ids_rows: list[np.ndarray] = []
    type_rows: list[np.ndarray] = []
    for start in range(0, len(examples), chunk):
        part = examples[start : start + chunk]
        pairs = [e.text_pair or "" for e in part] if part[0].text_pair is not None else None
        enc = tokenizer.encode_batch(
            [e.text for e in part],
            pairs=pairs,
            add_special_tokens=True,
            max_length=max_length,
            padding="longest",
        )
        input_ids = np.asarray(_get(enc, "input_ids"))
        types = np.asarray(_get(enc, "token_type_ids"))
        lengths = np.asarray(_get(enc, "lengths"))
        for row, t, n in zip(input_ids, types, lengths, strict=True):
            ids_rows.append(row[:n].astype(np.int32))
            type_rows.append(t[:n].astype(np.int8))
    y = np.array(
        [labels.encode(e.label, e.where) if e.label is not None else -100 for e in examples],
        dtype=np.int64,
    )
    return ClassificationDataset(ids_rows, type_rows, y)


def _get(enc: Any, name: str) -> Any:
    return enc[name] if isinstance(enc, dict) else getattr(enc, name)


class ClassificationCollator:
    """``[(input_ids, token_type_ids, label)]`` -> padded tensors (multiple of 8)."""

    def __init__(self, pad_id: int, pad_to_multiple_of: int | None = 8) -> None:
        self.pad_id, self.multiple_of = pad_id, pad_to_multiple_of

    def __call__(self, rows: Sequence[tuple[np.ndarray, np.ndarray, int]]) -> dict[str, Any]:
        import torch

        from bert_engine.data.collate import attention_mask_of, pad_rows

        ids, lengths = pad_rows([r[0] for r in rows], self.pad_id, self.multiple_of)
        types, _ = pad_rows([r[1] for r in rows], 0, self.multiple_of)
        return {
            "input_ids": torch.from_numpy(ids),
            "token_type_ids": torch.from_numpy(types),
            "attention_mask": torch.from_numpy(attention_mask_of(lengths, ids.shape[1])),
            "labels": torch.tensor([r[2] for r in rows], dtype=torch.long),
        }
