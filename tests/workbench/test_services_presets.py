"""Presets through the service: listing, field-level validation errors, saving, diff, schema."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from workbench.services import PresetService, Workspace, WorkspaceError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


@pytest.fixture()
def service(tmp_path: Path) -> PresetService:
    return PresetService(Workspace(tmp_path / "ws"))


def test_list_has_bundled_and_workspace_presets(service: PresetService) -> None:
    bundled = {e.name for e in service.list() if e.origin == "bundled"}
    repo_presets = Path(__file__).resolve().parents[2] / "presets"
    assert {p.stem for p in repo_presets.glob("*.toml")} <= bundled | {
        e.name for e in service.list()
    }
    saved = service.duplicate("quickstart")
    entries = service.list()
    first = entries[0]
    assert (first.name, first.origin, first.path) == ("quickstart-copy", "workspace", saved)
    assert service.load("quickstart-copy").name == "quickstart-copy"


def test_validation_errors_point_at_the_key_and_line(service: PresetService) -> None:
    text = (
        'name = "x"\n'
        "[model]\n"
        'size = "tiny"\n'
        "[pretrain]\n"
        "max_steps = 10\n"
        "lr = -1.0\n"
        "[data]\n"
        "batch_size = 0\n"
    )
    result = service.validate_text(text)
    assert not result.ok and result.preset is None
    by_path = {e.path: e for e in result.errors}
    assert set(by_path) == {"pretrain.lr", "data.batch_size"}
    assert by_path["pretrain.lr"].line == 6 and "-1.0" in by_path["pretrain.lr"].message
    assert by_path["data.batch_size"].line == 8


def test_unknown_keys_and_cross_field_rules_name_a_key(service: PresetService) -> None:
    result = service.validate_form({"pretrain": {"max_stpes": 10}})
    assert [e.path for e in result.errors] == ["pretrain.max_stpes"]
    assert "unknown" in result.errors[0].message
    rule = service.validate_form({"pretrain.max_steps": 10, "pretrain.warmup_steps": 50})
    assert [e.path for e in rule.errors] == ["pretrain.warmup_steps"]
    assert "exceeds" in rule.errors[0].message


def test_toml_syntax_errors_carry_the_line(service: PresetService) -> None:
    result = service.validate_text('name = "x"\n[model\nsize = "tiny"\n')
    assert not result.ok
    assert result.errors[0].path == "" and result.errors[0].line == 2


def test_flat_form_values_validate(service: PresetService) -> None:
    result = service.validate_form({"name": "form", "pretrain.lr": 3e-4, "model.size": "mini"})
    assert result.ok and result.preset is not None
    assert (result.preset.pretrain.lr, result.preset.model.size) == (3e-4, "mini")


def test_extends_in_text_is_resolved(service: PresetService) -> None:
    result = service.validate_text('extends = "quickstart"\nname = "mine"\n[pretrain]\nlr = 0.01\n')
    assert result.ok and result.preset is not None
    base = service.load("quickstart")
    assert service.diff(base, result.preset) == {
        "name": ("quickstart", "mine"),
        "pretrain.lr": (base.pretrain.lr, 0.01),
    }


def test_save_refuses_unsafe_names_and_roundtrips(service: PresetService, tmp_path: Path) -> None:
    preset = service.load("quickstart", ["pretrain.max_steps=42", "pretrain.warmup_steps=4"])
    for bad in ("../escape", "/tmp/abs", "a/b", "CON"):
        with pytest.raises(WorkspaceError):
            service.save(preset, bad)
    assert not (tmp_path / "escape.toml").exists()
    path = service.save(preset, "forty-two")
    assert path == service.workspace.root / "presets" / "forty-two.toml"
    again = service.load("forty-two")
    assert again.pretrain.max_steps == 42 and again.name == "forty-two"
    with pytest.raises(WorkspaceError, match="already exists"):
        service.save(preset, "forty-two")
    assert service.duplicate("forty-two").name == "forty-two-copy.toml"
    assert service.duplicate("forty-two").name == "forty-two-copy-2.toml"
    service.delete("forty-two-copy")
    assert not (path.parent / "forty-two-copy.toml").exists()


def test_uploads_are_validated_before_saving(service: PresetService) -> None:
    from bert_engine.presets import PresetError

    good = b'name = "up"\n[pretrain]\nmax_steps = 700\n'
    path = service.upload("up.toml", good)
    assert tomllib.loads(path.read_text())["pretrain"]["max_steps"] == 700
    with pytest.raises(PresetError, match="pretrain.max_steps"):
        service.upload("bad.toml", b"[pretrain]\nmax_steps = -3\n")
    with pytest.raises(WorkspaceError, match="limit"):
        service.upload("huge.toml", b"#" * (service.workspace.max_upload_bytes + 1))
    with pytest.raises(WorkspaceError):
        service.upload("../up.toml", good)
    assert not (service.workspace.area("presets") / "bad.toml").exists()


def test_form_fields_describe_types_bounds_and_help(service: PresetService) -> None:
    fields = {f.path: f for f in service.form_fields()}
    lr = fields["pretrain.lr"]
    assert (lr.type, lr.exclusive_minimum, lr.maximum) == ("number", 0.0, 1.0)
    assert lr.help and lr.default == pytest.approx(1e-4)
    size = fields["model.size"]
    assert size.type == "choice" and "tiny" in size.choices
    assert fields["tokenizer.path"].optional and fields["data.pack"].type == "boolean"
    assert fields["name"].section == ""
    schema = service.json_schema()
    assert "pretrain" in schema["properties"]
