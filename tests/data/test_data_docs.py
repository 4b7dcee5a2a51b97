import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "data.md"
BLOCKS = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


def test_doc_has_examples():
    assert len(BLOCKS) >= 2


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_doc_example_runs(index, tmp_path, monkeypatch):
    code = BLOCKS[index]
    if "bert_engine.tokenizers" in code:
        pytest.importorskip("bert_engine.tokenizers")
    monkeypatch.chdir(tmp_path)
    exec(compile(code, f"{DOC.name} example {index}", "exec"), {})
