"""Presentation helpers both UIs share: the form a preset is edited in, token highlighting,
small text bars. Pure functions over service results (no UI toolkit, no torch), so the TUI
and the web panel turn the same data into the same picture.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from workbench.services.live import bar
from workbench.services.presets import FieldSpec
from workbench.services.tokenizers import TokenSpan

# Fields a form leaves out: `extends` is already merged into a loaded preset.
HIDDEN_FIELDS = frozenset({"extends"})


# ----------------------------------------------------------------------------- preset forms
@dataclass(frozen=True)
class FormSection:
    """One table of a preset (`""` for the top-level keys) and its fields."""

    name: str
    fields: tuple[FieldSpec, ...]
    present: bool  # the preset has this table (optional tables such as [finetune] may be absent)


def form_sections(
    fields: Iterable[FieldSpec], values: Mapping[str, Any] | None = None
) -> list[FormSection]:
    """Group `form_fields()` by section in schema order. `values` is a preset's
    `model_dump()`; a section whose table is missing or None there is marked not present."""
    order: list[str] = []
    grouped: dict[str, list[FieldSpec]] = {}
    for spec in fields:
        if spec.path in HIDDEN_FIELDS:
            continue
        if spec.section not in grouped:
            order.append(spec.section)
            grouped[spec.section] = []
        grouped[spec.section].append(spec)
    return [
        FormSection(
            name,
            tuple(grouped[name]),
            present=values is None or name == "" or isinstance(values.get(name), dict),
        )
        for name in order
    ]


def field_value(values: Mapping[str, Any], spec: FieldSpec) -> Any:
    """The value of `spec` in a nested preset dict (None when absent)."""
    table: Any = values if not spec.section else values.get(spec.section)
    return table.get(spec.key) if isinstance(table, Mapping) else None


def field_text(value: Any) -> str:
    """How a value is written into a text box: "" for None, TOML-like booleans."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def parse_field(spec: FieldSpec, text: str) -> Any:
    """A text box's content as the value to validate. Empty -> None (an optional field left
    blank, or a missing required one, which validation then reports at the field). Numbers
    that do not parse are passed on as text so validation says what is wrong, at the field."""
    text = text.strip()
    if text == "":
        return None
    if spec.type == "boolean":
        lowered = text.lower()
        if lowered in ("true", "yes", "on", "1"):
            return True
        if lowered in ("false", "no", "off", "0"):
            return False
        return text
    if spec.type == "integer":
        try:
            return int(text.replace("_", ""))
        except ValueError:
            return text
    if spec.type == "number":
        try:
            return float(text.replace("_", ""))
        except ValueError:
            return text
    if spec.type == "choice":
        # Choices may be numbers in a schema; match on their text form.
        return next((c for c in spec.choices if str(c) == text), text)
    return text


def form_data(
    sections: Sequence[FormSection], texts: Mapping[str, str]
) -> dict[str, dict[str, Any] | Any]:
    """The nested dict `validate_form` takes, from `{path: text}` of the present sections.
    Blank fields are left out, so the schema's default applies (or "field required")."""
    data: dict[str, Any] = {}
    for section in sections:
        if not section.present:
            continue
        table = data if not section.name else data.setdefault(section.name, {})
        for spec in section.fields:
            if spec.path not in texts:
                continue
            value = parse_field(spec, texts[spec.path])
            if value is not None:
                table[spec.key] = value
    return data


def bounds_text(spec: FieldSpec) -> str:
    """A short description of a field's type and limits, e.g. "integer, 1 to 4096"."""
    low = spec.minimum if spec.minimum is not None else spec.exclusive_minimum
    high = spec.maximum if spec.maximum is not None else spec.exclusive_maximum
    low_op = ">" if spec.minimum is None and spec.exclusive_minimum is not None else ">="
    high_op = "<" if spec.maximum is None and spec.exclusive_maximum is not None else "<="
    parts = [spec.type]
    if spec.choices:
        parts = [" | ".join(str(c) for c in spec.choices)]
    if low is not None and high is not None and low_op == ">=" and high_op == "<=":
        parts.append(f"{_num(low)} to {_num(high)}")
    else:
        if low is not None:
            parts.append(f"{low_op} {_num(low)}")
        if high is not None:
            parts.append(f"{high_op} {_num(high)}")
    if spec.optional:
        parts.append("optional")
    return ", ".join(parts)


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


# ----------------------------------------------------------------------------- token highlighting
@dataclass(frozen=True)
class TokenSegment:
    """A stretch of the input text: covered by token number `index` (None for text between
    tokens, e.g. spaces), or a special token with no text (`special`)."""

    text: str
    index: int | None
    special: bool = False


def token_segments(text: str, spans: Sequence[TokenSpan]) -> list[TokenSegment]:
    """Cut `text` into segments for highlighting, in order, covering every character once.

    Special tokens ([CLS], [SEP]) become segments of their own token text. Tokens whose spans
    overlap an earlier one (byte-level pieces of one character) are merged into it, so the
    picture never repeats or drops a character."""
    segments: list[TokenSegment] = []
    pos = 0
    for index, span in enumerate(spans):
        if span.special or span.end <= span.start:
            if span.special:
                segments.append(TokenSegment(span.token, index, special=True))
            continue
        start = max(span.start, pos)
        if start > pos:
            segments.append(TokenSegment(text[pos:start], None))
        if span.end > start:
            segments.append(TokenSegment(text[start : span.end], index))
            pos = span.end
    if pos < len(text):
        segments.append(TokenSegment(text[pos:], None))
    return segments


# ----------------------------------------------------------------------------- bars
def histogram_rows(histogram: Mapping[int, int], width: int = 20) -> list[tuple[int, int, str]]:
    """`(key, count, bar)` per bucket of a histogram such as `VocabStats.length_histogram`."""
    top = max(histogram.values(), default=0)
    return [
        (key, count, bar(count / top if top else 0.0, width).rstrip())
        for key, count in sorted(histogram.items())
    ]
