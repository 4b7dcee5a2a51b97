import gzip
import json
import sys

import pytest

from bert_engine.data.errors import DataError, DataFileNotFoundError
from bert_engine.data.sources import (
    CsvSource,
    JsonlSource,
    ParquetSource,
    TextSource,
    open_source,
)


def write(path, text, gz=False):
    path.parent.mkdir(parents=True, exist_ok=True)
    if gz:
        with gzip.open(path, "wt", encoding="utf-8") as f:
            f.write(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_text_blank_line_documents_and_line_mode(tmp_path):
    p = write(tmp_path / "a.txt", "First doc line one.\nline two.\n\n  \nSecond doc.\n\n\nThird.")
    assert list(TextSource(p).documents()) == [
        "First doc line one.\nline two.",
        "Second doc.",
        "Third.",
    ]
    assert list(TextSource(p, doc_mode="line").documents()) == [
        "First doc line one.",
        "line two.",
        "Second doc.",
        "Third.",
    ]


def test_gzip_is_read_transparently_and_same_as_plain(tmp_path):
    text = "Alpha beta.\n\nGamma délta ünïcode.\n"
    plain = write(tmp_path / "p.txt", text)
    gz = write(tmp_path / "p.txt.gz", text, gz=True)
    assert list(TextSource(gz).documents()) == list(TextSource(plain).documents())
    assert list(TextSource(gz).documents())[1] == "Gamma délta ünïcode."


def test_directory_and_glob_are_sorted_and_skip_hidden(tmp_path):
    write(tmp_path / "d" / "b.txt", "bee")
    write(tmp_path / "d" / "a.txt", "ay")
    write(tmp_path / "d" / "sub" / "c.txt", "sea")
    write(tmp_path / "d" / ".hidden" / "x.txt", "hidden")
    assert list(open_source(tmp_path / "d").documents()) == ["ay", "bee", "sea"]
    assert list(open_source(str(tmp_path / "d" / "*.txt")).documents()) == ["ay", "bee"]


def test_progress_reaches_total(tmp_path):
    p = write(tmp_path / "a.txt", "\n\n".join(f"document number {i}" for i in range(200)))
    src = TextSource(p)
    pairs = list(src.iter_with_progress())
    dones = [d for _, d in pairs]
    assert dones == sorted(dones)
    assert dones[-1] == src.total() == p.stat().st_size


def test_missing_path_and_empty_glob_name_the_path(tmp_path):
    with pytest.raises(DataFileNotFoundError, match="nope.txt does not exist"):
        open_source(tmp_path / "nope.txt")
    with pytest.raises(FileNotFoundError, match="no file matches"):
        open_source(str(tmp_path / "*.txt"))


def test_empty_corpus_is_a_clear_error(tmp_path):
    p = write(tmp_path / "empty.txt", "\n  \n\n")
    with pytest.raises(DataError, match="holds no document"):
        list(TextSource(p).documents())


def test_jsonl_column_gzip_and_errors(tmp_path):
    rows = [{"text": "one", "id": 1}, {"text": "", "id": 2}, {"text": "three", "id": 3}]
    p = write(tmp_path / "c.jsonl.gz", "\n".join(json.dumps(r) for r in rows) + "\n\n", gz=True)
    assert list(open_source(p).documents()) == ["one", "three"]  # empty text skipped
    assert isinstance(open_source(p), JsonlSource)

    bad = write(tmp_path / "bad.jsonl", '{"text": "ok"}\n{"text": oops}\n')
    with pytest.raises(DataError, match=r"bad.jsonl:2: not valid JSON"):
        list(open_source(bad).documents())
    with pytest.raises(DataError, match=r"no column 'body'; available columns: text"):
        list(open_source(bad, text_column="body").documents())


def test_csv_and_tsv_columns(tmp_path):
    csv_p = write(tmp_path / "c.csv", 'id,body\n1,"Hello, world"\n2,"multi\nline"\n')
    src = open_source(csv_p, text_column="body")
    assert isinstance(src, CsvSource)
    assert list(src.documents()) == ["Hello, world", "multi\nline"]
    tsv_p = write(tmp_path / "c.tsv", "body\tid\nTab, separated\t1\n")
    assert list(open_source(tsv_p, text_column="body").documents()) == ["Tab, separated"]
    with pytest.raises(DataError, match="no column 'text'; available columns: id, body"):
        list(open_source(csv_p).documents())


def test_mixed_formats_are_refused(tmp_path):
    write(tmp_path / "m" / "a.txt", "x")
    write(tmp_path / "m" / "b.jsonl", '{"text": "y"}')
    with pytest.raises(DataError, match="mixes file formats"):
        open_source(tmp_path / "m")


def test_describe_changes_when_a_file_changes(tmp_path):
    p = write(tmp_path / "a.txt", "one")
    before = TextSource(p).describe()
    write(p, "one two")
    assert TextSource(p).describe() != before
    assert TextSource(p).describe() == TextSource(p).describe()


def test_parquet_column(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    p = tmp_path / "t.parquet"
    pq.write_table(pa.table({"body": ["a b", None, "c d"], "n": [1, 2, 3]}), p)
    src = open_source(p, text_column="body")
    assert isinstance(src, ParquetSource)
    assert list(src.documents()) == ["a b", "c d"]
    assert src.total() == 3
    with pytest.raises(DataError, match="available columns: body, n"):
        list(open_source(p).documents())


def test_parquet_without_pyarrow_says_how_to_install(tmp_path, monkeypatch):
    p = write(tmp_path / "t.parquet", "not really parquet")
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # makes `import pyarrow` fail
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    with pytest.raises(DataError, match=r"pip install 'bertbench\[parquet\]'"):
        open_source(p)


def test_hub_without_datasets_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "datasets", None)
    with pytest.raises(DataError, match=r"needs the optional 'datasets' package"):
        open_source("hf:wikitext")
