"""Corpus sanity: binary files are refused with the path and what was found; invalid UTF-8 is
replaced and reported once per file with a count (a logged warning the CLI prints)."""

from __future__ import annotations

import gzip
import logging
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from bert_engine.data.classification import read_examples
from bert_engine.data.errors import DataError
from bert_engine.data.sources import SNIFF_BYTES, open_source

ROOT = Path(__file__).resolve().parents[2]
LOGGER = "bert_engine.data.sources"


def _random_bytes(n: int, seed: int = 0) -> bytes:
    # High bytes only: no NUL, mostly invalid UTF-8 (like compressed or encrypted data).
    rng = random.Random(seed)
    return bytes(rng.randrange(0x80, 0x100) for _ in range(n))


def _docs(path: Path) -> list[str]:
    return list(open_source(str(path)).documents())


@pytest.mark.parametrize(
    ("name", "content", "found"),
    [
        ("nul.txt", b"some text\x00more text\n", "a NUL byte at offset 9"),
        ("utf16.txt", "hello world\n".encode("utf-16"), "a NUL byte"),
        ("noise.txt", _random_bytes(4000), "invalid UTF-8 sequences in its first"),
        ("image.jsonl", b"\x89PNG\r\n\x1a\n" + _random_bytes(2000), "invalid UTF-8"),
        ("data.csv", b"text,label\n" + b"\x00" * 50, "NUL"),
    ],
)
def test_binary_files_are_refused(tmp_path: Path, name: str, content: bytes, found: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DataError, match="looks like a binary file") as info:
        _docs(path)
    assert str(path) in str(info.value) and found in str(info.value)


def test_binary_inside_gzip_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "corpus.txt.gz"
    path.write_bytes(gzip.compress(b"\x00\x01\x02" * 100))
    with pytest.raises(DataError, match="binary.*NUL byte at offset 0"):
        _docs(path)


def test_a_nul_byte_after_the_sniffed_head_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "late.txt"
    path.write_bytes(b"plain line\n" * (SNIFF_BYTES // 5) + b"bad\x00line\n")
    with pytest.raises(DataError, match=r"late\.txt:\d+: a NUL byte"):
        _docs(path)


def test_classification_files_are_checked_too(tmp_path: Path) -> None:
    path = tmp_path / "train.csv"
    path.write_bytes(b"text,label\n" + _random_bytes(3000))
    with pytest.raises(DataError, match="train.csv: looks like a binary file"):
        read_examples(path)


def test_invalid_utf8_is_replaced_and_reported_once_with_a_count(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "latin1.txt"
    # Latin-1 text: each accented letter is one invalid byte; a real U+FFFD is not counted.
    path.write_bytes("caf\xe9 cr\xe8me\n\nna\xefve \ufffd ok\n".encode("latin-1", "replace"))
    path.write_bytes(path.read_bytes().replace(b"?", "\ufffd".encode()))
    caplog.set_level(logging.WARNING, logger=LOGGER)
    docs = _docs(path)
    assert docs == ["caf\ufffd cr\ufffdme", "na\ufffdve \ufffd ok"]
    warnings = [r.getMessage() for r in caplog.records if r.name == LOGGER]
    assert warnings == [
        f"{path}: 3 invalid UTF-8 sequence(s) replaced by U+FFFD; is the file in another "
        "encoding (e.g. Latin-1)? Convert it to UTF-8 to keep those characters"
    ]
    _docs(path)  # the workflows read a corpus twice (tokenizer, shards): still one warning
    assert len([r for r in caplog.records if r.name == LOGGER]) == 1


def test_invalid_utf8_in_classification_rows(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_bytes(b'{"text": "gut \xfc", "label": "a"}\n{"text": "fine", "label": "b"}\n')
    caplog.set_level(logging.WARNING, logger=LOGGER)
    examples = read_examples(path)
    assert examples[0].text == "gut \ufffd"
    assert [r.getMessage().split(";")[0] for r in caplog.records if r.name == LOGGER] == [
        f"{path}: 1 invalid UTF-8 sequence(s) replaced by U+FFFD"
    ]


def test_valid_text_is_untouched(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "accents.txt"
    # Two-byte characters across the sniff window's end, CRLF and old-Mac CR line ends.
    body = "é" * (SNIFF_BYTES // 2 + 1)
    path.write_bytes(f"{body}\r\nsecond line\rthird line\n\nnext doc\n".encode())
    caplog.set_level(logging.WARNING, logger=LOGGER)
    assert _docs(path) == [f"{body}\nsecond line\nthird line", "next doc"]
    assert not [r for r in caplog.records if r.name == LOGGER]


def test_cli_prints_the_warning(tmp_path: Path) -> None:
    words = ["alpha", "beta", "gamma", "delta"]
    text = "\n\n".join(" ".join(words[(i + j) % 4] for j in range(8)) for i in range(200))
    (tmp_path / "corpus.txt").write_bytes(text.encode() + b"\n\nbad \xff\xfe bytes\n")
    out = subprocess.run(
        [sys.executable, "-m", "workbench.cli", "tokenizer", "train", "--source", "corpus.txt"]
        + ["--vocab-size", "64", "--out", "tok.json"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert out.stderr.count("corpus.txt: 2 invalid UTF-8 sequence(s) replaced by U+FFFD") == 1


def test_cli_refuses_a_binary_corpus(tmp_path: Path) -> None:
    (tmp_path / "blob.txt").write_bytes(_random_bytes(5000))
    out = subprocess.run(
        [sys.executable, "-m", "workbench.cli", "tokenizer", "train", "--source", "blob.txt"]
        + ["--out", "tok.json"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert out.returncode == 2
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "blob.txt: looks like a binary file" in lines[0]
