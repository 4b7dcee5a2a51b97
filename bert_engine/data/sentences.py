"""A small rule-based sentence splitter (no model, no download).

Rules, in order:
1. every line break ends a sentence (documents keep one paragraph or sentence per line);
2. inside a line, a sentence ends after ``.``, ``!`` or ``?`` (and any closing quotes or
   brackets) when whitespace follows and the next text starts with an upper-case letter, a
   digit, or an opening quote/bracket;
3. except after a known abbreviation (``Mr.``, ``e.g.``, ``Fig.``, ...) or a single-letter initial
   (``J. R. R. Tolkien``).

It errs on the side of not splitting: a missed boundary only makes one segment longer, while a
wrong split cuts a sentence in two. Space-separated punctuation as in WikiText
(``Portable . Released``) splits as expected.
"""

from __future__ import annotations

import re

_BOUNDARY = re.compile(r"[.!?]+[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9À-Ý])")
_ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof sr jr st mt no nos vs etc e.g i.e cf al fig figs eq eqs vol pp ch sec
    approx ca inc ltd co corp dept est jan feb mar apr jun jul aug sep sept oct nov dec gen col
    lt sgt capt rev gov sen rep u.s u.k""".split()
)


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text``, stripped, without empty ones."""
    out: list[str] = []
    for line in text.splitlines():
        start = 0
        for m in _BOUNDARY.finditer(line):
            before = line[start : m.start()].rsplit(None, 1)
            word = before[-1].lower().rstrip(".") if before else ""
            if word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
                continue
            piece = line[start : m.end()].strip()
            if piece:
                out.append(piece)
            start = m.end()
        piece = line[start:].strip()
        if piece:
            out.append(piece)
    return out
