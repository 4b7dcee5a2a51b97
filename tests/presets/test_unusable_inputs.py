"""Classification files that exist but cannot be read (a folder, empty, binary, a header
lacking the configured columns) are reported before a run starts, like missing files."""

from pathlib import Path

import pytest
from kit.services import tiny_preset_dict

from bert_engine.presets import PresetError, check_inputs, unusable_inputs, validate_preset
from workbench.cli import main


def _preset(tmp_path: Path, train: Path, **classification: object):
    data = tiny_preset_dict(tmp_path)
    data["classification"] = {"train": str(train), **classification}
    return validate_preset(data)


def _problems(tmp_path: Path, train: Path, **classification: object) -> list[str]:
    preset = _preset(tmp_path, train, **classification)
    return [f"{key}: {problem}" for key, _, problem in unusable_inputs(preset)]


def test_folder_empty_and_binary_files_are_reported(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    (problem,) = _problems(tmp_path, folder)
    assert problem.startswith("classification.train: ") and "is a folder" in problem
    assert "give the CSV/TSV/JSONL file" in problem and "corpus" not in problem
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert "is empty" in _problems(tmp_path, empty)[0]
    binary = tmp_path / "model.csv"
    binary.write_bytes(b"PK\x03\x04\x00\x00binary")
    assert "binary file" in _problems(tmp_path, binary)[0]


def test_header_lacking_the_columns_names_what_the_file_has(tmp_path: Path) -> None:
    train = tmp_path / "train.tsv"
    train.write_text("sentence\tlabel\nhello\tpos\n")
    (problem,) = _problems(tmp_path, train, text_pair_column="other")
    assert "text_column 'text'" in problem and "text_pair_column 'other'" in problem
    assert "label_column" not in problem
    assert "columns 'sentence', 'label'" in problem
    assert not _problems(tmp_path, train, text_column="sentence")  # configured: fine
    jsonl = tmp_path / "train.jsonl"
    jsonl.write_text('{"text": "a", "label": "b"}\n')
    assert not _problems(tmp_path, jsonl)


def test_start_and_validate_refuse_an_unusable_file(tmp_path: Path, capsys) -> None:
    test = tmp_path / "test.csv"
    test.write_text("text,label\na,b\n")
    folder = tmp_path / "folder"
    folder.mkdir()
    preset = _preset(tmp_path, test, validation=str(folder))
    with pytest.raises(PresetError, match=r"classification\.validation: .* is a folder"):
        check_inputs(preset, ("classification",))
    check_inputs(preset, ("data",))  # other sections: not checked
    file = tmp_path / "mine.preset.toml"
    file.write_text(
        f'extends = "quickstart"\nname = "mine"\n[classification]\n'
        f'train = "{test}"\nvalidation = "{folder}"\n'
    )
    assert main(["presets", "validate", str(file)]) == 2
    err = capsys.readouterr().err
    assert "classification.validation:" in err and "is a folder" in err
