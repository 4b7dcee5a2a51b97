"""Experiment presets: one validated schema for a whole experiment, stored as TOML.

A preset names the tokenizer, the model, the pre-training data and recipe, an optional
fine-tuning step and where runs are tracked. Every field has a description, bounds and a default,
so a UI can render a form from `Preset.model_json_schema()`.

Files may `extends = "other.toml"` (a path relative to the file, or a preset name) and are deep
merged over it; relative input paths resolve against the file that wrote them. Every problem is a
`PresetError` naming the file (and line when known), the key, the bad value and what is allowed.
See docs/presets.md.
"""

from __future__ import annotations

import difflib
import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePath
from typing import Any

from pydantic import ValidationError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

import tomli_w

from bert_engine import preset_fields
from bert_engine.files import atomic_write_text
from bert_engine.preset_files import (  # noqa: F401 - re-exported: presets' one home
    PRESET_SUFFIX,
    PresetError,
    PresetInfo,
    _search_text,
    bundled_dir,
    find_preset,
    list_presets,
    search_dirs,
    user_dir,
)
from bert_engine.preset_files import read_toml as _read_toml

# The schema lives in bert_engine.schema (torch-free); re-exported here, where it always was.
from bert_engine.schema import (  # noqa: F401
    SIZES,
    BertConfig,
    ClassificationDataSettings,
    DataSettings,
    FinetuneSettings,
    ModelSettings,
    Preset,
    PretrainSettings,
    TokenizerSettings,
    TrackingSettings,
    drop_none,
)

# Fields holding input paths: resolved against the directory of the file that set them.
PATH_KEYS: tuple[tuple[str, str], ...] = (
    ("tokenizer", "path"),
    ("tokenizer", "source"),
    ("data", "source"),
    ("data", "cache_dir"),
    ("classification", "train"),
    ("classification", "validation"),
    ("classification", "test"),
    ("pretrain", "init_from"),
    ("finetune", "init"),
    ("finetune", "tokenizer"),
)


def _is_input_path(key: tuple[str, str], value: Any) -> bool:
    if not isinstance(value, str) or not value:
        return False
    if key in (("data", "source"), ("tokenizer", "source"), ("classification", "train")):
        return value != "demo" and not value.startswith("hf:")  # built-in / hub, not files
    if key == ("finetune", "init"):
        # "random", a Hub model and a bare run name are no paths; "runs/x" or "../x" are.
        if value == "random" or value.startswith("hf:"):
            return False
        return "/" in value or os.sep in value or value.startswith("~")
    return True


# Input paths that must exist before a run starts (data.cache_dir is created when needed).
REQUIRED_INPUTS = tuple(k for k in PATH_KEYS if k != ("data", "cache_dir"))


def check_inputs(preset: Preset, sections: Iterable[str] | None = None) -> None:
    """Raise a `PresetError` naming every missing input file (field, path, how to fix) before
    a run starts, instead of failing after it started."""
    missing = missing_inputs(preset, sections)
    unusable = unusable_inputs(preset, sections)
    if missing or unusable:
        raise PresetError(
            f"preset {preset.name!r}: "
            + "; ".join(
                [f"{key}: no file at {path}" for key, path in missing]
                + [f"{key}: {problem}" for key, _, problem in unusable]
            )
            + "; fix the path in the preset (or put the file there) and start again"
        )


def missing_inputs(preset: Preset, sections: Iterable[str] | None = None) -> list[tuple[str, str]]:
    """[(key, absolute path)] of the input files or folders `preset` names that do not exist
    (globs: when nothing matches); only those of `sections` when given."""
    import glob

    data = preset.model_dump(mode="python")
    missing: list[tuple[str, str]] = []
    for section, key in REQUIRED_INPUTS:
        if sections is not None and section not in sections:
            continue
        table = data.get(section)
        value = table.get(key) if isinstance(table, dict) else None
        value = value.as_posix() if isinstance(value, PurePath) else value
        if not _is_input_path((section, key), value):
            continue
        text = os.path.expanduser(value)
        if any(c in text for c in "*?[") and section == "data":
            found = bool(glob.glob(text, recursive=True))
        else:
            found = os.path.exists(text)
        if not found:
            missing.append((f"{section}.{key}", os.path.abspath(text)))
    return missing


_CLASSIFICATION_FILES = ("train", "validation", "test")
_PEEK = 4096  # bytes read to tell a binary file and find the header line


def unusable_inputs(
    preset: Preset, sections: Iterable[str] | None = None
) -> list[tuple[str, str, str]]:
    """[(key, absolute path, problem)] of the classification files that exist but cannot be
    read as data: a folder, an empty or binary file, a CSV/TSV header lacking the configured
    columns. Reads only the first few KB of each file (data sets can be large)."""
    if sections is not None and "classification" not in sections:
        return []
    table = preset.model_dump(mode="python").get("classification")
    if not isinstance(table, dict):
        return []
    problems: list[tuple[str, str, str]] = []
    for key in _CLASSIFICATION_FILES:
        value = table.get(key)
        value = value.as_posix() if isinstance(value, PurePath) else value
        if not _is_input_path(("classification", key), value):
            continue
        path = os.path.abspath(os.path.expanduser(value))
        if os.path.exists(path):  # missing files are missing_inputs' to report
            problem = _data_file_problem(path, table)
            if problem:
                problems.append((f"classification.{key}", path, problem))
    return problems


def _data_file_problem(path: str, table: Mapping[str, Any]) -> str | None:
    import gzip

    if os.path.isdir(path):
        return f"{path} is a folder; give the CSV/TSV/JSONL file"
    try:
        opener = gzip.open if path.lower().endswith(".gz") else open
        with opener(path, "rb") as f:
            head: bytes = f.read(_PEEK)
    except (OSError, EOFError) as exc:
        return f"cannot read {path} ({exc}); check the file"
    if not head.strip():
        return f"{path} is empty; give a CSV/TSV/JSONL file with a header and rows"
    if b"\0" in head:
        return f"{path} is a binary file, not text; give the CSV/TSV/JSONL file"
    name = path.lower().removesuffix(".gz")  # the reader goes by the suffix, as here
    if not name.endswith((".csv", ".tsv")):
        return None
    return _header_problem(path, head, "\t" if name.endswith(".tsv") else ",", table)


def _header_problem(path: str, head: bytes, delimiter: str, table: Mapping[str, Any]) -> str | None:
    import csv

    line = head.decode("utf-8", errors="replace").lstrip("\ufeff").splitlines()[0]
    header = next(csv.reader([line], delimiter=delimiter), [])
    wanted = [
        ("text_column", table.get("text_column")),
        ("text_pair_column", table.get("text_pair_column")),
        ("label_column", table.get("label_column")),
    ]
    lacking = [f"{field} {col!r}" for field, col in wanted if col and col not in header]
    if not lacking:
        return None
    return (
        f"the header of {path} lacks {', '.join(lacking)}; the file has columns "
        f"{', '.join(repr(c) for c in header)}; set the column fields to the file's column "
        "names (or rename the columns in the file)"
    )


# ----------------------------------------------------------------------------- reading


def _absolutize(data: dict[str, Any], base: Path) -> dict[str, Any]:
    """Input paths set in this file, made absolute against the file's directory."""
    for section, key in PATH_KEYS:
        table = data.get(section)
        if isinstance(table, dict) and _is_input_path((section, key), table.get(key)):
            value = os.path.expanduser(table[key])
            table[key] = os.path.normpath(value if os.path.isabs(value) else base / value)
    return data


def deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """`over` on top of `base`: tables merge key by key, every other value replaces."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _extends_target(ref: str, referrer: Path) -> Path:
    candidate = Path(os.path.expanduser(ref))
    if not candidate.is_absolute():
        candidate = referrer.parent / candidate
    if candidate.is_file():
        return candidate
    if ref.endswith(PRESET_SUFFIX) and (referrer.parent / ref).is_file():
        return referrer.parent / ref
    found = find_preset(ref)
    if found is not None:
        return found
    raise PresetError(
        f"{referrer}: extends = {ref!r}: no such preset file or name (looked for "
        f"{candidate} and presets named {Path(ref).stem!r} in {_search_text()}); "
        "fix the path (relative to this file) or the name"
    )


def read_preset_dict(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The merged raw table of a preset file and its `extends` chain (paths made absolute)."""
    return _read_chain(Path(path).resolve(), [])


def _read_chain(path: Path, seen: list[Path]) -> dict[str, Any]:
    if path in seen:
        chain = " -> ".join(str(p) for p in [*seen, path])
        raise PresetError(f"{seen[-1]}: inheritance loop: {chain}; remove one of the `extends`")
    data = _absolutize(_read_toml(path), path.parent)
    ref = data.pop("extends", None)
    if ref is None:
        return data
    if not isinstance(ref, str):
        raise PresetError(f"{path}: extends = {ref!r}: expected a string (a preset file or name)")
    parent = _read_chain(_extends_target(ref, path).resolve(), [*seen, path])
    return deep_merge(parent, data)


def load_preset(ref: str | os.PathLike[str], overrides: Iterable[str] = ()) -> Preset:
    """A preset from a file path or a preset name, inheritance merged, validated.

    `overrides` are `key=value` strings applied on top (see `apply_overrides`).
    """
    path = resolve_preset_ref(ref)
    preset = validate_preset(read_preset_dict(path), path)
    return apply_overrides(preset, overrides) if overrides else preset


def validate_preset(data: Mapping[str, Any], path: Path | None = None) -> Preset:
    """Validate a raw table; errors become one `PresetError` citing file, line, key, value."""
    try:
        return Preset.model_validate(dict(data))
    except ValidationError as exc:
        raise PresetError(_explain(exc, path)) from None


def resolve_preset_ref(ref: str | os.PathLike[str]) -> Path:
    """A path to an existing preset file, or the file of a preset name."""
    path = Path(os.path.expanduser(str(ref)))
    if path.is_file():
        return path.resolve()
    found = find_preset(str(ref))
    if found is not None:
        return found
    names = sorted({p.name for p in list_presets()})
    hint = difflib.get_close_matches(Path(str(ref)).stem, names, n=1)
    suggestion = f" (did you mean {hint[0]!r}?)" if hint else ""
    raise PresetError(
        f"no preset file or name {str(ref)!r}{suggestion}; presets: {', '.join(names) or 'none'}"
        f" (searched {_search_text()})"
    )


# ----------------------------------------------------------------------------- errors
def _explain(exc: ValidationError, path: Path | None, where: str | None = None) -> str:
    try:
        lines = path.read_text(encoding="utf-8").splitlines() if path is not None else []
    except OSError:
        lines = []
    return preset_fields.explain(Preset, exc, lines, where or (str(path) if path else "preset"))


# ----------------------------------------------------------------------------- overrides, diff
def _parse_value(text: str) -> Any:
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def schema_keys() -> list[str]:
    """Every settable key, flattened (`pretrain.lr`, `model.size`, ...)."""
    return preset_fields.schema_keys(Preset)


def apply_overrides(preset: Preset, overrides: Iterable[str]) -> Preset:
    """A copy of `preset` with `key=value` overrides (value: a TOML literal, else a string).

    Input paths in overrides are relative to the working directory.
    """
    data = preset.model_dump(mode="python")
    known = schema_keys()
    for item in overrides:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise PresetError(f"--set {item!r}: expected KEY=VALUE, e.g. pretrain.lr=1e-4")
        if key not in known:
            hint = preset_fields.close_key(key, known)
            raise PresetError(f"--set {item!r}: unknown key {key!r}{hint}")
        parts = key.split(".")
        value = _parse_value(raw.strip())
        if len(parts) == 2 and tuple(parts) in PATH_KEYS and _is_input_path(tuple(parts), value):
            value = str(Path(os.path.expanduser(value)).resolve())  # type: ignore[arg-type]
        table = data
        for part in parts[:-1]:
            if table.get(part) is None:
                table[part] = {}
            table = table[part]
        table[parts[-1]] = value
    try:
        return Preset.model_validate(drop_none(data))
    except ValidationError as exc:
        raise PresetError(_explain(exc, None, "--set")) from None


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, Mapping):
            out.update(flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def diff(a: Preset, b: Preset) -> dict[str, tuple[Any, Any]]:
    """{flattened key: (value in a, value in b)} for every key whose values differ."""
    fa, fb = flatten(a.model_dump(mode="python")), flatten(b.model_dump(mode="python"))
    return {
        k: (fa.get(k), fb.get(k))
        for k in [*fa, *(k for k in fb if k not in fa)]
        if fa.get(k) != fb.get(k)
    }


# ----------------------------------------------------------------------------- writing
def _relative_paths(data: dict[str, Any], base: Path) -> dict[str, Any]:
    for section, key in PATH_KEYS:
        table = data.get(section)
        if isinstance(table, dict) and _is_input_path((section, key), table.get(key)):
            try:
                table[key] = Path(os.path.relpath(table[key], base)).as_posix()
            except ValueError:  # another drive on Windows: keep it absolute
                pass
    return data


def _plain_paths(value: Any) -> Any:
    """Path values (e.g. classification.validation) as text: TOML has no path type."""
    if isinstance(value, dict):
        return {k: _plain_paths(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_paths(v) for v in value]
    return value.as_posix() if isinstance(value, PurePath) else value


def preset_toml(preset: Preset, relative_to: Path | None = None) -> str:
    """Self-contained TOML (no `extends`), keys in schema order; input paths relative to
    `relative_to` (a folder) when given, else absolute."""
    data = _plain_paths(preset.to_dict())
    data.pop("extends", None)
    if relative_to is not None:
        data = _relative_paths(data, relative_to)
    return tomli_w.dumps(data)


def save_preset(preset: Preset, path: str | os.PathLike[str]) -> Path:
    """Write a flattened preset (paths relative to its new location), atomically."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(target, preset_toml(preset, target.resolve().parent), durable=False)
    return target


def safe_preset_name(name: str) -> str:
    """A preset name usable as a file name (letters, digits, '-', '_', '.')."""
    from bert_engine.tracking import safe_name

    clean = safe_name(name.removesuffix(PRESET_SUFFIX))
    if not clean:
        raise PresetError(f"{name!r} is not usable as a preset name; use letters, digits, '-'")
    return clean


def new_preset_text(name: str, base: str, base_path: Path) -> str:
    """A small preset that extends `base` and changes only its name (to edit by hand)."""
    in_search = any(base_path.parent.resolve() == d.resolve() for _, d in search_dirs())
    ref = base_path.stem if in_search else str(base_path)
    text = tomli_w.dumps({"name": name, "description": f"based on {base}", "extends": ref})
    return text + (
        "\n# Add only what changes, e.g.:\n# [pretrain]\n# max_steps = 1000\n"
        "# See `bertbench presets show " + ref + "` for every setting.\n"
    )
