"""Crash-safe file writing: write a temporary sibling, flush it to disk, rename it into place.

A rename within one directory is atomic on POSIX and Windows, so a reader sees either the old
file or the complete new one — never half of it, even if the writer is killed mid-write.
Every file the engine writes goes through here (folders written as a whole, like checkpoints
and token shards, use the same idea with a temporary folder).
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any


def fsync_path(path: Path) -> None:
    """Flush a written file (or a directory's entries) to disk; a no-op where unsupported."""
    flags = (os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)) if path.is_dir() else os.O_RDONLY
    try:
        fd = os.open(path, flags)
    except OSError:  # e.g. directories cannot be opened on Windows
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def temp_sibling(path: Path, tag: str = "tmp") -> Path:
    """A unique hidden name next to `path` (same directory, hence same filesystem).

    Starts with `.{tag}-` and ends with `.tmp`, so leftovers of a killed writer are recognisable.
    """
    return path.with_name(f".{tag}-{path.name}-{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp")


def is_abandoned_temp(path: Path, tag: str = "tmp") -> bool:
    """True for a `temp_sibling` file whose writer process is gone (killed mid-write): safe to
    delete. A temp file of a live process (another run writing right now) is left alone."""
    name = path.name
    if not (name.startswith(f".{tag}-") and name.endswith(".tmp")):
        return False
    try:
        pid = int(name[: -len(".tmp")].rsplit("-", 2)[-2])
    except (IndexError, ValueError):
        return False
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


def atomic_write(
    path: str | os.PathLike[str], write: Callable[[Path], Any], durable: bool = True
) -> None:
    """Replace `path` with what `write(tmp)` writes to a temporary sibling `tmp`.

    For writers that want a path (safetensors, `Tokenizer.save`). `durable` also fsyncs the file
    and its folder (survives power loss).
    """
    target = Path(path)
    tmp = temp_sibling(target)
    try:
        write(tmp)
        if durable:
            fsync_path(tmp)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if durable:
        fsync_path(target.parent)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes, durable: bool = True) -> None:
    """Replace `path` with `data` atomically."""
    atomic_write(path, lambda tmp: tmp.write_bytes(data), durable=durable)


def atomic_write_text(path: str | os.PathLike[str], text: str, durable: bool = True) -> None:
    """UTF-8, newlines written as given (no platform translation)."""
    atomic_write_bytes(path, text.encode("utf-8"), durable=durable)


def atomic_write_json(path: str | os.PathLike[str], data: Any, durable: bool = True) -> None:
    """Pretty, strict JSON (NaN is refused: callers convert it to null first)."""
    text = json.dumps(data, indent=2, sort_keys=False, allow_nan=False) + "\n"
    atomic_write_text(path, text, durable=durable)


def read_json_object(path: str | os.PathLike[str]) -> dict[str, Any]:
    """A JSON file holding an object, as a dict; {} when it is missing, unreadable or not an
    object (side files of a run that may not be there yet)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
