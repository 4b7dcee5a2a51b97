"""Edit a preset's TOML text in place with tomlkit, so what did not change keeps its comments,
order and formatting: only changed values are rewritten, new keys added, removed ones dropped.

Values are compared flattened ("section.key"), as `bert_engine.presets.flatten` gives them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import tomlkit
from tomlkit.container import Container
from tomlkit.items import Table


def apply_changes(text: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    """`text` with every flattened key whose value differs between `old` (what `text` means)
    and `new` written in: set when `new` has a value, removed when it is None or missing.

    A key `"classification": None` in `new` (an optional table left out) removes the table."""
    doc = tomlkit.parse(text)
    for key in [*new, *(k for k in old if k not in new)]:
        value = new.get(key)
        if old.get(key) == value and (value is not None or key in old):
            continue
        parts = key.split(".")
        if value is None:
            _remove(doc, parts)
        elif not _covered(new, parts):  # a parent table is None: removed with it
            _set(doc, parts, value)
    return tomlkit.dumps(doc)


def sync(text: str, new_text: str) -> str:
    """`text` changed to mean exactly what `new_text` means (both TOML): the items of
    `new_text` replace those whose value changed (keeping their inline comments), keys only in
    `new_text` are added, keys it lacks are removed."""
    doc, new = tomlkit.parse(text), tomlkit.parse(new_text)
    _sync_table(doc, new)
    return tomlkit.dumps(doc)


def without(text: str, key: str) -> str:
    """`text` without the top-level `key` (if it has one)."""
    doc = tomlkit.parse(text)
    doc.pop(key, None)
    return tomlkit.dumps(doc)


# ----------------------------------------------------------------------------- helpers
def _sync_table(target: Container | Table, source: Container | Table) -> None:
    for key in [k for k in target if k not in source]:
        del target[key]
    for key, item in source.items():
        if key in target and isinstance(item, Table) and isinstance(target[key], Table):
            _sync_table(target[key], item)
        elif key not in target or _value(target[key]) != _value(item):
            target[key] = item


def _value(item: Any) -> Any:
    """A plain value (tomlkit hands out some, booleans, unwrapped already)."""
    return item.unwrap() if hasattr(item, "unwrap") else item


def _covered(new: Mapping[str, Any], parts: list[str]) -> bool:
    return any(new.get(".".join(parts[:i]), ...) is None for i in range(1, len(parts)))


def _remove(doc: Container, parts: list[str]) -> None:
    table: Any = doc
    for part in parts[:-1]:
        if not isinstance(table, (Container, Table)) or part not in table:
            return
        table = table[part]
    if isinstance(table, (Container, Table)) and parts[-1] in table:
        del table[parts[-1]]


def _set(doc: Container, parts: list[str], value: Any) -> None:
    table: Any = doc
    for part in parts[:-1]:
        if part not in table or not isinstance(table[part], (Container, Table)):
            table[part] = tomlkit.table()
        table = table[part]
    table[parts[-1]] = _plain(value)


def _plain(value: Any) -> Any:
    """TOML has lists, not tuples."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
