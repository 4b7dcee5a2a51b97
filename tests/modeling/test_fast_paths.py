"""Every fast path gives the plain path's outputs and gradients (within the dtype's tolerance)."""

from __future__ import annotations

import sys

import pytest
import torch
import torch.nn.functional as F
from kit.modeling import make_batch, mlm_labels, perturb_, small_config

from bert_engine.modeling import (
    BertForMaskedLM,
    BertForPreTraining,
    BertForSequenceClassification,
    BertModel,
    compile_model,
)
from bert_engine.modeling.attention import (
    Unpadded,
    resolve_backend,
    unpadded_attention,
    varlen_available,
)

NO_DROPOUT = dict(hidden_dropout=0.0, attention_dropout=0.0)


def grads(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}


def run_pretraining(model, inputs, labels, nsp, **kwargs):
    model.zero_grad(set_to_none=True)
    out = model(**inputs, mlm_labels=labels, nsp_labels=nsp, **kwargs)
    out.loss.backward()
    return out, grads(model)


def assert_same_grads(a, b, **tol):
    assert a.keys() == b.keys()
    for name in a:
        torch.testing.assert_close(a[name], b[name], msg=lambda m, n=name: f"{n}: {m}", **tol)


def twin_models(cls=BertForPreTraining, config=None, **options):
    """Two models with identical weights; the second gets the runtime options under test."""
    config = config or small_config(**NO_DROPOUT)
    plain = cls(config, unpad=False)
    perturb_(plain)
    fast = cls(config, **options)
    fast.load_state_dict(plain.state_dict())
    return plain.train(), fast.train()


def test_masked_only_decoder_matches_full_logits():
    model = BertForPreTraining(small_config(**NO_DROPOUT)).train()
    perturb_(model)
    inputs = make_batch(model.config, 4, 16, padded=True)
    labels, nsp = mlm_labels(inputs), torch.tensor([0, 1, 1, 0])
    fast, fast_grads = run_pretraining(model, inputs, labels, nsp)
    full, full_grads = run_pretraining(model, inputs, labels, nsp, full_logits=True)
    assert fast.masked_only and not full.masked_only
    picked = labels != -100
    assert fast.mlm_logits.shape == (int(picked.sum()), model.config.vocab_size)
    torch.testing.assert_close(fast.mlm_logits, full.mlm_logits[picked], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(fast.mlm_targets, labels[picked])
    torch.testing.assert_close(fast.loss, full.loss, atol=1e-6, rtol=1e-6)
    assert_same_grads(fast_grads, full_grads, atol=1e-6, rtol=1e-5)


def test_masked_lm_model_masked_only_matches_full():
    model = BertForMaskedLM(small_config(**NO_DROPOUT)).train()
    perturb_(model)
    inputs = make_batch(model.config, 3, 10, padded=True)
    labels = mlm_labels(inputs)
    fast = model(**inputs, labels=labels)
    full = model(**inputs, labels=labels, full_logits=True)
    assert fast.masked_only and fast.logits.shape[0] == int((labels != -100).sum())
    torch.testing.assert_close(fast.loss, full.loss, atol=1e-6, rtol=1e-6)


def test_padding_free_matches_padded():
    plain, fast = twin_models(unpad=True, attention_backend="sdpa")
    inputs = make_batch(plain.config, 5, 19, padded=True, seed=3)
    labels, nsp = mlm_labels(inputs, seed=3), torch.tensor([0, 1, 0, 1, 1])
    assert not bool(inputs["attention_mask"].all())  # the batch really has padding
    out_plain, g_plain = run_pretraining(plain, inputs, labels, nsp)
    out_fast, g_fast = run_pretraining(fast, inputs, labels, nsp)
    torch.testing.assert_close(out_fast.mlm_logits, out_plain.mlm_logits, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(out_fast.nsp_logits, out_plain.nsp_logits, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(out_fast.loss, out_plain.loss, atol=1e-6, rtol=1e-6)
    assert_same_grads(g_fast, g_plain, atol=1e-5, rtol=1e-4)


@pytest.mark.filterwarnings("ignore:flex_attention called without torch.compile")
def test_document_mask_attention_matches_padded_attention():
    """The packed layout's math: attention over all tokens with a block-diagonal document mask
    (what FlexAttention computes) equals per-sequence padded attention, values and gradients.
    FlexAttention itself runs forward-only on CPU; its backward is checked on CUDA."""
    mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 0, 0, 0], [1, 1, 1, 0, 0]])
    where = Unpadded.from_mask(mask)
    qkv = torch.randn(int(mask.sum()), 3, 2, 8, requires_grad=True)
    padded = unpadded_attention(*qkv.unbind(1), where, 0.0, "sdpa")
    (g_padded,) = torch.autograd.grad(padded.square().sum(), qkv)
    q, k, v = (t.transpose(0, 1) for t in qkv.unbind(1))  # [heads, tokens, d]
    packed = F.scaled_dot_product_attention(q, k, v, attn_mask=where.document_mask())
    packed = packed.transpose(0, 1)
    (g_packed,) = torch.autograd.grad(packed.square().sum(), qkv)
    torch.testing.assert_close(packed, padded, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(g_packed, g_padded, atol=1e-5, rtol=1e-5)
    flex = unpadded_attention(*qkv.detach().unbind(1), where, 0.0, "flex")
    torch.testing.assert_close(flex, padded.detach(), atol=1e-5, rtol=1e-5)


@pytest.mark.filterwarnings("ignore:flex_attention called without torch.compile")
def test_flex_backend_model_forward_matches_padded():
    plain, fast = twin_models(BertModel, unpad=True, attention_backend="flex")
    plain.eval(), fast.eval()
    inputs = make_batch(plain.config, 4, 13, padded=True, seed=5)
    mask = inputs["attention_mask"].bool()
    with torch.no_grad():
        got, expected = fast(**inputs), plain(**inputs)
    torch.testing.assert_close(got.last_hidden_state[mask], expected.last_hidden_state[mask])
    torch.testing.assert_close(got.pooled_output, expected.pooled_output)


def test_unpadded_layout_holds_only_real_tokens():
    mask = torch.tensor([[1, 1, 1, 0], [1, 1, 0, 0], [1, 1, 1, 1]])
    where = Unpadded.from_mask(mask)
    assert where.cu_seqlens.tolist() == [0, 3, 5, 9]
    assert where.max_len == 4
    x = torch.arange(12.0).view(3, 4)
    packed = where.unpad(x)
    assert packed.tolist() == [0.0, 1.0, 2.0, 4.0, 5.0, 8.0, 9.0, 10.0, 11.0]
    assert where.pad(packed).tolist() == (x * mask).tolist()


def test_left_padding_falls_back_to_padded_path():
    plain, fast = twin_models(BertModel, unpad=True)
    plain.eval(), fast.eval()
    inputs = make_batch(plain.config, 3, 8, padded=True)
    inputs = {k: v.flip(1) for k, v in inputs.items()}  # left padding: pad first, then tokens
    inputs["input_ids"][:, -1] = 2
    torch.testing.assert_close(fast(**inputs).last_hidden_state, plain(**inputs).last_hidden_state)


def test_gradient_checkpointing_matches_with_dropout_on():
    config = small_config(hidden_dropout=0.2, attention_dropout=0.2)
    plain, fast = twin_models(config=config, gradient_checkpointing=True)
    inputs = make_batch(config, 3, 12, padded=True)
    labels, nsp = mlm_labels(inputs), torch.tensor([1, 0, 1])
    fast.bert.unpad = plain.bert.unpad
    torch.manual_seed(7)
    out_plain, g_plain = run_pretraining(plain, inputs, labels, nsp)
    torch.manual_seed(7)  # checkpointing replays the same dropout masks in backward
    out_fast, g_fast = run_pretraining(fast, inputs, labels, nsp)
    torch.testing.assert_close(out_fast.loss, out_plain.loss, atol=0, rtol=0)
    assert_same_grads(g_fast, g_plain, atol=1e-6, rtol=1e-5)


def test_bf16_autocast_close_to_fp32():
    plain, fast = twin_models(BertForSequenceClassification, unpad=True)
    inputs = make_batch(plain.config, 6, 14, padded=True)
    labels = torch.tensor([0, 1, 1, 0, 1, 0])
    ref = plain(**inputs, labels=labels)
    ref.loss.backward()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        low = fast(**inputs, labels=labels)
    low.loss.backward()
    assert low.logits.dtype == torch.bfloat16
    # bf16 keeps 8 bits of mantissa: about 0.4% per op, a few percent through the stack.
    torch.testing.assert_close(low.logits.float(), ref.logits, atol=3e-2, rtol=3e-2)
    torch.testing.assert_close(low.loss.float(), ref.loss, atol=2e-2, rtol=2e-2)
    # Gradients keep their direction: cosine similarity with the fp32 gradient near 1 overall,
    # and per tensor (small tensors such as the token-type table collect more rounding noise).
    pairs = [
        (q.grad.float().flatten(), p.grad.flatten())
        for p, q in zip(plain.parameters(), fast.parameters(), strict=True)
    ]
    whole = F.cosine_similarity(
        torch.cat([a for a, _ in pairs]), torch.cat([b for _, b in pairs]), dim=0
    )
    assert whole > 0.99
    for (name, _), (a, b) in zip(plain.named_parameters(), pairs, strict=True):
        cos = F.cosine_similarity(a, b, dim=0)
        assert cos > 0.9, f"{name}: gradient cosine similarity {cos:.4f}"


def test_compile_switch_matches_eager():
    # aot_eager runs the full torch.compile capture (Dynamo + AOTAutograd) without the C++
    # toolchain; fullgraph=True fails if any layer would fall back to eager.
    plain, fast = twin_models(unpad=True)
    compile_model(fast, backend="aot_eager", fullgraph=True)
    inputs = make_batch(plain.config, 4, 12, padded=True)
    labels, nsp = mlm_labels(inputs), torch.tensor([0, 1, 1, 0])
    out_plain, g_plain = run_pretraining(plain, inputs, labels, nsp)
    out_fast, g_fast = run_pretraining(fast, inputs, labels, nsp)
    torch.testing.assert_close(out_fast.loss, out_plain.loss, atol=1e-6, rtol=1e-6)
    assert_same_grads(
        {k.replace("_orig_mod.", ""): v for k, v in g_fast.items()}, g_plain, atol=1e-5, rtol=1e-4
    )


def test_fused_qkv_holds_query_key_value_in_order():
    transformers = pytest.importorskip("transformers")
    from bert_engine.modeling.hf import hf_state_dict_to_ours

    config = small_config()
    fields = {k: v for k, v in config.to_hf_dict().items() if k != "model_type"}
    theirs = transformers.BertModel(transformers.BertConfig(**fields))
    ours = BertModel(config)
    state, report = hf_state_dict_to_ours(ours, theirs.state_dict())
    assert report.ok
    h = config.hidden_size
    hf_self = theirs.encoder.layer[1].attention.self
    fused = state["encoder.layers.1.attention.qkv.weight"]
    assert torch.equal(fused[:h], hf_self.query.weight)
    assert torch.equal(fused[h : 2 * h], hf_self.key.weight)
    assert torch.equal(fused[2 * h :], hf_self.value.weight)


def test_backend_choice_and_errors():
    qkv = torch.zeros(4, 3, 2, 8)
    assert resolve_backend("auto", qkv, 0.0) == "sdpa"  # varlen flash needs CUDA + half
    assert resolve_backend("auto", qkv, 0.1) == "sdpa"
    with pytest.raises(ValueError, match="attention dropout"):
        resolve_backend("flex", qkv, 0.1)
    with pytest.raises(ValueError, match="no backward on CPU"):
        resolve_backend("flex", qkv.requires_grad_(), 0.0)
    with pytest.raises(ValueError, match="attention_backend"):
        BertModel(small_config(), attention_backend="magic")


def test_varlen_missing_from_torch_gives_a_clear_error(monkeypatch):
    # torch 2.4 (our lowest) has no torch.nn.attention.varlen: "auto" must not pick it, and an
    # explicit choice must say what to do instead of failing on an import deep in a forward.
    assert varlen_available()  # the torch this suite runs on has it
    monkeypatch.setitem(sys.modules, "torch.nn.attention.varlen", None)
    assert not varlen_available()
    q = torch.zeros(6, 2, 8)
    where = Unpadded.from_mask(torch.tensor([[1, 1, 1, 1], [1, 1, 0, 0]]))
    with pytest.raises(ValueError, match="upgrade torch or use attention_backend='auto'"):
        unpadded_attention(q, q, q, where, 0.0, "varlen")
    monkeypatch.setitem(sys.modules, "torch.nn.attention.flex_attention", None)
    with pytest.raises(ValueError, match="FlexAttention .torch >= 2.5."):
        unpadded_attention(q, q, q, where, 0.0, "flex")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="varlen and flex need CUDA")
@pytest.mark.parametrize("backend", ["varlen", "flex"])
def test_cuda_padding_free_backends_match_padded_in_bf16(backend):
    plain, fast = twin_models(unpad=True, attention_backend=backend)
    plain.cuda(), fast.cuda()
    inputs = {k: v.cuda() for k, v in make_batch(plain.config, 4, 24, padded=True).items()}
    labels = mlm_labels({k: v.cpu() for k, v in inputs.items()}).cuda()
    nsp = torch.tensor([0, 1, 1, 0], device="cuda")
    with torch.autocast("cuda", dtype=torch.bfloat16):
        out_plain, g_plain = run_pretraining(plain, inputs, labels, nsp)
        out_fast, g_fast = run_pretraining(fast, inputs, labels, nsp)
    torch.testing.assert_close(out_fast.loss, out_plain.loss, atol=2e-2, rtol=2e-2)
    for name in g_plain:
        err = (g_fast[name] - g_plain[name]).norm() / g_plain[name].norm().clamp_min(1e-8)
        assert err < 0.05, name
