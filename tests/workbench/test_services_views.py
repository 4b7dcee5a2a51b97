"""workbench.services.views: the highlighting and bar helpers both UIs draw from (the preset
form's tests are in test_services_forms.py)."""

from __future__ import annotations

import pytest
from kit.services import sentences

from workbench.services import Services
from workbench.services.views import histogram_rows, token_segments


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Services:
    return Services(tmp_path_factory.mktemp("views"))


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
