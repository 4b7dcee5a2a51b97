import gzip
import os
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from bert_engine.data.errors import DataError
from bert_engine.data.pretraining import PretrainingConfig, PretrainingExamples
from bert_engine.data.sentences import split_sentences
from bert_engine.data.shards import BuildCancelled, TokenizedCorpus, build_shards
from bert_engine.data.sources import TextSource

tokenizers = pytest.importorskip("bert_engine.tokenizers")

WORDS = (
    "the cat dog bird runs jumps sleeps eats quickly slowly green red blue house tree river "
    "mountain city walks talks reads writes happy sad big small old new warm cold"
).split()


def generated_text(n_docs, seed=0):
    rng = np.random.default_rng(seed)
    docs = []
    for _ in range(n_docs):
        sents = []
        for _ in range(int(rng.integers(1, 8))):
            words = rng.choice(WORDS, int(rng.integers(3, 15)))
            sents.append(" ".join(words).capitalize() + ".")
        docs.append(" ".join(sents))
    return "\n\n".join(docs) + "\n"


@pytest.fixture(scope="module")
def tok():
    return tokenizers.WordPieceTokenizer.train(
        [generated_text(50, seed=9)], vocab_size=120, min_frequency=1
    )


def corpus_file(tmp_path, n_docs=200, seed=0, name="corpus.txt"):
    p = tmp_path / name
    p.write_text(generated_text(n_docs, seed), encoding="utf-8")
    return p


def test_shards_hold_sentences_as_the_tokenizer_encodes_them(tmp_path, tok):
    path = corpus_file(tmp_path)
    corpus = build_shards(TextSource(path), tok, tmp_path / "cache", workers=1)
    docs = path.read_text().split("\n\n")
    assert corpus.n_documents == len(docs) == 200
    assert corpus.shards[0].tokens.dtype == np.uint16
    for d in (0, 57, 199):
        want = [tok.encode(s, add_special_tokens=False).ids for s in split_sentences(docs[d])]
        assert [s.tolist() for s in corpus.document_tokens(d)] == want
    assert corpus.special.cls == tok.cls_id and corpus.special.mask == tok.mask_id
    assert corpus.word_start[tok.token_to_id("##s")] == 0 if tok.token_to_id("##s") else True
    tokens = corpus.shards[0].tokens  # memory-mapped: read-only and not owning its memory
    assert not tokens.flags.writeable and not tokens.flags.owndata


def test_cache_is_reused_and_rebuilt_when_inputs_change(tmp_path, tok):
    path = corpus_file(tmp_path)
    calls = []
    first = build_shards(
        TextSource(path), tok, tmp_path / "c", workers=1, progress=lambda d, t: calls.append((d, t))
    )
    assert calls and calls[-1][0] == calls[-1][1] == path.stat().st_size
    calls.clear()
    again = build_shards(
        TextSource(path), tok, tmp_path / "c", workers=1, progress=lambda d, t: calls.append(d)
    )
    assert again.path == first.path and calls == []  # nothing tokenized the second time

    other_tok = tokenizers.WordPieceTokenizer.train(
        [generated_text(50, seed=9)], vocab_size=90, min_frequency=1
    )
    rebuilt = build_shards(TextSource(path), other_tok, tmp_path / "c", workers=1)
    assert rebuilt.path != first.path and rebuilt.vocab_size == other_tok.vocab_size

    path.write_text(generated_text(10, seed=1), encoding="utf-8")
    changed = build_shards(TextSource(path), tok, tmp_path / "c", workers=1)
    assert changed.path not in (first.path, rebuilt.path) and changed.n_documents == 10
    leftovers = [p for p in (tmp_path / "c" / "shards").iterdir() if ".tmp-" in p.name]
    assert leftovers == []


def test_parallel_build_equals_serial_and_small_shards_split(tmp_path, tok):
    path = corpus_file(tmp_path, n_docs=300)
    serial = build_shards(TextSource(path), tok, tmp_path / "a", workers=1, chunk_documents=16)
    parallel = build_shards(
        TextSource(path), tok, tmp_path / "b", workers=2, chunk_documents=16, shard_tokens=2000
    )
    assert len(serial.shards) == 1 and len(parallel.shards) > 3
    assert parallel.n_documents == serial.n_documents == 300
    for d in range(300):
        want = [s.tolist() for s in serial.document_tokens(d)]
        assert [s.tolist() for s in parallel.document_tokens(d)] == want


def test_building_streams_with_bounded_memory(tmp_path, tok):
    def peak(n_docs):
        src = TextSource(corpus_file(tmp_path, n_docs, name=f"c{n_docs}.txt.gz"))
        tracemalloc.start()
        build_shards(src, tok, tmp_path / f"m{n_docs}", workers=1, shard_tokens=20_000)
        peak_bytes = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak_bytes

    small, large = peak(500), peak(4000)  # the large corpus has ~8x the tokens
    assert large < 2 * small


def test_gzip_corpus_and_errors(tmp_path, tok):
    p = tmp_path / "c.txt.gz"
    with gzip.open(p, "wt") as f:
        f.write(generated_text(20))
    assert build_shards(TextSource(p), tok, tmp_path / "g", workers=1).n_documents == 20
    with pytest.raises(DataError, match="not a shard cache folder"):
        TokenizedCorpus.open(tmp_path)
    bare = tokenizers.WordPieceTokenizer.train(
        [generated_text(20)], vocab_size=80, min_frequency=1, special_tokens=("[UNK]",)
    )
    with pytest.raises(DataError, match=r"no \[PAD\], \[CLS\], \[SEP\], \[MASK\] token"):
        build_shards(TextSource(p), bare, tmp_path / "g", workers=1)


def test_pretraining_examples_from_real_shards_decode_to_source_text(tmp_path, tok):
    path = corpus_file(tmp_path, n_docs=100)
    corpus = build_shards(TextSource(path), tok, tmp_path / "c", workers=1)
    text = " ".join(path.read_text().split()).lower()
    # Documents are shorter than max_seq_len, so nothing is truncated: a true pair is a run of
    # the source text (a one-sentence chunk is cut inside the sentence), a random pair is two
    # runs of whole sentences.
    cfg = PretrainingConfig(max_seq_len=512, short_seq_prob=0.0)
    examples = list(PretrainingExamples(corpus, cfg, seed=0, epochs=1))
    text = text.replace(" .", ".")
    for ex in examples:
        a_ids, b_ids = ex.input_ids[1 : ex.len_a - 1], ex.input_ids[ex.len_a : -1]
        if ex.nsp_label == 0:
            assert tok.decode(np.concatenate([a_ids, b_ids]).tolist()).replace(" .", ".") in text
        else:
            assert tok.decode(a_ids.tolist()).replace(" .", ".") in text
            assert tok.decode(b_ids.tolist()).replace(" .", ".") in text


def shared_data() -> Path:
    env = os.environ.get("BERTBENCH_SHARED_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


def test_shared_wikitext_valid_builds(tmp_path):
    p = shared_data() / "wikitext-2-raw" / "valid.txt.gz"
    if not p.exists():
        pytest.skip("shared data not present")
    src = TextSource(p)
    tok = tokenizers.WordPieceTokenizer.train(src.documents(), vocab_size=2000)
    corpus = build_shards(src, tok, tmp_path, workers=1)
    assert corpus.n_documents > 500 and corpus.n_tokens > 200_000
    assert (corpus.word_start == 0).sum() > 100  # WordPiece "##" pieces continue words


def test_progress_returning_false_cancels_without_leaving_a_cache(tmp_path, tok):
    path = corpus_file(tmp_path, n_docs=300)
    calls = []

    def stop_at_second(done, total):
        calls.append(done)
        return len(calls) < 2

    with pytest.raises(BuildCancelled, match="cancelled"):
        build_shards(
            TextSource(path),
            tok,
            tmp_path / "c",
            workers=1,
            chunk_documents=50,
            progress=stop_at_second,
        )
    assert len(calls) == 2
    assert list((tmp_path / "c" / "shards").iterdir()) == []
    assert build_shards(TextSource(path), tok, tmp_path / "c", workers=1).n_documents == 300
