"""A built-in labelled task for fine-tuning demos, made offline from the demo corpus' sources.

Each example is one prose paragraph from the docstrings of the installed Python's standard
library; its label is the family of modules it was written for:

    gui           tkinter, turtle
    concurrency   asyncio, concurrent, multiprocessing, threading
    email         email, mailbox, smtplib
    web           http, urllib, wsgiref, xmlrpc
    testing       unittest, doctest, pdb, bdb

Real text and real labels, no download and no extra package; deterministic for a given Python
installation (paragraphs are taken in source order and capped per label so classes stay
balanced). Written once as ``<cache>/demo/stdlib-topics-v<N>-<python version>.csv`` with
columns ``text,label``, the format ``load_classification`` reads.
"""

from __future__ import annotations

import csv
import io
import os
import sys
import sysconfig
from pathlib import Path

from bert_engine.data.demo import (  # the demo corpus' own source walk and cleaning
    _module_document,
    _stdlib_sources,
    default_cache_dir,
    write_atomic,
)
from bert_engine.data.errors import DataError

DEMO_TASK = "demo"  # the name presets use for this dataset (``train = "demo"``)
_VERSION = 1  # bump when the families or the cleaning change
_PER_LABEL = 400
_MIN_PER_LABEL = 40  # below this the installation lacks the sources of a family

FAMILIES: dict[str, tuple[str, ...]] = {
    "gui": ("tkinter", "turtle"),
    "concurrency": ("asyncio", "concurrent", "multiprocessing", "threading"),
    "email": ("email", "mailbox", "smtplib"),
    "web": ("http", "urllib", "wsgiref", "xmlrpc"),
    "testing": ("unittest", "doctest", "pdb", "bdb"),
}
_FAMILY_OF = {module: label for label, modules in FAMILIES.items() for module in modules}


def demo_examples() -> list[tuple[str, str]]:
    """(paragraph, label) pairs: up to ``_PER_LABEL`` per label, spread over the family's
    modules in source order (every k-th paragraph, so no single module dominates)."""
    root = Path(sysconfig.get_paths()["stdlib"])
    found: dict[str, list[str]] = {label: [] for label in FAMILIES}
    for path in _stdlib_sources():
        top = path.relative_to(root).parts[0].removesuffix(".py")
        label = _FAMILY_OF.get(top)
        if label is None:
            continue
        doc = _module_document(path)
        found[label].extend(p for p in doc.split("\n") if p)
    out: list[tuple[str, str]] = []
    for label, paragraphs in found.items():
        if len(paragraphs) < _MIN_PER_LABEL:
            raise DataError(
                f"this Python installation ships too little documentation for the demo "
                f"classification task (label {label!r}: {len(paragraphs)} paragraphs); "
                "use your own labelled file instead (presets/finetune-csv.toml)"
            )
        stride = max(1, len(paragraphs) // _PER_LABEL)
        out.extend((p, label) for p in paragraphs[::stride][:_PER_LABEL])
    return out


def demo_task_path(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """The CSV file of the demo task, built on first use (a few seconds)."""
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    version = "{}.{}.{}".format(*sys.version_info[:3])
    path = root / "demo" / f"stdlib-topics-v{_VERSION}-{version}.csv"
    if not path.exists():
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["text", "label"])
        writer.writerows(demo_examples())
        write_atomic(path, buffer.getvalue())
    return path
