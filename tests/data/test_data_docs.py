import pytest
from docs_runner import python_blocks, run_block

BLOCKS = python_blocks("data.md")


def test_doc_has_examples():
    assert len(BLOCKS) >= 2


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_doc_example_runs(index, tmp_path, monkeypatch):
    code = BLOCKS[index]
    if "bert_engine.tokenizers" in code:
        pytest.importorskip("bert_engine.tokenizers")
    monkeypatch.chdir(tmp_path)
    run_block("data.md", index, code, {})
