import numpy as np
import pytest
import torch

from bert_engine.data.errors import DataError
from bert_engine.data.masking import IGNORE_INDEX, MlmMasker, word_start_table

V = 1000
SPECIALS = (0, 1, 2, 3, 4)  # [PAD] [UNK] [CLS] [SEP] [MASK]
MASK = 4


def batch(rows=256, width=256, seed=0):
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(5, V, (rows, width), generator=g)
    ids[:, 0] = 2
    ids[:, width // 2] = 3
    ids[:, -1] = 3
    ids[::3, -40:] = 0  # padding at the end of some rows
    return ids


def test_rate_and_80_10_10_split():
    ids = batch()
    masker = MlmMasker(V, MASK, SPECIALS)
    masked, labels = masker(ids, torch.Generator().manual_seed(1))
    maskable = ~torch.isin(ids, torch.tensor(SPECIALS))
    chosen = labels != IGNORE_INDEX
    assert torch.equal(labels[chosen], ids[chosen])
    rate = chosen.sum().item() / maskable.sum().item()
    assert abs(rate - 0.15) < 0.005
    n = chosen.sum().item()
    as_mask = (masked[chosen] == MASK).sum().item() / n
    unchanged = (masked[chosen] == ids[chosen]).sum().item() / n
    replaced = 1 - as_mask - unchanged
    assert abs(as_mask - 0.8) < 0.015
    assert abs(replaced - 0.1) < 0.01
    assert abs(unchanged - 0.1) < 0.01
    # Positions not chosen are untouched.
    assert torch.equal(masked[~chosen], ids[~chosen])


def test_specials_never_masked_and_random_tokens_never_special():
    ids = batch(seed=3)
    masked, labels = MlmMasker(V, MASK, SPECIALS)(ids, torch.Generator().manual_seed(2))
    special = torch.isin(ids, torch.tensor(SPECIALS))
    assert (labels[special] == IGNORE_INDEX).all()
    assert torch.equal(masked[special], ids[special])
    replaced = (labels != IGNORE_INDEX) & (masked != MASK) & (masked != ids)
    assert replaced.sum() > 100
    assert not torch.isin(masked[replaced], torch.tensor(SPECIALS)).any()


def test_configurable_fractions():
    ids = batch(seed=4)
    masker = MlmMasker(
        V, MASK, SPECIALS, mlm_probability=0.3, mask_token_fraction=1.0, random_token_fraction=0.0
    )
    masked, labels = masker(ids, torch.Generator().manual_seed(0))
    chosen = labels != IGNORE_INDEX
    maskable = ~torch.isin(ids, torch.tensor(SPECIALS))
    assert abs(chosen.sum().item() / maskable.sum().item() - 0.3) < 0.006
    assert (masked[chosen] == MASK).all()


def test_deterministic_for_a_seed_and_input_untouched():
    ids = batch(seed=5)
    copy = ids.clone()
    masker = MlmMasker(V, MASK, SPECIALS)
    a = masker(ids, torch.Generator().manual_seed(7))
    b = masker(ids, torch.Generator().manual_seed(7))
    c = masker(ids, torch.Generator().manual_seed(8))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[1], c[1])
    assert torch.equal(ids, copy)


def test_bad_settings_are_refused():
    with pytest.raises(DataError, match="mlm_probability"):
        MlmMasker(V, MASK, SPECIALS, mlm_probability=1.5)
    with pytest.raises(DataError, match="<= 1"):
        MlmMasker(V, MASK, SPECIALS, mask_token_fraction=0.9, random_token_fraction=0.2)


def test_word_start_tables():
    wp = {"[PAD]": 0, "[CLS]": 1, "play": 2, "##ing": 3, "the": 4, "##s": 5}
    assert word_start_table(wp).tolist() == [True, True, True, False, True, False]
    bpe = {"[PAD]": 0, "[CLS]": 1, "Ġplay": 2, "ing": 3, "Ġthe": 4, "s": 5}
    assert word_start_table(bpe).tolist() == [True, True, True, False, True, False]


def test_whole_word_masking_masks_all_pieces_of_a_word():
    rng = np.random.default_rng(0)
    word_start = rng.random(V) < 0.5  # about half the vocabulary continues a word
    word_start[list(SPECIALS)] = True
    ids = batch(rows=128, width=256, seed=6)
    masker = MlmMasker(V, MASK, SPECIALS, word_start=word_start)
    _, labels = masker(ids, torch.Generator().manual_seed(0))
    chosen = (labels != IGNORE_INDEX).numpy()
    ids_np = ids.numpy()
    special = np.isin(ids_np, SPECIALS)
    words = 0
    chosen_words = 0
    for r in range(ids_np.shape[0]):
        start = None
        for c in range(ids_np.shape[1] + 1):
            boundary = (
                c == ids_np.shape[1]
                or special[r, c]
                or word_start[ids_np[r, c]]
                or special[r, c - 1]
            )
            if boundary and start is not None:
                piece = chosen[r, start:c]
                assert piece.all() or not piece.any(), (r, start, c)
                words += 1
                chosen_words += bool(piece.all())
                start = None
            if c < ids_np.shape[1] and not special[r, c] and start is None:
                start = c
    assert abs(chosen_words / words - 0.15) < 0.01
