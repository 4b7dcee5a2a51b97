"""ELECTRA pre-training (Clark et al. 2020): replaced-token detection.

A small generator (a narrower BERT encoder on the *shared* token, position and segment
embeddings) fills the masked positions with tokens sampled from its masked-LM; the
discriminator (a full `BertModel`, `self.bert`) reads the corrupted text and predicts, for
every real token, whether it was replaced. The discriminator learns from all tokens instead of
the 15% that were masked, which is why ELECTRA gains most for small models.

    loss = generator MLM cross-entropy + discriminator_weight * replaced-token BCE

Sampling is not differentiated (as in the paper): the generator learns only from its MLM loss.
A position where the generator happened to sample the original token counts as original.
The discriminator backbone is what fine-tuning and export use (weights under `bert.`, the same
names as every other model here); the generator and the detection head are left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import torch
import torch.nn.functional as F
from torch import nn

from bert_engine.schema.bert import BertConfig

from .encoder import Encoder
from .models import IGNORE_INDEX, BertModel, Encoded, init_weights


def generator_config(config: BertConfig, fraction: float) -> BertConfig:
    """The generator's shape: `fraction` of the discriminator's heads (at least one) at the
    same head size, and `fraction` of its feed-forward width; same depth (as ELECTRA-Small)."""
    heads = max(1, round(config.num_heads * fraction))
    hidden = heads * (config.hidden_size // config.num_heads)
    inner = max(hidden, round(config.intermediate_size * fraction))
    return config.model_copy(
        update={"num_heads": heads, "hidden_size": hidden, "intermediate_size": inner}
    )


class GeneratorHead(nn.Module):
    """Generator states -> dense (to the embedding width) -> GELU -> LayerNorm -> tied decoder."""

    def __init__(self, generator: BertConfig, embedding_size: int) -> None:
        super().__init__()
        self.dense = nn.Linear(generator.hidden_size, embedding_size)
        self.norm = nn.LayerNorm(embedding_size, eps=generator.layer_norm_eps)
        self.bias = nn.Parameter(torch.zeros(generator.vocab_size))

    def forward(self, hidden: torch.Tensor, word_embeddings: torch.Tensor) -> torch.Tensor:
        return F.linear(self.norm(F.gelu(self.dense(hidden))), word_embeddings, self.bias)


class Generator(nn.Module):
    """A narrow encoder on the discriminator's embeddings (projected to its width)."""

    def __init__(self, config: BertConfig, embedding_size: int, attention_backend: str) -> None:
        super().__init__()
        self.config = config
        self.project = nn.Linear(embedding_size, config.hidden_size)
        self.encoder = Encoder(config, attention_backend)
        self.head = GeneratorHead(config, embedding_size)


class DiscriminatorHead(nn.Module):
    """Each token's final state -> dense -> GELU -> one logit: was this token replaced?"""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.out = nn.Linear(config.hidden_size, 1)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        return self.out(F.gelu(self.dense(hidden))).squeeze(-1)


@dataclass
class ElectraOutput:
    loss: torch.Tensor
    generator_loss: torch.Tensor  # mean MLM cross-entropy over masked positions
    discriminator_loss: torch.Tensor  # mean BCE over real tokens
    generator_logits: torch.Tensor  # [masked, vocab]
    generator_targets: torch.Tensor  # [masked] the original tokens
    discriminator_logits: torch.Tensor  # [real tokens]
    replaced: torch.Tensor  # [real tokens] bool: the token differs from the original


class ElectraForPreTraining(nn.Module):
    def __init__(
        self,
        config: BertConfig,
        *,
        generator_fraction: float = 0.25,
        discriminator_weight: float = 50.0,
        **backbone_options: object,
    ) -> None:
        super().__init__()
        if not 0.0 < generator_fraction <= 1.0:
            raise ValueError(f"generator_fraction must be in (0, 1], got {generator_fraction}")
        self.config = config
        self.discriminator_weight = discriminator_weight
        self.bert = BertModel(config, add_pooler=False, **backbone_options)  # type: ignore[arg-type]
        backend = self.bert.attention_backend
        self.generator = Generator(
            generator_config(config, generator_fraction), config.hidden_size, backend
        )
        self.discriminator = DiscriminatorHead(config)
        self.apply(partial(init_weights, std=config.initializer_range))

    def forward(
        self,
        input_ids: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
    ) -> ElectraOutput:
        """`input_ids` already masked by the data pipeline; `labels` the original token at
        masked positions and -100 elsewhere."""
        if labels is None:
            raise ValueError("ELECTRA pre-training needs labels (the masked positions)")
        bert = self.bert
        layout = bert.layout(input_ids, token_type_ids, attention_mask)
        ids, types, positions = layout.input_ids, layout.token_type_ids, layout.position_ids
        words = bert.embeddings.word.weight

        # Generator: MLM on the masked input, over the shared embeddings.
        x = bert.embeddings(ids, types, positions)
        g = self.generator
        gen = Encoded(g.encoder(g.project(x), layout.key_mask, layout.unpadded), layout.unpadded)
        targets = gen.flat(labels)
        picked = (targets != IGNORE_INDEX).nonzero().squeeze(1)
        gen_logits = g.head(gen.flat_hidden()[picked], words)
        gen_targets = targets[picked]
        gen_loss = (
            F.cross_entropy(gen_logits.float(), gen_targets) if picked.numel() else x.sum() * 0
        )

        # Corrupt: masked positions take a token sampled from the generator.
        flat_ids = ids.flatten()
        original = flat_ids.clone()
        original[picked] = gen_targets
        corrupted = flat_ids.clone()
        if picked.numel():
            with torch.no_grad():
                probs = torch.softmax(gen_logits.detach().float(), dim=-1)
                corrupted[picked] = torch.multinomial(probs, 1).squeeze(1)
        replaced = corrupted != original

        # Discriminator: which tokens of the corrupted text were replaced?
        x2 = bert.embeddings(corrupted.view_as(ids), types, positions)
        disc = Encoded(bert.encoder(x2, layout.key_mask, layout.unpadded), layout.unpadded)
        logits = self.discriminator(disc.flat_hidden())
        if layout.unpadded is None and attention_mask is not None:
            real = attention_mask.flatten().bool()
            logits, replaced = logits[real], replaced[real]
        disc_loss = F.binary_cross_entropy_with_logits(logits.float(), replaced.float())
        loss = gen_loss + self.discriminator_weight * disc_loss
        return ElectraOutput(loss, gen_loss, disc_loss, gen_logits, gen_targets, logits, replaced)

    def mask_logits(
        self,
        input_ids: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """The generator's vocabulary logits at every position, [batch, length, vocab]: what
        fills a [MASK] (fill-mask, probes); the discriminator predicts no tokens."""
        layout = self.bert.layout(input_ids, token_type_ids, attention_mask)
        x = self.bert.embeddings(layout.input_ids, layout.token_type_ids, layout.position_ids)
        g = self.generator
        gen = Encoded(g.encoder(g.project(x), layout.key_mask, layout.unpadded), layout.unpadded)
        return g.head(gen.padded(), self.bert.embeddings.word.weight)
