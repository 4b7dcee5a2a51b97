"""The workspace: the one folder the workbench writes into, whatever names the user types.

    <root>/runs/        run directories (the same layout the CLI creates)
    <root>/presets/     presets saved from a UI
    <root>/tokenizers/  trained tokenizers, one folder each (tokenizer.json + meta.json)
    <root>/exports/     HuggingFace exports of runs
    <root>/uploads/     files received by the web panel

Every name a UI passes is checked by `check_name` (one path component, no `..`, no separators,
no absolute paths, no reserved device names) and every resolved path is re-checked to lie inside
the root (symlinks included), so a crafted name can never write elsewhere. Paths (not names) that
a web user types go through `resolve_inside` (services/sandbox.py). Writes are atomic
(temp file + rename, `bert_engine.files`). No engine import at module level: importing
the services must stay fast for the TUI's first frame.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path

from bert_engine.errors import BertbenchError

AREAS = ("runs", "presets", "tokenizers", "exports", "uploads")
MAX_NAME_LENGTH = 100
DEFAULT_MAX_UPLOAD_BYTES = 20 * 1024 * 1024
# Windows device names: a file called "con.toml" cannot be created there.
_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {f"{p}{i}" for p in ("COM", "LPT") for i in range(10)}
_FORBIDDEN_CHARS = set('<>:"|?*\\/') | {chr(i) for i in range(32)} | {"\x7f"}


class WorkspaceError(BertbenchError, ValueError):
    """A name, file or choice the workbench's services refuse; the message says which and how
    to fix it."""


def check_name(name: str, what: str = "name") -> str:
    """`name` itself when it is a safe single file or folder name, else a `WorkspaceError`."""
    if not isinstance(name, str) or not name.strip():
        raise WorkspaceError(f"the {what} is empty; type a name such as 'my-experiment'")
    if name != name.strip():
        raise WorkspaceError(f"the {what} {name!r} starts or ends with spaces; remove them")
    if name in (".", "..") or ".." in name:
        raise WorkspaceError(f"the {what} {name!r} contains '..'; use letters, digits, - _ .")
    if os.path.isabs(name) or re.match(r"^[A-Za-z]:", name):
        raise WorkspaceError(
            f"the {what} {name!r} is an absolute path; give a plain name, the workspace "
            "decides the folder"
        )
    bad = sorted({c for c in name if c in _FORBIDDEN_CHARS})
    if bad:
        shown = ", ".join(repr(c) for c in bad)
        raise WorkspaceError(
            f'the {what} {name!r} contains {shown} (path separators and <>:"|?* are not '
            "allowed); use letters, digits, - _ ."
        )
    if name.startswith("."):
        raise WorkspaceError(f"the {what} {name!r} starts with '.' (a hidden file); remove it")
    if name.endswith("."):
        raise WorkspaceError(f"the {what} {name!r} ends with '.'; remove it")
    if name.split(".")[0].upper() in _RESERVED:
        raise WorkspaceError(
            f"the {what} {name!r} is a reserved device name on Windows; pick another name"
        )
    if len(name) > MAX_NAME_LENGTH:
        raise WorkspaceError(
            f"the {what} is {len(name)} characters long; use at most {MAX_NAME_LENGTH}"
        )
    return name


def slugify(text: str, fallback: str = "untitled") -> str:
    """A safe name derived from any text (for suggestions: 'My run #2' -> 'My-run-2')."""
    text = unicodedata.normalize("NFC", str(text))
    chars = [c if c.isalnum() or c in "-_." else "-" for c in text]
    cleaned = re.sub(r"-{2,}", "-", "".join(chars)).strip("-. ")[:MAX_NAME_LENGTH].rstrip("-. ")
    cleaned = re.sub(r"\.{2,}", ".", cleaned)
    if not cleaned:
        return fallback
    if cleaned.split(".")[0].upper() in _RESERVED:
        cleaned = "_" + cleaned
    return cleaned


class Workspace:
    """The root folder and its areas; every path handed out lies inside the root."""

    def __init__(
        self,
        root: str | os.PathLike[str],
        *,
        max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
        confine_paths: bool = False,
        data_dirs: Sequence[str | os.PathLike[str]] = (),
    ) -> None:
        from workbench.services.sandbox import Sandbox

        self.root = Path(root).expanduser().resolve()
        self.max_upload_bytes = max_upload_bytes
        for area in AREAS:
            (self.root / area).mkdir(parents=True, exist_ok=True)
        # Confined (the web panel): every path a user names must lie inside the root or one of
        # the data folders (services/sandbox.py); unconfined (TUI, CLI) paths are only resolved.
        self.sandbox = Sandbox.of(self.root, data_dirs, confine_paths)

    @property
    def confined(self) -> bool:
        return self.sandbox.confine

    def resolve_inside(self, path: str | os.PathLike[str], what: str = "file") -> Path:
        """`path` resolved (symlinks followed); confined, a `SandboxError` unless it lies inside
        the workspace or a data folder. The one check the web panel's file inputs go through."""
        return self.sandbox.path(path, what)

    # ------------------------------------------------------------------ paths
    def area(self, area: str) -> Path:
        if area not in AREAS:
            raise WorkspaceError(f"unknown workspace area {area!r}; one of {', '.join(AREAS)}")
        return self.root / area

    @property
    def runs_dir(self) -> Path:
        return self.root / "runs"

    def path(self, area: str, *names: str) -> Path:
        """`<root>/<area>/<name>/...` after checking every name and the resolved location."""
        path = self.area(area)
        for name in names:
            path = path / check_name(name)
        self.ensure_inside(path)
        return path

    def ensure_inside(self, path: str | os.PathLike[str]) -> Path:
        """`path` resolved, or a `WorkspaceError` when it leads outside the root (a symlink)."""
        resolved = Path(path).resolve()
        if resolved != self.root and self.root not in resolved.parents:
            raise WorkspaceError(f"{path} lies outside the workspace {self.root}; refused")
        return resolved

    def unique_name(self, area: str, base: str, suffix: str = "") -> str:
        """`base` (made safe) or `base-2`, `base-3`... whichever is free in `area`."""
        stem = slugify(base)[: MAX_NAME_LENGTH - len(suffix) - 4]
        folder = self.area(area)
        candidate, n = stem, 1
        while (folder / f"{candidate}{suffix}").exists():
            n += 1
            candidate = f"{stem}-{n}"
        return candidate + suffix

    # ------------------------------------------------------------------ writing
    def write_bytes(self, area: str, name: str, data: bytes, *, overwrite: bool = True) -> Path:
        """Write `<area>/<name>` atomically (temp file + rename)."""
        from bert_engine.files import atomic_write_bytes

        target = self.path(area, name)
        if not overwrite and target.exists():
            raise WorkspaceError(
                f"{area}/{name} already exists; choose another name or allow overwriting"
            )
        atomic_write_bytes(target, data, durable=False)
        return target

    def write_text(self, area: str, name: str, text: str, *, overwrite: bool = True) -> Path:
        return self.write_bytes(area, name, text.encode("utf-8"), overwrite=overwrite)

    def save_upload(self, name: str, data: bytes, *, suffixes: tuple[str, ...] = ()) -> Path:
        """Store an uploaded file in `uploads/` after checking its name, suffix, size and
        encoding (text files must be UTF-8)."""
        check_name(name, "file name")
        if suffixes and not name.lower().endswith(tuple(s.lower() for s in suffixes)):
            raise WorkspaceError(
                f"upload {name!r}: expected a file ending in {', '.join(suffixes)}"
            )
        self.check_upload_size(name, len(data))
        if not name.lower().endswith((".gz", ".parquet")):
            try:
                data.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise WorkspaceError(
                    f"upload {name!r} is not UTF-8 text (byte {exc.start}); save it as UTF-8"
                ) from None
        return self.write_bytes("uploads", name, data)

    def check_upload_size(self, name: str, size: int) -> None:
        if size > self.max_upload_bytes:
            raise WorkspaceError(
                f"upload {name!r} is {size / 1e6:.1f} MB; the limit is "
                f"{self.max_upload_bytes / 1e6:.1f} MB (Workspace(max_upload_bytes=...))"
            )
