"""Organising runs: notes and tags (in the run folder's meta.json), start time and duration,
a search filter, rename, and a trash folder to delete into (and restore from).

Both UIs call these through `RunLibrary` (services/runs.py); nothing here imports the engine
beyond the torch-free `tracking` and `files` modules.

References on rename: a run's identity is its folder name, and other runs may name the folder
(a fine-tune's config.toml `finetune.init`, a pre-training's `pretrain.init_from`, a fine-tune's
init.json). `rename` rewrites those records in the other runs of the workspace, so continuing
them keeps working; presets that name the old folder are listed (and left as the user wrote
them). Trash moves nothing but the folder: a run that names a trashed one works again once it
is restored.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from workbench.services.workspace import WorkspaceError, check_name

META_FILE = "meta.json"
TRASH = "trash"  # <workspace>/trash/: deleted runs, restorable
MAX_TAGS = 20
MAX_TAG_LENGTH = 32
MAX_NOTES = 4000  # characters
# Letters (any script), digits, and - _ . + inside; no spaces (they separate tags).
_TAG = re.compile(r"^\w[\w.+-]*$")
LIVE = ("starting", "running", "paused", "stopping")


@dataclass(frozen=True)
class RunMeta:
    tags: tuple[str, ...] = ()
    notes: str = ""


@dataclass(frozen=True)
class RenameResult:
    path: Path  # the run's new folder
    updated: list[str] = field(default_factory=list)  # other runs whose records now name it
    presets: list[str] = field(default_factory=list)  # presets that still name the old folder


# ------------------------------------------------------------------ notes and tags
def parse_tags(tags: str | Iterable[str]) -> tuple[str, ...]:
    """Tags from text ('baseline, lr-sweep small') or a list: split on commas and spaces,
    checked, duplicates (any case) dropped, the order kept. A `WorkspaceError` says which
    tag is wrong and why."""
    words = re.split(r"[,\s]+", tags) if isinstance(tags, str) else list(tags)
    out: list[str] = []
    seen: set[str] = set()
    for word in words:
        if not isinstance(word, str):
            raise WorkspaceError("tags must be text")
        word = word.strip().lstrip("#")
        if not word:
            continue
        if len(word) > MAX_TAG_LENGTH:
            raise WorkspaceError(
                f"the tag {word[:20]!r}... is {len(word)} characters long; "
                f"use at most {MAX_TAG_LENGTH}"
            )
        if not _TAG.match(word):
            raise WorkspaceError(
                f"the tag {word!r} may hold only letters, digits and - _ . + "
                "(separate tags with spaces or commas)"
            )
        if word.casefold() not in seen:
            seen.add(word.casefold())
            out.append(word)
    if len(out) > MAX_TAGS:
        raise WorkspaceError(f"{len(out)} tags; a run keeps at most {MAX_TAGS}")
    return tuple(out)


def check_notes(notes: str) -> str:
    if not isinstance(notes, str):
        raise WorkspaceError("the notes must be text")
    notes = notes.replace("\r\n", "\n").replace("\x00", "")
    if len(notes) > MAX_NOTES:
        raise WorkspaceError(
            f"the notes are {len(notes)} characters long; keep them under {MAX_NOTES}"
        )
    return notes


def read_meta(run_dir: Path) -> RunMeta:
    """The run's notes and tags; a missing or damaged meta.json reads as none."""
    try:
        data = json.loads((run_dir / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return RunMeta()
    if not isinstance(data, dict):
        return RunMeta()
    tags = data.get("tags")
    notes = data.get("notes")
    return RunMeta(
        tuple(t for t in tags if isinstance(t, str)) if isinstance(tags, list) else (),
        notes if isinstance(notes, str) else "",
    )


def write_meta(run_dir: Path, tags: str | Iterable[str], notes: str) -> RunMeta:
    """Check and store the run's tags and notes (meta.json, written atomically)."""
    from bert_engine.files import atomic_write_json

    meta = RunMeta(parse_tags(tags), check_notes(notes))
    atomic_write_json(run_dir / META_FILE, {"tags": list(meta.tags), "notes": meta.notes})
    return meta


# ------------------------------------------------------------------ start time, duration
def parse_time(text: Any) -> float | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(str(text)).timestamp()
    except ValueError:
        return None


def timing(record: Any, live: bool, now: float | None = None) -> tuple[float | None, float | None]:
    """(start time, duration in seconds) of a run from its record: started (else created) to
    ended; a live run's duration is the time so far; an ended run without an end time falls
    back to the training time the summary counted."""
    started = parse_time(getattr(record, "started", None)) or parse_time(
        getattr(record, "created", None)
    )
    if started is None:
        return None, None
    if live:
        return started, max(0.0, (now if now is not None else time.time()) - started)
    ended = parse_time(getattr(record, "ended", None))
    if ended is not None and ended >= started:
        return started, ended - started
    return started, None


_NAME_TIME = re.compile(r"-(\d{8}T\d{6}Z)(?:-\d+)?$")


def name_time(run_id: str) -> float | None:
    """The UTC time in a run folder's name (`tiny-20260105T000000Z`), if it has one."""
    match = _NAME_TIME.search(run_id)
    if match is None:
        return None
    return (
        datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc).timestamp()
    )


def format_start(when: float | None) -> str:
    """'2026-01-05 14:03' (UTC); '-' when unknown."""
    if when is None:
        return "-"
    return datetime.fromtimestamp(when, timezone.utc).strftime("%Y-%m-%d %H:%M")


def format_duration(seconds: float | None) -> str:
    """'45s', '12m 03s', '3h 07m', '2d 04h'; '-' when unknown."""
    if seconds is None:
        return "-"
    s = int(round(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m {s % 60:02d}s"
    if s < 86400:
        return f"{s // 3600}h {s % 3600 // 60:02d}m"
    return f"{s // 86400}d {s % 86400 // 3600:02d}h"


# ------------------------------------------------------------------ search
def matches(run: Any, query: str) -> bool:
    """Whether a `RunInfo` matches every word of `query` (case-insensitive): a plain word is
    looked for in the run id, name, kind, status, tags and notes; `tag:x` a tag starting with x,
    `status:x` a status starting with x, `kind:x` a kind starting with x."""
    tags = [t.casefold() for t in getattr(run, "tags", ())]
    text = " ".join(
        [
            run.run_id,
            run.name,
            run.kind,
            run.status,
            getattr(run, "preset", "") or "",
            *tags,
            getattr(run, "notes", "") or "",
        ]
    ).casefold()
    for word in query.casefold().split():
        key, colon, value = word.partition(":")
        if colon and key == "tag":
            if not any(tag.startswith(value) for tag in tags):
                return False
        elif colon and key == "status":
            if not run.status.casefold().startswith(value):
                return False
        elif colon and key == "kind":
            if not run.kind.casefold().startswith(value):
                return False
        elif word not in text:
            return False
    return True


def filter_runs(runs: Sequence[Any], query: str | None) -> list[Any]:
    """The runs that match `query` (all of them for an empty query), in their order."""
    if not query or not query.strip():
        return list(runs)
    return [r for r in runs if matches(r, query)]


# ------------------------------------------------------------------ rename, trash
def check_run_name(name: str) -> str:
    """A new run folder name: a safe plain name (see `check_name`) of letters, digits, - _ ."""
    name = check_name(name, "run name")
    bad = sorted({c for c in name if not (c.isalnum() or c in "-_.")})
    if bad:
        shown = ", ".join(repr(c) for c in bad)
        raise WorkspaceError(f"the run name {name!r} contains {shown}; use letters, digits, - _ .")
    return name


def refuse_live(run: Any, doing: str) -> None:
    if run.status in LIVE or getattr(run, "managed_id", None):
        raise WorkspaceError(
            f"{run.run_id} is {run.status}; stop it (or wait for it to end) before you {doing} it"
        )


def rename_folder(runs_dir: Path, old: Path, new_name: str, presets_dir: Path) -> RenameResult:
    """Rename the run folder `old` to `runs_dir/new_name` and update what names it."""
    from bert_engine.tracking import read_summary

    new = runs_dir / new_name
    if new.exists() or new.is_symlink():
        raise WorkspaceError(f"a run named {new_name} already exists; choose another name")
    os.rename(old, new)
    _fix_summary(new, old, read_summary(new))
    updated = []
    for other in sorted(runs_dir.iterdir()):
        # A link (perhaps leading out of the workspace) is not a run of this workspace.
        if other.is_dir() and not other.is_symlink() and other != new and _repoint(other, old, new):
            updated.append(other.name)
    return RenameResult(new, updated, _presets_naming(presets_dir, old))


def _fix_summary(new: Path, old: Path, summary: dict[str, Any]) -> None:
    from bert_engine.files import atomic_write_json

    if not summary:
        return
    summary["run_id"] = new.name
    for key in ("last_checkpoint", "best_checkpoint"):
        value = summary.get(key)
        if isinstance(value, str) and value.startswith(str(old) + os.sep):
            summary[key] = str(new) + value[len(str(old)) :]
    atomic_write_json(new / "summary.json", summary, durable=False)


def _same(value: Any, old: Path) -> bool:
    if not isinstance(value, str) or not value:
        return False
    path = Path(value)
    return path == old or path.name == old.name and path.parent.name == "runs"


def _repoint(run_dir: Path, old: Path, new: Path) -> bool:
    """Point `run_dir`'s config.toml and init.json at `new` where they named `old`."""
    from bert_engine.files import atomic_write_json
    from bert_engine.tracking import read_config, write_config

    changed = False
    try:
        config = read_config(run_dir)
    except ValueError:
        config = {}
    touched = False
    for section, key in (("finetune", "init"), ("pretrain", "init_from")):
        part = config.get(section)
        if isinstance(part, dict) and _same(part.get(key), old):
            part[key] = str(new)
            touched = True
    if touched:
        write_config(run_dir, config)
        changed = True
    init_file = run_dir / "init.json"
    try:
        init = json.loads(init_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        init = None
    if isinstance(init, dict):
        source = init.get("source")
        prefix = f"run:{old}{os.sep}"
        if isinstance(source, str) and source.startswith(prefix):
            init["source"] = f"run:{new}{os.sep}{source[len(prefix) :]}"
            if init.get("init_run") == old.name:
                init["init_run"] = new.name
            atomic_write_json(init_file, init)
            changed = True
    return changed


def _presets_naming(presets_dir: Path, old: Path) -> list[str]:
    """Presets whose text names the old run folder (they are the user's: left unchanged)."""
    found = []
    if presets_dir.is_dir():
        for preset in sorted(presets_dir.glob("*.toml")):
            try:
                text = preset.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            if str(old) in text or f"runs/{old.name}" in text:
                found.append(preset.stem)
    return found


def trash_folder(trash_dir: Path, run_dir: Path) -> Path:
    """Move `run_dir` into `trash_dir` (a clash gets -2, -3...). Never deletes anything."""
    trash_dir.mkdir(parents=True, exist_ok=True)
    target = trash_dir / run_dir.name
    n = 1
    while target.exists() or target.is_symlink():
        n += 1
        target = trash_dir / f"{run_dir.name}-{n}"
    os.rename(run_dir, target)
    return target


def trashed(trash_dir: Path) -> list[str]:
    """Names of the runs in the trash, sorted."""
    if not trash_dir.is_dir():
        return []
    return sorted(p.name for p in trash_dir.iterdir() if p.is_dir() and not p.name.startswith("."))
