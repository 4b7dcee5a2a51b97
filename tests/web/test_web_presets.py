"""The Presets tab through its API: list, load, validate with field and line, form -> TOML,
save and reload, traversal names, uploads (valid, bad TOML, schema violation, oversized),
duplicate, diff."""

from __future__ import annotations

from pathlib import Path

import pytest
import tomllib
from gradio_client import handle_file
from kit.web import UPLOAD_LIMIT, WebPanel, refusal, rows

from workbench.services import form

PATHS = [spec.path for spec in form.specs()]  # the order of the form's widgets


def preset_names(web: WebPanel) -> list[str]:
    table = web.client.predict(api_name="/presets_list")[0]
    return [row[0] for row in rows(table)]


def test_lists_bundled_and_workspace_presets(web: WebPanel) -> None:
    listed = {row[0]: row[1] for row in rows(web.client.predict(api_name="/presets_list")[0])}
    expected = {e.name: e.origin for e in web.services.presets.list() if not e.shadowed}
    assert listed == expected
    assert listed["quickstart"] == "bundled" and listed["tiny"] == "workspace"


def test_validation_points_at_field_and_line(web: WebPanel) -> None:
    lines = web.services.presets.text("tiny").splitlines()
    section = lines.index("[pretrain]")
    line = next(i for i in range(section, len(lines)) if lines[i].startswith("lr ="))
    lines[line] = "lr = -1"
    text = "\n".join(lines)
    line += 1  # lines count from 1
    verdict, problems, *_ = web.client.predict(text, api_name="/preset_validate")
    assert "problem" in verdict
    [(field, at, message)] = rows(problems)
    assert (field, at) == ("pretrain.lr", line)
    assert "greater than 0" in message

    verdict, problems, *_ = web.client.predict("[model\nsize = 1", api_name="/preset_validate")
    [(field, at, message)] = rows(problems)
    assert at == 1 and "not valid TOML" in message


def test_load_fills_the_form_and_the_form_writes_toml(web: WebPanel) -> None:
    loaded = web.client.predict("tiny", api_name="/preset_load")
    status, text, verdict, problems, sections, changed, *values, editing = loaded
    assert editing == "tiny"
    assert text.strip() == web.services.presets.text("tiny").strip()  # the editor trims
    assert verdict == "**Valid preset.**" and rows(problems) == []
    assert status == "Loaded `tiny` into the editor."
    fields = dict(zip(PATHS, values, strict=True))
    # A required number is a number box; an optional one a text box, empty when unset.
    assert fields["pretrain.max_steps"] == 6 and fields["model.hidden_size"] == "32"
    assert fields["pretrain.max_minutes"] == "" and fields["tokenizer.max_documents"] == ""
    assert sections == []
    assert "`pretrain.max_steps` = `6`" in changed and "pretrain.schedule" not in changed
    # Edit one field as the form would and get the TOML back.
    fields["pretrain.max_steps"] = 9
    toml, verdict, _, changed = web.client.predict(
        sections, *fields.values(), api_name="/preset_form_to_toml"
    )
    assert verdict == "**Valid preset.**"
    data = tomllib.loads(toml)
    assert data["pretrain"]["max_steps"] == 9 and "`pretrain.max_steps` = `9`" in changed
    assert data["model"]["hidden_size"] == 32
    # A value out of bounds in the form: reported at its field, the TOML is left as it was.
    fields["pretrain.max_steps"] = 0
    _, verdict, problems, _ = web.client.predict(
        sections, *fields.values(), api_name="/preset_form_to_toml"
    )
    assert "problem" in verdict
    assert [r[0] for r in rows(problems)] == ["pretrain.max_steps"]


def test_one_edit_in_the_form_updates_the_toml_and_nothing_else(web: WebPanel) -> None:
    """Changing only tokenizer.vocab_size once gave 8 problems (optional numbers sent as 0)
    and never updated the TOML."""
    _, _, _, _, sections, _, *values, _ = web.client.predict("quickstart", api_name="/preset_load")
    fields = dict(zip(PATHS, values, strict=True))
    unset = [p for p, v in fields.items() if v == "" and p.split(".")[0] in ("model", "data")]
    assert "model.num_layers" in unset and "data.workers" in unset
    fields["tokenizer.vocab_size"] = 8000
    toml, verdict, problems, _ = web.client.predict(
        sections, *fields.values(), api_name="/preset_form_to_toml"
    )
    assert verdict == "**Valid preset.**" and rows(problems) == []
    data = tomllib.loads(toml)
    assert data["tokenizer"]["vocab_size"] == 8000
    for path in unset:  # left empty: not in the TOML
        section, key = path.split(".")
        assert key not in data[section], path
    # And back: the TOML refills the form, optional fields still empty.
    _, _, _, _, *again = web.client.predict(toml, api_name="/preset_validate")
    refilled = dict(zip(PATHS, again, strict=True))
    assert refilled["tokenizer.vocab_size"] == 8000
    assert all(refilled[p] == "" for p in unset)


def test_pickers_are_never_blank_and_bounds_are_readable(web: WebPanel) -> None:
    import httpx

    specs = {s.path: s for s in form.specs()}
    _, _, _, _, _, _, *values, _ = web.client.predict(
        "classify-quickstart", api_name="/preset_load"
    )
    for path, value in zip(PATHS, values, strict=True):
        if specs[path].type in ("choice", "boolean"):
            assert value not in ("", None), path
    config = httpx.get(f"{web.url.rstrip('/')}/config", timeout=30).json()
    infos = {
        c["props"].get("label"): c["props"].get("info", "")
        for c in config["components"]
        if "props" in c
    }
    assert "integer, 16 to 1,048,576" in infos["tokenizer.vocab_size"]
    assert "e+06" not in infos["tokenizer.vocab_size"]
    assert "may be left empty" in infos["model.num_layers"]


def test_a_path_set_in_the_form_is_saved(web: WebPanel, tmp_path: Path) -> None:
    _, _, _, _, sections, _, *values, _ = web.client.predict(
        "classify-quickstart", api_name="/preset_load"
    )
    fields = dict(zip(PATHS, values, strict=True))
    (tmp_path / "val.csv").write_text("text,label\na,0\n", encoding="utf-8")  # must exist
    fields["classification.validation"] = str(tmp_path / "val.csv")
    toml, verdict, problems, _ = web.client.predict(
        sections, *fields.values(), api_name="/preset_form_to_toml"
    )
    assert verdict == "**Valid preset.**", rows(problems)
    message, *_ = web.client.predict(toml, "with-val", True, api_name="/preset_save")
    assert "with-val.toml" in message
    saved = web.services.presets.load("with-val")
    assert saved.classification is not None
    assert saved.classification.validation == tmp_path / "val.csv"


def test_save_and_reload(web: WebPanel) -> None:
    text = web.services.presets.text("tiny").replace("max_steps = 6", "max_steps = 7")
    message, table, *_ = web.client.predict(text, "tiny-seven", False, api_name="/preset_save")
    assert "tiny-seven.toml" in message
    assert "tiny-seven" in [r[0] for r in rows(table)]
    assert (web.services.workspace.root / "presets" / "tiny-seven.toml").is_file()
    reloaded = web.client.predict("tiny-seven", api_name="/preset_load")[1]
    assert tomllib.loads(reloaded)["pretrain"]["max_steps"] == 7
    # Saving again under the same name needs the overwrite box.
    refused = web.client.predict(text, "tiny-seven", False, api_name="/preset_save")
    assert "already exists" in refusal(refused)
    web.client.predict(text, "tiny-seven", True, api_name="/preset_save")


@pytest.mark.parametrize("name", ["../x", "..", "/etc/passwd", "a/b", "con"])
def test_traversal_and_bad_names_are_refused(web: WebPanel, name: str) -> None:
    root = web.services.workspace.root
    before = sorted(p for p in root.parent.rglob("*") if p.suffix == ".toml")
    text = web.services.presets.text("tiny")
    message = refusal(web.client.predict(text, name, False, api_name="/preset_save"))
    assert "name" in message
    assert "use letters" in message or "pick another" in message or "absolute" in message
    after = sorted(p for p in root.parent.rglob("*") if p.suffix == ".toml")
    assert after == before
    refusal(web.client.predict(text, name, api_name="/preset_download"))


def test_upload_saves_a_valid_preset(web: WebPanel, tmp_path: Path) -> None:
    source = tmp_path / "shared-one.toml"
    source.write_text(web.services.presets.text("tiny"), encoding="utf-8")
    message, table, *_ = web.client.predict(handle_file(source), api_name="/preset_upload")
    assert "shared-one.toml" in message
    assert "shared-one" in [r[0] for r in rows(table)]
    assert web.services.presets.load("shared-one").pretrain.max_steps == 6


def test_malformed_uploads_are_refused(web: WebPanel, tmp_path: Path) -> None:
    bad_toml = tmp_path / "broken.toml"
    bad_toml.write_text("[model\nsize = 'tiny'\n", encoding="utf-8")
    refused = web.client.predict(handle_file(bad_toml), api_name="/preset_upload")
    assert "not valid TOML" in refusal(refused)
    schema = tmp_path / "schema.toml"
    schema.write_text("[pretrain]\nmax_steps = 'many'\nwarp_speed = 9\n", encoding="utf-8")
    message = refusal(web.client.predict(handle_file(schema), api_name="/preset_upload"))
    assert "pretrain.max_steps" in message and "pretrain.warp_speed" in message
    presets = web.services.workspace.root / "presets"
    assert not (presets / "broken.toml").exists() and not (presets / "schema.toml").exists()


def test_oversized_upload_is_refused(web: WebPanel, tmp_path: Path) -> None:
    big = tmp_path / "big.toml"
    big.write_text("# padding\n" * (UPLOAD_LIMIT // 10 + 1), encoding="utf-8")
    with pytest.raises(ValueError, match="maximum file size"):
        web.client.predict(handle_file(big), api_name="/preset_upload")
    assert not (web.services.workspace.root / "presets" / "big.toml").exists()


def test_download_writes_the_editor_toml_into_exports(web: WebPanel) -> None:
    text = web.services.presets.text("tiny")
    _, file = web.client.predict(text, "tiny-share", api_name="/preset_download")
    downloaded = Path(file)
    assert downloaded.name == "tiny-share.toml"
    assert tomllib.loads(downloaded.read_text(encoding="utf-8"))["name"] == "tiny"
    assert (web.services.workspace.root / "exports" / "tiny-share.toml").is_file()


def test_duplicate_and_diff(web: WebPanel) -> None:
    refused = web.client.predict("tiny", "", api_name="/preset_duplicate")
    assert "New name" in refusal(refused)
    message, table, *_ = web.client.predict("tiny", "tiny-copy", api_name="/preset_duplicate")
    copy = next(r[0] for r in rows(table) if r[0].startswith("tiny-copy"))
    assert copy in message
    taken = web.client.predict("quickstart", "tiny-copy", api_name="/preset_duplicate")
    assert "already exists" in refusal(taken)
    diff = rows(web.client.predict("tiny", "quickstart", api_name="/preset_diff")[1])
    expected = web.services.presets.diff("tiny", "quickstart")
    assert {r[0] for r in diff} == set(expected)
    assert rows(web.client.predict("tiny", copy, api_name="/preset_diff")[1])[0][0] in (
        "name",
        "(no difference)",
    )


def test_saving_over_a_bundled_name_warns(web: WebPanel) -> None:
    text = web.services.presets.text("tiny")
    job = web.client.submit(text, "quickstart", False, api_name="/preset_save")
    try:
        message, table, *_ = job.result()
        assert "quickstart.toml" in message
        origins = {r[0]: r[1] for r in rows(table)}
        assert origins["quickstart"] == "workspace"
        assert origins["quickstart (shadowed)"] == "bundled"
        logs = []
        while not job.communicator.updates.empty():  # every update the server streamed
            update = job.communicator.updates.get_nowait()
            if getattr(update, "log", None):
                logs.append(update.log)
        assert any(
            "hides the bundled preset" in text and level == "warning" for text, level in logs
        ), logs
    finally:
        web.services.presets.delete("quickstart")


def test_save_in_place_rename_and_bundled_refused(web: WebPanel) -> None:
    """Save writes the editor's TOML back to the loaded workspace preset, comments kept;
    bundled presets are refused in the panel's words; Rename moves it (presetops)."""
    presets = web.services.presets
    path = presets.folder / "tiny.toml"
    path.write_text("# my notes\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    text = presets.text("tiny").replace("max_steps = 6", "max_steps = 9")
    message = web.client.predict(text, "tiny", api_name="/preset_save_in_place")
    assert "Saved `tiny.toml` in place" in message
    assert path.read_text(encoding="utf-8").startswith("# my notes\n")
    assert presets.load("tiny").pretrain.max_steps == 9
    bundled = web.client.predict(
        presets.text("quickstart"), "quickstart", api_name="/preset_save_in_place"
    )
    assert "bundled preset" in bundled and "Save as" in bundled and "/" not in bundled.split("`")[2]
    status, editing, table, *_ = web.client.predict("tiny", "tiny-9", api_name="/preset_rename")
    assert "Renamed `tiny` to `tiny-9`" in status and editing == "tiny-9"
    assert "tiny-9" in [r[0] for r in rows(table)] and not path.exists()
    presets.duplicate("tiny-9", "tiny-other")
    clash = web.client.predict("tiny-9", "tiny-other", api_name="/preset_rename")
    assert "already exists" in refusal(clash)
    presets.delete("tiny-other")
    web.client.predict("tiny-9", "tiny", api_name="/preset_rename")  # back, for other tests
