import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
BLOCKS = [
    (name, block)
    for name in ("presets.md", "cli.md")
    for block in re.findall(r"```python\n(.*?)```", (DOCS / name).read_text(encoding="utf-8"), re.S)
]


def test_docs_have_examples():
    assert {name for name, _ in BLOCKS} == {"presets.md", "cli.md"}


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_doc_example_runs(index, tmp_path, monkeypatch):
    name, code = BLOCKS[index]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BERTBENCH_CACHE", str(tmp_path / "cache"))
    exec(compile(code, f"{name} example {index}", "exec"), {})
