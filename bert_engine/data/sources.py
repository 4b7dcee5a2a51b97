"""Corpus sources: iterate over the documents (plain str) of text, JSONL, CSV/TSV, Parquet files,
a HuggingFace dataset, or the built-in offline demo corpus.

Every source has the same small interface:

- ``documents()`` yields each non-empty document as a ``str`` (paragraphs or sentences inside a
  document are kept separated by newlines);
- ``iter_with_progress()`` yields ``(document, done)`` where ``done`` counts in the units of
  ``total()`` (bytes of input files, or rows), for progress bars;
- ``describe()`` is a JSON-able identity (kind, paths, sizes, modification times, columns) that the
  shard cache hashes into its key, so editing a file rebuilds the cache.

``open_source(spec)`` picks the source from a spec string: ``"demo"``, ``"hf:NAME"``, or a path, a
directory or a glob; the format comes from the file suffix (``.gz`` is read transparently).
"""

from __future__ import annotations

import codecs
import csv
import glob
import gzip
import json
import logging
import os
import stat
import sys
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any, Literal

from bert_engine.data.errors import DataError, DataFileNotFoundError, SourceReadError

log = logging.getLogger(__name__)

DocMode = Literal["blank_line", "line"]
Format = Literal["text", "jsonl", "csv", "parquet"]

_SUFFIX_FORMATS: dict[str, Format] = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".tsv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
}
_GZIP_MAGIC = b"\x1f\x8b"


class CorpusSource(ABC):
    """A re-iterable collection of text documents."""

    kind: str = "source"

    def documents(self) -> Iterator[str]:
        for doc, _ in self.iter_with_progress():
            yield doc

    def iter_with_progress(self) -> Iterator[tuple[str, int]]:
        """(document, done) pairs; raises DataError when the source holds no document at all."""
        count = 0
        for doc, done in self._iter():
            if doc.strip():
                count += 1
                yield doc, done
        if count == 0:
            raise DataError(
                f"the corpus {self.name()} holds no document (every file or row is empty); "
                "check the path, the text column and the document mode"
            )

    @abstractmethod
    def _iter(self) -> Iterator[tuple[str, int]]: ...

    def total(self) -> int | None:
        """Total progress units (input bytes or rows), or None when unknown."""
        return None

    @abstractmethod
    def describe(self) -> dict[str, Any]: ...

    def name(self) -> str:
        return self.kind


# ---------------------------------------------------------------- paths and files


def resolve_paths(spec: str | os.PathLike[str] | Sequence[str | os.PathLike[str]]) -> list[Path]:
    """Expand a file, a directory (all non-hidden files below it, sorted) or a glob into files."""
    specs = [spec] if isinstance(spec, (str, os.PathLike)) else list(spec)
    if not specs:
        raise DataError("no corpus path given; pass a file, a directory or a glob")
    out: list[Path] = []
    for item in specs:
        text = os.fspath(item)
        path = Path(text).expanduser()
        if any(ch in text for ch in "*?["):
            matches = sorted(Path(p) for p in glob.glob(os.path.expanduser(text), recursive=True))
            files = [p for p in matches if p.is_file()]
            if not files:
                raise DataFileNotFoundError(
                    f"no file matches the glob {text!r}; "
                    "expected e.g. 'data/*.txt' or 'data/**/*.jsonl'"
                )
            out.extend(files)
        elif path.is_dir():
            try:
                files = sorted(
                    p
                    for p in path.rglob("*")
                    if p.is_file()
                    and not any(part.startswith(".") for part in p.relative_to(path).parts)
                )
            except OSError as e:
                raise read_error(Path(e.filename or path), e) from e
            if not files:
                raise DataFileNotFoundError(f"the corpus directory {path} holds no file")
            out.extend(files)
        else:
            out.append(regular_file(path, "corpus path"))
    return out


_NOT_FOUND_HINT = (
    "expected a text/JSONL/CSV/Parquet file (optionally .gz), a directory of them, or a glob "
    "such as 'data/*.txt'"
)


def read_error(path: Path, exc: BaseException) -> SourceReadError:
    """One line naming `path` and the OS's reason (permission, I/O error, ...)."""
    reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return SourceReadError(
        f"{path}: cannot read it ({reason}); check that it is a readable regular file"
    )


def _special_kind(mode: int) -> str:
    for test, kind in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return kind
    return "not a regular file"


def regular_file(path: Path, what: str = "file") -> Path:
    """`path` when it is a regular file (symlinks followed); otherwise a DataError subclass
    saying what it is: missing, a dangling symlink, a FIFO, a device, unreadable metadata."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        if path.is_symlink():
            raise DataFileNotFoundError(
                f"{what} {path} is a symbolic link to {os.readlink(path)}, which does not exist"
            ) from None
        raise DataFileNotFoundError(f"{what} {path} does not exist; {_NOT_FOUND_HINT}") from None
    except OSError as e:
        raise read_error(path, e) from e
    if not stat.S_ISREG(mode):
        raise SourceReadError(
            f"{what} {path} is {_special_kind(mode)}, not a regular file; {_NOT_FOUND_HINT}"
        )
    return path


def file_format(path: Path) -> Format:
    """The format of a file from its suffix, ignoring a trailing .gz."""
    name = path.name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    return _SUFFIX_FORMATS.get(Path(name).suffix, "text")


def _stat(path: Path) -> os.stat_result:
    try:
        return path.stat()
    except OSError as e:
        raise read_error(path, e) from e


def _file_identity(paths: Sequence[Path]) -> list[dict[str, Any]]:
    out = []
    for p in paths:
        st = _stat(p)
        out.append({"path": str(p.resolve()), "size": st.st_size, "mtime_ns": st.st_mtime_ns})
    return out


# A file is binary when its first SNIFF_BYTES (decompressed) hold a NUL byte or when more than
# BINARY_SHARE of their characters are invalid UTF-8 (git and grep sniff the same way).
SNIFF_BYTES = 8192
BINARY_SHARE = 0.25
_REPLACEMENT = "\ufffd"
_REPLACEMENT_BYTES = _REPLACEMENT.encode("utf-8")
_reported: set[tuple[str, int, int]] = set()  # (path, mtime, count): one warning per file


def decode_utf8(raw: bytes) -> tuple[str, int]:
    """(text, invalid sequences replaced by U+FFFD); real U+FFFD characters are not counted."""
    try:
        return raw.decode("utf-8"), 0
    except UnicodeDecodeError:
        text = raw.decode("utf-8", errors="replace")
        return text, text.count(_REPLACEMENT) - raw.count(_REPLACEMENT_BYTES)


def _binary_reason(head: bytes) -> str | None:
    """What makes `head` (a file's first bytes) binary, or None for text."""
    nul = head.find(b"\0")
    if nul >= 0:
        return f"a NUL byte at offset {nul}"
    # Not final: a multi-byte character cut by the sniff window is not an error.
    text = codecs.getincrementaldecoder("utf-8")("replace").decode(head, final=False)
    invalid = text.count(_REPLACEMENT) - head.count(_REPLACEMENT_BYTES)
    if text and invalid / len(text) > BINARY_SHARE:
        return f"{invalid} invalid UTF-8 sequences in its first {len(text)} characters"
    return None


class TextFile:
    """UTF-8 text lines of a plain or gzip file; ``position()`` is the raw byte offset read.

    Binary files (see ``SNIFF_BYTES``) are refused with a SourceReadError; invalid UTF-8 is
    replaced by U+FFFD and reported once per file, with a count, as a logged warning. Every OS
    error while reading becomes a SourceReadError naming the path.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.invalid = 0  # invalid UTF-8 sequences replaced so far
        self._raw: IO[bytes] | None = None
        try:
            self._raw = open(path, "rb")  # noqa: SIM115 - closed in close()
            self.gzip = self._raw.read(2) == _GZIP_MAGIC
            self._raw.seek(0)
            head = self._binary().read(SNIFF_BYTES)
            self._raw.seek(0)
            self._stream = self._binary()
        except (OSError, EOFError) as e:
            self.close()
            raise self._error(e) from e
        reason = _binary_reason(head)
        if reason is not None:
            self.close()
            raise SourceReadError(
                f"{path}: looks like a binary file, not text ({reason}); give a UTF-8 text, "
                "JSONL or CSV file (optionally .gz); convert UTF-16 or other encodings to UTF-8"
            )

    def _binary(self) -> IO[bytes]:
        assert self._raw is not None
        if self.gzip:
            return gzip.GzipFile(fileobj=self._raw, mode="rb")  # type: ignore[return-value]
        return self._raw

    def _error(self, e: BaseException) -> SourceReadError:
        if getattr(self, "gzip", False) and not isinstance(e, SourceReadError):
            return SourceReadError(
                f"{self.path}: cannot read the file ({e}); is it a valid gzip file?"
            )
        return read_error(self.path, e)

    def position(self) -> int:
        return self._raw.tell() if self._raw is not None else 0

    def lines(self) -> Iterator[str]:
        """Decoded lines, each ending in "\\n" (universal newlines, like text mode)."""
        number = 0
        try:
            for raw in self._stream:
                number += 1
                if b"\0" in raw:
                    raise SourceReadError(
                        f"{self.path}:{number}: a NUL byte: this looks like a binary file, "
                        "not text; give a UTF-8 text, JSONL or CSV file (optionally .gz)"
                    )
                text, invalid = decode_utf8(raw)
                self.invalid += invalid
                if "\r" not in text:
                    yield text
                    continue
                pieces = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
                yield from (piece + "\n" for piece in pieces[:-1])
                if pieces[-1]:
                    yield pieces[-1]
        except SourceReadError:
            raise
        except (OSError, EOFError) as e:  # gzip.BadGzipFile is an OSError
            raise self._error(e) from e
        self._report()

    def _report(self) -> None:
        if not self.invalid:
            return
        try:
            mtime = self.path.stat().st_mtime_ns
        except OSError:
            mtime = 0
        key = (str(self.path), mtime, self.invalid)
        if key in _reported:
            return
        _reported.add(key)
        log.warning(
            "%s: %d invalid UTF-8 sequence(s) replaced by U+FFFD; is the file in another "
            "encoding (e.g. Latin-1)? Convert it to UTF-8 to keep those characters",
            self.path,
            self.invalid,
        )

    def close(self) -> None:
        stream = getattr(self, "_stream", None)
        if stream is not None and stream is not self._raw:
            stream.close()
        if self._raw is not None:
            self._raw.close()


class _FileSource(CorpusSource):
    def __init__(self, paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]]) -> None:
        self.paths = resolve_paths(paths)

    def total(self) -> int | None:
        return sum(_stat(p).st_size for p in self.paths)

    def name(self) -> str:
        shown = ", ".join(str(p) for p in self.paths[:3])
        more = f" and {len(self.paths) - 3} more" if len(self.paths) > 3 else ""
        return f"{self.kind} [{shown}{more}]"

    def _iter(self) -> Iterator[tuple[str, int]]:
        base = 0
        for path in self.paths:
            f = TextFile(path)
            try:
                for doc in self._read(f):
                    yield doc, base + f.position()
            except DataError:
                raise
            except (OSError, EOFError) as e:  # e.g. the csv module reading a failing file
                raise f._error(e) from e
            finally:
                f.close()
            base += _stat(path).st_size

    @abstractmethod
    def _read(self, f: TextFile) -> Iterator[str]: ...


# ---------------------------------------------------------------- the sources


class TextSource(_FileSource):
    """Plain text files. ``doc_mode="blank_line"``: documents are separated by blank lines (each
    line inside is a paragraph or sentence); ``"line"``: every non-blank line is a document."""

    kind = "text"

    def __init__(
        self,
        paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
        doc_mode: DocMode = "blank_line",
    ) -> None:
        if doc_mode not in ("blank_line", "line"):
            raise DataError(f"doc_mode must be 'blank_line' or 'line', not {doc_mode!r}")
        super().__init__(paths)
        self.doc_mode = doc_mode

    def _read(self, f: TextFile) -> Iterator[str]:
        if self.doc_mode == "line":
            for line in f.lines():
                if line.strip():
                    yield line.strip()
            return
        block: list[str] = []
        for line in f.lines():
            line = line.strip()
            if line:
                block.append(line)
            elif block:
                yield "\n".join(block)
                block = []
        if block:
            yield "\n".join(block)

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "doc_mode": self.doc_mode, "files": _file_identity(self.paths)}


class JsonlSource(_FileSource):
    """JSON Lines: one JSON object per line, the document in ``text_column``."""

    kind = "jsonl"

    def __init__(
        self,
        paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
        text_column: str = "text",
    ) -> None:
        super().__init__(paths)
        self.text_column = text_column

    def _read(self, f: TextFile) -> Iterator[str]:
        for lineno, line in enumerate(f.lines(), 1):
            if not line.strip():
                continue
            row = parse_jsonl_line(line, f.path, lineno)
            value = row_value(row, self.text_column, f"{f.path}:{lineno}")
            if value is not None:
                yield value

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "column": self.text_column, "files": _file_identity(self.paths)}


class CsvSource(_FileSource):
    """CSV or TSV with a header row; the delimiter is a tab for ``.tsv`` files unless given."""

    kind = "csv"

    def __init__(
        self,
        paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
        text_column: str = "text",
        delimiter: str | None = None,
    ) -> None:
        super().__init__(paths)
        self.text_column = text_column
        self.delimiter = delimiter

    def _read(self, f: TextFile) -> Iterator[str]:
        for where, row in iter_csv_rows(f.path, f.lines(), self.delimiter, [self.text_column]):
            value = row_value(row, self.text_column, where)
            if value is not None:
                yield value

    def describe(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "column": self.text_column,
            "delimiter": self.delimiter,
            "files": _file_identity(self.paths),
        }


class ParquetSource(CorpusSource):
    """Parquet files (needs the optional ``pyarrow``); progress counts rows."""

    kind = "parquet"

    def __init__(
        self,
        paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
        text_column: str = "text",
    ) -> None:
        self.paths = resolve_paths(paths)
        self.text_column = text_column
        self._pq = _import_pyarrow_parquet()

    def total(self) -> int | None:
        return sum(self._open(p).metadata.num_rows for p in self.paths)

    def _open(self, path: Path) -> Any:
        try:
            return self._pq.ParquetFile(path)
        except OSError as e:
            raise read_error(path, e) from e
        except Exception as e:  # pyarrow raises ArrowInvalid and friends
            raise DataError(f"{path}: not a readable Parquet file ({e})") from e

    def _iter(self) -> Iterator[tuple[str, int]]:
        done = 0
        for path in self.paths:
            pf = self._open(path)
            names = pf.schema_arrow.names
            if self.text_column not in names:
                raise DataError(
                    f"{path}: no column {self.text_column!r}; available columns: "
                    f"{', '.join(names)}. Choose one with text_column="
                )
            for batch in pf.iter_batches(columns=[self.text_column], batch_size=1024):
                for value in batch.column(0).to_pylist():
                    done += 1
                    if isinstance(value, str):
                        yield value, done

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "column": self.text_column, "files": _file_identity(self.paths)}


class HubSource(CorpusSource):
    """A dataset from the HuggingFace Hub by name (needs the optional ``datasets`` package and the
    network). Streams, so large datasets are not downloaded whole before tokenizing starts."""

    kind = "hub"

    def __init__(
        self,
        name: str,
        config: str | None = None,
        split: str = "train",
        text_column: str = "text",
        revision: str | None = None,
    ) -> None:
        try:
            import datasets
        except ImportError as e:
            raise DataError(
                f"loading {name!r} from the HuggingFace Hub needs the optional 'datasets' package: "
                "pip install 'bertbench[hub]'. Offline, pass local files or use the built-in "
                "'demo' corpus instead"
            ) from e
        self._datasets = datasets
        self.dataset_name, self.config, self.split = name, config, split
        self.text_column, self.revision = text_column, revision

    def name(self) -> str:
        return f"hf:{self.dataset_name}"

    def _iter(self) -> Iterator[tuple[str, int]]:
        try:
            ds = self._datasets.load_dataset(
                self.dataset_name,
                self.config,
                split=self.split,
                streaming=True,
                revision=self.revision,
            )
        except Exception as e:  # network, unknown name, missing config: all end up here
            raise DataError(
                f"could not load dataset {self.dataset_name!r} (config {self.config!r}, split "
                f"{self.split!r}) from the HuggingFace Hub: {e}. Check the name and the network; "
                "offline, use local files or the built-in 'demo' corpus"
            ) from e
        for i, row in enumerate(ds, 1):
            value = row_value(row, self.text_column, f"{self.name()} row {i}")
            if value is not None:
                yield value, i

    def describe(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.dataset_name,
            "config": self.config,
            "split": self.split,
            "column": self.text_column,
            "revision": self.revision,
        }


class DemoSource(TextSource):
    """The built-in offline corpus (see ``bert_engine.data.demo``); built once, then cached."""

    kind = "demo"

    def __init__(self, cache_dir: str | os.PathLike[str] | None = None) -> None:
        from bert_engine.data.demo import demo_corpus_path

        super().__init__(demo_corpus_path(cache_dir), doc_mode="blank_line")

    def name(self) -> str:
        return "demo (Python standard-library documentation)"


# ---------------------------------------------------------------- shared helpers


def parse_jsonl_line(line: str, path: Path, lineno: int) -> dict[str, Any]:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as e:
        raise DataError(
            f"{path}:{lineno}: not valid JSON ({e.msg} at column {e.colno}); each line must be "
            'one JSON object such as {"text": "..."}'
        ) from e
    if not isinstance(row, dict):
        raise DataError(
            f"{path}:{lineno}: expected a JSON object per line, got {type(row).__name__}"
        )
    return row


def row_value(row: dict[str, Any], column: str, where: str) -> str | None:
    """The text in ``row[column]``; None for an empty cell; DataError naming what is available."""
    if column not in row:
        raise DataError(
            f"{where}: no column {column!r}; available columns: {', '.join(map(str, row))}. "
            "Choose the text column with text_column="
        )
    value = row[column]
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise DataError(f"{where}: column {column!r} holds {type(value).__name__}, not text")
    return value


def iter_csv_rows(
    path: Path, text: Iterable[str], delimiter: str | None, required: Sequence[str]
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Rows of a CSV/TSV file as dicts, with ``path:line`` for messages; checks the header."""
    if delimiter is None:
        name = path.name.lower().removesuffix(".gz")
        delimiter = "\t" if name.endswith(".tsv") else ","
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # long documents in one cell are fine
    reader = csv.DictReader(text, delimiter=delimiter)
    try:
        header = reader.fieldnames
        if not header:
            raise DataError(f"{path}: the file is empty; expected a header row naming the columns")
        missing = [c for c in required if c not in header]
        if missing:
            raise DataError(
                f"{path}: no column {missing[0]!r}; available columns: {', '.join(header)}. "
                "Choose the column names to use (text_column=, pair_column=, label_column=)"
            )
        for row in reader:
            yield f"{path}:{reader.line_num}", row
    except csv.Error as e:
        raise DataError(f"{path}:{reader.line_num}: malformed CSV ({e})") from e


def _import_pyarrow_parquet() -> Any:
    try:
        import pyarrow.parquet as pq
    except ImportError as e:
        raise DataError(
            "reading Parquet files needs the optional 'pyarrow' package: "
            "pip install 'bertbench[parquet]' (or pip install pyarrow)"
        ) from e
    return pq


def open_source(
    spec: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    text_column: str = "text",
    doc_mode: DocMode = "blank_line",
    hub_config: str | None = None,
    hub_split: str = "train",
    cache_dir: str | os.PathLike[str] | None = None,
) -> CorpusSource:
    """A source from a spec: ``"demo"``, ``"hf:NAME"``, or files/directories/globs (the format is
    taken from the suffix: .txt/.jsonl/.csv/.tsv/.parquet, each optionally .gz)."""
    if isinstance(spec, str) and spec == "demo":
        return DemoSource(cache_dir)
    if isinstance(spec, str) and spec.startswith("hf:"):
        return HubSource(spec[3:], hub_config, hub_split, text_column)
    paths = resolve_paths(spec)
    formats = sorted({file_format(p) for p in paths})
    if len(formats) > 1:
        raise DataError(
            f"the corpus mixes file formats ({', '.join(formats)}); pass one format at a time, "
            "e.g. with a glob such as 'data/*.txt'"
        )
    fmt = formats[0]
    if fmt == "jsonl":
        return JsonlSource(paths, text_column)
    if fmt == "csv":
        return CsvSource(paths, text_column)
    if fmt == "parquet":
        return ParquetSource(paths, text_column)
    return TextSource(paths, doc_mode)
