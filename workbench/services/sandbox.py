"""Path confinement: the one check every file a web user names goes through.

    sandbox = Sandbox(root, data_dirs=[Path("/data")], confine=True)
    sandbox.path("/etc/passwd", "data file")     # SandboxError: outside the workspace
    sandbox.source("uploads/corpus.txt", "tokenizer corpus")
    sandbox.check_preset(preset)                 # every path-typed setting of a preset

`Services(root, confine_paths=True, data_dirs=[...])` (what `bertbench web` builds) turns it on;
unconfined (the TUI and the CLI: a local user reading their own files) every check passes and a
path is only resolved. A path is resolved the way the engine will open it (relative to the
working directory, `~` expanded, symlinks followed) and must then lie inside the workspace or one
of the data folders (`Path.resolve` + `is_relative_to`), so `..`, absolute paths and symlinks
that lead out are all refused by the same comparison.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from bert_engine.errors import BertbenchError

MAX_PATH_LENGTH = 4096  # longer: refused before the file system sees it

# Every path-typed setting of a preset (section, key) -> how its value names files:
#   file:   a file or folder path
#   source: a corpus spec ("demo", "hf:NAME", a file, a folder or a glob)
#   data:   a labelled data file, or "demo" (the built-in task)
#   init:   "random", a run name of this workspace, or a run / HuggingFace folder
#   step:   a checkpoint name of the init run (step-36), or a checkpoint folder
# tests/web/test_security.py checks that every text setting of the schema is listed here or in
# NOT_PATHS, so a new path setting cannot slip past the check.
Kind = Literal["file", "source", "data", "init", "step"]
PATH_FIELDS: dict[tuple[str, str], Kind] = {
    ("tokenizer", "path"): "file",
    ("tokenizer", "source"): "source",
    ("data", "source"): "source",
    ("data", "cache_dir"): "file",
    ("pretrain", "init_from"): "file",
    ("finetune", "init"): "init",
    ("finetune", "checkpoint"): "step",
    ("finetune", "tokenizer"): "file",
    ("classification", "train"): "data",
    ("classification", "validation"): "file",
    ("classification", "test"): "file",
}
# Text settings that name no file. tracking.runs_dir is one, but the run manager always sets it
# to the workspace's runs/ folder; `extends` is resolved as a preset name (PresetService).
NOT_PATHS = {
    "name",
    "description",
    "extends",
    "data.text_column",
    "data.hub_config",
    "data.hub_split",
    "pretrain.device",
    "finetune.device",
    "classification.text_column",
    "classification.text_pair_column",
    "classification.label_column",
    "tracking.runs_dir",
    "tracking.run_name",
}


class SandboxError(BertbenchError, ValueError):
    """A path a web user named that leads outside the workspace and its data folders."""


@dataclass(frozen=True)
class Sandbox:
    root: Path
    data_dirs: tuple[Path, ...] = ()
    confine: bool = False

    @classmethod
    def of(cls, root: Path, data_dirs: Sequence[str | os.PathLike[str]], confine: bool) -> Sandbox:
        folders = []
        for folder in data_dirs:
            path = Path(folder).expanduser().resolve()
            if not path.is_dir():
                raise SandboxError(
                    f"data folder {folder}: no such folder; create it or fix the path"
                )
            folders.append(path)
        return cls(root, tuple(folders), confine)

    @property
    def roots(self) -> tuple[Path, ...]:
        return (self.root, *self.data_dirs)

    def where(self) -> str:
        """The allowed folders in words, for error messages."""
        extra = f" ({', '.join(str(d) for d in self.data_dirs)})" if self.data_dirs else ""
        return f"inside the workspace ({self.root}) or a folder given with --data-dir{extra}"

    def allows(self, path: str | os.PathLike[str]) -> bool:
        """Whether `path` (resolved, symlinks followed) lies inside an allowed folder; always
        true when unconfined."""
        if not self.confine:
            return True
        try:
            resolved = Path(path).resolve()
        except (OSError, RuntimeError, ValueError):
            return False
        return any(resolved.is_relative_to(root) for root in self.roots)

    # ------------------------------------------------------------------ single values
    def path(self, value: str | os.PathLike[str], what: str) -> Path:
        """`value` resolved as the engine will open it; a `SandboxError` naming `what` when it
        is malformed or, confined, leads outside the allowed folders."""
        text = os.fspath(value)
        if not isinstance(text, str) or not text.strip():
            raise SandboxError(f"the {what} is empty; give a file name")
        if "\x00" in text:
            raise SandboxError(f"the {what} contains a NUL character; remove it")
        if len(text) > MAX_PATH_LENGTH:
            raise SandboxError(
                f"the {what} is {len(text)} characters long; use at most {MAX_PATH_LENGTH}"
            )
        try:
            resolved = Path(os.path.expanduser(text)).resolve()
        except (OSError, RuntimeError, ValueError) as exc:
            raise SandboxError(f"the {what} {text!r} cannot be resolved ({exc})") from None
        if self.confine and not any(resolved.is_relative_to(root) for root in self.roots):
            raise SandboxError(
                f"the {what} {_short(text)} is outside the folders this panel may use: it must "
                f"be {self.where()}; upload the file instead, or move it there"
            )
        return resolved

    def source(self, spec: str, what: str) -> str:
        """A corpus spec: "demo", "hf:NAME" (refused when confined: the hub is outside), a file,
        a folder or a glob whose every file lies inside. Returns `spec` unchanged."""
        if spec == "demo":
            return spec
        if spec.startswith("hf:"):
            if self.confine:
                raise SandboxError(
                    f"the {what} {_short(spec)}: HuggingFace datasets cannot be read from the web "
                    "panel; upload the file, or ask the operator to place it in a data folder"
                )
            return spec
        if not any(ch in spec for ch in "*?["):
            base = self.path(spec, what)
            if base.is_dir() and self.confine:
                for file in base.rglob("*"):
                    self._inside(file, spec, what)
            return spec
        # A glob: its fixed leading folders first (nothing outside is listed), then each match.
        parts = Path(os.path.expanduser(spec)).parts
        first = next(i for i, part in enumerate(parts) if any(c in part for c in "*?["))
        fixed = parts[:first]
        self.path(os.path.join(*fixed) if fixed else ".", what)
        if self.confine:
            for match in glob.glob(os.path.expanduser(spec), recursive=True):
                self._inside(Path(match), spec, what)
        return spec

    def _inside(self, file: Path, spec: str, what: str) -> None:
        if not self.allows(file):
            raise SandboxError(
                f"the {what} {_short(spec)} reaches {file.name!r}, a link that leads outside; "
                f"every file must be {self.where()}"
            )

    # ------------------------------------------------------------------ presets
    def check_preset(self, preset: Any) -> None:
        """Every path-typed setting of a preset (a `Preset` or its nested dict, e.g. a run's
        config.toml) must be allowed; the first that is not raises, naming the setting."""
        if not self.confine:
            return
        data = preset.model_dump(mode="python") if hasattr(preset, "model_dump") else preset
        for (section, key), kind in PATH_FIELDS.items():
            table = data.get(section) if isinstance(data, Mapping) else None
            value = table.get(key) if isinstance(table, Mapping) else None
            if value is None or value == "":
                continue
            self.setting(f"{section}.{key}", os.fspath(value), kind)

    def setting(self, key: str, value: str, kind: Kind) -> None:
        what = f"setting {key}"
        if kind == "source":
            self.source(value, what)
        elif kind == "data" and value == "demo":
            return
        elif kind == "init" and value.startswith("hf:"):
            if self.confine:  # a Hub model already in the cache; the panel never downloads
                from bert_engine.hub import HubError, fetch_checkpoint

                try:
                    fetch_checkpoint(value, download=False)
                except HubError:
                    raise SandboxError(
                        f"the {what} {_short(value)}: the web panel uses Hub models already in "
                        "the server's Hugging Face cache and downloads none; download it once "
                        "with the CLI or the TUI (or ask the operator), then start again"
                    ) from None
            return
        elif kind in ("init", "step") and _plain_name(value):
            # A run name (init) or checkpoint name (step) is looked up inside the run folders;
            # the engine tries it as a path first, so an existing folder of that name is checked.
            if value == "random" or not Path(os.path.expanduser(value)).exists():
                return
            self.path(value, what)
        else:
            self.path(value, what)


def _plain_name(value: str) -> bool:
    return "/" not in value and os.sep not in value and value not in ("..", ".", "~")


def _short(text: str) -> str:
    return repr(text if len(text) <= 120 else text[:117] + "...")
