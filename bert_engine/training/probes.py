"""Fill-mask probes: what the model would write in a few sentences, at every evaluation.

A loss curve says *that* a masked LM learns; a probe says *what*: "at step 200 it said `the`,
at step 3,000 `river`". A probe is one sentence with one [MASK]. Written by hand in a preset
(`pretrain.probes`, `[MASK:word]` records the true word) or, by default, picked from the
held-out split at the start of a run: sentences whose masked word is one whole token of at
least four letters (a content word more often than not), so the true word's rank is exact.

Cost: one forward pass per probe sentence at each evaluation, no gradients; measured in
benchmarks/README.md ("Probes").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from bert_engine.preset_files import PresetError

MASK_PATTERN = re.compile(r"\[MASK(?::([^\]]*))?\]")
TOP_K = 5
MAX_TOKENS = 48  # a probe's context: enough for a sentence, cheap to run
MIN_LETTERS = 4


@dataclass(frozen=True)
class Probe:
    text: str  # as shown: the sentence with [MASK]
    input_ids: tuple[int, ...]  # [CLS] ... [MASK] ... [SEP]
    position: int  # of the [MASK] in input_ids
    answer: str | None = None  # the true word, when known
    answer_id: int | None = None  # its token (the first piece of a word of several)


def parse_probes(texts: Sequence[str], tokenizer: Any) -> list[Probe]:
    """Probes written in a preset: each text has exactly one `[MASK]` or `[MASK:word]`."""
    mask_id, mask = _mask(tokenizer)
    probes = []
    for number, text in enumerate(texts, 1):
        found = list(MASK_PATTERN.finditer(text))
        if len(found) != 1:
            raise PresetError(
                f"pretrain.probes[{number}] = {text!r}: write exactly one [MASK] (or "
                f"[MASK:word] to record the true word), found {len(found)}"
            )
        hit = found[0]
        answer = (hit.group(1) or "").strip() or None
        before, after = text[: hit.start()], text[hit.end() :]
        left = _ids(tokenizer, before)
        right = _ids(tokenizer, after)
        ids = [tokenizer.cls_id, *left, mask_id, *right, tokenizer.sep_id]
        if len(ids) > MAX_TOKENS * 4:
            raise PresetError(
                f"pretrain.probes[{number}]: {len(ids)} tokens; keep a probe to a sentence"
            )
        answer_id = None
        if answer is not None:
            pieces = _ids(tokenizer, answer)
            answer_id = pieces[0] if pieces else None
        shown = f"{before.rstrip()} {mask} {after.lstrip()}".strip()
        probes.append(Probe(shown, tuple(ids), 1 + len(left), answer, answer_id))
    return probes


def pick_probes(
    sentences: Sequence[np.ndarray], tokenizer: Any, count: int, seed: int
) -> list[Probe]:
    """`count` probes from tokenized held-out sentences (arrays of token ids, no specials):
    a random sentence with a whole-word token of >= 4 letters, that token masked."""
    if count <= 0 or not sentences:
        return []
    mask_id, mask = _mask(tokenizer)
    vocab_starts = _word_starts(tokenizer)
    rng = np.random.default_rng(seed)
    probes: list[Probe] = []
    seen: set[int] = set()
    for index in rng.permutation(len(sentences))[: count * 50]:
        tokens = [int(t) for t in sentences[index]]
        if len(tokens) < 6:
            continue
        candidates = [
            i
            for i, t in enumerate(tokens)
            if _is_word(tokenizer, t, vocab_starts)
            and (i + 1 == len(tokens) or vocab_starts[tokens[i + 1]])
        ]
        if not candidates:
            continue
        pos = int(rng.choice(candidates))
        if tokens[pos] in seen:  # one probe per word: more to see
            continue
        seen.add(tokens[pos])
        lo = max(0, min(pos - MAX_TOKENS // 2, len(tokens) - MAX_TOKENS))
        window = tokens[lo : lo + MAX_TOKENS]
        at = pos - lo
        answer_id = window[at]
        answer = tokenizer.decode([answer_id]).strip()
        left = tokenizer.decode(window[:at]).strip()
        right = tokenizer.decode(window[at + 1 :]).strip()
        ids = [tokenizer.cls_id, *window[:at], mask_id, *window[at + 1 :], tokenizer.sep_id]
        shown = f"{left} {mask} {right}".strip()
        probes.append(Probe(shown, tuple(ids), 1 + at, answer, answer_id))
        if len(probes) == count:
            break
    return probes


def make_probe_runner(
    probes: Sequence[Probe], tokenizer: Any, top_k: int = TOP_K
) -> Callable[[nn.Module], list[dict[str, Any]]]:
    """model -> one dict per probe (text, answer, top [[token, p], ...], rank). The model
    must have `mask_logits` (every pre-training model does); call it under no_grad."""

    def run(model: nn.Module) -> list[dict[str, Any]]:
        core = getattr(model, "module", model)  # DDP: the local replica
        device = next(core.parameters()).device
        out = []
        for probe in probes:
            ids = torch.tensor([probe.input_ids], dtype=torch.long, device=device)
            logits = core.mask_logits(ids)[0, probe.position].float()
            probs = torch.softmax(logits, dim=-1)
            values, indices = probs.topk(min(top_k, probs.numel()))
            rank = None
            if probe.answer_id is not None:
                # 1 + how many tokens the model prefers to the true one
                rank = 1 + int((probs > probs[probe.answer_id]).sum())
            top = [
                [tokenizer.id_to_token(int(i)) or "", round(float(v), 6)]
                for v, i in zip(values.cpu(), indices.cpu(), strict=True)
            ]
            out.append({"text": probe.text, "answer": probe.answer, "top": top, "rank": rank})
        return out

    return run


def _mask(tokenizer: Any) -> tuple[int, str]:
    mask_id = tokenizer.mask_id
    if mask_id is None or tokenizer.cls_id is None or tokenizer.sep_id is None:
        raise PresetError(
            "fill-mask probes need a tokenizer with [CLS], [SEP] and [MASK]; set "
            "pretrain.probe_count = 0 to run without probes"
        )
    return mask_id, tokenizer.id_to_token(mask_id) or "[MASK]"


def _ids(tokenizer: Any, text: str) -> list[int]:
    """Token ids of a piece of text without [CLS]/[SEP]."""
    if not text.strip():
        return []
    enc = tokenizer.encode(text, add_special_tokens=False)
    return [int(i) for i in enc.ids]


def _word_starts(tokenizer: Any) -> np.ndarray:
    from bert_engine.data.shards import word_start_table

    return word_start_table(tokenizer.get_vocab(), tokenizer.vocab_size)


def _is_word(tokenizer: Any, token: int, starts: np.ndarray) -> bool:
    if not starts[token]:
        return False
    text = (tokenizer.id_to_token(token) or "").lstrip("Ġ")
    return len(text) >= MIN_LETTERS and text.isalpha()
