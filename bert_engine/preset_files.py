"""Preset files without the schema: where presets are found, listing them with their
descriptions, reading one file's TOML, and `PresetError`. Listing and lookup import neither
pydantic nor torch, so `bertbench presets list` starts in a fraction of a second; validation
lives in `bert_engine.presets`."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from bert_engine.errors import BertbenchError

PRESET_SUFFIX = ".toml"


class PresetError(BertbenchError, ValueError):
    """A preset cannot be read or is invalid. The message says where, what and what is allowed."""


def read_toml(path: Path) -> dict[str, Any]:
    """One preset file's TOML (no `extends`, no validation); PresetError when unreadable."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PresetError(f"{path}: preset file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PresetError(f"{path}: cannot read the preset ({exc})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PresetError(f"{path}: not valid TOML: {exc}") from None


# ----------------------------------------------------------------------------- discovery
def bundled_dir() -> Path:
    """The presets shipped with bertbench: `presets/` next to the packages (the repository in
    an editable install; the wheel's `include` puts it in site-packages too)."""
    return Path(__file__).resolve().parent.parent / "presets"


def user_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(Path.home(), ".config")
    return Path(base) / "bertbench" / "presets"


def search_dirs() -> list[tuple[str, Path]]:
    """Where preset names are looked up, first match wins: ./presets, user, bundled."""
    found: list[tuple[str, Path]] = []
    for origin, folder in (
        ("local", Path.cwd() / "presets"),
        ("user", user_dir()),
        ("bundled", bundled_dir()),
    ):
        # In the repository ./presets is the bundled folder: list it once, as bundled.
        if origin != "bundled" and folder.resolve() == bundled_dir().resolve():
            continue
        if all(folder.resolve() != f.resolve() for _, f in found):
            found.append((origin, folder))
    return found


def _search_text() -> str:
    return ", ".join(str(d) for _, d in search_dirs())


@dataclass(frozen=True)
class PresetInfo:
    name: str
    path: Path
    origin: str  # local, user or bundled
    description: str
    shadowed: bool = False  # a preset of the same name earlier in the search order wins


def find_preset(name: str) -> Path | None:
    stem = name.removesuffix(PRESET_SUFFIX)
    if not stem or "/" in stem or os.sep in stem:
        return None
    for _, folder in search_dirs():
        candidate = folder / f"{stem}{PRESET_SUFFIX}"
        if candidate.is_file():
            return candidate.resolve()
    return None


def list_presets() -> list[PresetInfo]:
    found: list[PresetInfo] = []
    seen: set[str] = set()
    for origin, folder in search_dirs():
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob(f"*{PRESET_SUFFIX}")):
            try:
                description = str(read_toml(path).get("description", ""))
            except PresetError:
                description = "(unreadable)"
            found.append(PresetInfo(path.stem, path, origin, description, path.stem in seen))
            seen.add(path.stem)
    return found
