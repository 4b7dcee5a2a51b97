"""Completion for the path fields of the preset form and the Try pane: the first file or
folder whose name starts with what is typed, relative to the workspace (or absolute, or from
`~`). Textual shows the rest greyed after the cursor; Right (→) at the end accepts it.

Column fields of a fine-tuning preset complete from the columns of its training file instead
(`field_suggester`)."""

from __future__ import annotations

import os
from pathlib import Path

from textual.suggester import Suggester, SuggestFromList

from workbench.services.datafiles import COLUMN_FIELDS, PATH_FIELDS

MAX_ENTRIES = 5000  # a huge folder is scanned this far only: typing must stay quick


def complete_path(root: Path, value: str, suffixes: tuple[str, ...] = ()) -> str | None:
    """`value` completed to the first matching entry (folders end in "/"), or None.

    Relative values are relative to `root`; hidden entries only when the typed name starts
    with "."; with `suffixes`, files must end in one of them (folders always match)."""
    if not value or "\0" in value:
        return None
    head, sep, prefix = value.rpartition("/")
    typed_folder = head + sep  # "" or "uploads/" or "/data/"
    base = Path(os.path.expanduser(typed_folder)) if typed_folder else Path()
    folder = base if base.is_absolute() else root / base
    matches: list[tuple[str, bool]] = []
    try:
        with os.scandir(folder) as entries:
            for n, entry in enumerate(entries):
                if n >= MAX_ENTRIES:
                    break
                name = entry.name
                if not name.startswith(prefix) or (
                    name.startswith(".") and not prefix.startswith(".")
                ):
                    continue
                is_dir = entry.is_dir()
                if suffixes and not is_dir and not name.lower().endswith(suffixes):
                    continue
                matches.append((name, is_dir))
    except OSError:  # no such folder, no permission: nothing to suggest
        return None
    if not matches:
        return None
    name, is_dir = min(matches)
    completed = typed_folder + name + ("/" if is_dir else "")
    return completed if completed != value else None


class PathSuggester(Suggester):
    """Suggests paths under `root` (see `complete_path`); never cached: folders change."""

    def __init__(self, root: Path, suffixes: tuple[str, ...] = ()) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.root = root
        self.suffixes = suffixes

    async def get_suggestion(self, value: str) -> str | None:
        return complete_path(self.root, value, self.suffixes)


def field_suggester(path: str, root: Path, columns: list[str]) -> Suggester | None:
    """The suggester of a preset field: paths for path fields, the training file's columns
    for the column fields (once known), None for the rest."""
    if path in PATH_FIELDS:
        return PathSuggester(root)
    if path in COLUMN_FIELDS and columns:
        return SuggestFromList(columns, case_sensitive=True)
    return None
