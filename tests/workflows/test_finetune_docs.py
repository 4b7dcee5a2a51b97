"""The Python examples in docs/finetuning.md run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_examples_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the examples write task.csv and runs/ in the cwd
    code = re.findall(r"```python\n(.*?)```", (DOCS / "finetuning.md").read_text(), flags=re.S)
    assert len(code) == 2
    namespace: dict[str, object] = {"__name__": "docs_example"}
    for block in code:  # the inference example uses the run of the first one
        exec(compile(block, "finetuning.md example", "exec"), namespace)
    assert namespace["results"]["test"]["accuracy"] >= 0.75  # type: ignore[index]
