"""What a preset schema says about its fields, read from the pydantic models: one place for the
error messages of `bert_engine.presets`, the `--set` keys and the forms of both UIs.

Torch-free on purpose (pydantic and the standard library only): a form or an error message is
built without loading a workflow. Every function takes the root model (`Preset`) as an argument,
so this module imports no schema itself.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any, Literal, Union

from pydantic import BaseModel, ValidationError

KINDS = ("integer", "number", "boolean", "string", "choice", "list")  # list: of strings


@dataclass(frozen=True)
class FieldSpec:
    """One settable leaf of the schema: where it goes, its type and limits, and the help text."""

    path: str  # "section.key" ("key" at the top level)
    section: str
    key: str
    type: str  # one of KINDS
    default: Any  # None for a required field without a default
    help: str
    choices: tuple[Any, ...] = ()
    minimum: float | None = None  # inclusive
    maximum: float | None = None
    exclusive_minimum: float | None = None
    exclusive_maximum: float | None = None
    optional: bool = False  # may be left empty (None)
    required: bool = False  # has no default: must be given

    def bounds_text(self) -> str:
        """Type and limits in words, e.g. "integer, 16 to 1,048,576" or "number, > 0, ≤ 1"."""
        parts = [" | ".join(str(c) for c in self.choices) if self.choices else self.type]
        low, high = self.minimum, self.maximum
        if low is not None and high is not None:
            parts.append(f"{number_text(low)} to {number_text(high)}")
        else:  # lower bounds first, then upper ones
            for sym, value in (
                ("≥", low),
                (">", self.exclusive_minimum),
                ("≤", high),
                ("<", self.exclusive_maximum),
            ):
                if value is not None:
                    parts.append(f"{sym} {number_text(value)}")
        if self.optional:
            parts.append("may be left empty")
        return ", ".join(parts)


def number_text(value: float) -> str:
    """A bound as people write it: 1,048,576 (not 1.04858e+06), 0.5, 1e-08."""
    if float(value).is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    return repr(float(value))


# ----------------------------------------------------------------------------- annotations
def _union_args(annotation: Any) -> tuple[Any, ...]:
    if typing.get_origin(annotation) in (Union, types.UnionType):
        return typing.get_args(annotation)
    return (annotation,)


def submodel(annotation: Any) -> type[BaseModel] | None:
    """The model class in an annotation (`FinetuneSettings | None` -> FinetuneSettings)."""
    for arg in _union_args(annotation):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    return None


def literal_values(annotation: Any) -> tuple[Any, ...]:
    """The choices of a `Literal[...]` annotation (also inside `X | None`); () otherwise."""
    for arg in _union_args(annotation):
        if typing.get_origin(arg) is Literal:
            return typing.get_args(arg)
    return ()


def model_at(root: type[BaseModel], loc: Sequence[Any]) -> type[BaseModel] | None:
    """The model that holds the keys under `loc` (() -> root, ("pretrain",) -> its model)."""
    model: type[BaseModel] | None = root
    for part in loc:
        if model is None or part not in model.model_fields:
            return None
        model = submodel(model.model_fields[part].annotation)
    return model


def spec_of(section: str, key: str, info: Any) -> FieldSpec:
    """The `FieldSpec` of one pydantic field (`info`: a `FieldInfo`)."""
    args = _union_args(info.annotation)
    base = next((a for a in args if a is not type(None)), str)
    choices = literal_values(base)
    if choices:
        kind = "choice"
    elif base is bool:
        kind = "boolean"
    elif base is int:
        kind = "integer"
    elif base is float:
        kind = "number"
    elif typing.get_origin(base) is list:
        kind = "list"
    else:  # str, paths and anything else a text box can hold
        kind = "string"
    bounds: dict[str, float | None] = {"ge": None, "le": None, "gt": None, "lt": None}
    for meta in info.metadata:
        for attr in bounds:
            if getattr(meta, attr, None) is not None:
                bounds[attr] = getattr(meta, attr)
    required = info.is_required()
    default = None if required else info.get_default(call_default_factory=True)
    if isinstance(default, PurePath):
        default = default.as_posix()
    return FieldSpec(
        path=f"{section}.{key}" if section else key,
        section=section,
        key=key,
        type=kind,
        default=default,
        help=info.description or "",
        choices=choices,
        minimum=bounds["ge"],
        maximum=bounds["le"],
        exclusive_minimum=bounds["gt"],
        exclusive_maximum=bounds["lt"],
        optional=type(None) in args,
        required=required,
    )


def field_specs(root: type[BaseModel]) -> list[FieldSpec]:
    """Every settable leaf of `root`, section by section in schema order (one level of tables,
    as a preset has)."""
    specs: list[FieldSpec] = []
    for name, info in root.model_fields.items():
        sub = submodel(info.annotation)
        if sub is None:
            specs.append(spec_of("", name, info))
        else:
            specs.extend(spec_of(name, key, sub_info) for key, sub_info in sub.model_fields.items())
    return specs


def optional_sections(root: type[BaseModel]) -> list[str]:
    """The tables a preset may leave out (their field is `Model | None`, default None)."""
    return [
        name
        for name, info in root.model_fields.items()
        if submodel(info.annotation) is not None
        and not info.is_required()
        and info.get_default(call_default_factory=True) is None
    ]


def schema_keys(root: type[BaseModel], prefix: str = "") -> list[str]:
    """Every settable key, flattened (`pretrain.lr`, `model.size`, ...), at any depth."""
    keys = []
    for name, info in root.model_fields.items():
        sub = submodel(info.annotation)
        if sub is not None:
            keys.extend(schema_keys(sub, f"{prefix}{name}."))
        else:
            keys.append(prefix + name)
    return keys


def allowed_text(model: type[BaseModel] | None, name: str) -> str:
    """What a field accepts, for an error message: choices, bounds, its description."""
    if model is None or name not in model.model_fields:
        return ""
    spec = spec_of("", name, model.model_fields[name])
    parts = []
    if spec.choices:
        parts.append("one of " + ", ".join(repr(v) for v in spec.choices))
    bounds = [  # as written in the schema (1.0 for a float bound): the message quotes it
        f"{sym} {value}"
        for sym, value in (
            (">=", spec.minimum),
            (">", spec.exclusive_minimum),
            ("<=", spec.maximum),
            ("<", spec.exclusive_maximum),
        )
        if value is not None
    ]
    if bounds:
        parts.append(" and ".join(bounds))
    if spec.help:
        parts.append(spec.help.rstrip("."))
    return "; ".join(parts)


# ----------------------------------------------------------------------------- TOML lines
_HEADER = re.compile(r"\s*\[([^\[\]]+)\]\s*(#.*)?$")


def line_of(lines: Sequence[str], loc: Sequence[Any]) -> int | None:
    """Best-effort line (from 1) of key `loc` in TOML text: `key =` under `[table]`, a dotted
    `table.key =` at the top, or the `[table]` header when `loc` names a whole table."""
    if not loc:
        return None
    table = ".".join(str(p) for p in loc[:-1])
    whole = ".".join(str(p) for p in loc)
    key = re.escape(str(loc[-1]))
    current = ""
    for number, line in enumerate(lines, 1):
        header = _HEADER.match(line)
        if header:
            current = header.group(1).strip()
            if current == whole:  # a whole table, e.g. [pretrian]
                return number
            continue
        if current == table and re.match(rf"\s*{key}\s*=", line):
            return number
        if not current and table and re.match(rf"\s*{re.escape(table)}\.{key}\s*=", line):
            return number
    return None


# ----------------------------------------------------------------------------- errors
@dataclass(frozen=True)
class Problem:
    """One validation error in plain terms: the key it is about and what is wrong."""

    loc: tuple[str, ...]  # () for a rule over the whole preset
    kind: str  # pydantic's error type ("extra_forbidden", "greater_than", ...)
    message: str  # pydantic's message, "Value error, " removed
    value: Any = None
    has_value: bool = False

    @property
    def path(self) -> str:
        return ".".join(self.loc)


def problems(exc: ValidationError) -> list[Problem]:
    """The errors of a validation, list indices dropped from their locations."""
    found = []
    for err in exc.errors():
        loc = tuple(str(p) for p in err["loc"] if not isinstance(p, int))
        message = str(err["msg"]).removeprefix("Value error, ")
        found.append(Problem(loc, err["type"], message, err.get("input"), "input" in err))
    return found


def explain(
    root: type[BaseModel], exc: ValidationError, lines: Sequence[str] = (), where: str = "preset"
) -> str:
    """A validation error as lines "file:line: key = value: what is wrong (allowed: ...)"."""
    messages = []
    for problem in problems(exc):
        loc, key = problem.loc, problem.path
        line = line_of(lines, loc)
        at = f"{where}:{line}" if line else where
        if problem.kind == "extra_forbidden":
            parent = model_at(root, loc[:-1])
            names = list(parent.model_fields) if parent else []
            close = difflib.get_close_matches(loc[-1], names, n=1, cutoff=0.6)
            hint = f" (did you mean {'.'.join([*loc[:-1], close[0]])!r}?)" if close else ""
            messages.append(f"{at}: unknown key {key!r}{hint}; allowed here: {', '.join(names)}")
        elif not loc:  # a cross-field rule
            messages.append(f"{at}: {problem.message}")
        else:
            allowed = allowed_text(model_at(root, loc[:-1]), loc[-1])
            messages.append(
                f"{at}: {key} = {problem.value!r}: {problem.message}"
                + (f" (allowed: {allowed})" if allowed else "")
            )
    return "\n".join(messages)


def close_key(key: str, keys: Sequence[str]) -> str:
    """ " (did you mean 'x'?)" for a mistyped key, "" when nothing is close."""
    close = difflib.get_close_matches(key, keys, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def nested(data: Mapping[str, Any]) -> dict[str, Any]:
    """{"pretrain.lr": 1e-3} -> {"pretrain": {"lr": 1e-3}}; nested tables pass through."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        parts = str(key).split(".")
        table = out
        for part in parts[:-1]:
            table = table.setdefault(part, {})
        if isinstance(value, dict) and isinstance(table.get(parts[-1]), dict):
            table[parts[-1]].update(value)
        else:
            table[parts[-1]] = value
    return out
