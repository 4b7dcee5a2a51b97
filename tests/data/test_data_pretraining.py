import itertools

import numpy as np
import pytest

from bert_engine.data.errors import DataError
from bert_engine.data.pretraining import PretrainingConfig, PretrainingExamples
from bert_engine.data.shards import SpecialIds, TokenizedCorpus

SPECIAL = SpecialIds(pad=0, cls=2, sep=3, mask=4, all=(0, 1, 2, 3, 4))
FIRST = 5


def make_corpus(n_docs=300, seed=0, max_sents=12, max_len=30):
    """Every token id is unique (FIRST + running index), so from an id we know its document,
    sentence and position; returns (corpus, doc_of_token array indexed by id)."""
    rng = np.random.default_rng(seed)
    docs, doc_of = [], []
    next_id = FIRST
    for d in range(n_docs):
        doc = []
        for _ in range(int(rng.integers(1, max_sents + 1))):
            n = int(rng.integers(1, max_len + 1))
            doc.append(list(range(next_id, next_id + n)))
            doc_of += [d] * n
            next_id += n
        docs.append(doc)
    corpus = TokenizedCorpus.from_token_documents(docs, vocab_size=next_id, special=SPECIAL)
    return corpus, np.array([-1] * FIRST + doc_of)


def segments(ex):
    ids = ex.input_ids
    assert ids[0] == SPECIAL.cls and ids[-1] == SPECIAL.sep
    a = ids[1 : ex.len_a - 1]
    assert ids[ex.len_a - 1] == SPECIAL.sep
    b = ids[ex.len_a : -1]
    return a, b


def test_pairs_structure_nsp_balance_and_negatives_from_other_documents():
    corpus, doc_of = make_corpus()
    cfg = PretrainingConfig(max_seq_len=64, short_seq_prob=0.1)
    examples = list(PretrainingExamples(corpus, cfg, seed=1, epochs=3))
    assert len(examples) > 2000
    labels = np.array([e.nsp_label for e in examples])
    assert set(labels.tolist()) == {0, 1}
    assert abs(labels.mean() - 0.5) < 0.03
    for ex in examples:
        assert len(ex.input_ids) <= 64
        a, b = segments(ex)
        assert len(a) > 0 and len(b) > 0
        assert not np.isin(np.concatenate([a, b]), SPECIAL.all).any()
        # Each segment is a contiguous run of one document's text.
        assert (np.diff(a) == 1).all() and (np.diff(b) == 1).all()
        assert len(set(doc_of[a])) == 1 and len(set(doc_of[b])) == 1
        if ex.nsp_label == 0:
            assert doc_of[a[0]] == doc_of[b[0]] and b[0] > a[-1]
        else:
            assert doc_of[a[0]] != doc_of[b[0]]


def test_true_next_segments_follow_directly_when_not_truncated():
    corpus, _ = make_corpus(max_len=8)  # short sentences: pairs rarely need truncation
    cfg = PretrainingConfig(max_seq_len=128, short_seq_prob=0.0)
    follows = [
        b[0] == a[-1] + 1
        for ex in PretrainingExamples(corpus, cfg, seed=0, epochs=1)
        if ex.nsp_label == 0
        for a, b in [segments(ex)]
    ]
    assert np.mean(follows) > 0.95


def test_short_seq_prob_makes_shorter_examples():
    corpus, _ = make_corpus(max_sents=40, max_len=4)  # fine-grained sentences: length ~ target

    def mean_len(p):
        cfg = PretrainingConfig(max_seq_len=64, short_seq_prob=p)
        return np.mean([len(e.input_ids) for e in PretrainingExamples(corpus, cfg, epochs=1)])

    assert mean_len(1.0) < 0.7 * mean_len(0.0)


def test_each_epoch_uses_every_document_and_seed_decides_order():
    corpus, doc_of = make_corpus(n_docs=120)
    cfg = PretrainingConfig(max_seq_len=64, block_documents=16)
    run = list(PretrainingExamples(corpus, cfg, seed=3, epochs=2))
    again = list(PretrainingExamples(corpus, cfg, seed=3, epochs=2))
    other = list(PretrainingExamples(corpus, cfg, seed=4, epochs=2))
    key = [e.input_ids.tobytes() for e in run]
    assert key == [e.input_ids.tobytes() for e in again]
    assert key != [e.input_ids.tobytes() for e in other]
    docs_as_a = {int(doc_of[segments(e)[0][0]]) for e in run}
    assert docs_as_a == set(range(120))


def test_resume_from_state_gives_the_same_examples():
    corpus, _ = make_corpus(n_docs=100)
    cfg = PretrainingConfig(max_seq_len=48, block_documents=8)
    full = [e.input_ids.tobytes() for e in PretrainingExamples(corpus, cfg, seed=5, epochs=2)]
    for cut in (0, 1, 37, len(full) // 2 + 3, len(full) - 1):
        first = PretrainingExamples(corpus, cfg, seed=5, epochs=2)
        head = [e.input_ids.tobytes() for e in itertools.islice(first, cut)]
        state = first.state_dict()
        second = PretrainingExamples(corpus, cfg, seed=5, epochs=2)
        second.load_state_dict(state)
        assert head + [e.input_ids.tobytes() for e in second] == full


def test_resume_refuses_other_settings():
    corpus, _ = make_corpus(n_docs=50)
    a = PretrainingExamples(corpus, PretrainingConfig(max_seq_len=48), seed=1)
    b = PretrainingExamples(corpus, PretrainingConfig(max_seq_len=64), seed=1)
    with pytest.raises(DataError, match="config"):
        b.load_state_dict(a.state_dict())


def test_ranks_get_disjoint_documents_that_cover_the_corpus():
    corpus, doc_of = make_corpus(n_docs=100)
    cfg = PretrainingConfig(max_seq_len=64, block_documents=10)
    seen = []
    for rank in range(3):
        stream = PretrainingExamples(corpus, cfg, seed=2, rank=rank, world_size=3, epochs=1)
        seen.append({int(doc_of[segments(e)[0][0]]) for e in stream})
    assert not (seen[0] & seen[1]) and not (seen[0] & seen[2]) and not (seen[1] & seen[2])
    assert seen[0] | seen[1] | seen[2] == set(range(100))


def test_mlm_only_single_segments_from_one_document():
    corpus, doc_of = make_corpus()
    cfg = PretrainingConfig(max_seq_len=64, nsp=False, short_seq_prob=0.0)
    examples = list(PretrainingExamples(corpus, cfg, epochs=1))
    for ex in examples:
        assert ex.nsp_label == -1 and ex.len_a == len(ex.input_ids) <= 64
        body = ex.input_ids[1:-1]
        assert ex.input_ids[0] == SPECIAL.cls and ex.input_ids[-1] == SPECIAL.sep
        assert len(set(doc_of[body])) == 1 and (np.diff(body) == 1).all()
    # Nothing is lost but the tail of over-long sentences: at least 90% of tokens appear.
    used = sum(len(e.input_ids) - 2 for e in examples)
    assert used > 0.9 * corpus.n_tokens


def test_packing_fills_rows_and_keeps_every_token_once():
    corpus, _ = make_corpus(n_docs=60)
    cfg = PretrainingConfig(max_seq_len=64, nsp=False, pack=True, block_documents=20)
    examples = list(PretrainingExamples(corpus, cfg, epochs=1))
    lengths = [len(e.input_ids) for e in examples]
    assert sum(n == 64 for n in lengths) >= len(lengths) - 3  # one short tail per block
    tokens = np.concatenate([e.input_ids[1:-1] for e in examples])
    text = tokens[tokens >= FIRST]
    assert sorted(text.tolist()) == list(range(FIRST, FIRST + corpus.n_tokens))
    assert (tokens == SPECIAL.sep).sum() == 60 - 3  # separators between documents of a block


def test_clear_errors():
    corpus, _ = make_corpus(n_docs=1)
    with pytest.raises(DataError, match="at least 2 documents"):
        PretrainingExamples(corpus, PretrainingConfig())
    with pytest.raises(DataError, match="nsp=False"):
        PretrainingExamples(corpus, PretrainingConfig(nsp=True, pack=True))
    corpus, _ = make_corpus(n_docs=10)
    with pytest.raises(DataError, match="rank 3 gets no data"):
        PretrainingExamples(corpus, PretrainingConfig(block_documents=5), rank=3, world_size=4)
