"""A small, slow, obviously correct BPE merge trainer, to check the Rust one against.

Each step recounts every adjacent pair from scratch (no incremental updates, no queue) and
merges the best one, with the rules the Rust trainer documents (HF `BpeTrainer` semantics):

- vocab = special tokens, alphabet sorted by code point, then one token per merge;
- a pair's count = number of adjacent positions holding it, weighted by the word's count;
- best pair = highest count, ties to the smallest (left id, right id);
- stop at `vocab_size` tokens or when the best count is below `min_frequency` (at least 1);
- merging inside a word goes left to right without overlaps.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from itertools import pairwise

import regex

GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's byte -> printable character table, written out from its definition."""
    printable = [
        *range(ord("!"), ord("~") + 1),
        *range(ord("¡"), ord("¬") + 1),
        *range(ord("®"), ord("ÿ") + 1),
    ]
    table = {b: chr(b) for b in printable}
    extra = 0
    for b in range(256):
        if b not in table:
            table[b] = chr(256 + extra)
            extra += 1
    return table


def gpt2_word_counts(docs: Iterable[str]) -> Counter[str]:
    """Word counts of documents split with the GPT-2 regex (the `regex` module)."""
    counts: Counter[str] = Counter()
    for doc in docs:
        counts.update(regex.findall(GPT2_PATTERN, doc))
    return counts


def byte_level(word: str) -> str:
    table = bytes_to_unicode()
    return "".join(table[b] for b in word.encode("utf-8"))


def train_merges(
    word_counts: Mapping[str, int],
    vocab_size: int,
    min_frequency: int = 0,
    special_tokens: Iterable[str] = (),
    initial_alphabet: Iterable[str] = (),
) -> tuple[list[str], list[tuple[str, str]]]:
    """Returns (vocab in id order, merges in rank order)."""
    vocab: list[str] = []
    for token in special_tokens:
        if token not in vocab:
            vocab.append(token)
    alphabet = set(initial_alphabet) | {c for word in word_counts for c in word}
    for c in sorted(alphabet):
        if c not in vocab:
            vocab.append(c)
    ids = {token: i for i, token in enumerate(vocab)}

    words = [([ids[c] for c in word], count) for word, count in word_counts.items()]
    merges: list[tuple[str, str]] = []
    while len(vocab) < vocab_size:
        pair_counts: Counter[tuple[int, int]] = Counter()
        for symbols, count in words:
            for pair in pairwise(symbols):
                pair_counts[pair] += count
        if not pair_counts:
            break
        best = min(pair_counts, key=lambda p: (-pair_counts[p], p))
        if pair_counts[best] < max(1, min_frequency):
            break
        left, right = best
        token = vocab[left] + vocab[right]
        if token not in ids:
            ids[token] = len(vocab)
            vocab.append(token)
        merges.append((vocab[left], vocab[right]))
        words = [(_merge(symbols, best, ids[token]), count) for symbols, count in words]
    return vocab, merges


def _merge(symbols: list[int], pair: tuple[int, int], new_id: int) -> list[int]:
    out: list[int] = []
    i = 0
    while i < len(symbols):
        if i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == pair:
            out.append(new_id)
            i += 2
        else:
            out.append(symbols[i])
            i += 1
    return out
