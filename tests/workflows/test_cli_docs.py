import pytest
from docs_runner import python_blocks, run_block

BLOCKS = [(name, block) for name in ("presets.md", "cli.md") for block in python_blocks(name)]


def test_docs_have_examples():
    assert {name for name, _ in BLOCKS} == {"presets.md", "cli.md"}


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_doc_example_runs(index, tmp_path, monkeypatch):
    name, code = BLOCKS[index]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BERTBENCH_CACHE", str(tmp_path / "cache"))
    run_block(name, index, code, {})
