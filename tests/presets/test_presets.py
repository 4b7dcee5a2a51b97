import json
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib

from bert_engine.presets import (
    Preset,
    PresetError,
    apply_overrides,
    bundled_dir,
    diff,
    list_presets,
    load_preset,
    preset_toml,
    read_preset_dict,
    save_preset,
    schema_keys,
)

BROKEN = Path(__file__).parent / "broken"
BUNDLED = sorted(bundled_dir().glob("*.toml"))


def test_bundled_presets_exist():
    names = {p.stem for p in BUNDLED}
    assert {
        "quickstart",
        "wikitext-mini-cpu",
        "bert-base-gpu",
        "bert-base-gpu-512",
        "mlm-only",
    } <= names


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_bundled_preset_validates(path):
    preset = load_preset(path)
    assert preset.name == path.stem
    assert preset.description
    assert preset.extends is None  # inheritance is flattened on load


def test_inheritance_deep_merges_and_keeps_parent_values():
    base, child = load_preset("bert-base-gpu"), load_preset("bert-base-gpu-512")
    assert child.data.max_seq_len == 512 and base.data.max_seq_len == 128
    assert child.model.size == base.model.size == "base"
    assert child.pretrain.lr == base.pretrain.lr  # untouched keys of a merged table survive
    assert set(diff(base, child)) == {
        "name",
        "description",
        "data.max_seq_len",
        "data.batch_size",
        "pretrain.max_steps",
        "pretrain.warmup_steps",
    }


def test_relative_paths_resolve_against_the_file_that_sets_them(tmp_path):
    (tmp_path / "base" / "data").mkdir(parents=True)
    (tmp_path / "base" / "base.toml").write_text(
        'name = "base"\n[data]\nsource = "data/corpus.txt"\n[tokenizer]\npath = "tok.json"\n'
    )
    (tmp_path / "child").mkdir()
    (tmp_path / "child" / "child.toml").write_text(
        'name = "child"\nextends = "../base/base.toml"\n[tokenizer]\npath = "../my/tok.json"\n'
    )
    preset = load_preset(tmp_path / "child" / "child.toml")
    assert preset.data.source == str(tmp_path / "base" / "data" / "corpus.txt")
    assert preset.tokenizer.path == str(tmp_path / "my" / "tok.json")
    assert load_preset(tmp_path / "base" / "base.toml").data.source.startswith(str(tmp_path))


def test_demo_and_hub_sources_are_not_paths(tmp_path):
    (tmp_path / "p.toml").write_text('[data]\nsource = "hf:wikitext"\n')
    assert load_preset(tmp_path / "p.toml").data.source == "hf:wikitext"
    assert load_preset("quickstart").data.source == "demo"


def test_share_flattens_into_one_self_contained_file(tmp_path):
    (tmp_path / "corpus.txt").write_text("x\n")
    (tmp_path / "base.toml").write_text('[data]\nsource = "corpus.txt"\nbatch_size = 7\n')
    (tmp_path / "child.toml").write_text(
        'name = "c"\nextends = "base.toml"\n[pretrain]\nlr = 2e-4\n'
    )
    original = load_preset(tmp_path / "child.toml")
    out = save_preset(original, tmp_path / "shared" / "c.toml")
    raw = tomllib.loads(out.read_text())
    assert "extends" not in raw
    assert raw["data"]["source"] == "../corpus.txt"  # relative to the shared file
    assert load_preset(out) == original


def test_toml_keys_follow_the_schema_order():
    raw = tomllib.loads(preset_toml(load_preset("mlm-only")))
    assert list(raw) == [k for k in Preset.model_fields if k in raw]
    assert list(raw["pretrain"]) == [
        k for k in type(load_preset("quickstart").pretrain).model_fields if k in raw["pretrain"]
    ]


def test_every_setting_is_documented_in_the_json_schema():
    schema = Preset.model_json_schema()
    json.dumps(schema)
    for name, definition in schema["$defs"].items():
        if name.endswith("Settings") and name in {
            "TokenizerSettings",
            "ModelSettings",
            "DataSettings",
            "PretrainSettings",
            "TrackingSettings",
        }:
            for field, spec in definition["properties"].items():
                assert spec.get("description"), f"{name}.{field} lacks a description"
                assert "default" in spec, f"{name}.{field} lacks a default"
    lr = schema["$defs"]["PretrainSettings"]["properties"]["lr"]
    assert lr["exclusiveMinimum"] == 0.0 and lr["maximum"] == 1.0


def test_overrides_parse_toml_literals_and_fall_back_to_strings():
    preset = apply_overrides(
        load_preset("quickstart"),
        [
            "pretrain.lr=2e-4",
            "pretrain.max_steps=777",
            "data.whole_word_masking=true",
            "model.size=mini",
            "tracking.run_name=my run",
        ],
    )
    assert preset.pretrain.lr == 2e-4 and preset.pretrain.max_steps == 777
    assert preset.data.whole_word_masking is True
    assert preset.model.size == "mini" and preset.tracking.run_name == "my run"


def test_override_errors_name_the_key():
    base = load_preset("quickstart")
    with pytest.raises(PresetError, match=r"did you mean 'pretrain.lr'"):
        apply_overrides(base, ["pretrain.lrr=1"])
    with pytest.raises(PresetError, match=r"pretrain.max_steps = -3"):
        apply_overrides(base, ["pretrain.max_steps=-3"])
    with pytest.raises(PresetError, match="KEY=VALUE"):
        apply_overrides(base, ["pretrain.lr"])


def test_schema_keys_are_flat_paths():
    keys = schema_keys()
    assert "pretrain.lr" in keys and "data.max_seq_len" in keys and "name" in keys
    assert "pretrain" not in keys


def test_user_and_local_presets_are_discovered(tmp_path, monkeypatch):
    user = tmp_path / "config" / "bertbench" / "presets"
    user.mkdir(parents=True)
    (user / "mine.toml").write_text('name = "mine"\ndescription = "user preset"\n')
    local = tmp_path / "work" / "presets"
    local.mkdir(parents=True)
    (local / "quickstart.toml").write_text('name = "local-quick"\nextends = "mlm-only"\n')
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.chdir(tmp_path / "work")
    found = {(p.name, p.origin): p for p in list_presets()}
    assert ("mine", "user") in found and ("quickstart", "local") in found
    assert found[("quickstart", "bundled")].shadowed
    assert load_preset("mine").description == "user preset"
    # The local quickstart wins, and extends a bundled preset by name.
    local_quick = load_preset("quickstart")
    assert local_quick.name == "local-quick" and local_quick.model.objective == "mlm"


def test_unknown_preset_name_suggests_one():
    with pytest.raises(PresetError, match="did you mean 'quickstart'"):
        load_preset("quikstart")


EXPECTED = {
    "unknown_key": [
        "unknown_key.toml:4",
        "tokenizer.vocab_sise",
        "did you mean 'tokenizer.vocab_size'",
    ],
    "unknown_section": ["unknown_section.toml:3", "did you mean 'pretrain'"],
    "wrong_type": ["wrong_type.toml:4", "pretrain.max_steps = 'many'", "integer"],
    "bad_range": ["bad_range.toml:4", "data.mlm_probability = 1.5", "< 1.0"],
    "bad_choice": ["bad_choice.toml:4", "model.size = 'huge'", "'tiny'"],
    "bad_toml": ["bad_toml.toml", "not valid TOML", "line 5"],
    "missing_extends": ["missing_extends.toml", "no-such-parent.toml", "no such preset"],
    "loop_a": ["inheritance loop", "loop_a.toml", "loop_b.toml"],
    "loop_b": ["inheritance loop"],
    "seq_too_long": ["data.max_seq_len (512)", "max_position_embeddings (128)"],
    "warmup_too_long": ["pretrain.warmup_steps (500)", "max_steps (100)"],
    "heads": ["divisible", "num_heads (3)"],
    "vocab_mismatch": ["model.vocab_size (9000)", "tokenizer.vocab_size (8000)"],
}


def test_every_broken_preset_is_covered():
    assert {p.stem for p in BROKEN.glob("*.toml")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_broken_preset_gives_one_clear_error(name):
    with pytest.raises(PresetError) as info:
        load_preset(BROKEN / f"{name}.toml")
    message = str(info.value)
    for part in EXPECTED[name]:
        assert part in message, (part, message)
    assert len(message.splitlines()) <= 3


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_cli_validate_reports_broken_preset_without_traceback(name, capsys):
    from workbench.cli import main

    assert main(["presets", "validate", str(BROKEN / f"{name}.toml")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err
    assert EXPECTED[name][0] in err


def test_cli_validate_exit_code_in_a_subprocess():
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "workbench.cli",
            "presets",
            "validate",
            "quickstart",
            str(BROKEN / "unknown_key.toml"),
            "mlm-only",
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "did you mean 'tokenizer.vocab_size'" in done.stderr
    assert done.stdout.count("ok: ") == 2  # the good ones are still checked and reported


def test_read_preset_dict_drops_extends():
    raw = read_preset_dict(bundled_dir() / "mlm-only.toml")
    assert "extends" not in raw and raw["model"]["objective"] == "mlm"
    assert raw["model"]["size"] == "tiny"  # from quickstart


def test_wikitext_preset_finds_the_shared_data_next_to_the_repository():
    shared = bundled_dir().parent.parent / "shared" / "data"
    if not (shared / "wikitext-2-raw").is_dir():
        pytest.skip("no ../shared/data next to the repository")
    source = Path(load_preset("wikitext-mini-cpu").data.source)
    assert source.resolve() == (shared / "wikitext-2-raw" / "train.txt.gz").resolve()
    assert source.is_file()


def test_path_settings_are_written_as_text(tmp_path):
    """classification.validation / test are Path values: saving writes them as TOML strings,
    relative to the new file, and they load back to the same files."""
    (tmp_path / "val.csv").write_text("text,label\na,0\n", encoding="utf-8")
    preset = apply_overrides(
        load_preset("classify-quickstart"),
        [f"classification.validation={tmp_path / 'val.csv'}"],
    )
    assert isinstance(preset.classification.validation, Path)
    saved = save_preset(preset, tmp_path / "out" / "with-val.toml")
    written = tomllib.loads(saved.read_text(encoding="utf-8"))["classification"]
    assert written["validation"] == "../val.csv"
    reloaded = load_preset(saved)
    assert reloaded.classification.validation == (tmp_path / "val.csv").resolve()
