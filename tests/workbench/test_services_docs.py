"""The Python example in docs/services.md runs as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "services.md"


def test_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the example writes corpus.txt, cache/ and workspace/ here
    code = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    assert code, "no python example in docs/services.md"
    namespace: dict[str, object] = {"__name__": "docs_example"}
    for block in code:
        exec(compile(block, "docs/services.md example", "exec"), namespace)
    assert (tmp_path / "workspace" / "presets" / "tiny.toml").is_file()
    assert any((tmp_path / "workspace" / "exports").iterdir())
