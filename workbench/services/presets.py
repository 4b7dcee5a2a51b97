"""Presets for the UIs: list, load, validate (with field-level errors), save, duplicate, diff,
and the schema a form is drawn from. Built on `bert_engine.presets` (imported lazily).

Presets saved here go to `<workspace>/presets/`, which is searched before ./presets, the user
folder and the bundled presets.
"""

from __future__ import annotations

import copy
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

from bert_engine import preset_fields
from bert_engine.preset_fields import FieldSpec
from workbench.services import toml_edit
from workbench.services.workspace import Workspace, WorkspaceError, check_name

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

if TYPE_CHECKING:
    from bert_engine.presets import Preset

SUFFIX = ".toml"


@dataclass(frozen=True)
class FieldError:
    """One problem, at `path` ("pretrain.lr"; "" for the whole preset), for a form to show
    next to the field."""

    path: str
    message: str
    line: int | None = None  # in the TOML text, when known


@dataclass
class Validation:
    ok: bool
    preset: Preset | None = None
    errors: list[FieldError] = field(default_factory=list)


@dataclass(frozen=True)
class PresetEntry:
    name: str
    path: Path
    origin: str  # workspace, local, user or bundled
    description: str
    shadowed: bool  # an earlier folder holds a preset of the same name


class PresetService:
    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.folder = workspace.area("presets")

    # ------------------------------------------------------------------ reading
    def list(self) -> list[PresetEntry]:
        """Workspace presets first, then H-pre's discovery order (./presets, user, bundled)."""
        from bert_engine import presets as engine

        entries: list[PresetEntry] = []
        seen: set[str] = set()
        for path in sorted(self.folder.glob(f"*{SUFFIX}")):
            if not self.workspace.sandbox.allows(path):  # a link out: not read when confined
                continue
            entries.append(
                PresetEntry(path.stem, path, "workspace", _description(path), path.stem in seen)
            )
            seen.add(path.stem)
        for info in engine.list_presets():
            if info.path.resolve().parent == self.folder:
                continue
            entries.append(
                PresetEntry(
                    info.name,
                    info.path,
                    info.origin,
                    info.description,
                    info.shadowed or info.name in seen,
                )
            )
            seen.add(info.name)
        return entries

    def resolve(self, ref: str | Path) -> Path:
        """The file of a preset name (workspace first) or an existing preset path."""
        from bert_engine.presets import resolve_preset_ref

        if self.workspace.confined:
            return self._resolve_name(ref)
        if isinstance(ref, str) and not ref.endswith(SUFFIX) and "/" not in ref:
            local = self.folder / f"{ref}{SUFFIX}"
            if local.is_file():
                return local
        return resolve_preset_ref(ref)

    def _resolve_name(self, ref: str | Path) -> Path:
        """Confined (the web panel): a listed preset's name only, never a path; a workspace
        preset must not be a link that leads outside."""
        from bert_engine.presets import PresetError

        try:
            name = check_name(str(ref), "preset name").removesuffix(SUFFIX)
        except WorkspaceError as exc:
            raise WorkspaceError(f"{exc}; choose a preset from the list") from None
        for entry in self.list():
            if entry.name == name and not entry.shadowed:
                return (
                    self.workspace.ensure_inside(entry.path)
                    if entry.origin == "workspace"
                    else entry.path
                )
        known = ", ".join(e.name for e in self.list() if not e.shadowed) or "none"
        raise PresetError(f"no preset named {name!r}; choose one of: {known}")

    def load(self, ref: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> Preset:
        """A validated preset (extends merged) with `key=value` overrides applied."""
        from bert_engine.presets import load_preset

        return load_preset(self.resolve(ref), overrides)

    def text(self, ref: str | Path) -> str:
        """The TOML text of a preset file, as written (for an editor)."""
        return self.resolve(ref).read_text(encoding="utf-8")

    # ------------------------------------------------------------------ validation
    def validate_text(self, text: str) -> Validation:
        """Check TOML text from an editor or an upload: syntax, `extends`, schema."""
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            line = getattr(exc, "lineno", None) or _line_from_message(str(exc))
            return Validation(False, errors=[FieldError("", f"not valid TOML: {exc}", line)])
        from bert_engine.presets import _absolutize

        # TOML text is a preset file's: its paths are relative to the workspace presets folder,
        # where it is saved (a form's typed paths are relative to the workspace).
        data = _absolutize(data, self.folder)
        ref = data.pop("extends", None)
        if ref is not None:
            from bert_engine.presets import PresetError, deep_merge, read_preset_dict

            if not isinstance(ref, str):
                return Validation(
                    False, errors=[FieldError("extends", "expected a preset name (a string)")]
                )
            try:
                data = deep_merge(read_preset_dict(self.resolve(ref)), data)
            except PresetError as exc:
                return Validation(False, errors=[FieldError("extends", str(exc))])
        result = self.validate_form(data)
        lines = text.splitlines()
        result.errors = [
            FieldError(
                e.path,
                e.message,
                e.line or (preset_fields.line_of(lines, e.path.split(".")) if e.path else None),
            )
            for e in result.errors
        ]
        return result

    def validate_form(self, data: dict[str, Any]) -> Validation:
        """Validate a (possibly nested or flat "section.key") dict from a form."""
        from pydantic import ValidationError

        from bert_engine.presets import Preset

        nested = copy.deepcopy(preset_fields.nested(data))
        typed = self._from_workspace(nested)
        try:
            preset = Preset.model_validate(nested)
        except ValidationError as exc:
            return Validation(False, errors=[_field_error(p) for p in preset_fields.problems(exc)])
        missing = self.missing_files(preset, typed)
        return Validation(not missing, preset, missing)

    def missing_files(
        self, preset: Preset, typed: Mapping[str, str] | None = None
    ) -> list[FieldError]:
        """A problem per input file `preset` names that does not exist: the key, the path and
        how to fix it. `typed` holds what was typed for a key, when it came from a form."""
        from bert_engine.presets import missing_inputs, unusable_inputs

        typed = dict(typed or {})
        errors: list[FieldError] = []
        for key, path in missing_inputs(preset):
            if not self.workspace.sandbox.allows(path):
                # Confined (the web panel): whether a file outside exists is not told; the
                # sandbox refuses the path when a run starts.
                continue
            if key in typed:
                how = f'typed "{typed[key]}", relative to the workspace'
                message = f"no file at {path} ({how}); fix the path or put the file there"
            else:
                message = (
                    f"no file at {path}; this preset expects your own data there: put the file "
                    "there, or set this field to your file (a path relative to the workspace)"
                )
            errors.append(FieldError(key, message))
        for key, path, problem in unusable_inputs(preset):
            if self.workspace.sandbox.allows(path):  # confined: nothing told about outside
                errors.append(FieldError(key, problem))
        return errors

    def _from_workspace(self, nested: dict[str, Any]) -> dict[str, str]:
        """The path rule: relative input paths typed in a form are relative to the workspace;
        made absolute here (saving writes them relative to the saved file). Returns what was
        typed, by key, for the messages."""
        from bert_engine.presets import PATH_KEYS, _is_input_path

        typed: dict[str, str] = {}
        for section, key in PATH_KEYS:
            table = nested.get(section)
            value = table.get(key) if isinstance(table, dict) else None
            if isinstance(value, PurePath):
                value = table[key] = value.as_posix()  # type: ignore[index]
            if not _is_input_path((section, key), value):
                continue
            text = os.path.expanduser(value)
            if not os.path.isabs(text):
                typed[f"{section}.{key}"] = value
                table[key] = os.path.normpath(self.workspace.root / text)  # type: ignore[index]
        return typed

    # ------------------------------------------------------------------ writing
    def save(
        self,
        preset: Preset | str,
        name: str,
        *,
        overwrite: bool = False,
        source: Path | None = None,
    ) -> Path:
        """Save a preset (object or TOML text, validated first) as `<workspace>/presets/<name>`.

        The file is self-contained (no `extends`) and named `<name>.toml`. The comments and
        layout of TOML text, or of the `source` file a preset object was loaded from, are kept
        for the settings that did not change (`toml_edit`).
        """
        from bert_engine.presets import PresetError

        stem = check_name(name.removesuffix(SUFFIX), "preset name")
        base: str | None = None
        if isinstance(preset, str):
            base = preset
            result = self.validate_text(preset)
            if not result.ok or result.preset is None:
                raise PresetError(_problems(result))
            preset = result.preset
        elif source is not None and source.is_file():
            base = source.read_text(encoding="utf-8")
        preset = preset.model_copy(update={"name": stem}) if preset.name != stem else preset
        text = self._file_text(preset, base, drop_extends=True)
        return self.workspace.write_text("presets", stem + SUFFIX, text, overwrite=overwrite)

    def save_in_place(self, ref: str | Path, preset: Preset | str) -> Path:
        """Write an edited preset (object or TOML text) back to its own workspace file,
        atomically, keeping the file's comments, order and formatting where values did not
        change. Bundled (and other read-only) presets are refused: Save as makes a copy.
        Nothing is written unless the result validates."""
        from bert_engine.presets import PresetError

        if isinstance(preset, str):
            result = self.validate_text(preset)  # first: nothing is opened for a bad text
            if not result.ok or result.preset is None:
                raise PresetError(_problems(result))
        path = self._own_file(ref, "save it in place")
        original = path.read_text(encoding="utf-8")
        if isinstance(preset, str):
            text = toml_edit.sync(original, preset)
            target = result.preset
        else:
            text, target = self._file_text(preset, original), preset
        check = self.validate_text(text)
        if not check.ok or check.preset is None or check.preset != target:
            if check.ok and check.preset is not None:
                text = self._file_text(target, None)  # unreachable by merging: write it whole
                check = self.validate_text(text)
            if not check.ok:
                raise PresetError(_problems(check))
        return self.workspace.write_text("presets", path.name, text, overwrite=True)

    def rename(self, name: str, new_name: str, *, overwrite: bool = False) -> Path:
        """Rename a workspace preset (its file and its `name`, comments kept). Refuses a
        bundled preset and, unless `overwrite`, a name a workspace preset already has."""
        path = self._own_file(name, "rename it")
        stem = check_name(new_name.strip().removesuffix(SUFFIX), "new preset name")
        if stem == path.stem:
            raise WorkspaceError(f"{path.stem!r} already has that name; type another one")
        target = self.workspace.path("presets", stem + SUFFIX)
        if target.exists() and not overwrite:
            raise WorkspaceError(
                f"a workspace preset named {stem!r} already exists; choose another name "
                "or allow overwriting"
            )
        doc_text = path.read_text(encoding="utf-8")
        text = toml_edit.apply_changes(doc_text, {"name": _name_of(doc_text)}, {"name": stem})
        written = self.workspace.write_text("presets", stem + SUFFIX, text, overwrite=True)
        path.unlink()
        return written

    def duplicate(self, ref: str | Path, new_name: str | None = None) -> Path:
        """Copy a preset into the workspace as `new_name` (refused when taken), or under a free
        name (`<name>-copy`, `-copy-2`...); comments are kept."""
        source = self.resolve(ref)
        preset = self.load(ref)  # by its reference: confined, a path is never accepted
        if new_name is None:
            new_name = self.workspace.unique_name("presets", f"{preset.name}-copy", SUFFIX)
        return self.save(preset, new_name, source=source)

    def is_own(self, path: Path) -> bool:
        """True for a file in the workspace presets folder (editable in place)."""
        return path.resolve().parent == self.folder.resolve()

    def _own_file(self, ref: str | Path, doing: str) -> Path:
        path = self.resolve(ref)
        if not self.is_own(path):
            origin = next((e.origin for e in self.list() if e.path == path), "read-only")
            raise WorkspaceError(
                f"{path.stem!r} is a {origin} preset ({path}), which is read-only; use Save as "
                f"to keep your edits as a workspace preset, then {doing}"
            )
        return self.workspace.ensure_inside(path)

    def _file_text(self, preset: Preset, base: str | None, *, drop_extends: bool = False) -> str:
        """`preset` as the TOML of a file in the workspace presets folder: `base` (a preset's
        text) with only what differs rewritten, else the whole preset."""
        from bert_engine.presets import flatten, preset_toml

        whole = preset_toml(preset, self.folder)
        if base is None:
            return whole
        try:
            if drop_extends:
                base = toml_edit.without(base, "extends")
            meant = self.validate_text(base).preset
            old = (
                _file_values(meant, self.folder)
                if meant is not None
                else flatten(tomllib.loads(base))
            )
            text = toml_edit.apply_changes(base, old, _file_values(preset, self.folder))
        except (tomllib.TOMLDecodeError, ValueError):
            return whole
        check = self.validate_text(text).preset
        return text if check is not None and check == preset else whole

    def delete(self, name: str) -> None:
        path = self.workspace.path("presets", check_name(name.removesuffix(SUFFIX)) + SUFFIX)
        if not path.is_file():
            raise WorkspaceError(f"no workspace preset {name!r}; bundled presets cannot be deleted")
        path.unlink()

    def upload(self, filename: str, data: bytes, *, overwrite: bool = False) -> Path:
        """Accept an uploaded preset: size limit, UTF-8, TOML, schema; then save it."""
        from bert_engine.presets import PresetError

        check_name(filename, "file name")
        if not filename.endswith(SUFFIX):
            raise WorkspaceError(f"upload {filename!r}: a preset is a {SUFFIX} file")
        self.workspace.check_upload_size(filename, len(data))
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise WorkspaceError(f"upload {filename!r} is not UTF-8 text") from None
        result = self.validate_text(text)
        if not result.ok:
            raise PresetError(f"upload {filename!r}: {_problems(result)}")
        return self.save(text, filename.removesuffix(SUFFIX), overwrite=overwrite)

    # ------------------------------------------------------------------ comparing, schema
    def diff(self, a: Preset | str, b: Preset | str) -> dict[str, tuple[Any, Any]]:
        """{"section.key": (value in a, value in b)} for the settings that differ."""
        from bert_engine.presets import diff

        pa = self.load(a) if isinstance(a, str) else a
        pb = self.load(b) if isinstance(b, str) else b
        return diff(pa, pb)

    def json_schema(self) -> dict[str, Any]:
        from bert_engine.presets import Preset

        return Preset.model_json_schema()

    def form_fields(self) -> list[FieldSpec]:
        """Every settable field, section by section (`extends` included; a form built with
        `services.form` leaves it out)."""
        from bert_engine.presets import Preset

        return preset_fields.field_specs(Preset)


# ----------------------------------------------------------------------------- helpers
def _problems(result: Validation) -> str:
    return "; ".join(f"{e.path or 'preset'}: {e.message}" for e in result.errors)


def _file_values(preset: Preset, folder: Path) -> dict[str, Any]:
    """The flattened values of `preset` as its file in `folder` writes them (paths relative)."""
    from bert_engine.presets import _plain_paths, _relative_paths, flatten

    return flatten(_relative_paths(_plain_paths(preset.model_dump(mode="python")), folder))


def _name_of(text: str) -> Any:
    try:
        return tomllib.loads(text).get("name")
    except tomllib.TOMLDecodeError:
        return None


def _description(path: Path) -> str:
    try:
        return str(tomllib.loads(path.read_text(encoding="utf-8")).get("description", ""))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return "(unreadable)"


# A cross-field rule names the first key it is about: "data.max_seq_len (512) exceeds ...".
_KEY_IN_MESSAGE = re.compile(r"\b([a-z_]+\.[a-z_]+)\b")


def _field_error(problem: preset_fields.Problem) -> FieldError:
    loc, message = problem.loc, problem.message
    if problem.kind == "extra_forbidden":
        message = "unknown setting; remove it or check the spelling"
    elif problem.has_value and loc:
        message = f"{message} (got {problem.value!r})"
    path = problem.path
    if problem.kind != "extra_forbidden" and len(loc) <= 1:
        # A rule over several fields of the preset or a section: point at the key it names.
        found = _KEY_IN_MESSAGE.search(message)
        if found:
            path = found.group(1)
    return FieldError(path, message)


def _line_from_message(message: str) -> int | None:
    found = re.search(r"line (\d+)", message)
    return int(found.group(1)) if found else None
