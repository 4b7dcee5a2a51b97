"""Presentation helpers both UIs share: token highlighting, small text bars (the preset form is
`workbench/services/form.py`). Pure functions over service results (no UI toolkit, no torch),
so the TUI and the web panel turn the same data into the same picture.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from workbench.services.live import bar
from workbench.services.tokenizers import TokenSpan


# ----------------------------------------------------------------------------- token highlighting
@dataclass(frozen=True)
class TokenSegment:
    """A stretch of the input text: covered by token number `index` (None for text between
    tokens, e.g. spaces), or a special token with no text (`special`)."""

    text: str
    index: int | None
    special: bool = False


def token_segments(text: str, spans: Sequence[TokenSpan]) -> list[TokenSegment]:
    """Cut `text` into segments for highlighting, in order, covering every character once.

    Special tokens ([CLS], [SEP]) become segments of their own token text. Tokens whose spans
    overlap an earlier one (byte-level pieces of one character) are merged into it, so the
    picture never repeats or drops a character."""
    segments: list[TokenSegment] = []
    pos = 0
    for index, span in enumerate(spans):
        if span.special or span.end <= span.start:
            if span.special:
                segments.append(TokenSegment(span.token, index, special=True))
            continue
        start = max(span.start, pos)
        if start > pos:
            segments.append(TokenSegment(text[pos:start], None))
        if span.end > start:
            segments.append(TokenSegment(text[start : span.end], index))
            pos = span.end
    if pos < len(text):
        segments.append(TokenSegment(text[pos:], None))
    return segments


# ----------------------------------------------------------------------------- bars
def histogram_rows(histogram: Mapping[int, int], width: int = 20) -> list[tuple[int, int, str]]:
    """`(key, count, bar)` per bucket of a histogram such as `VocabStats.length_histogram`."""
    top = max(histogram.values(), default=0)
    return [
        (key, count, bar(count / top if top else 0.0, width).rstrip())
        for key, count in sorted(histogram.items())
    ]
