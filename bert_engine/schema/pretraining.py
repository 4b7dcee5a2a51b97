"""The pre-training sections of a preset: `[tokenizer]`, `[model]`, `[data]`, `[pretrain]`."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from bert_engine.schema.bert import SIZES, BertConfig
from bert_engine.schema.common import PATH_RULE, STRICT


class TokenizerSettings(BaseModel):
    """Train a tokenizer on the corpus, or load an existing one with `path`."""

    model_config = STRICT

    path: str | None = Field(
        None,
        description="An existing tokenizer.json, vocab.txt or a folder holding one. When set, "
        "nothing is trained and the other fields are ignored. " + PATH_RULE,
    )
    kind: Literal["wordpiece", "bpe"] = Field(
        "wordpiece", description="WordPiece (BERT) or byte-level BPE (RoBERTa/GPT style)."
    )
    vocab_size: int = Field(
        30522, ge=16, le=1_048_576, description="Target vocabulary size in tokens."
    )
    min_frequency: int = Field(
        2,
        ge=1,
        le=1_000_000_000,
        description="Minimum number of occurrences for a merge or word piece.",
    )
    lowercase: bool = Field(True, description="WordPiece: lowercase the text first.")
    strip_accents: bool | None = Field(
        None, description="WordPiece: remove accents (default: when lowercasing)."
    )
    limit_alphabet: int = Field(
        1000,
        ge=1,
        le=1_048_576,
        description="WordPiece: most frequent characters kept in the alphabet.",
    )
    pattern: Literal["gpt2", "gpt4"] = Field(
        "gpt2", description="BPE: the pre-tokenization regex (GPT-2 or GPT-4 style)."
    )
    source: str | None = Field(
        None,
        description="Corpus to train the tokenizer on (same spec as data.source); default: "
        "data.source. " + PATH_RULE,
    )
    max_documents: int | None = Field(
        None, ge=1, le=10**12, description="Train on at most this many documents (default: all)."
    )


class ModelSettings(BaseModel):
    """The BERT architecture: a standard size, optionally with overrides."""

    model_config = STRICT

    size: Literal["tiny", "mini", "small", "medium", "base", "large"] = Field(
        "base",
        description="Standard size: "
        + ", ".join(f"{k} {v[0]}x{v[1]}" for k, v in SIZES.items())
        + " (layers x hidden).",
    )
    objective: Literal["mlm+nsp", "mlm", "electra"] = Field(
        "mlm+nsp",
        description="mlm+nsp: BERT (masked LM + next-sentence prediction); mlm: RoBERTa style; "
        "electra: replaced-token detection (Clark et al. 2020): a small generator fills the "
        "masked tokens, the model learns from every token which were replaced.",
    )
    generator_fraction: float = Field(
        0.25,
        gt=0.0,
        le=1.0,
        description="electra: the generator's share of the model's attention heads and "
        "feed-forward width (same depth and head size); ELECTRA-Small uses 1/4.",
    )
    discriminator_weight: float = Field(
        50.0,
        gt=0.0,
        le=1000.0,
        description="electra: weight of the replaced-token loss against the generator's "
        "masked-LM loss (the paper's lambda = 50).",
    )
    num_layers: int | None = Field(None, ge=1, le=128, description="Override: encoder layers.")
    hidden_size: int | None = Field(None, ge=8, le=16384, description="Override: hidden size.")
    num_heads: int | None = Field(None, ge=1, le=256, description="Override: attention heads.")
    intermediate_size: int | None = Field(
        None, ge=8, le=262_144, description="Override: feed-forward size (default 4 x hidden)."
    )
    hidden_dropout: float = Field(0.1, ge=0.0, lt=1.0, description="Dropout probability.")
    attention_dropout: float = Field(
        0.1, ge=0.0, lt=1.0, description="Attention dropout probability."
    )
    max_position_embeddings: int = Field(
        512, ge=8, le=65536, description="Longest sequence the model can read, in tokens."
    )
    vocab_size: int | None = Field(
        None,
        ge=16,
        le=1_048_576,
        description="Embedding rows; default and recommended: the tokenizer's size.",
    )

    def bert_config(self, vocab_size: int) -> BertConfig:
        """The model's `BertConfig` for a tokenizer of `vocab_size` tokens."""
        layers, hidden, heads = SIZES[self.size]
        hidden = self.hidden_size or hidden
        return BertConfig(
            vocab_size=self.vocab_size or vocab_size,
            num_layers=self.num_layers or layers,
            hidden_size=hidden,
            num_heads=self.num_heads or heads,
            intermediate_size=self.intermediate_size or 4 * hidden,
            hidden_dropout=self.hidden_dropout,
            attention_dropout=self.attention_dropout,
            max_position_embeddings=self.max_position_embeddings,
        )


class DataSettings(BaseModel):
    """The pre-training corpus and how examples are cut and masked."""

    model_config = STRICT

    source: str = Field(
        "demo",
        description='"demo" (built-in offline corpus), "hf:NAME" (hub dataset), or a file, '
        "folder or glob (.txt/.jsonl/.csv/.tsv/.parquet, optionally .gz). " + PATH_RULE,
    )
    text_column: str = Field("text", description="Column holding the text (jsonl/csv/parquet).")
    doc_mode: Literal["blank_line", "line"] = Field(
        "blank_line",
        description="Text files: documents separated by blank lines, or one per line.",
    )
    hub_config: str | None = Field(None, description="hf: sources: the dataset configuration.")
    hub_split: str = Field("train", description="hf: sources: the split to read.")
    cache_dir: str | None = Field(
        None,
        description="Where tokenized shards are cached (default: $BERTBENCH_CACHE or "
        "~/.cache/bertbench). " + PATH_RULE,
    )
    max_seq_len: int = Field(
        128, ge=8, le=65536, description="Tokens per training sequence, specials included."
    )
    short_seq_prob: float = Field(
        0.1, ge=0.0, le=1.0, description="Probability of a shorter random target length."
    )
    mlm_probability: float = Field(
        0.15, gt=0.0, lt=1.0, description="Fraction of tokens chosen for masked-LM prediction."
    )
    whole_word_masking: bool = Field(False, description="Mask all pieces of a word together.")
    pack: bool = Field(
        False, description="MLM only: join documents and cut full rows (no padding)."
    )
    batch_size: int = Field(32, ge=1, le=65536, description="Sequences per micro-batch.")
    held_out_fraction: float = Field(
        0.01,
        ge=0.0,
        le=0.5,
        description="Fraction of documents (the last ones) kept out of training for evaluation.",
    )
    eval_batches: int = Field(
        20, ge=1, description="Held-out batches per evaluation (a fixed set, same every time)."
    )
    workers: int | None = Field(
        None, ge=1, le=64, description="Processes that tokenize the corpus (default: CPUs, <=8)."
    )


class PretrainSettings(BaseModel):
    """The pre-training recipe."""

    model_config = STRICT

    max_steps: int = Field(1000, ge=1, le=10**9, description="Optimizer steps to train.")
    max_minutes: float | None = Field(
        None,
        gt=0.0,
        le=525_600.0,
        description="Wall-clock budget (pauses excluded): stop after this many minutes even "
        "before max_steps; the lr schedule then decays by time. Empty: steps only.",
    )
    lr: float = Field(1e-4, gt=0.0, le=1.0, description="Peak learning rate (AdamW).")
    warmup_steps: int = Field(
        100, ge=0, le=10**9, description="Steps of linear warm-up to the peak."
    )
    schedule: Literal["linear", "cosine", "constant"] = Field(
        "linear", description="Decay after warm-up."
    )
    weight_decay: float = Field(0.01, ge=0.0, le=1.0, description="AdamW weight decay.")
    clip_grad_norm: float = Field(
        1.0,
        ge=0.0,
        le=1e6,
        description="Clip the gradient norm to this value; 0 turns clipping off.",
    )
    grad_accum_steps: int = Field(1, ge=1, le=4096, description="Micro-batches per optimizer step.")
    log_every: int = Field(10, ge=1, le=10**9, description="Steps between progress events.")
    eval_every: int = Field(
        200, ge=0, le=10**9, description="Steps between held-out evaluations; 0: only at the end."
    )
    probes: list[str] = Field(
        [],
        max_length=50,
        description="Fill-mask probe sentences, each with one [MASK] ([MASK:word] records the "
        "true word); their top predictions are recorded at every evaluation. Empty: "
        "probe_count sentences are picked from the held-out split. In a form: separate "
        "sentences with |.",
    )
    probe_count: int = Field(
        5,
        ge=0,
        le=50,
        description="Probe sentences picked from the held-out split when probes is empty; "
        "0: no probes.",
    )
    checkpoint_every: int = Field(
        500, ge=0, le=10**9, description="Steps between checkpoints; 0: only at the end."
    )
    keep_last: int = Field(
        2, ge=1, le=1000, description="Newest checkpoints kept (the best is kept too)."
    )
    seed: int = Field(
        0, ge=0, le=2**32 - 1, description="Seed of every random stream (data, init, dropout)."
    )
    device: str = Field(
        "auto", description='"auto" (cuda, mps, cpu), "cpu", "cuda", "cuda:1", "mps".'
    )
    precision: Literal["auto", "fp32", "bf16", "fp16"] = Field(
        "auto", description="auto: bf16 on CUDA GPUs that support it, else fp32."
    )
    compile: bool = Field(False, description="torch.compile the encoder layers (GPU).")
    ignore_memory_check: bool = Field(
        False,
        description="Start even when the memory estimate exceeds the device's free memory "
        "(see docs/training.md).",
    )
    init_from: str | None = Field(
        None,
        description="Start from the weights of another run (folder) or checkpoint instead of "
        "a random init (e.g. phase 2 from phase 1). " + PATH_RULE,
    )
