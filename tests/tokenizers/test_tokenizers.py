"""The tokenizer façade end to end: training, encoding, batches, files, HF compatibility, errors.

Every expectation comes from HF `tokenizers` run side by side, from invariants (decode of
encode, offsets slicing the text) or from hand-checked small cases, never from our own output.
"""

from __future__ import annotations

import gzip
import json
import os
import pickle
import random
import re
import unicodedata
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bert_engine.tokenizers import (
    BERT_SPECIAL_TOKENS,
    BpeTokenizer,
    FormatError,
    Tokenizer,
    TrainingCancelled,
    WordPieceTokenizer,
    load_tokenizer,
)

hf = pytest.importorskip("tokenizers")

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("BERTBENCH_SHARED_DATA", REPO.parent / "shared" / "data"))

WORDS = [
    "the",
    "model",
    "learns",
    "tokens",
    "from",
    "text",
    "and",
    "merges",
    "pairs",
    "quickly",
    "Tokenizer",
    "BERT",
    "don't",
    "it's",
    "42",
    "3.14",
    "café",
    "naïve",
    "Straße",
    "日本語",
    "中文",
    "😀",
    "emoji🎉",
    "x\u0301y",
    "hello,",
    "world!",
    "(paren)",
    "tab\tsep",
    "UPPER",
]


def make_corpus(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 15))) for _ in range(n)]


def sample_texts(n: int, seed: int = 1) -> list[str]:
    """Texts unlike the corpus: new word orders, odd spacing, newlines, unseen characters."""
    rng = random.Random(seed)
    extra = [
        "  ",
        "[MASK]",
        "a[SEP]b",
        "[UNK]]",
        "\n",
        "\r\n",
        " \t ",
        "Ωmega",
        "ǅ",
        "\u200b",
        "e\u0301",
        "🙂🙃",
        "ÅÅÅ",
        "'s",
        "'LL",
    ]
    out = []
    for _ in range(n):
        parts = [rng.choice(WORDS + extra) for _ in range(rng.randint(1, 12))]
        out.append(rng.choice(["", " "]).join(parts))
    return out


@pytest.fixture(scope="module")
def corpus() -> list[str]:
    return make_corpus(600)


@pytest.fixture(scope="module")
def wp(corpus: list[str]) -> WordPieceTokenizer:
    return WordPieceTokenizer.train(corpus, vocab_size=200, min_frequency=1)


@pytest.fixture(scope="module", params=["gpt2", "gpt4"])
def bpe(request: pytest.FixtureRequest, corpus: list[str]) -> BpeTokenizer:
    return BpeTokenizer.train(corpus, vocab_size=400, min_frequency=1, pattern=request.param)


def hf_of(tok: Tokenizer) -> object:
    return hf.Tokenizer.from_str(tok.to_json())


def assert_same_as_hf(tok: Tokenizer, href: object, text: str, pair: str | None = None) -> None:
    ours = tok.encode(text, pair)
    theirs = href.encode(text, pair)  # type: ignore[attr-defined]
    assert ours.ids == theirs.ids, (text, pair)
    assert ours.tokens == theirs.tokens, (text, pair)
    assert ours.offsets == [tuple(o) for o in theirs.offsets], (text, pair)
    assert ours.type_ids == theirs.type_ids
    assert ours.special_tokens_mask == theirs.special_tokens_mask


# --- training and the basics ---------------------------------------------------------------


def test_trained_vocabs_start_with_the_specials(wp: WordPieceTokenizer, bpe: BpeTokenizer) -> None:
    for tok in (wp, bpe):
        assert [tok.id_to_token(i) for i in range(5)] == list(BERT_SPECIAL_TOKENS)
        assert (tok.pad_id, tok.unk_id, tok.cls_id, tok.sep_id, tok.mask_id) == (0, 1, 2, 3, 4)
        assert tok.special_tokens == list(BERT_SPECIAL_TOKENS)
        vocab = tok.get_vocab()
        assert len(vocab) == tok.vocab_size
        assert all(tok.token_to_id(t) == i for t, i in vocab.items())
    assert 256 + 5 < bpe.vocab_size <= 400


def test_wordpiece_encodes_and_decodes(wp: WordPieceTokenizer) -> None:
    enc = wp.encode("The model learns tokens")
    assert enc.tokens[0] == "[CLS]" and enc.tokens[-1] == "[SEP]"
    assert wp.decode(enc.ids) == "the model learns tokens"
    assert wp.decode(enc.ids, skip_special_tokens=False) == "[CLS] the model learns tokens [SEP]"
    assert enc.attention_mask == [1] * len(enc)
    assert enc.special_tokens_mask == [1] + [0] * (len(enc) - 2) + [1]


def test_byte_level_decode_inverts_encode(bpe: BpeTokenizer) -> None:
    for text in sample_texts(200):
        enc = bpe.encode(text)
        # Skipping specials drops the ones spelled in the text too ("[MASK]").
        assert bpe.decode(enc.ids) == re.sub(r"\[(MASK|SEP|UNK|CLS|PAD)\]", "", text)
        assert bpe.decode(enc.ids, skip_special_tokens=False) == f"[CLS]{text}[SEP]"


def test_merges_are_vocab_pairs(bpe: BpeTokenizer) -> None:
    merges = bpe.merges()
    assert len(merges) == bpe.vocab_size - 5 - 256
    for a, b in merges:
        assert bpe.token_to_id(a + b) is not None


def test_pair_encoding_has_type_ids(wp: WordPieceTokenizer, bpe: BpeTokenizer) -> None:
    for tok in (wp, bpe):
        a, b = tok.encode("the model"), tok.encode("learns text")
        enc = tok.encode("the model", pair="learns text")
        na, nb = len(a) - 2, len(b) - 2
        assert enc.ids == a.ids + b.ids[1:]
        assert enc.type_ids == [0] * (na + 2) + [1] * (nb + 1)
        assert enc.special_tokens_mask == [1] + [0] * na + [1] + [0] * nb + [1]
        # Pair offsets index into the pair text.
        assert enc.offsets[na + 2 : -1] == b.offsets[1:-1]


def test_special_tokens_are_atomic_in_text(wp: WordPieceTokenizer, bpe: BpeTokenizer) -> None:
    text = "the[MASK]model [SEP]x[UNK]"
    for tok in (wp, bpe):
        enc = tok.encode(text, add_special_tokens=False)
        for special in ("[MASK]", "[SEP]", "[UNK]"):
            i = enc.tokens.index(special)
            start, end = enc.offsets[i]
            assert text[start:end] == special
        # Specials found in the text are not "added" by the template.
        assert enc.special_tokens_mask == [0] * len(enc)


def test_offsets_slice_the_original_text(wp: WordPieceTokenizer, bpe: BpeTokenizer) -> None:
    for text in sample_texts(200, seed=5):
        enc = bpe.encode(text, add_special_tokens=False)
        covered = 0
        for token_id, (s, e) in zip(enc.ids, enc.offsets, strict=True):
            piece = bpe.decode([token_id], skip_special_tokens=False)
            if "\ufffd" not in piece:  # the token holds whole characters
                assert text[s:e] == piece, (text, piece)
            assert s <= covered  # no gap; a split character is shared by its tokens
            covered = max(covered, e)
        assert covered == len(text)
        enc = wp.encode(text, add_special_tokens=False)
        for tok, (s, e) in zip(enc.tokens, enc.offsets, strict=True):
            assert 0 <= s < e <= len(text)
            if tok in BERT_SPECIAL_TOKENS:  # spelled in the text: matched before normalizing
                assert text[s:e] == tok or tok == "[UNK]"
            else:
                # The normalizer lowercases and strips accents: compare like for like.
                assert _fold(text[s:e]) == tok.removeprefix("##"), (text, tok, text[s:e])


def _fold(s: str) -> str:
    s = unicodedata.normalize("NFD", s.lower())
    return "".join(c for c in s if unicodedata.category(c) != "Mn")


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(st.characters(blacklist_categories=("Cs",)), max_size=60))
def test_byte_level_offsets_in_bounds_and_monotone(bpe: BpeTokenizer, text: str) -> None:
    enc = bpe.encode(text, add_special_tokens=False)
    # Keep specials: the text may spell one ("[CLS]"), which is then an atomic token.
    assert bpe.decode(enc.ids, skip_special_tokens=False) == text
    prev_start, prev_end = 0, 0
    for s, e in enc.offsets:
        assert 0 <= s <= e <= len(text)
        assert s >= prev_start and e >= prev_end
        prev_start, prev_end = s, e
    if text:
        assert enc.offsets[0][0] == 0 and enc.offsets[-1][1] == len(text)


# --- truncation, padding, batches ------------------------------------------------------------


def test_truncation_matches_hf(wp: WordPieceTokenizer, bpe: BpeTokenizer) -> None:
    rng = random.Random(3)
    texts = make_corpus(40, seed=9)
    for tok in (wp, bpe):
        href = hf_of(tok)
        for max_length in (3, 5, 8, 13, 40):
            href.enable_truncation(max_length)
            for _ in range(15):
                a, b = rng.choice(texts), rng.choice([None, rng.choice(texts)])
                ours = tok.encode(a, pair=b, max_length=max_length)
                theirs = href.encode(a, b)
                assert ours.ids == theirs.ids
                assert ours.type_ids == theirs.type_ids
                assert len(ours) <= max_length


def test_max_length_too_small_for_the_specials(wp: WordPieceTokenizer) -> None:
    with pytest.raises(ValueError, match="special tokens"):
        wp.encode("the model", pair="text", max_length=2)


def test_batch_equals_single_encodes(wp: WordPieceTokenizer, bpe: BpeTokenizer) -> None:
    texts = sample_texts(50, seed=7)
    pairs = sample_texts(50, seed=8)
    for tok in (wp, bpe):
        singles = [tok.encode(t, p, max_length=24) for t, p in zip(texts, pairs, strict=True)]
        ragged = tok.encode_batch(texts, pairs, max_length=24)
        assert ragged.input_ids is None and ragged.ids is not None
        assert ragged.ids.dtype == np.uint32
        assert list(ragged.lengths) == [len(s) for s in singles]
        assert ragged.ids.tolist() == [i for s in singles for i in s.ids]
        assert [ragged[i].tolist() for i in range(len(texts))] == [s.ids for s in singles]

        padded = tok.encode_batch(
            texts, pairs, max_length=24, padding="longest", pad_to_multiple_of=8
        )
        width = max(len(s) for s in singles)
        width += -width % 8
        assert padded.input_ids.shape == (len(texts), width)
        assert padded.input_ids.dtype == np.int64
        for row, s in enumerate(singles):
            n = len(s)
            assert padded.input_ids[row, :n].tolist() == s.ids
            assert padded.token_type_ids[row, :n].tolist() == s.type_ids
            assert padded.special_tokens_mask[row, :n].tolist() == s.special_tokens_mask
            assert padded.attention_mask[row].tolist() == [1] * n + [0] * (width - n)
            assert (padded.input_ids[row, n:] == tok.pad_id).all()

        fixed = tok.encode_batch(texts, max_length=30, padding="max_length")
        assert fixed.input_ids.shape == (len(texts), 30)


def test_batch_padding_matches_hf(wp: WordPieceTokenizer) -> None:
    texts = make_corpus(20, seed=4)
    href = hf_of(wp)
    href.enable_padding(pad_id=wp.pad_id, pad_token="[PAD]", pad_to_multiple_of=4)
    theirs = href.encode_batch(texts)
    ours = wp.encode_batch(texts, padding="longest", pad_to_multiple_of=4)
    assert ours.input_ids.tolist() == [e.ids for e in theirs]
    assert ours.attention_mask.tolist() == [e.attention_mask for e in theirs]
    assert ours.special_tokens_mask.tolist() == [e.special_tokens_mask for e in theirs]


def test_padding_arguments_are_checked(wp: WordPieceTokenizer) -> None:
    with pytest.raises(ValueError, match="max_length"):
        wp.encode_batch(["a"], padding="max_length")
    with pytest.raises(ValueError, match="unknown"):
        wp.encode_batch(["a"], padding="shortest")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="needs padding"):
        wp.encode_batch(["a"], pad_to_multiple_of=8)
    with pytest.raises(ValueError, match="pairs"):
        wp.encode_batch(["a", "b"], pairs=["c"])


# --- files ---------------------------------------------------------------------------------


def test_save_load_round_trip_exact(tmp_path: Path, corpus: list[str]) -> None:
    specials = [*BERT_SPECIAL_TOKENS, "<my token>", "line\nbreak", "\x00\x7f"]
    texts = [*sample_texts(40, seed=11), "a<my token>b line\nbreak \x00\x7f end"]
    for kind in (WordPieceTokenizer, BpeTokenizer):
        tok = kind.train(corpus, vocab_size=300, min_frequency=1, special_tokens=specials)
        path = tok.save(tmp_path / f"{kind.__name__}.json")
        back = Tokenizer.load(path)
        assert type(back) is kind
        assert back.to_json() == tok.to_json()
        assert back.fingerprint == tok.fingerprint
        assert back.get_vocab() == tok.get_vocab()
        for text in texts:
            assert back.encode(text) == tok.encode(text)
        enc = back.encode("a<my token>b line\nbreak", add_special_tokens=False)
        assert "<my token>" in enc.tokens and "line\nbreak" in enc.tokens
        # HF reads it the same way.
        href = hf.Tokenizer.from_file(str(path))
        for text in texts:
            assert_same_as_hf(back, href, text)
            ids = back.encode(text).ids
            for skip in (True, False):
                assert back.decode(ids, skip) == href.decode(ids, skip_special_tokens=skip)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_without_bert_specials(corpus: list[str]) -> None:
    tok = BpeTokenizer.train(corpus, vocab_size=300, min_frequency=1, special_tokens=[])
    assert tok.special_tokens == [] and tok.pad_id is None and tok.cls_id is None
    assert json.loads(tok.to_json())["post_processor"] is None
    href = hf_of(tok)
    for text in sample_texts(30, seed=71):
        assert_same_as_hf(tok, href, text, "a pair")
    a, b = tok.encode("the model"), tok.encode("text")
    enc = tok.encode("the model", pair="text")
    assert enc.ids == a.ids + b.ids
    assert enc.type_ids == [0] * len(a) + [1] * len(b)
    with pytest.raises(ValueError, match="pad token"):
        tok.encode_batch(["a", "bb"], padding="longest")
    with pytest.raises(ValueError, match=r"\[UNK\]"):
        WordPieceTokenizer.train(corpus, vocab_size=100, special_tokens=["[PAD]"])


def test_pickle_round_trip(wp: WordPieceTokenizer, bpe: BpeTokenizer) -> None:
    for tok in (wp, bpe):
        back = pickle.loads(pickle.dumps(tok))
        assert type(back) is type(tok)
        assert back.fingerprint == tok.fingerprint
        assert back.encode("the model, café") == tok.encode("the model, café")


def test_fingerprint_tracks_content(corpus: list[str], wp: WordPieceTokenizer) -> None:
    other = WordPieceTokenizer.train(corpus, vocab_size=150, min_frequency=1)
    again = WordPieceTokenizer.train(corpus, vocab_size=200, min_frequency=1)
    assert again.fingerprint == wp.fingerprint
    assert other.fingerprint != wp.fingerprint
    assert len(wp.fingerprint) == 64


def test_vocab_txt_round_trip(tmp_path: Path, wp: WordPieceTokenizer) -> None:
    path = wp.save_vocab(tmp_path / "vocab.txt")
    lines = path.read_text("utf-8").splitlines()
    assert lines == [wp.id_to_token(i) for i in range(wp.vocab_size)]
    back = WordPieceTokenizer.from_huggingface(path)
    assert back.get_vocab() == wp.get_vocab()
    for text in sample_texts(50):
        assert back.encode(text) == wp.encode(text)
    # The folder form finds it too, and HF's BertWordPieceTokenizer reads the same file alike.
    assert WordPieceTokenizer.from_huggingface(tmp_path).get_vocab() == wp.get_vocab()
    href = hf.BertWordPieceTokenizer(str(path), lowercase=True)
    for text in sample_texts(30):
        assert back.encode(text).ids == href.encode(text).ids


def test_vocab_txt_refuses_newline_tokens(tmp_path: Path, corpus: list[str]) -> None:
    tok = WordPieceTokenizer.train(
        corpus, vocab_size=150, min_frequency=1, special_tokens=[*BERT_SPECIAL_TOKENS, "a\nb"]
    )
    with pytest.raises(ValueError, match=r'"a\\nb" \(id 5\).*tokenizer\.json'):
        tok.save_vocab(tmp_path / "vocab.txt")
    assert not (tmp_path / "vocab.txt").exists()


def test_train_from_files_equals_train_from_texts(tmp_path: Path, corpus: list[str]) -> None:
    half = len(corpus) // 2
    files = [tmp_path / "a.txt", tmp_path / "b.txt"]
    files[0].write_text("\n".join(corpus[:half]) + "\n", "utf-8")
    files[1].write_text("\r\n".join(corpus[half:]), "utf-8")
    from_texts = BpeTokenizer.train(iter(corpus), vocab_size=300, min_frequency=1)
    from_files = BpeTokenizer.train(files, vocab_size=300, min_frequency=1)
    from_strs = BpeTokenizer.train([str(f) for f in files], vocab_size=300, min_frequency=1)
    assert from_files.fingerprint == from_texts.fingerprint == from_strs.fingerprint
    wp_files = WordPieceTokenizer.train(files, vocab_size=200, min_frequency=1)
    wp_texts = WordPieceTokenizer.train(corpus, vocab_size=200, min_frequency=1)
    assert wp_files.fingerprint == wp_texts.fingerprint


def test_progress_reports_and_cancels(corpus: list[str]) -> None:
    seen: list[tuple[str, int, int]] = []

    def record(stage: str, current: int, total: int) -> None:
        seen.append((stage, current, total))

    BpeTokenizer.train(corpus, vocab_size=400, min_frequency=1, progress=record)
    stages = {s for s, _, _ in seen}
    assert {"count", "merge"} <= stages
    assert len(seen) < 250  # bounded: about one call per percent per stage

    with pytest.raises(TrainingCancelled):
        BpeTokenizer.train(corpus, vocab_size=400, progress=lambda s, c, t: s != "merge")

    def boom(stage: str, current: int, total: int) -> None:
        raise RuntimeError("stop here")

    with pytest.raises(TrainingCancelled) as info:
        WordPieceTokenizer.train(corpus, vocab_size=200, progress=boom)
    assert isinstance(info.value.__cause__, RuntimeError)

    def interrupt(stage: str, current: int, total: int) -> None:
        raise KeyboardInterrupt

    # Ctrl-C is not turned into a cancellation: it propagates as itself.
    with pytest.raises(KeyboardInterrupt):
        BpeTokenizer.train(corpus, vocab_size=400, progress=interrupt)


# --- HF compatibility ------------------------------------------------------------------------


def test_our_tokenizers_encode_identically_in_hf(wp: WordPieceTokenizer, bpe: BpeTokenizer) -> None:
    texts = sample_texts(300, seed=21)
    for tok in (wp, bpe):
        href = hf_of(tok)
        for i, text in enumerate(texts):
            assert_same_as_hf(tok, href, text, texts[-i - 1] if i % 3 == 0 else None)
        for text in texts[:50]:
            enc = tok.encode(text)
            assert tok.decode(enc.ids) == href.decode(enc.ids)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    text=st.text(st.characters(blacklist_categories=("Cs",)), max_size=40),
    pair=st.one_of(st.none(), st.text(max_size=20)),
)
def test_byte_level_matches_hf_on_any_text(bpe: BpeTokenizer, text: str, pair: str | None) -> None:
    assert_same_as_hf(bpe, _hf_cache(bpe), text, pair)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(st.characters(blacklist_categories=("Cs",)), max_size=40))
def test_wordpiece_matches_hf_on_any_text(wp: WordPieceTokenizer, text: str) -> None:
    assert_same_as_hf(wp, _hf_cache(wp), text)


_HF_CACHE: dict[str, object] = {}


def _hf_cache(tok: Tokenizer) -> object:
    if tok.fingerprint not in _HF_CACHE:
        _HF_CACHE[tok.fingerprint] = hf_of(tok)
    return _HF_CACHE[tok.fingerprint]


def _wikitext(name: str) -> list[str]:
    path = SHARED / "wikitext-2-raw" / name
    if not path.is_file():
        pytest.skip(f"{path} not present")
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [line for line in f.read().split("\n") if line.strip()]


def test_wikitext_bpe_matches_hf() -> None:
    lines = _wikitext("valid.txt.gz")
    for pattern in ("gpt2", "gpt4"):
        tok = BpeTokenizer.train(lines, vocab_size=2000, pattern=pattern)
        href = hf_of(tok)
        theirs = href.encode_batch(lines)
        ours = tok.encode_batch(lines)
        assert ours.ids.tolist() == [i for e in theirs for i in e.ids]
        for line, t in list(zip(lines, theirs, strict=True))[:300]:
            assert tok.encode(line).offsets == [tuple(o) for o in t.offsets]


def test_hf_trained_byte_level_bpe_loads_and_matches(tmp_path: Path, corpus: list[str]) -> None:
    trainer = hf.trainers.BpeTrainer(
        vocab_size=400,
        min_frequency=1,
        special_tokens=list(BERT_SPECIAL_TOKENS),
        initial_alphabet=hf.pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    variants = {
        "gpt2": hf.pre_tokenizers.ByteLevel(add_prefix_space=False),
        "gpt4": hf.pre_tokenizers.Sequence(
            [
                hf.pre_tokenizers.Split(
                    hf.Regex(
                        r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"
                        r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
                    ),
                    behavior="isolated",
                ),
                hf.pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
            ]
        ),
    }
    for name, pre in variants.items():
        href = hf.Tokenizer(hf.models.BPE())
        href.pre_tokenizer = pre
        href.decoder = hf.decoders.ByteLevel()
        href.post_processor = hf.processors.TemplateProcessing(
            single="[CLS] $A [SEP]",
            pair="[CLS] $A [SEP] $B:1 [SEP]:1",
            special_tokens=[("[CLS]", 2), ("[SEP]", 3)],
        )
        href.train_from_iterator(corpus, trainer)
        path = tmp_path / f"{name}.json"
        href.save(str(path))
        ours = BpeTokenizer.load(path)
        assert ours.get_vocab() == href.get_vocab()
        for text in sample_texts(150, seed=31):
            assert_same_as_hf(ours, href, text)
            assert ours.decode(ours.encode(text).ids) == href.decode(href.encode(text).ids)
    # The ByteLevelBPETokenizer wrapper's default file (ByteLevel post-processor without
    # offset trimming, merges as "a b" strings in older versions) loads as well.
    wrapper = hf.ByteLevelBPETokenizer()
    wrapper.train_from_iterator(
        corpus, vocab_size=300, min_frequency=1, special_tokens=["<s>", "</s>"], show_progress=False
    )
    data = json.loads(wrapper.to_str())
    data["model"]["merges"] = [
        " ".join(m) if isinstance(m, list) else m for m in data["model"]["merges"]
    ]
    ours = BpeTokenizer.from_json(json.dumps(data))
    for text in sample_texts(50, seed=41):
        assert ours.encode(text).ids == wrapper.encode(text).ids


def test_hf_added_tokens_match_like_hf(wp: WordPieceTokenizer, bpe: BpeTokenizer) -> None:
    texts = [
        "Say HELLO World and naïve NAIVE, hello worldly",
        "x[MASK]Naïve <extra>hello world</extra> [SEP]",
        "HeLLo   World",
    ]
    for tok in (wp, bpe):
        href = hf_of(tok)
        # add_tokens: normalized=true (matched after the normalizer); specials: on raw text.
        href.add_tokens(["Hello World", "naïve", "</extra>"])
        href.add_special_tokens([hf.AddedToken("<extra>", lstrip=True, rstrip=True)])
        ours = Tokenizer.from_json(href.to_str())
        assert ours.vocab_size == tok.vocab_size + 4
        stripped = ours.token_to_id("<extra>")
        for text in texts + sample_texts(30, seed=61):
            mine, theirs = ours.encode(text), href.encode(text)
            assert mine.ids == theirs.ids, text
            assert mine.offsets == [tuple(o) for o in theirs.offsets], text
            # HF names a token by the text it matched: for an lstrip/rstrip token that
            # includes the spaces (" <extra> "); we keep the vocab entry there.
            pairs = zip(mine.ids, mine.tokens, theirs.tokens, strict=True)
            assert all(a == b or (i == stripped and b.strip() == a) for i, a, b in pairs)
            ids = theirs.ids
            assert ours.decode(ids) == href.decode(ids)
            assert ours.decode(ids, False) == href.decode(ids, skip_special_tokens=False)


def test_hf_byte_level_offset_trimming(bpe: BpeTokenizer) -> None:
    texts = [" leading", "  two  spaces  ", "a <extra> b", "\n x \n", *sample_texts(60, seed=81)]
    template = hf.processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", 2), ("[SEP]", 3)],
    )
    for add_prefix_space in (False, True):
        trim = hf.processors.ByteLevel(trim_offsets=True, add_prefix_space=add_prefix_space)
        for processor in (trim, hf.processors.Sequence([trim, template])):
            href = hf_of(bpe)
            href.post_processor = processor
            href.add_special_tokens([hf.AddedToken("<extra>", lstrip=True, rstrip=True)])
            ours = BpeTokenizer.from_json(href.to_str())
            assert hf.Tokenizer.from_str(ours.to_json()).to_str() == href.to_str()
            for text in texts:
                mine, theirs = ours.encode(text, " pair  text "), href.encode(text, " pair  text ")
                assert mine.ids == theirs.ids
                assert mine.offsets == [tuple(o) for o in theirs.offsets], text


def test_hf_trained_wordpiece_loads_and_matches(tmp_path: Path, corpus: list[str]) -> None:
    href = hf.BertWordPieceTokenizer(lowercase=True)
    href.train_from_iterator(corpus, vocab_size=200, min_frequency=1, show_progress=False)
    path = tmp_path / "tokenizer.json"
    href.save(str(path))
    ours = WordPieceTokenizer.from_huggingface(tmp_path)
    for i, text in enumerate(sample_texts(150, seed=51)):
        assert_same_as_hf(ours, href, text, "Pair text" if i % 2 else None)
    # The older BertProcessing post-processor reads as the same template.
    href.post_processor = hf.processors.BertProcessing(
        ("[SEP]", href.token_to_id("[SEP]")), ("[CLS]", href.token_to_id("[CLS]"))
    )
    href.save(str(path))
    assert json.loads(path.read_text("utf-8"))["post_processor"]["type"] == "BertProcessing"
    ours = WordPieceTokenizer.load(path)
    for i, text in enumerate(sample_texts(50, seed=52)):
        assert_same_as_hf(ours, href, text, "Pair text" if i % 2 else None)


# --- errors ----------------------------------------------------------------------------------


def test_invalid_utf8_file_names_file_and_offset(tmp_path: Path) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(b"good line\nsecond \xff line\n")
    with pytest.raises(ValueError, match=r"bad\.txt.*byte offset 17"):
        BpeTokenizer.train(path, vocab_size=300)


def test_empty_corpus_and_small_vocab(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="corpus"):
        WordPieceTokenizer.train([], vocab_size=100)
    with pytest.raises(ValueError, match="corpus"):
        BpeTokenizer.train(["", ""], vocab_size=300)
    with pytest.raises(ValueError, match="vocab"):
        BpeTokenizer.train(["some text here"], vocab_size=100)


def test_corpus_items_must_be_str() -> None:
    with pytest.raises(ValueError, match="corpus item 1 is a bytes, expected str"):
        BpeTokenizer.train(iter(["fine", b"bytes"]), vocab_size=300)
    with pytest.raises(TypeError, match="iterable of str"):
        BpeTokenizer.train(42, vocab_size=300)  # type: ignore[arg-type]


def test_corrupt_and_foreign_files(tmp_path: Path, wp: WordPieceTokenizer) -> None:
    bad = tmp_path / "tokenizer.json"
    bad.write_text('{"model": {"type": "WordPiece", "vocab": {"a": 0}', "utf-8")
    with pytest.raises(FormatError, match=r"tokenizer\.json.*not valid JSON"):
        Tokenizer.load(bad)

    unigram = hf.Tokenizer(hf.models.Unigram([("<unk>", 0.0), ("a", -1.0), ("b", -2.0)], 0))
    foreign = tmp_path / "unigram.json"
    unigram.save(str(foreign))
    with pytest.raises(
        FormatError,
        match="model type 'Unigram' is not supported; bertbench loads BPE and WordPiece",
    ):
        load_tokenizer(foreign)

    data = json.loads(wp.to_json())
    data["normalizer"] = {"type": "NFKC"}
    with pytest.raises(FormatError, match="normalizer type 'NFKC'"):
        Tokenizer.from_json(json.dumps(data))
    data = json.loads(wp.to_json())
    data["model"]["vocab"]["extra"] = 10_000
    with pytest.raises(FormatError, match="ids must be"):
        Tokenizer.from_json(json.dumps(data))
    with pytest.raises(FormatError, match="holds a WordPiece tokenizer, not a BpeTokenizer"):
        BpeTokenizer.from_json(wp.to_json())


def test_unsupported_bpe_features_are_refused(bpe: BpeTokenizer) -> None:
    for field, value, message in [
        ("dropout", 0.1, "dropout"),
        ("byte_fallback", True, "byte_fallback"),
        ("unk_token", "[UNK]", "unknown token"),
    ]:
        data = json.loads(bpe.to_json())
        data["model"][field] = value
        with pytest.raises(FormatError, match=message):
            Tokenizer.from_json(json.dumps(data))


def test_missing_files(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        Tokenizer.load(tmp_path / "nope.json")
    with pytest.raises(FileNotFoundError):
        WordPieceTokenizer.from_huggingface(tmp_path)
    with pytest.raises(FileNotFoundError):
        BpeTokenizer.train(tmp_path / "missing.txt", vocab_size=300)


def test_decode_rejects_unknown_ids(wp: WordPieceTokenizer) -> None:
    with pytest.raises(ValueError, match="cannot decode id"):
        wp.decode([wp.vocab_size + 5])
    with pytest.raises(ValueError, match="cannot decode id"):
        wp.decode([-1])


def _mutations(value: object, rng: random.Random) -> object:
    """A copy of a JSON value with one random part replaced, removed or retyped."""
    junk = [None, True, -1, 2**40, "", "x y", [], {}, [["a"]], {"type": "BPE"}]
    if isinstance(value, dict) and value and rng.random() < 0.8:
        key = rng.choice(list(value))
        out = dict(value)
        roll = rng.random()
        if roll < 0.3:
            del out[key]
        elif roll < 0.6:
            out[key] = rng.choice(junk)
        else:
            out[key] = _mutations(value[key], rng)
        return out
    if isinstance(value, list) and value and rng.random() < 0.8:
        out = list(value)
        i = rng.randrange(len(out))
        out[i] = _mutations(out[i], rng) if rng.random() < 0.5 else rng.choice(junk)
        return out
    return rng.choice(junk)


def test_mangled_files_give_format_errors_not_crashes() -> None:
    rng = random.Random(0)
    small = WordPieceTokenizer.train(make_corpus(30), vocab_size=60, min_frequency=1)
    bpe_small = BpeTokenizer.train(make_corpus(30), vocab_size=270, min_frequency=1)
    for tok in (small, bpe_small):
        base = json.loads(tok.to_json())
        loaded = 0
        for _ in range(300):
            text = json.dumps(_mutations(base, rng))
            try:
                Tokenizer.from_json(text, "mangled.json").encode("some text [SEP] here")
                loaded += 1
            except FormatError as e:  # anything else (a Rust panic included) fails the test
                assert str(e).startswith("mangled.json: "), e
        assert loaded < 250  # most mutations are refused
