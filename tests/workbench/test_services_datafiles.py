"""The data-file service on small generated files: columns, preview, row and label counts,
suggested columns, the errors a user sees, uploads, and the batch classification of a file
with a tiny fine-tuned run (its predictions CSV)."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import pytest
from kit.services import tiny_preset, write_labelled

from workbench.services import DataFileError, Services, WorkspaceError
from workbench.services.datafiles import suggest_columns
from workbench.services.tryout import classify_file

LIMIT = 120.0


@pytest.fixture
def services(tmp_path: Path) -> Services:
    return Services(tmp_path / "ws", max_upload_bytes=4096)


def write_csv(path: Path, header: list[str], rows: list[list[str]], delimiter: str = ",") -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_csv_columns_preview_rows_labels(services: Services) -> None:
    path = write_labelled(services.workspace.root / "task.csv", n=20)
    info = services.datafiles.inspect("task.csv")  # relative to the workspace
    assert info.path == path and info.format == "csv"
    assert info.columns == ["text", "label"] and info.rows == 20
    assert len(info.preview) == 5 and set(info.preview[0]) == {"text", "label"}
    assert info.label_column == "label"
    assert info.label_counts == {"animals": 10, "food": 10}
    assert (info.suggested.text, info.suggested.pair, info.suggested.label) == (
        "text",
        None,
        "label",
    )
    headers, rows = info.preview_table()
    assert headers == ["text", "label"] and rows[0][1] in ("animals", "food")
    assert "20 rows" in info.summary() and "animals 10" in info.summary()
    assert info.label_warning() is None
    per_row = services.datafiles.inspect("task.csv", label_column="text")
    assert "is it the label column?" in (per_row.label_warning() or "")


def test_tsv_and_jsonl_and_gzip_through_the_engine_reader(
    tmp_path: Path, services: Services
) -> None:
    tsv = write_csv(
        tmp_path / "pairs.tsv",
        ["premise", "hypothesis", "gold"],
        [["a cat sits", "an animal sits", "yes"], ["a dog runs", "nobody moves", "no"]] * 3,
        delimiter="\t",
    )
    info = services.datafiles.inspect(tsv)
    assert info.format == "tsv" and info.rows == 6
    assert (info.suggested.text, info.suggested.pair) == ("premise", "hypothesis")
    # No column is named like a label: the one with the fewest distinct values is the label.
    assert info.suggested.label == "gold" and info.label_counts == {"yes": 3, "no": 3}
    rows = [{"body": f"text number {i}", "topic": "ab"[i % 2], "id": i} for i in range(7)]
    jsonl = tmp_path / "data.jsonl.gz"
    with gzip.open(jsonl, "wt", encoding="utf-8") as fh:
        fh.write("\n".join(json.dumps(r) for r in rows) + "\n")
    info = services.datafiles.inspect(jsonl, label_column="topic")
    assert info.format == "jsonl" and info.columns == ["body", "topic", "id"]
    assert info.label_counts == {"a": 4, "b": 3} and info.suggested.text == "body"


def test_suggestions_by_content() -> None:
    rows = [{"a": "x", "b": f"a longer sentence {i}", "c": str(i % 3)} for i in range(12)]
    got = suggest_columns(["a", "b", "c"], rows)
    # "a" has one value only (not a label); "c" has three; "b" holds the longest cells.
    assert (got.text, got.pair, got.label) == ("b", None, "c")


def test_long_cells_are_shortened_in_the_preview(tmp_path: Path, services: Services) -> None:
    path = write_csv(tmp_path / "long.csv", ["text", "label"], [["word " * 100, "a"]])
    cell = services.datafiles.inspect(path).preview[0]["text"]
    assert len(cell) == 80 and cell.endswith("…")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "is empty"),
        (b"text,label\n", "no rows under the header"),
        (b"text,label\ncaf\xe9 au lait,a\n", "not UTF-8"),
        (b"\x00\x01\x02binary", "binary"),
        (b'{"text": "a"}\nnot json\n', ":2: not valid JSON"),
    ],
)
def test_clear_errors(tmp_path: Path, services: Services, content: bytes, expected: str) -> None:
    name = "bad.jsonl" if b"json" in content else "bad.csv"
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DataFileError, match=expected):
        services.datafiles.inspect(path)


def test_unknown_columns_missing_files_and_formats(tmp_path: Path, services: Services) -> None:
    path = write_labelled(tmp_path / "task.csv", n=6)
    with pytest.raises(DataFileError, match=r"no column 'stars' .*label.*its columns: text, label"):
        services.datafiles.inspect(path, label_column="stars")
    with pytest.raises(DataFileError, match="no column 'review'"):
        services.datafiles.inspect(path, text_column="review")
    with pytest.raises(DataFileError, match="does not exist"):
        services.datafiles.inspect(tmp_path / "nope.csv")
    with pytest.raises(DataFileError, match="is a directory"):
        services.datafiles.inspect(tmp_path)
    (tmp_path / "notes.txt").write_text("hello\n")
    with pytest.raises(DataFileError, match="unknown dataset format"):
        services.datafiles.inspect(tmp_path / "notes.txt")
    with pytest.raises(DataFileError, match="no file given"):
        services.datafiles.inspect("  ")
    # The web panel's reads are confined to the workspace.
    with pytest.raises(DataFileError, match="not a file of this workspace"):
        services.datafiles.inspect(path, confined=True)


def test_upload_keeps_the_file_in_uploads(services: Services) -> None:
    data = b"text,label\nthe cat,animals\nsome bread,food\n"
    first = services.datafiles.upload("reviews.csv", data)
    assert services.datafiles.upload("reviews.csv", data) == first  # the same file again
    second = services.datafiles.upload("reviews.csv", data + b"a cheese,food\n")
    assert first == services.workspace.root / "uploads" / "reviews.csv"
    assert second.name == "reviews-2.csv" and second.read_bytes().startswith(data)
    assert services.datafiles.inspect(second, confined=True).rows == 3
    assert services.datafiles.overrides(second, text="text", label="label", pair=None) == [
        f"classification.train={second}",
        "classification.text_column=text",
        "classification.label_column=label",
    ]
    with pytest.raises(DataFileError, match="upload a .csv, .tsv or .jsonl"):
        services.datafiles.upload("notes.txt", b"hello")
    with pytest.raises(WorkspaceError, match="the limit is"):
        services.datafiles.upload("big.csv", b"x" * 5000)
    with pytest.raises(WorkspaceError, match="not UTF-8"):
        services.datafiles.upload("latin.csv", b"text,label\ncaf\xe9,a\n")


def test_classify_a_file_writes_predictions(tmp_path: Path) -> None:
    services = Services(tmp_path / "ws")
    pre = services.manager.start_pretraining(tiny_preset(tmp_path))
    pre_status = services.manager.wait(pre, LIMIT)
    assert pre_status.status == "finished", pre_status.error
    task = write_labelled(tmp_path / "task.csv")
    finetune = {"init": str(pre_status.run_dir), "epochs": 1, "device": "cpu", "precision": "fp32"}
    preset = tiny_preset(
        tmp_path,
        finetune=finetune,
        classification={"train": str(task), "max_seq_len": 32, "batch_size": 16},
    )
    ft = services.manager.start_finetuning(preset, name="clf")
    status = services.manager.wait(ft, LIMIT)
    assert status.status == "finished", status.error
    assert status.run_dir is not None
    file = write_labelled(services.workspace.root / "uploads" / "new.csv", n=12, seed=5)
    result = classify_file(services, status.run_dir.name, "uploads/new.csv")
    assert result.output.parent == services.workspace.root / "exports"
    assert result.columns == ["text", "label", "predicted", "p(animals)", "p(food)"]
    with result.output.open(encoding="utf-8") as fh:
        table = list(csv.reader(fh))
    assert table[0] == result.columns and len(table) == 13 and result.rows == 12
    originals = [row[0] for row in list(csv.reader(file.open(encoding="utf-8")))[1:]]
    assert [row[0] for row in table[1:]] == originals
    for row in table[1:]:
        probabilities = [float(x) for x in row[3:]]
        assert abs(sum(probabilities) - 1) < 1e-3
        assert row[2] == ("animals", "food")[probabilities.index(max(probabilities))]
    assert sum(result.predicted_counts.values()) == 12
    assert result.accuracy is not None and 0 <= result.accuracy <= 1
    assert "12 rows classified" in result.summary()
    # A file without the label column: predictions only.
    write_csv(services.workspace.root / "plain.csv", ["text"], [["the cat sees"], ["the bread"]])
    plain = classify_file(services, status.run_dir.name, "plain.csv")
    assert plain.columns[:2] == ["text", "predicted"] and plain.accuracy is None
    assert plain.guessed is None and "was read from" not in plain.summary()
    # Without the run's text column: the texts come from the file's likeliest column, said.
    write_csv(services.workspace.root / "other.csv", ["review", "n"], [["the cat", "1"]])
    other = classify_file(services, status.run_dir.name, "other.csv")
    assert other.guessed == ("text", "review") and other.columns[0] == "review"
    assert "no 'text' column" in other.summary() and "read from 'review'" in other.summary()
    with pytest.raises(DataFileError, match="not a file of this workspace"):
        classify_file(services, status.run_dir.name, task, confined=True)
