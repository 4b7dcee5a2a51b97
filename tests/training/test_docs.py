"""The Python examples in docs/training.md and docs/tracking.md run as written."""

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"


def blocks(name):
    return re.findall(r"```python\n(.*?)```", (DOCS / name).read_text(), flags=re.S)


@pytest.mark.parametrize("name", ["training.md", "tracking.md"])
def test_examples_run(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples write checkpoints/ and runs/ relative to the cwd
    namespace = {"__name__": "docs_example"}
    code = blocks(name)
    assert code, f"no python examples in {name}"
    for block in code:  # later blocks build on earlier ones, like a reader following along
        exec(compile(block, f"{name} example", "exec"), namespace)
