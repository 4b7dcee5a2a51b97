"""The preset form model (services/form.py) on the real schema and presets: sections, texts and
typed values, parsing, bounds, the differs-from-default flag, and the round trip
`from_form(to_form(p)) == p` for every bundled preset and for generated valid presets."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bert_engine.preset_fields import FieldSpec
from bert_engine.presets import PATH_KEYS
from workbench.services import Services, form


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Services:
    return Services(tmp_path_factory.mktemp("forms") / "ws")


def quickstart_texts(services: Services) -> dict[str, str]:
    """What the text boxes of the quickstart preset's form hold."""
    return form.to_form(services.presets.load("quickstart")).texts()


def round_trip(services: Services, values: dict[str, Any], sections: list[str]) -> Any:
    check = services.presets.validate_form(form.from_form(values, sections))
    # Only missing data files may be reported (finetune-csv names a train.csv the user supplies).
    assert check.preset is not None, check.errors
    assert all(e.message.startswith("no file at") for e in check.errors), check.errors
    return check.preset


# ----------------------------------------------------------------------------- round trips
def test_every_bundled_preset_survives_the_round_trip(services: Services) -> None:
    for entry in services.presets.list():
        preset = services.presets.load(entry.name)
        shown = form.to_form(preset)
        # Both what text boxes hold and the typed values give the preset back.
        assert round_trip(services, shown.texts(), shown.included) == preset, entry.name
        assert round_trip(services, shown.values(), shown.included) == preset, entry.name


def _field_value(spec: FieldSpec) -> st.SearchStrategy[Any]:
    """Valid values of one field, from its spec (the schema's bounds)."""
    if spec.type == "choice":
        values: st.SearchStrategy[Any] = st.sampled_from(spec.choices)
    elif spec.type == "boolean":
        values = st.booleans()
    elif spec.type == "integer":
        low = int(spec.minimum if spec.minimum is not None else 0)
        high = int(spec.maximum if spec.maximum is not None else low + 10**6)
        values = st.integers(low, high)
    elif spec.type == "number":
        low = spec.minimum if spec.minimum is not None else spec.exclusive_minimum
        high = spec.maximum if spec.maximum is not None else spec.exclusive_maximum
        values = st.floats(
            low if low is not None else -1e6,
            high if high is not None else 1e6,
            exclude_min=spec.exclusive_minimum is not None,
            exclude_max=spec.exclusive_maximum is not None,
            allow_nan=False,
        )
    else:  # not blank: a blank box means "the default"
        values = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1)
        values = values.filter(lambda s: s.strip() != "")
    return st.none() | values if spec.optional else values


@st.composite
def valid_presets(draw: st.DrawFn) -> Any:
    from bert_engine.presets import Preset

    included = [s for s in form.optional_tables() if draw(st.booleans())]
    data: dict[str, Any] = {name: {} for name in included}
    for spec in form.specs():
        if spec.section in form.optional_tables() and spec.section not in included:
            continue
        if spec.optional or not spec.required:  # may be left out: the default
            if draw(st.booleans()):
                continue
        table = data.setdefault(spec.section, {}) if spec.section else data
        table[spec.key] = draw(_field_value(spec))
        if (spec.section, spec.key) in PATH_KEYS and isinstance(table[spec.key], str):
            # Loaded presets hold absolute input paths (a relative one typed in a form is
            # relative to the workspace: tests/workbench/test_services_paths.py).
            name = table[spec.key].replace("/", "_").replace("\\", "_")
            table[spec.key] = "/" + (name if name.strip(".") else f"x{name}")
    # Repair the cross-field rules so that most draws are valid.
    model, prep = data.get("model", {}), data.get("pretrain", {})
    if "max_seq_len" in data.get("data", {}):
        model["max_position_embeddings"] = max(
            model.get("max_position_embeddings", 512), data["data"]["max_seq_len"]
        )
    if "warmup_steps" in prep:
        prep["max_steps"] = max(prep.get("max_steps", 1000), prep["warmup_steps"])
    model.pop("vocab_size", None)
    if data.get("data", {}).get("pack"):
        model["objective"] = "mlm"
    model.pop("hidden_size", None)
    model.pop("num_heads", None)
    data["model"], data["pretrain"] = model, prep
    try:
        return Preset.model_validate(data)
    except ValueError:
        assume(False)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(preset=valid_presets())
def test_generated_presets_survive_the_round_trip(services: Services, preset: Any) -> None:
    shown = form.to_form(preset)
    assert round_trip(services, shown.texts(), shown.included) == preset
    assert round_trip(services, shown.values(), shown.included) == preset
    # Optional fields left empty stay unset (and are left out of the TOML).
    for field in shown.fields():
        if field.spec.optional and field.value is None:
            assert field.text == ""


def test_blank_optional_fields_stay_unset_and_out_of_the_toml(services: Services) -> None:
    from bert_engine.presets import preset_toml

    shown = form.to_form(services.presets.load("quickstart"))
    texts = shown.texts()
    assert texts["model.num_layers"] == "" and texts["pretrain.max_minutes"] == ""
    texts["tokenizer.vocab_size"] = "8000"  # the only edit
    check = services.presets.validate_form(form.from_form(texts, shown.included))
    assert check.ok, check.errors
    assert check.preset is not None and check.preset.model.num_layers is None
    toml = preset_toml(check.preset)
    assert "num_layers" not in toml and "max_minutes" not in toml
    assert "vocab_size = 8000" in toml


# ----------------------------------------------------------------------------- the model
def test_sections_follow_the_schema_and_mark_absent_tables(services: Services) -> None:
    shown = form.to_form(services.presets.load("quickstart"))
    names = [s.name for s in shown.sections]
    assert names[0] == ""  # name and description first
    assert names.index("tokenizer") < names.index("pretrain") < names.index("tracking")
    present = {s.name: s.present for s in shown.sections}
    assert present["pretrain"] and not present["finetune"] and not present["classification"]
    assert shown.included == []
    assert form.optional_tables() == ("finetune", "classification", "adapt")
    every = [f.path for f in shown.fields()]
    assert "extends" not in every and len(every) == len(set(every))
    assert not any(p.startswith("finetune.") for p in shown.texts())
    # An absent section still shows its defaults, ready to be included.
    assert shown.field("finetune.epochs").value == 3
    classify = form.to_form(services.presets.load("classify-quickstart"))
    assert classify.included == ["finetune", "classification"]


def test_widget_values_are_parsed(services: Services) -> None:
    specs = {s.path: s for s in form.specs()}
    strip = specs["tokenizer.strip_accents"]  # optional yes/no: three states
    assert [form.parse(strip, v) for v in ("default", "", "true", "false")] == [
        None,
        None,
        True,
        False,
    ]
    assert form.parse(strip, "maybe") == "maybe"  # left for the validation to report
    steps = specs["pretrain.max_steps"]
    assert form.parse(steps, 8.0) == 8 and isinstance(form.parse(steps, 8.0), int)
    assert form.parse(steps, 8.5) == 8.5  # left for the validation to report
    assert form.parse(steps, "1_234") == 1234 and form.parse(steps, "fast") == "fast"
    assert form.parse(specs["pretrain.lr"], 1) == 1.0
    assert form.parse(specs["tokenizer.path"], "  ") is None
    assert form.parse(specs["model.size"], "tiny") == "tiny"
    defaults = form.to_form()
    assert defaults.field("tokenizer.path").text == ""
    assert [defaults.field("tokenizer.strip_accents").text, defaults.field("data.pack").text] == [
        "",
        "false",
    ]


def test_an_invalid_field_is_reported_at_its_path(services: Services) -> None:
    texts = quickstart_texts(services)
    texts["data.batch_size"] = "0"
    texts["pretrain.lr"] = "fast"
    texts["tokenizer.lowercase"] = "maybe"
    check = services.presets.validate_form(form.from_form(texts))
    assert not check.ok
    assert {"data.batch_size", "pretrain.lr", "tokenizer.lowercase"} <= {
        e.path for e in check.errors
    }


def test_optional_sections_are_included_only_when_chosen(services: Services) -> None:
    shown = form.to_form(services.presets.load("classify-quickstart"))
    values = shown.values()
    without = form.from_form(values, [])
    assert "finetune" not in without and "classification" not in without
    check = services.presets.validate_form(without)
    assert check.ok and check.preset is not None and check.preset.finetune is None
    # A required field left empty is reported at its own path.
    values["classification.train"] = ""
    check = services.presets.validate_form(form.from_form(values, shown.included))
    assert not check.ok
    assert "classification.train" in [e.path for e in check.errors]


def test_a_path_field_set_in_the_form_is_saved(services: Services, tmp_path: Any) -> None:
    shown = form.to_form(services.presets.load("classify-quickstart"))
    values = shown.values()
    (tmp_path / "val.csv").write_text("text,label\na,0\n")
    (tmp_path / "test.csv").write_text("text,label\na,0\n")
    values["classification.validation"] = str(tmp_path / "val.csv")
    values["classification.test"] = str(tmp_path / "test.csv")
    check = services.presets.validate_form(form.from_form(values, shown.included))
    assert check.ok and check.preset is not None, check.errors
    path = services.presets.save(check.preset, "with-paths")
    saved = services.presets.load(path)
    assert saved.classification is not None
    assert saved.classification.validation == tmp_path / "val.csv"
    assert form.to_form(saved).field("classification.test").text == str(tmp_path / "test.csv")


def test_blank_required_fields_take_the_default(services: Services) -> None:
    texts = quickstart_texts(services)
    texts["pretrain.max_steps"] = "1_234"
    texts["data.batch_size"] = "  "
    texts["data.workers"] = ""
    data = form.from_form(texts)
    assert data["pretrain"]["max_steps"] == 1234
    assert "batch_size" not in data["data"] and data["data"]["workers"] is None
    check = services.presets.validate_form(data)
    assert check.ok and check.preset is not None and check.preset.data.batch_size == 32


def test_bounds_are_readable(services: Services) -> None:
    specs = {s.path: s for s in services.presets.form_fields()}
    assert specs["tokenizer.vocab_size"].bounds_text() == "integer, 16 to 1,048,576"
    assert specs["pretrain.lr"].bounds_text() == "number, > 0, ≤ 1"
    assert "wordpiece | bpe" in specs["tokenizer.kind"].bounds_text()
    assert specs["data.workers"].bounds_text() == "integer, 1 to 64, may be left empty"
    assert specs["pretrain.max_minutes"].bounds_text().endswith("> 0, ≤ 525,600, may be left empty")
    field = form.to_form().field("data.batch_size")
    assert field.help.endswith("[integer, 1 to 65,536]") and field.placeholder == "default: 32"


def test_fields_that_differ_from_the_defaults_are_flagged(services: Services) -> None:
    assert form.to_form().differing() == []
    shown = form.to_form(services.presets.load("quickstart"))
    flagged = {f.path for f in shown.differing()}
    assert "model.size" in flagged  # quickstart's model is small, the default is base
    assert shown.field("model.size").differs and not shown.field("model.objective").differs
    assert not any(p.startswith("finetune.") for p in flagged)  # absent: nothing to flag
    assert all(
        f.differs == (f.value != f.spec.default)
        for f in shown.fields()
        if f.spec.section != "finetune" and f.spec.section != "classification"
    )


def test_a_time_budget_can_be_set_and_cleared_in_the_form(services: Services) -> None:
    spec = next(s for s in form.specs() if s.path == "pretrain.max_minutes")
    assert spec.optional and spec.exclusive_minimum == 0.0  # > 0, from the schema
    texts = quickstart_texts(services)
    assert texts["pretrain.max_minutes"] == ""  # unset in the bundled preset
    texts["pretrain.max_minutes"] = "12.5"
    check = services.presets.validate_form(form.from_form(texts))
    assert check.ok and check.preset is not None
    assert check.preset.pretrain.max_minutes == 12.5
    texts["pretrain.max_minutes"] = "-1"
    check = services.presets.validate_form(form.from_form(texts))
    assert [e.path for e in check.errors] == ["pretrain.max_minutes"]


def test_the_form_and_schema_modules_do_not_import_torch() -> None:
    code = (
        "import sys\n"
        "import bert_engine.preset_fields, workbench.services.form\n"
        "assert 'torch' not in sys.modules, 'torch imported'\n"
    )
    root = Path(__file__).resolve().parents[2]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]),
    }
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=root, env=env
    )
    assert result.returncode == 0, result.stderr
