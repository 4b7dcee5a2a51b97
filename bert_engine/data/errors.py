"""Errors raised by the data pipeline: one class so callers (CLI, UIs) can catch them all."""

from __future__ import annotations

from bert_engine.errors import BertbenchError


class DataError(BertbenchError, ValueError):
    """Bad or unusable input data; the message says what, where and how to fix it."""


class DataFileNotFoundError(DataError, FileNotFoundError):
    """A path given as a corpus or dataset does not exist (or a glob matched nothing)."""


class SourceReadError(DataError):
    """A corpus or dataset file cannot be read: the OS refused it (permission, I/O error) or it
    is not a regular file (a directory, a FIFO, a device, a dangling symlink)."""
