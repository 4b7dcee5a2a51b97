"""The path rule (docs/presets.md): a path typed in a form is relative to the workspace; a saved
preset stores it so that it resolves to the same file when loaded again. Missing input files are
validation problems naming the field, the path and how to fix it."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.services import Services, form


@pytest.fixture
def services(tmp_path: Path) -> Services:
    return Services(tmp_path / "ws")


def _typed(services: Services, preset: str, **typed: str) -> tuple[dict[str, str], list[str]]:
    """The form texts of `preset` with some typed in (`section__key="text"`)."""
    shown = form.to_form(services.presets.load(preset))
    texts = shown.texts()
    texts.update({k.replace("__", "."): v for k, v in typed.items()})
    return texts, shown.included


def test_a_typed_path_is_relative_to_the_workspace_and_survives_save_and_load(
    services: Services,
) -> None:
    root = services.workspace.root
    (root / "tokenizers" / "wt2-wp").mkdir(parents=True)
    (root / "tokenizers" / "wt2-wp" / "tokenizer.json").write_text("{}")
    texts, included = _typed(services, "quickstart", tokenizer__path="tokenizers/wt2-wp")
    check = services.presets.validate_form(form.from_form(texts, included))
    assert check.ok and check.preset is not None, check.errors
    assert Path(str(check.preset.tokenizer.path)) == root / "tokenizers" / "wt2-wp"
    saved = services.presets.save(check.preset, "mine")
    assert saved.parent == root / "presets"
    assert 'path = "../tokenizers/wt2-wp"' in saved.read_text()  # relative to the saved file
    again = services.presets.load("mine")
    assert Path(str(again.tokenizer.path)).resolve() == (root / "tokenizers" / "wt2-wp").resolve()
    # And the form of the loaded preset gives the same preset back.
    shown = form.to_form(again)
    check = services.presets.validate_form(form.from_form(shown.texts(), shown.included))
    assert check.ok and check.preset == again


def test_a_run_used_as_init_survives_save_and_load_and_a_name_stays_a_name(
    services: Services,
) -> None:
    """Runs' "Use as init" types `runs/<run>`: saved relative to the preset file, it finds
    the same run when loaded again; a bare run name and "random" are kept as they are."""
    root = services.workspace.root
    run = root / "runs" / "pre-20260101T000000Z"
    (run / "checkpoints").mkdir(parents=True)
    texts, included = _typed(services, "classify-quickstart", finetune__init=f"runs/{run.name}")
    check = services.presets.validate_form(form.from_form(texts, included))
    assert check.ok and check.preset is not None, check.errors
    assert Path(check.preset.finetune.init) == run
    saved = services.presets.save(check.preset, "from-run")
    assert f'init = "../runs/{run.name}"' in saved.read_text()
    assert Path(services.presets.load("from-run").finetune.init).resolve() == run.resolve()
    for name in ("quickstart", "random", "hf:someone/bert"):
        texts, included = _typed(services, "classify-quickstart", finetune__init=name)
        check = services.presets.validate_form(form.from_form(texts, included))
        assert check.preset is not None and check.preset.finetune.init == name
    # A run path that does not exist is a problem of the field before any run starts.
    texts, included = _typed(services, "classify-quickstart", finetune__init="runs/gone")
    check = services.presets.validate_form(form.from_form(texts, included))
    assert not check.ok and any(e.path == "finetune.init" for e in check.errors), check.errors


def test_path_values_serialise(services: Services) -> None:
    root = services.workspace.root
    (root / "data").mkdir()
    (root / "data" / "test.csv").write_text("text,label\na,0\n")
    values = form.to_form(services.presets.load("classify-quickstart")).values()
    values["classification.test"] = Path("data/test.csv")
    check = services.presets.validate_form(form.from_form(values, ["finetune", "classification"]))
    assert check.ok and check.preset is not None, check.errors
    text = services.presets.save(check.preset, "with-test").read_text()
    assert 'test = "../data/test.csv"' in text


def test_a_missing_typed_file_is_a_field_problem(services: Services) -> None:
    texts, included = _typed(services, "classify-quickstart", classification__test="data/tset.csv")
    check = services.presets.validate_form(form.from_form(texts, included))
    assert not check.ok
    [error] = check.errors
    assert error.path == "classification.test"
    where = services.workspace.root / "data" / "tset.csv"
    assert error.message.startswith(
        f'no file at {where} (typed "data/tset.csv", relative to the workspace)'
    )


def test_a_bundled_preset_naming_user_data_says_so(services: Services) -> None:
    texts, included = _typed(services, "finetune-csv")
    check = services.presets.validate_form(form.from_form(texts, included))
    assert not check.ok
    [error] = check.errors
    assert error.path == "classification.train"
    assert "this preset expects your own data there" in error.message


def test_cli_validate_names_a_missing_data_file(capsys: pytest.CaptureFixture[str]) -> None:
    from workbench.cli import main

    assert main(["presets", "validate", "finetune-csv"]) == 2
    err = capsys.readouterr().err
    assert "classification.train: no file at" in err and "train.csv" in err
    assert "Traceback" not in err


def test_starting_a_run_with_a_missing_file_fails_before_it_starts(services: Services) -> None:
    from bert_engine.presets import PresetError

    with pytest.raises(PresetError, match=r"classification\.train: no file at .*train\.csv"):
        services.manager.start_finetuning("finetune-csv")
    assert services.manager.runs() == []


def test_a_folder_or_a_header_lacking_the_columns_is_a_field_problem(services: Services) -> None:
    root = services.workspace.root
    (root / "data" / "folder").mkdir(parents=True)
    (root / "data" / "test.csv").write_text("sentence,label\na,0\n")
    texts, included = _typed(
        services,
        "classify-quickstart",
        classification__validation="data/folder",
        classification__test="data/test.csv",
    )
    check = services.presets.validate_form(form.from_form(texts, included))
    assert not check.ok
    problems = {e.path: e.message for e in check.errors}
    assert set(problems) == {"classification.validation", "classification.test"}
    assert problems["classification.validation"].startswith(
        f"{root / 'data' / 'folder'} is a folder"
    )
    assert "lacks text_column 'text'" in problems["classification.test"]
    assert "columns 'sentence', 'label'" in problems["classification.test"]
