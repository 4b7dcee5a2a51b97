"""The built-in offline demo corpus: English prose from the installed Python's own documentation.

No download and no extra package: the text comes from the interpreter running this code, namely
the help topics of ``pydoc_data`` (the language reference that ``help()`` shows) and the
docstrings of the standard-library modules, classes and functions. Sources are *parsed* with
``ast`` and never imported, so no module runs (``antigravity`` would open a browser).

Each module becomes one document; its paragraphs are cleaned of code examples, reST markup and
parameter tables, so what remains is prose. The corpus is written once to
``<cache>/demo/stdlib-docs-v<N>-<python version>.txt`` (documents separated by blank lines, one
paragraph per line) and reused. It is deterministic for a given Python installation.
"""

from __future__ import annotations

import ast
import os
import re
import sys
import sysconfig
import warnings
from collections.abc import Iterator
from pathlib import Path

from bert_engine.data.errors import DataError
from bert_engine.files import atomic_write_text

_SKIP_DIRS = {
    "test",
    "tests",
    "idle_test",
    "idlelib",
    "turtledemo",
    "site-packages",
    "dist-packages",
    "__pycache__",
}  # tests and IDE internals: developer notes more than prose
_DEMO_VERSION = 2  # bump when the cleaning changes, so an old cached corpus is not reused
_MIN_WORDS = 6  # paragraphs shorter than this are mostly headings or signatures
_MIN_CORPUS_BYTES = 200_000  # below this the interpreter ships without its sources

# Lines that are code, doctest, tables or reST directives rather than prose.
_CODE_LINE = re.compile(r"^\s*(>>>|\.\.\.|\.\. |[-=~^*+|]{3,}|[\w.]+\(.*\)\s*(->.*)?$|\$ |#)")
_ROLE = re.compile(r":[\w:.-]+:`~?([^`<]*?)(?:\s*<[^>]*>)?`")  # :func:`name <target>` -> name
_INLINE = re.compile(r"``?([^`]+)``?")
_FIELD = re.compile(r"^\s*:(param|type|return|returns|rtype|raises|ivar|var)\b")


def default_cache_dir() -> Path:
    """``$BERTBENCH_CACHE``, else ``$XDG_CACHE_HOME/bertbench``, else ``~/.cache/bertbench``."""
    if os.environ.get("BERTBENCH_CACHE"):
        return Path(os.environ["BERTBENCH_CACHE"]).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "bertbench"


def demo_corpus_path(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """Path of the demo corpus text file, building it on first use (a few seconds)."""
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    version = "{}.{}.{}".format(*sys.version_info[:3])
    path = root / "demo" / f"stdlib-docs-v{_DEMO_VERSION}-{version}.txt"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # A cache: rebuilt when lost, so no fsync.
        atomic_write_text(path, "\n\n".join(demo_documents()) + "\n", durable=False)
    return path


def demo_documents() -> list[str]:
    """All demo documents, in a fixed order: help topics first, then modules by path."""
    docs = list(_topic_documents())
    for path in _stdlib_sources():
        doc = _module_document(path)
        if doc:
            docs.append(doc)
    if sum(len(d) for d in docs) < _MIN_CORPUS_BYTES:
        raise DataError(
            "this Python installation ships too little documentation to build the demo corpus "
            "(no standard-library sources or pydoc_data); pass a corpus file instead"
        )
    return docs


def _topic_documents() -> Iterator[str]:
    try:
        from pydoc_data.topics import topics
    except ImportError:
        return
    for key in sorted(topics):
        doc = "\n".join(clean_paragraphs(topics[key]))
        if doc:
            yield doc


def _stdlib_sources() -> list[Path]:
    root = Path(sysconfig.get_paths()["stdlib"])
    out = []
    for path in root.rglob("*.py"):
        parts = path.relative_to(root).parts
        if any(p in _SKIP_DIRS or p.startswith(".") for p in parts):
            continue
        out.append(path)
    return sorted(out, key=lambda p: p.relative_to(root).as_posix())


def _module_document(path: Path) -> str:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escape sequences in old sources
            tree = ast.parse(path.read_text(encoding="utf-8"))
    except (SyntaxError, UnicodeDecodeError, ValueError, OSError):
        return ""
    paragraphs: list[str] = []
    # Depth-first in source order through statements only: docstrings never sit inside
    # expressions, and skipping them is several times faster than ast.walk.
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            doc = ast.get_docstring(node)
            if doc:
                paragraphs.extend(clean_paragraphs(doc))
        children = [
            child
            for field in ("body", "orelse", "handlers", "finalbody")
            for child in getattr(node, field, ())
            if isinstance(child, (ast.stmt, ast.excepthandler))
        ]
        stack.extend(reversed(children))
    return "\n".join(paragraphs)


def clean_paragraphs(text: str) -> list[str]:
    """Prose paragraphs of a docstring: blocks are split at blank lines, code and markup dropped,
    wrapped lines joined."""
    out = []
    for block in re.split(r"\n\s*\n", text):
        lines = block.splitlines()
        # An indented block after a "::" or a table of options is code or a listing, not prose.
        if not lines or lines[0].startswith((" ", "\t")) and len(lines) > 1:
            continue
        kept = [ln.strip() for ln in lines if not _CODE_LINE.match(ln) and not _FIELD.match(ln)]
        para = " ".join(kept)
        para = _ROLE.sub(r"\1", para)
        para = _INLINE.sub(r"\1", para)
        para = re.sub(r"\s+", " ", para).strip().removesuffix("::").strip()
        words = para.split()
        if len(words) < _MIN_WORDS:
            continue
        letters = sum(ch.isalpha() or ch == " " for ch in para)
        if letters < 0.8 * len(para):  # mostly symbols or numbers: a signature or a table
            continue
        out.append(para)
    return out
