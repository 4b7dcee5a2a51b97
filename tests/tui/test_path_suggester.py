"""Path completion of the form's path fields and Try's file box (relative to the workspace)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.suggester import SuggestFromList

from workbench.services.datafiles import SUFFIXES
from workbench.tui.widgets.path_suggester import PathSuggester, complete_path, field_suggester


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "reviews.csv").write_text("text,label\n")
    (tmp_path / "data" / "reviews.txt").write_text("")
    (tmp_path / "data" / "notes.md").write_text("")
    (tmp_path / "dumps").mkdir()
    (tmp_path / ".hidden").mkdir()
    return tmp_path


def test_completes_folders_then_files_relative_to_the_root(root: Path) -> None:
    assert complete_path(root, "da") == "data/"  # a folder ends in "/"
    assert complete_path(root, "du") == "dumps/"
    assert complete_path(root, "d") == "data/"  # the first match in name order
    assert complete_path(root, "data/r") == "data/reviews.csv"
    assert complete_path(root, "data/reviews.csv") is None  # nothing left to add
    assert complete_path(root, "data/x") is None
    assert complete_path(root, "nowhere/x") is None  # a missing folder: no suggestion


def test_hidden_entries_suffixes_and_absolute_paths(root: Path) -> None:
    assert complete_path(root, "") is None and complete_path(root, "a\0b") is None
    assert complete_path(root, "data/") == "data/notes.md"
    assert complete_path(root, "data/", SUFFIXES) == "data/reviews.csv"  # data files only
    assert complete_path(root, "data/reviews.t", SUFFIXES) is None
    assert complete_path(root, ".h") == ".hidden/"  # hidden only when typed
    assert complete_path(root, "") is None
    assert complete_path(root / "data", "x") is None
    absolute = f"{root}/data/rev"
    assert complete_path(Path("/nonexistent"), absolute) == f"{root}/data/reviews.csv"


@pytest.mark.asyncio
async def test_the_suggesters_of_the_form_fields(root: Path) -> None:
    suggester = field_suggester("classification.train", root, [])
    assert isinstance(suggester, PathSuggester)
    assert await suggester.get_suggestion("data/re") == "data/reviews.csv"
    columns = field_suggester("classification.label_column", root, ["review", "stars"])
    assert isinstance(columns, SuggestFromList)
    assert await columns.get_suggestion("st") == "stars"
    assert field_suggester("classification.label_column", root, []) is None  # no file read yet
    assert field_suggester("pretrain.lr", root, ["x"]) is None
