import itertools

import numpy as np
import torch

from bert_engine.data.collate import (
    LengthBucketSampler,
    PretrainingBatches,
    PretrainingCollator,
    pad_rows,
    pretraining_batches,
)
from bert_engine.data.masking import IGNORE_INDEX, MlmMasker
from bert_engine.data.pretraining import (
    PretrainingConfig,
    PretrainingExample,
    PretrainingExamples,
)
from bert_engine.data.shards import SpecialIds, TokenizedCorpus

SPECIAL = SpecialIds(pad=0, cls=2, sep=3, mask=4, all=(0, 1, 2, 3, 4))
V = 500


def corpus(n_docs=200, seed=0):
    rng = np.random.default_rng(seed)
    docs = [
        [
            rng.integers(5, V, int(rng.integers(2, 30))).tolist()
            for _ in range(int(rng.integers(1, 15)))
        ]
        for _ in range(n_docs)
    ]
    return TokenizedCorpus.from_token_documents(docs, vocab_size=V, special=SPECIAL)


def collator(p=0.15):
    return PretrainingCollator(
        SPECIAL.pad, MlmMasker(V, SPECIAL.mask, SPECIAL.all, mlm_probability=p)
    )


def test_pad_rows_pads_to_a_multiple_of_8():
    rows = [np.arange(1, 6), np.arange(1, 18), np.arange(1, 2)]
    ids, lengths = pad_rows(rows, pad_id=0)
    assert ids.shape == (3, 24) and lengths.tolist() == [5, 17, 1]
    assert ids[1, :17].tolist() == list(range(1, 18)) and (ids[1, 17:] == 0).all()
    assert pad_rows(rows, 0, multiple_of=None)[0].shape == (3, 17)


def test_collated_batch_types_mask_and_labels():
    examples = [
        PretrainingExample(np.array([2, 10, 11, 3, 12, 13, 14, 3], np.int32), 4, 0),
        PretrainingExample(np.array([2, 20, 3, 21, 3], np.int32), 3, 1),
    ]
    batch = collator(p=0.5)(examples, torch.Generator().manual_seed(0))
    assert batch["input_ids"].shape == (2, 8)
    assert batch["token_type_ids"].tolist() == [[0, 0, 0, 0, 1, 1, 1, 1], [0, 0, 0, 1, 1, 0, 0, 0]]
    assert batch["attention_mask"].tolist() == [[1] * 8, [1] * 5 + [0] * 3]
    assert batch["next_sentence_label"].tolist() == [0, 1]
    labels = batch["labels"]
    assert (labels[1, 5:] == IGNORE_INDEX).all() and (batch["input_ids"][1, 5:] == 0).all()
    assert (labels[:, 0] == IGNORE_INDEX).all()  # [CLS] never masked


def test_mlm_only_batches_have_no_nsp_labels():
    stream = PretrainingExamples(corpus(), PretrainingConfig(max_seq_len=32, nsp=False))
    batch = next(iter(PretrainingBatches(stream, collator(), 8)))
    assert "next_sentence_label" not in batch
    assert (batch["token_type_ids"] == 0).all()


def test_masking_rate_over_many_batches():
    stream = PretrainingExamples(corpus(), PretrainingConfig(max_seq_len=64), seed=0)
    chosen = maskable = 0
    for batch in itertools.islice(PretrainingBatches(stream, collator(), 16), 60):
        ids = batch["input_ids"]
        maskable += (
            batch["attention_mask"].bool() & ~torch.isin(ids, torch.tensor([0, 2, 3]))
        ).sum()
        chosen += (batch["labels"] != IGNORE_INDEX).sum()
    assert abs(chosen.item() / maskable.item() - 0.15) < 0.01


def test_bucketing_reduces_padding():
    def padding(bucket_batches):
        stream = PretrainingExamples(corpus(), PretrainingConfig(max_seq_len=128), seed=0)
        batches = PretrainingBatches(stream, collator(), 8, bucket_batches=bucket_batches)
        pad = 0
        for b in itertools.islice(batches, 64):
            pad += (b["attention_mask"] == 0).sum().item()
        return pad

    assert padding(32) < 0.5 * padding(1)


def test_batches_resume_exactly_including_masks():
    def make():
        stream = PretrainingExamples(corpus(n_docs=80), PretrainingConfig(max_seq_len=64), seed=9)
        return PretrainingBatches(stream, collator(), 4, bucket_batches=5, seed=9)

    full = [b for b in itertools.islice(make(), 40)]
    for cut in (0, 3, 5, 17):
        first = make()
        list(itertools.islice(first, cut))
        state = first.state_dict()
        second = make()
        second.load_state_dict(state)
        for want, got in zip(full[cut:], itertools.islice(second, 40 - cut), strict=True):
            for key in want:
                assert torch.equal(want[key], got[key]), (cut, key)


def test_length_bucket_sampler_covers_each_index_once_per_epoch():
    lengths = np.random.default_rng(0).integers(1, 200, 1000)
    sampler = LengthBucketSampler(lengths, 16, seed=1, bucket_batches=10)
    epoch0 = list(sampler)
    assert sorted(i for b in epoch0 for i in b) == list(range(1000))
    assert len(epoch0) == len(sampler) == 63
    sampler.set_epoch(1)
    assert list(sampler) != epoch0
    spread = np.mean([np.ptp(lengths[b]) for b in epoch0 if len(b) == 16])
    random_spread = np.mean([np.ptp(lengths[i : i + 16]) for i in range(0, 992, 16)])
    assert spread < 0.3 * random_spread


def test_pretraining_batches_wiring_options():
    c = corpus()
    b = next(iter(pretraining_batches(c, batch_size=8, max_seq_len=32, seed=1)))
    assert b["input_ids"].shape[0] == 8 and b["input_ids"].shape[1] <= 32
    assert "next_sentence_label" in b
    packed = next(iter(pretraining_batches(c, batch_size=8, max_seq_len=32, nsp=False, pack=True)))
    assert packed["input_ids"].shape == (8, 32) and "next_sentence_label" not in packed
    assert (packed["attention_mask"] == 1).all()  # packing: full rows, no padding
