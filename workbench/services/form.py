"""The form of a preset, one value model for both UIs: sections of fields, each with its spec
(type, bounds, help, optional), its value, the text a box shows and whether it differs from the
schema default. `to_form(preset)` builds it; `from_form(values, sections)` turns what the widgets
hold back into the dict `PresetService.validate_form` takes. The TUI and the web tab only draw
it, so both read and write presets the same way.

Widgets may hold texts (a text box: "" when empty) or typed values (a number box, a checkbox);
`parse` reads both. A blank optional field is unset (None: omitted from the TOML); a blank
required field is left out, so the schema default applies (or "field required" is reported at
the field). Torch-free: the schema is imported on first use only.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from bert_engine.preset_fields import FieldSpec, field_specs, optional_sections

if TYPE_CHECKING:
    from bert_engine.presets import Preset

# Settings a form leaves out: `extends` is already merged into a loaded preset.
HIDDEN = frozenset({"extends"})
UNSET = "default"  # what a picker offers for an optional yes/no or choice left unset
TRUE_WORDS = ("true", "yes", "on", "1")
FALSE_WORDS = ("false", "no", "off", "0")


@dataclass(frozen=True)
class FormField:
    """One setting as a form shows it."""

    spec: FieldSpec
    value: Any  # the setting; None: unset (an optional field) or missing (a required one)
    text: str  # how a text box shows the value ("" when unset)
    differs: bool  # the value is not the schema default

    @property
    def path(self) -> str:
        return self.spec.path

    @property
    def options(self) -> tuple[str, ...]:
        """The texts a picker offers (choices, or true/false); () for a text box."""
        if self.spec.type == "choice":
            return tuple(str(c) for c in self.spec.choices)
        return ("true", "false") if self.spec.type == "boolean" else ()

    @property
    def placeholder(self) -> str:
        """What an empty box means: the default, or that it stays unset."""
        default = value_text(self.spec.default)
        return f"default: {default}" if default else "(empty)"

    @property
    def help(self) -> str:
        """The description and, in brackets, the type and limits."""
        return f"{self.spec.help} [{self.spec.bounds_text()}]".strip()


@dataclass(frozen=True)
class FormSection:
    """One table of the preset ("" for the top-level keys) and its fields."""

    name: str
    fields: tuple[FormField, ...]
    present: bool  # an optional table ([finetune]) may be absent: its fields show defaults
    optional: bool  # the preset may leave this table out


@dataclass(frozen=True)
class PresetForm:
    sections: tuple[FormSection, ...]

    def section(self, name: str) -> FormSection | None:
        return next((s for s in self.sections if s.name == name), None)

    def fields(self) -> list[FormField]:
        return [f for s in self.sections for f in s.fields]

    def field(self, path: str) -> FormField:
        return next(f for f in self.fields() if f.path == path)

    def values(self) -> dict[str, Any]:
        """{path: value} of every field (absent sections: their defaults)."""
        return {f.path: f.value for f in self.fields()}

    def texts(self) -> dict[str, str]:
        """{path: text} of every field of the present sections."""
        return {f.path: f.text for s in self.sections if s.present for f in s.fields}

    @property
    def included(self) -> list[str]:
        """The optional sections this preset has."""
        return [s.name for s in self.sections if s.optional and s.present]

    def differing(self) -> list[FormField]:
        """The fields of the present sections that are not at their schema default."""
        return [f for s in self.sections if s.present for f in s.fields if f.differs]


# ----------------------------------------------------------------------------- the schema
def _preset_class() -> type[Preset]:
    from bert_engine.presets import Preset

    return Preset


@functools.cache
def specs() -> tuple[FieldSpec, ...]:
    """The fields a form edits, section by section in schema order."""
    return tuple(s for s in field_specs(_preset_class()) if s.path not in HIDDEN)


@functools.cache
def optional_tables() -> tuple[str, ...]:
    """Sections a preset may leave out ([finetune], [classification])."""
    return tuple(optional_sections(_preset_class()))


# ----------------------------------------------------------------------------- values
def value_text(value: Any) -> str:
    """A value as a text box shows it: "" for None, true/false, paths with forward slashes."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, PurePath):
        return value.as_posix()
    if isinstance(value, list):  # a list of strings (pretrain.probes): one box, | between
        return " | ".join(str(v) for v in value)
    return str(value)


def differs(spec: FieldSpec, value: Any) -> bool:
    """Whether `value` is not the schema default of `spec`."""
    if isinstance(value, PurePath):
        value = value.as_posix()
    if isinstance(value, bool) or isinstance(spec.default, bool):
        return value is not spec.default
    return value != spec.default


def to_form(preset: Preset | None = None) -> PresetForm:
    """The form of `preset` (None: the schema defaults)."""
    data = (preset if preset is not None else _preset_class()()).model_dump(mode="python")
    optional = set(optional_tables())
    grouped: dict[str, list[FormField]] = {}  # in schema order
    for spec in specs():
        table = data.get(spec.section) if spec.section else data
        present = spec.section not in optional or isinstance(table, Mapping)
        value = table.get(spec.key) if isinstance(table, Mapping) else spec.default
        grouped.setdefault(spec.section, []).append(
            FormField(spec, value, value_text(value), present and differs(spec, value))
        )
    return PresetForm(
        tuple(
            FormSection(
                name,
                tuple(fields),
                present=name not in optional or isinstance(data.get(name), Mapping),
                optional=name in optional,
            )
            for name, fields in grouped.items()
        )
    )


def parse(spec: FieldSpec, raw: Any) -> Any:
    """A widget's content (text or typed value) as the setting; None when blank or unset.

    What does not parse is passed on as it is, so validation says what is wrong, at the field.
    """
    if raw is None:
        return None
    if isinstance(raw, str):
        text = raw.strip()
        if not text or (text == UNSET and spec.type in ("boolean", "choice")):
            return None
        if spec.type == "string":
            return raw  # as typed: spaces inside a name or path are meant
        if spec.type == "list":
            return [part.strip() for part in text.split("|") if part.strip()]
        if spec.type == "boolean":
            lowered = text.lower()
            return True if lowered in TRUE_WORDS else False if lowered in FALSE_WORDS else text
        if spec.type in ("integer", "number"):
            convert = int if spec.type == "integer" else float
            try:
                return convert(text.replace("_", ""))
            except ValueError:
                return text
        if spec.type == "choice":  # choices may be numbers in a schema: match on their text
            return next((c for c in spec.choices if str(c) == text), text)
        return text
    if spec.type == "integer" and isinstance(raw, float) and raw.is_integer():
        return int(raw)  # number boxes send floats; 8.0 is the integer 8
    if spec.type == "number" and isinstance(raw, int) and not isinstance(raw, bool):
        return float(raw)
    return raw


def from_form(values: Mapping[str, Any], sections: Iterable[str] = ()) -> dict[str, Any]:
    """The nested dict `validate_form` takes, from `{path: widget value}`.

    Optional sections are included only when named in `sections` (their fields are ignored
    otherwise); a path missing from `values` is left out."""
    include = set(sections)
    skip = set(optional_tables()) - include
    data: dict[str, Any] = {name: {} for name in optional_tables() if name in include}
    for spec in specs():
        if spec.section in skip or spec.path not in values:
            continue
        value = parse(spec, values[spec.path])
        if value is None and not spec.optional:
            continue  # blank: the default applies (or "field required" at this path)
        table = data.setdefault(spec.section, {}) if spec.section else data
        table[spec.key] = value
    return data
