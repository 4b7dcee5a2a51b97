"""What the playgrounds show, for both UIs: label scores, the tokens the model saw (as
highlight chips), and the fill-mask predictions as rows. Plain lists and dicts, no UI code."""

from __future__ import annotations

import re

from workbench.services.runs import Classification, FillMaskOutput

# A chip: (text, category) — the shape of a highlighted-text widget; None is uncoloured.
Chip = tuple[str, str | None]
# A prediction row: (mask number from 1, rank from 1, token, probability).
MaskRow = tuple[int, int, str, float]

_SPECIAL = re.compile(r"^\[[A-Z]+\]$|^<[a-z/]+>$")  # [CLS], [SEP], [PAD]; <s>, </s>, <pad>


def token_kind(token: str, mask_token: str | None = None) -> str:
    """ "mask", "special" ([CLS], [SEP]...), "piece" (a WordPiece continuation, `##ing`) or
    "word"."""
    if mask_token is not None and token == mask_token:
        return "mask"
    if _SPECIAL.match(token):
        return "special"
    if token.startswith("##"):
        return "piece"
    return "word"


def token_chips(tokens: list[str], mask_token: str | None = None) -> list[Chip]:
    """The tokens the model saw, each tagged with its kind, so the cuts are visible."""
    return [(token, token_kind(token, mask_token)) for token in tokens]


def label_scores(result: Classification) -> dict[str, float]:
    """Label -> probability, most probable first (what a label widget ranks)."""
    return {label: float(p) for label, p in result.probabilities}


def mask_scores(output: FillMaskOutput) -> list[dict[str, float]]:
    """For each mask, in order: candidate token -> probability, most probable first.

    Two candidates may read the same (e.g. `cat` and `##cat`): they stay apart, keyed as
    written, so no probability is lost or merged."""
    return [{token: float(p) for token, p in m.candidates} for m in output.masks]


def mask_rows(output: FillMaskOutput) -> list[MaskRow]:
    """Every candidate of every mask as one table row."""
    return [
        (number, rank, token, float(p))
        for number, m in enumerate(output.masks, 1)
        for rank, (token, p) in enumerate(m.candidates, 1)
    ]


def filled_chips(output: FillMaskOutput) -> list[Chip]:
    """The input's tokens with each mask replaced by its best guess, tagged "guess"; other
    tokens tagged by kind as in `token_chips`."""
    best = {m.position: m.candidates[0][0] for m in output.masks if m.candidates}
    return [
        (best[position], "guess") if position in best else (token, token_kind(token))
        for position, token in enumerate(output.tokens)
    ]
