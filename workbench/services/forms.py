"""A preset as a flat form and back: the values a form shows for each `FieldSpec`, and the
dict `presets.validate_form` takes from what the user typed. Shared by both UIs so a form in
the browser and one in the terminal read and write presets the same way.

Form widgets hold plain values: an empty text box is "", an optional yes/no is one of
"default"/"true"/"false", a number box gives a float. These helpers translate both ways.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from workbench.services.presets import FieldSpec

if TYPE_CHECKING:
    from bert_engine.presets import Preset

# Settings a form leaves out: the form always shows the merged result of `extends`.
SKIPPED = ("extends",)
TRISTATE = ("default", "true", "false")


def editable(fields: Iterable[FieldSpec]) -> list[FieldSpec]:
    return [f for f in fields if f.path not in SKIPPED]


def optional_sections() -> list[str]:
    """Sections a preset may leave out ([finetune], [classification])."""
    from bert_engine.presets import Preset

    return [
        name
        for name, info in Preset.model_fields.items()
        if not info.is_required() and info.default is None and name not in SKIPPED
    ]


def preset_values(preset: Preset, fields: Sequence[FieldSpec]) -> dict[str, Any]:
    """{field path: form value} for every field (absent optional sections: their defaults)."""
    data = preset.model_dump(mode="python")
    out = {}
    for spec in fields:
        table = data.get(spec.section) if spec.section else data
        value = table.get(spec.key, spec.default) if isinstance(table, dict) else spec.default
        out[spec.path] = to_form(value, spec)
    return out


def present_sections(preset: Preset) -> list[str]:
    """The optional sections this preset has."""
    return [s for s in optional_sections() if getattr(preset, s, None) is not None]


def to_form(value: Any, spec: FieldSpec) -> Any:
    """A setting's value as a form widget holds it."""
    if spec.type == "boolean" and spec.optional:
        return TRISTATE[0] if value is None else TRISTATE[1] if value else TRISTATE[2]
    if spec.type in ("string", "choice") and value is None:
        return ""
    if spec.type == "string":
        return str(value)
    return value


def from_form(value: Any, spec: FieldSpec) -> Any:
    """A widget's value as the setting (None: unset, the preset's default applies)."""
    if spec.type == "boolean":
        if spec.optional:
            return None if value in (None, "", TRISTATE[0]) else value in (True, TRISTATE[1])
        return bool(value)
    if spec.type == "integer" and isinstance(value, float) and value.is_integer():
        return int(value)  # number boxes send floats; 8.0 is the integer 8
    if value is None or (isinstance(value, str) and not value.strip() and spec.optional):
        return None
    if spec.type in ("string", "choice") and isinstance(value, str):
        return value.strip()
    return value


def form_data(
    values: Mapping[str, Any], fields: Sequence[FieldSpec], sections: Iterable[str] = ()
) -> dict[str, Any]:
    """The flat {"section.key": value} dict of a filled form, for `validate_form`. Optional
    sections are included only when listed in `sections`; unset optional values are left out
    so their defaults apply."""
    include = set(sections)
    skip = set(optional_sections()) - include
    out: dict[str, Any] = {}
    for spec in fields:
        if spec.section in skip or spec.path not in values:
            continue
        value = from_form(values[spec.path], spec)
        if value is None and spec.optional:
            continue  # unset: the default applies
        # A required field left empty stays None: the validation reports it at its path.
        out[spec.path] = value
    return out
