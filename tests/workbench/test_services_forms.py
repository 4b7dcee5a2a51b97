"""Presets as flat forms and back (services/forms.py), on the real schema and presets."""

from __future__ import annotations

import pytest

from workbench.services import Services, forms


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Services:
    return Services(tmp_path_factory.mktemp("forms") / "ws")


def test_every_bundled_preset_survives_the_round_trip(services: Services) -> None:
    fields = forms.editable(services.presets.form_fields())
    for entry in services.presets.list():
        preset = services.presets.load(entry.name)
        values = forms.preset_values(preset, fields)
        data = forms.form_data(values, fields, forms.present_sections(preset))
        check = services.presets.validate_form(data)
        assert check.ok, (entry.name, check.errors)
        assert services.presets.diff(check.preset, preset) == {}, entry.name


def test_widget_values_are_translated(services: Services) -> None:
    fields = {f.path: f for f in forms.editable(services.presets.form_fields())}
    assert "extends" not in fields
    strip = fields["tokenizer.strip_accents"]  # optional yes/no: three states
    assert [forms.to_form(v, strip) for v in (None, True, False)] == ["default", "true", "false"]
    assert [forms.from_form(v, strip) for v in ("default", "true", "false")] == [None, True, False]
    steps = fields["pretrain.max_steps"]
    assert forms.from_form(8.0, steps) == 8 and isinstance(forms.from_form(8.0, steps), int)
    assert forms.from_form(8.5, steps) == 8.5  # left for the validation to report
    assert forms.from_form("", fields["tokenizer.path"]) is None
    assert forms.to_form(None, fields["tokenizer.path"]) == ""


def test_optional_sections_are_included_only_when_chosen(services: Services) -> None:
    assert forms.optional_sections() == ["finetune", "classification"]
    fields = forms.editable(services.presets.form_fields())
    preset = services.presets.load("classify-quickstart")
    values = forms.preset_values(preset, fields)
    without = forms.form_data(values, fields, [])
    assert not any(k.startswith(("finetune.", "classification.")) for k in without)
    check = services.presets.validate_form(without)
    assert check.ok and check.preset is not None and check.preset.finetune is None
    # A required field left empty is reported at its own path.
    values["classification.train"] = ""
    data = forms.form_data(values, fields, ["finetune", "classification"])
    check = services.presets.validate_form(data)
    assert not check.ok
    assert "classification.train" in [e.path for e in check.errors]


def test_unset_optional_values_take_their_default(services: Services) -> None:
    fields = forms.editable(services.presets.form_fields())
    values = forms.preset_values(services.presets.load("quickstart"), fields)
    values["model.num_layers"] = None
    values["pretrain.lr"] = 0.5
    check = services.presets.validate_form(forms.form_data(values, fields))
    assert check.ok and check.preset is not None
    assert check.preset.model.num_layers is None and check.preset.pretrain.lr == 0.5
