"""workbench.services.views: the form and highlighting helpers both UIs draw from."""

from __future__ import annotations

import pytest
from kit.services import sentences

from workbench.services import Services
from workbench.services.views import (
    bounds_text,
    field_text,
    field_value,
    form_data,
    form_sections,
    histogram_rows,
    token_segments,
)


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Services:
    return Services(tmp_path_factory.mktemp("views"))


def _texts(services: Services, preset_name: str) -> tuple[list, dict[str, str], dict]:
    values = services.presets.load(preset_name).model_dump(mode="json")
    sections = form_sections(services.presets.form_fields(), values)
    texts = {
        spec.path: field_text(field_value(values, spec))
        for section in sections
        if section.present
        for spec in section.fields
    }
    return sections, texts, values


def test_sections_follow_the_schema_and_mark_absent_tables(services: Services) -> None:
    sections, _, values = _texts(services, "quickstart")
    names = [s.name for s in sections]
    assert names[0] == ""  # name and description first
    assert names.index("tokenizer") < names.index("pretrain") < names.index("tracking")
    present = {s.name: s.present for s in sections}
    assert present["pretrain"] and not present["finetune"] and not present["classification"]
    assert values["finetune"] is None
    every = [spec.path for s in sections for spec in s.fields]
    assert "extends" not in every and len(every) == len(set(every))


def test_form_texts_round_trip_to_the_same_preset(services: Services) -> None:
    sections, texts, values = _texts(services, "quickstart")
    check = services.presets.validate_form(form_data(sections, texts))
    assert check.ok, check.errors
    assert check.preset is not None
    assert check.preset.model_dump(mode="json") == values


def test_an_invalid_field_is_reported_at_its_path(services: Services) -> None:
    sections, texts, _ = _texts(services, "quickstart")
    texts["data.batch_size"] = "0"
    texts["pretrain.lr"] = "fast"
    texts["tokenizer.lowercase"] = "maybe"
    check = services.presets.validate_form(form_data(sections, texts))
    assert not check.ok
    paths = {e.path for e in check.errors}
    assert {"data.batch_size", "pretrain.lr", "tokenizer.lowercase"} <= paths


def test_blank_optional_fields_take_the_default(services: Services) -> None:
    sections, texts, _ = _texts(services, "quickstart")
    texts["pretrain.max_steps"] = "1_234"
    texts["data.workers"] = "  "
    data = form_data(sections, texts)
    assert data["pretrain"]["max_steps"] == 1234
    assert "workers" not in data["data"]


def test_bounds_text_describes_limits(services: Services) -> None:
    fields = {f.path: f for f in services.presets.form_fields()}
    spec = fields["data.batch_size"]
    assert str(int(spec.minimum)) in bounds_text(spec) and "integer" in bounds_text(spec)
    assert "wordpiece | bpe" in bounds_text(fields["tokenizer.kind"])


def test_token_segments_cover_the_text_once(services: Services) -> None:
    job = services.tokenizers.train(
        "wp", sentences(200), vocab_size=120, min_frequency=1, overwrite=True
    )
    assert job.wait() == "finished", job.error
    text = "The teacher  paints zebras, quietly!"
    spans = services.tokenizers.encode("wp", text)
    segments = token_segments(text, spans)
    assert "".join(s.text for s in segments if not s.special) == text
    specials = [s.text for s in segments if s.special]
    assert specials == ["[CLS]", "[SEP]"]
    indexed = [s.index for s in segments if s.index is not None and not s.special]
    assert indexed == sorted(indexed)
    # An unseen word is cut into several pieces: more tokens than words.
    assert len(indexed) > len(text.split())
    # The gap of two spaces is its own segment, not part of a token.
    assert any(s.index is None and s.text == "  " for s in segments)


def test_token_segments_merge_overlapping_spans() -> None:
    from workbench.services.tokenizers import TokenSpan

    text = "añb"
    spans = [
        TokenSpan("a", 5, 0, 1, False),
        TokenSpan("Ã", 6, 1, 2, False),
        TokenSpan("±", 7, 1, 2, False),  # second byte of the same character
        TokenSpan("b", 8, 2, 3, False),
    ]
    segments = token_segments(text, spans)
    assert [(s.text, s.index) for s in segments] == [("a", 0), ("ñ", 1), ("b", 3)]


def test_histogram_bars() -> None:
    rows = histogram_rows({3: 5, 1: 10})
    assert [r[0] for r in rows] == [1, 3]
    assert len(rows[0][2]) == 20 and 9 <= len(rows[1][2]) <= 11


def test_a_time_budget_can_be_set_and_cleared_in_the_form(services: Services) -> None:
    fields = {f.path: f for f in services.presets.form_fields()}
    spec = fields["pretrain.max_minutes"]
    assert spec.optional and spec.exclusive_minimum == 0.0  # > 0, from the schema
    sections, texts, _ = _texts(services, "quickstart")
    assert texts["pretrain.max_minutes"] == ""  # unset in the bundled preset
    texts["pretrain.max_minutes"] = "12.5"
    check = services.presets.validate_form(form_data(sections, texts))
    assert check.ok and check.preset is not None
    assert check.preset.pretrain.max_minutes == 12.5
    texts["pretrain.max_minutes"] = "-1"
    check = services.presets.validate_form(form_data(sections, texts))
    assert [e.path for e in check.errors] == ["pretrain.max_minutes"]
