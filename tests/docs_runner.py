"""Runs the ```python examples of the pages in docs/ (used by the tests of each page)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

DOCS = Path(__file__).resolve().parents[1] / "docs"


def python_blocks(name: str) -> list[str]:
    """The ```python blocks of docs/`name`, in page order."""
    text = (DOCS / name).read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def run_block(name: str, index: int, code: str, namespace: dict[str, Any]) -> None:
    """Execute one example; tracebacks name the page and the example's number."""
    # dont_inherit: this module's `from __future__ import annotations` must not leak into the
    # example (dataclasses in it would then see string annotations).
    exec(compile(code, f"{name} example {index}", "exec", dont_inherit=True), namespace)


def run_page(name: str) -> dict[str, Any]:
    """Run all examples of a page in order in one namespace (later ones build on earlier ones,
    like a reader following along); returns the namespace so tests can check results."""
    blocks = python_blocks(name)
    assert blocks, f"no python examples in docs/{name}"
    namespace: dict[str, Any] = {"__name__": "docs_example"}
    for index, code in enumerate(blocks):
        run_block(name, index, code, namespace)
    return namespace
