"""Preset file operations through the service: save in place keeping comments, rename,
duplicate with a name, Save as keeping the source's comments (presetops)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from bert_engine.presets import PresetError
from workbench.services import PresetService, Workspace, WorkspaceError
from workbench.services.toml_edit import apply_changes, sync

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

COMMENTED = """\
# My experiment: a tiny model on the demo corpus.
name = "mine"
description = "kept as written"

[model]
size = "tiny"   # small on purpose
# Dropout only slows a short run down.
hidden_dropout = 0.0

[pretrain]
max_steps = 40
lr = 1e-3  # written like this
warmup_steps = 4

[tracking]
tensorboard = false
"""


@pytest.fixture()
def service(tmp_path: Path) -> PresetService:
    return PresetService(Workspace(tmp_path / "ws"))


@pytest.fixture()
def mine(service: PresetService) -> Path:
    path = service.folder / "mine.toml"
    path.write_text(COMMENTED, encoding="utf-8")
    return path


def edited(service: PresetService, **changes: object) -> object:
    preset = service.load("mine")
    return preset.model_copy(
        update={"pretrain": preset.pretrain.model_copy(update=changes)}, deep=True
    )


def test_save_in_place_keeps_comments_and_changes_only_the_changed_value(
    service: PresetService, mine: Path
) -> None:
    service.save_in_place("mine", edited(service, max_steps=80))
    text = mine.read_text(encoding="utf-8")
    assert text == COMMENTED.replace("max_steps = 40", "max_steps = 80")
    assert service.load("mine").pretrain.max_steps == 80


def test_save_in_place_of_an_unchanged_preset_writes_the_same_bytes(
    service: PresetService, mine: Path
) -> None:
    service.save_in_place("mine", service.load("mine"))
    assert mine.read_text(encoding="utf-8") == COMMENTED
    service.save_in_place("mine", COMMENTED)
    assert mine.read_text(encoding="utf-8") == COMMENTED


def test_save_in_place_from_text_adds_and_drops_keys(service: PresetService, mine: Path) -> None:
    new = (
        COMMENTED.replace("warmup_steps = 4\n", 'schedule = "cosine"\n')
        .replace("max_steps = 40", "max_steps = 400")
        .replace("# My experiment", "# typed in the editor")
    )
    service.save_in_place("mine", new)
    text = mine.read_text(encoding="utf-8")
    assert "warmup_steps" not in text and 'schedule = "cosine"' in text
    assert "# small on purpose" in text and "# Dropout only" in text
    data = tomllib.loads(text)
    assert data == tomllib.loads(new)


def test_an_optional_table_set_to_default_value_is_written_and_a_cleared_one_dropped(
    service: PresetService, mine: Path
) -> None:
    preset = service.load("mine")
    model = preset.model.model_copy(update={"num_layers": 3})
    service.save_in_place("mine", preset.model_copy(update={"model": model}))
    assert "num_layers = 3" in mine.read_text()
    service.save_in_place("mine", preset)  # num_layers back to unset: the key goes
    assert mine.read_text(encoding="utf-8") == COMMENTED


def test_bundled_presets_are_refused_with_save_as(service: PresetService) -> None:
    bundled = service.resolve("quickstart")
    before = bundled.read_bytes()
    with pytest.raises(WorkspaceError, match="bundled preset.*read-only.*Save as"):
        service.save_in_place("quickstart", service.load("quickstart"))
    assert bundled.read_bytes() == before


def test_an_invalid_preset_is_never_written(service: PresetService, mine: Path) -> None:
    with pytest.raises(PresetError, match="pretrain.lr"):
        service.save_in_place("mine", COMMENTED.replace("lr = 1e-3", "lr = -1.0"))
    with pytest.raises(PresetError, match="not valid TOML"):
        service.save_in_place("mine", "name = \n")
    assert mine.read_text(encoding="utf-8") == COMMENTED


def test_writes_are_atomic_and_leave_no_temp_files(service: PresetService, mine: Path) -> None:
    service.save_in_place("mine", edited(service, lr=5e-4))
    service.rename("mine", "yours")
    service.duplicate("yours", "theirs")
    assert sorted(p.name for p in service.folder.iterdir()) == ["theirs.toml", "yours.toml"]


def test_rename_moves_the_file_renames_the_preset_and_keeps_comments(
    service: PresetService, mine: Path
) -> None:
    path = service.rename("mine", "yours")
    assert path == service.folder / "yours.toml" and not mine.exists()
    assert path.read_text(encoding="utf-8") == COMMENTED.replace('"mine"', '"yours"')
    assert service.load("yours").name == "yours"


def test_rename_refuses_clashes_bundled_presets_and_bad_names(
    service: PresetService, mine: Path
) -> None:
    other = service.duplicate("quickstart", "other")
    with pytest.raises(WorkspaceError, match="named 'other' already exists.*another name"):
        service.rename("mine", "other")
    assert mine.is_file() and tomllib.loads(other.read_text())["name"] == "other"
    with pytest.raises(WorkspaceError, match="bundled preset.*Save as"):
        service.rename("quickstart", "qs")
    with pytest.raises(WorkspaceError):
        service.rename("mine", "../outside")
    with pytest.raises(WorkspaceError, match="already has that name"):
        service.rename("mine", "mine")
    assert service.rename("mine", "other", overwrite=True).name == "other.toml"
    assert service.load("other").pretrain.max_steps == 40


def test_duplicate_with_a_name_refuses_a_taken_one(service: PresetService, mine: Path) -> None:
    copy = service.duplicate("mine", "mine-copy")
    assert copy.read_text(encoding="utf-8") == COMMENTED.replace('"mine"', '"mine-copy"')
    with pytest.raises(WorkspaceError, match="already exists"):
        service.duplicate("quickstart", "mine-copy")
    assert tomllib.loads(copy.read_text())["name"] == "mine-copy"


def test_save_as_of_a_bundled_preset_keeps_its_comments(service: PresetService) -> None:
    source = service.resolve("mlm-only")  # extends quickstart: the copy is self-contained
    path = service.save(service.load("mlm-only"), "mlm-mine", source=source)
    text = path.read_text(encoding="utf-8")
    assert "extends" not in text and 'objective = "mlm"' in text
    assert text.startswith('name = "mlm-mine"\ndescription = "RoBERTa style')
    assert service.diff(service.load("mlm-only"), service.load("mlm-mine")) == {
        "name": ("mlm-only", "mlm-mine")
    }
    quick = service.duplicate("quickstart", "qs")
    assert "# Dropout only slows a short run" in quick.read_text(encoding="utf-8")


def test_paths_in_a_copy_still_lead_to_the_same_file(service: PresetService) -> None:
    data = service.workspace.root / "data" / "train.csv"
    data.parent.mkdir(parents=True, exist_ok=True)
    data.write_text("text,label\nhello there,a\nbye now,b\n", encoding="utf-8")
    source = service.folder / "own.toml"
    source.write_text(
        'name = "own"\n[classification]\ntrain = "../data/train.csv"  # my file\n'
        'validation_fraction = 0.5\n[finetune]\ninit = "none"\n',
        encoding="utf-8",
    )
    preset = service.load("own")
    service.save_in_place("own", preset)
    assert "# my file" in source.read_text()
    assert service.load("own").classification.train == preset.classification.train
    elsewhere = service.workspace.root / "elsewhere"
    elsewhere.mkdir()
    moved = elsewhere / "own.toml"
    moved.write_text(source.read_text().replace("../data", "../data"), encoding="utf-8")
    copied = service.duplicate(moved, "own-copy")
    assert service.load(copied).classification.train == service.load(moved).classification.train


def test_apply_changes_and_sync_round_trip() -> None:
    old = {"name": "mine", "pretrain.max_steps": 40, "classification": None}
    same = apply_changes(COMMENTED, old, dict(old))
    assert same == COMMENTED
    added = apply_changes(COMMENTED, old, {**old, "classification": None, "finetune.epochs": 2})
    assert tomllib.loads(added)["finetune"] == {"epochs": 2}
    assert apply_changes(added, {"finetune.epochs": 2}, {"finetune": None}) == COMMENTED + "\n"
    assert sync(COMMENTED, COMMENTED) == COMMENTED
