"""The backbone and the task models.

`BertModel.encode` is where the fast paths meet: when a batch has padding, the real tokens are
packed together (`Unpadded`) before the embeddings, so every dense layer skips the padding and
heads pick what they need (masked positions, [CLS]) straight from the packed tokens.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import torch
import torch.nn.functional as F
from torch import nn

from bert_engine.schema.bert import BertConfig

from .attention import BACKENDS, Unpadded
from .embeddings import Embeddings
from .encoder import Encoder, EncoderLayer
from .heads import ClassificationHead, MaskedLMHead, NextSentenceHead
from .pooler import Pooler

IGNORE_INDEX = -100  # label value for tokens that are not predicted (PyTorch's and HF's default)
# How a classifier turns the encoder's output into one vector per sequence: "cls" = the [CLS]
# state through the pooler (BERT's, HF-compatible); "mean" = the mean over real tokens
# (Cramming: an MLM-only pre-training never trains the pooler).
POOLINGS = ("cls", "mean")


def init_weights(module: nn.Module, std: float) -> None:
    """BERT's init: normal(0, std) weights, zero biases, unit LayerNorm, zero [PAD] row."""
    if isinstance(module, nn.Linear):
        nn.init.normal_(module.weight, mean=0.0, std=std)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.Embedding):
        nn.init.normal_(module.weight, mean=0.0, std=std)
        if module.padding_idx is not None:
            with torch.no_grad():
                module.weight[module.padding_idx].zero_()
    elif isinstance(module, nn.LayerNorm):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)
    elif isinstance(module, MaskedLMHead):
        nn.init.zeros_(module.bias)


@dataclass
class Encoded:
    """The encoder's output in whichever layout it ran (see attention.py)."""

    hidden: torch.Tensor  # [batch, length, hidden] padded, or [tokens, hidden] unpadded
    unpadded: Unpadded | None

    def first_tokens(self) -> torch.Tensor:
        """Hidden state of each sequence's first token ([CLS]): [batch, hidden]."""
        if self.unpadded is None:
            return self.hidden[:, 0]
        return self.hidden[self.unpadded.cu_seqlens[:-1].long()]

    def padded(self) -> torch.Tensor:
        return self.hidden if self.unpadded is None else self.unpadded.pad(self.hidden)

    def flat(self, per_token: torch.Tensor) -> torch.Tensor:
        """A [batch, length] tensor (e.g. labels) flattened in the same token order as `hidden`."""
        if self.unpadded is None:
            return per_token.flatten()
        return per_token.flatten()[self.unpadded.indices]

    def flat_hidden(self) -> torch.Tensor:
        return self.hidden.flatten(0, 1) if self.unpadded is None else self.hidden

    def mean_tokens(self, attention_mask: torch.Tensor | None) -> torch.Tensor:
        """Mean final state of each sequence's real tokens (no padding): [batch, hidden]."""
        if self.unpadded is not None:
            lengths = self.unpadded.cu_seqlens.diff().long()
            seq = torch.repeat_interleave(
                torch.arange(len(lengths), device=lengths.device), lengths
            )
            sums = self.hidden.new_zeros(len(lengths), self.hidden.shape[-1])
            sums = sums.index_add(0, seq, self.hidden)
            return sums / lengths.clamp(min=1)[:, None].to(sums.dtype)
        if attention_mask is None:
            return self.hidden.mean(dim=1)
        mask = attention_mask[:, :, None].to(self.hidden.dtype)
        return (self.hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1)


@dataclass
class Layout:
    """A batch's ids as the encoder takes them: [batch, length] padded, or [tokens] packed."""

    input_ids: torch.Tensor
    token_type_ids: torch.Tensor
    position_ids: torch.Tensor
    key_mask: torch.Tensor | None  # padded layout with padding: [batch, 1, 1, length]
    unpadded: Unpadded | None


@dataclass
class BertOutput:
    last_hidden_state: torch.Tensor  # [batch, length, hidden]
    pooled_output: torch.Tensor | None  # [batch, hidden]


@dataclass
class PreTrainingOutput:
    loss: torch.Tensor | None
    mlm_logits: torch.Tensor  # [batch, length, vocab], or [masked, vocab] when masked_only
    nsp_logits: torch.Tensor  # [batch, 2]
    mlm_loss: torch.Tensor | None = None
    nsp_loss: torch.Tensor | None = None
    masked_only: bool = False
    mlm_targets: torch.Tensor | None = None  # [masked] labels aligned with masked-only logits


@dataclass
class MaskedLMOutput:
    loss: torch.Tensor | None
    logits: torch.Tensor  # [batch, length, vocab], or [masked, vocab] when masked_only
    masked_only: bool = False
    targets: torch.Tensor | None = None  # [masked] labels aligned with masked-only logits


@dataclass
class ClassifierOutput:
    loss: torch.Tensor | None
    logits: torch.Tensor  # [batch, num_labels]


class BertModel(nn.Module):
    """The backbone: embeddings, encoder, and (optionally) the pooler.

    Runtime switches (not part of the architecture, not saved):
      unpad              skip padding in all dense layers when the batch is right-padded
      attention_backend  'auto' | 'sdpa' | 'varlen' | 'flex' for the unpadded layout
      gradient_checkpointing  recompute layer activations in backward to save memory
    """

    def __init__(
        self,
        config: BertConfig,
        *,
        add_pooler: bool = True,
        unpad: bool = True,
        attention_backend: str = "auto",
        gradient_checkpointing: bool = False,
    ) -> None:
        super().__init__()
        if attention_backend not in BACKENDS:
            raise ValueError(
                f"unknown attention_backend {attention_backend!r}; choose one of {BACKENDS}"
            )
        self.config = config
        self.unpad = unpad
        self.attention_backend = attention_backend
        self.embeddings = Embeddings(config)
        self.encoder = Encoder(config, attention_backend)
        self.pooler = Pooler(config) if add_pooler else None
        self.encoder.gradient_checkpointing = gradient_checkpointing
        self.apply(partial(init_weights, std=config.initializer_range))

    def set_gradient_checkpointing(self, enabled: bool = True) -> None:
        self.encoder.gradient_checkpointing = enabled

    def encode(
        self,
        input_ids: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
    ) -> Encoded:
        layout = self.layout(input_ids, token_type_ids, attention_mask)
        x = self.embeddings(layout.input_ids, layout.token_type_ids, layout.position_ids)
        return Encoded(self.encoder(x, layout.key_mask, layout.unpadded), layout.unpadded)

    def attentions(
        self,
        input_ids: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
    ) -> list[torch.Tensor]:
        """Each layer's attention probabilities, [batch, heads, length, length] (a row: how a
        query token spreads its attention over the keys; padding keys get 0). A separate,
        padded pass with the softmax spelled out: the training path is untouched."""
        check_inputs(self.config, input_ids, token_type_ids, attention_mask)
        batch, length = input_ids.shape
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        position_ids = torch.arange(length, device=input_ids.device).expand(batch, length)
        key_mask = None if attention_mask is None else attention_mask.bool()[:, None, None, :]
        x = self.embeddings(input_ids, token_type_ids, position_ids)
        found = []
        for layer in self.encoder.layers:
            x, probabilities = layer.with_probabilities(x, key_mask)
            found.append(probabilities)
        return found

    def layout(
        self,
        input_ids: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
    ) -> Layout:
        """The inputs in the layout the encoder runs in (packed when right-padded)."""
        check_inputs(self.config, input_ids, token_type_ids, attention_mask)
        batch, length = input_ids.shape
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        position_ids = torch.arange(length, device=input_ids.device).expand(batch, length)
        unpadded = None
        if attention_mask is not None and self.unpad and _is_right_padded(attention_mask):
            unpadded = Unpadded.from_mask(attention_mask).prepare(self.attention_backend)
            input_ids, token_type_ids, position_ids = (
                unpadded.unpad(t) for t in (input_ids, token_type_ids, position_ids)
            )
        key_mask = None
        if attention_mask is not None and unpadded is None and not bool(attention_mask.all()):
            key_mask = attention_mask.bool()[:, None, None, :]
        return Layout(input_ids, token_type_ids, position_ids, key_mask, unpadded)

    def pool(self, encoded: Encoded) -> torch.Tensor:
        if self.pooler is None:
            raise ValueError("this backbone was built with add_pooler=False; it has no pooler")
        return self.pooler(encoded.first_tokens())

    def forward(
        self,
        input_ids: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
    ) -> BertOutput:
        encoded = self.encode(input_ids, token_type_ids, attention_mask)
        pooled = self.pool(encoded) if self.pooler is not None else None
        return BertOutput(encoded.padded(), pooled)


class FillsMasks:
    """`mask_logits` for a model with a `bert` backbone and an `mlm` head tied to its words."""

    bert: BertModel
    mlm: MaskedLMHead

    def mask_logits(
        self,
        input_ids: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Vocabulary logits at every position, [batch, length, vocab] (fill-mask, probes)."""
        encoded = self.bert.encode(input_ids, token_type_ids, attention_mask)
        return self.mlm(encoded.padded(), self.bert.embeddings.word.weight)


class BertForPreTraining(FillsMasks, nn.Module):
    """BERT pre-training: masked-LM + next-sentence prediction; loss = mean MLM CE + NSP CE."""

    def __init__(self, config: BertConfig, **backbone_options: object) -> None:
        super().__init__()
        self.config = config
        self.bert = BertModel(config, **backbone_options)  # type: ignore[arg-type]
        self.mlm = MaskedLMHead(config)
        self.nsp = NextSentenceHead(config)
        self.apply(partial(init_weights, std=config.initializer_range))

    def forward(
        self,
        input_ids: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        mlm_labels: torch.Tensor | None = None,
        nsp_labels: torch.Tensor | None = None,
        full_logits: bool = False,
    ) -> PreTrainingOutput:
        encoded = self.bert.encode(input_ids, token_type_ids, attention_mask)
        nsp_logits = self.nsp(self.bert.pool(encoded))
        mlm = _masked_lm(self.mlm, self.bert, encoded, mlm_labels, full_logits, self.training)
        nsp_loss = None if nsp_labels is None else F.cross_entropy(nsp_logits, nsp_labels)
        if mlm.loss is not None and nsp_loss is not None:
            loss = mlm.loss + nsp_loss
        else:  # one of the two objectives, or none
            loss = mlm.loss if mlm.loss is not None else nsp_loss
        return PreTrainingOutput(
            loss=loss,
            mlm_logits=mlm.logits,
            nsp_logits=nsp_logits,
            mlm_loss=mlm.loss,
            nsp_loss=nsp_loss,
            masked_only=mlm.masked_only,
            mlm_targets=mlm.targets,
        )


class BertForMaskedLM(FillsMasks, nn.Module):
    """Masked-LM only (RoBERTa style): no pooler, no NSP."""

    def __init__(self, config: BertConfig, **backbone_options: object) -> None:
        super().__init__()
        self.config = config
        self.bert = BertModel(config, add_pooler=False, **backbone_options)  # type: ignore[arg-type]
        self.mlm = MaskedLMHead(config)
        self.apply(partial(init_weights, std=config.initializer_range))

    def forward(
        self,
        input_ids: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        full_logits: bool = False,
    ) -> MaskedLMOutput:
        encoded = self.bert.encode(input_ids, token_type_ids, attention_mask)
        return _masked_lm(self.mlm, self.bert, encoded, labels, full_logits, self.training)


class BertForSequenceClassification(nn.Module):
    """Pooled sequence -> classifier. Texts or text pairs (token_type_ids), any number of labels.

    pooling="cls" (default, as BERT and HF): the [CLS] state through the pooler (dense + tanh);
    pooling="mean": the mean of the real tokens' final states, no pooler.

    Loss: cross-entropy for integer labels, MSE when num_labels == 1 (regression),
    BCE-with-logits for float multi-hot labels (multi-label), as HuggingFace does.
    """

    def __init__(
        self,
        config: BertConfig,
        num_labels: int = 2,
        *,
        label_names: list[str] | None = None,
        classifier_dropout: float | None = None,
        pooling: str = "cls",
        **backbone_options: object,
    ) -> None:
        super().__init__()
        if pooling not in POOLINGS:
            raise ValueError(f"unknown pooling {pooling!r}; choose one of {POOLINGS}")
        if num_labels < 1:
            raise ValueError(f"num_labels must be at least 1, got {num_labels}")
        if label_names is not None and len(label_names) != num_labels:
            raise ValueError(
                f"label_names has {len(label_names)} names but num_labels is {num_labels}"
            )
        self.config = config
        self.num_labels = num_labels
        self.label_names = label_names
        self.pooling = pooling
        self.bert = BertModel(config, add_pooler=pooling == "cls", **backbone_options)  # type: ignore[arg-type]
        self.classifier = ClassificationHead(config, num_labels, classifier_dropout)
        self.apply(partial(init_weights, std=config.initializer_range))

    def forward(
        self,
        input_ids: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
    ) -> ClassifierOutput:
        encoded = self.bert.encode(input_ids, token_type_ids, attention_mask)
        if self.pooling == "mean":
            pooled = encoded.mean_tokens(attention_mask)
        else:
            pooled = self.bert.pool(encoded)
        logits = self.classifier(pooled)
        loss = None
        if labels is not None:
            if self.num_labels == 1:
                loss = F.mse_loss(logits.squeeze(-1), labels.to(logits.dtype).view(-1))
            elif labels.is_floating_point():
                loss = F.binary_cross_entropy_with_logits(logits, labels.to(logits.dtype))
            else:
                loss = F.cross_entropy(logits, labels.view(-1))
        return ClassifierOutput(loss, logits)


def _masked_lm(
    head: MaskedLMHead,
    bert: BertModel,
    encoded: Encoded,
    labels: torch.Tensor | None,
    full_logits: bool,
    training: bool,
) -> MaskedLMOutput:
    """MLM logits and loss. In training with labels, the decoder (hidden x vocab, the largest
    matmul of a small BERT) runs only on masked positions; the loss is the same mean CE."""
    words = bert.embeddings.word.weight
    if labels is not None and training and not full_logits:
        targets = encoded.flat(labels)
        picked = (targets != IGNORE_INDEX).nonzero().squeeze(1)
        logits = head(encoded.flat_hidden()[picked], words)
        targets = targets[picked]
        loss = F.cross_entropy(logits.float(), targets) if picked.numel() else logits.sum() * 0
        return MaskedLMOutput(loss, logits, masked_only=True, targets=targets)
    logits = head(encoded.padded(), words)
    loss = None
    if labels is not None:
        loss = F.cross_entropy(logits.flatten(0, 1).float(), labels.flatten())
    return MaskedLMOutput(loss, logits)


def _is_right_padded(attention_mask: torch.Tensor) -> bool:
    """True when padding exists and sits only at the end of rows (what unpadding assumes)."""
    m = attention_mask.bool()
    return bool((~m).any() and m[:, 0].all() and (m[:, 1:] <= m[:, :-1]).all())


def check_inputs(
    config: BertConfig,
    input_ids: torch.Tensor,
    token_type_ids: torch.Tensor | None,
    attention_mask: torch.Tensor | None,
) -> None:
    """Clear errors for malformed batches instead of an index error deep inside the model."""
    if input_ids.dim() != 2:
        raise ValueError(f"input_ids must be [batch, length], got shape {tuple(input_ids.shape)}")
    if input_ids.dtype not in (torch.int64, torch.int32):
        raise ValueError(f"input_ids must be an integer tensor, got {input_ids.dtype}")
    length = input_ids.shape[1]
    if length > config.max_position_embeddings:
        raise ValueError(
            f"sequence length {length} exceeds max_position_embeddings "
            f"({config.max_position_embeddings}); truncate the inputs"
        )
    for name, t in (("token_type_ids", token_type_ids), ("attention_mask", attention_mask)):
        if t is not None and t.shape != input_ids.shape:
            raise ValueError(
                f"{name} has shape {tuple(t.shape)} but input_ids has {tuple(input_ids.shape)}"
            )
    if input_ids.numel() and (input_ids.min() < 0 or input_ids.max() >= config.vocab_size):
        raise ValueError(
            f"input_ids must lie in [0, {config.vocab_size}) (vocab_size); got values in "
            f"[{int(input_ids.min())}, {int(input_ids.max())}]; does the tokenizer match the model?"
        )
    if token_type_ids is not None and token_type_ids.numel():
        if token_type_ids.min() < 0 or token_type_ids.max() >= config.type_vocab_size:
            raise ValueError(
                f"token_type_ids must lie in [0, {config.type_vocab_size}) (type_vocab_size)"
            )
    if attention_mask is not None and attention_mask.numel():
        if not bool(attention_mask.bool().any(dim=1).all()):
            raise ValueError("attention_mask has a row with no real token; drop empty sequences")


def compile_model(model: nn.Module, **compile_options: object) -> nn.Module:
    """The torch.compile switch: compile each encoder layer in place (regional compilation).

    Per-layer compilation keeps the data-dependent unpadding and masked-position gathering
    outside the compiled graphs (no graph breaks) and compiles one layer's code for all layers.
    Returns the same model for chaining.
    """
    for module in model.modules():
        if isinstance(module, EncoderLayer):
            module.compile(**compile_options)  # type: ignore[arg-type]
    return model
