"""Using trained runs: classify texts with a fine-tuned run, fill in ``[MASK]`` with a pre-trained
one. Also the helpers that read a run directory (its tokenizer, BERT config and checkpoint), shared
with the fine-tuning workflow.

A run directory holds ``tokenizer.json``, ``config.toml`` (the resolved preset), ``checkpoints/``
(``step-*/model.safetensors`` plus ``best.json`` / ``latest``) and, for fine-tuned runs,
``labels.json`` and ``bert_config.json``. Weights are read with safetensors only; nothing is
unpickled.

    predictor = Predictor.from_run("runs/classify-quickstart-20261125T183012Z")
    for p in predictor.classify(["Return the widget's width in pixels."]):
        print(p.label, p.probabilities)
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file
from torch import nn

from bert_engine.data.classification import LabelVocab
from bert_engine.errors import BertbenchError, InputError
from bert_engine.modeling import (
    BertForMaskedLM,
    BertForPreTraining,
    BertForSequenceClassification,
)
from bert_engine.schema import BertConfig, ModelSettings
from bert_engine.tokenizers import Tokenizer, load_tokenizer
from bert_engine.training.checkpoint import (
    BEST_FILE,
    LATEST_FILE,
    MODEL_FILE,
    list_checkpoints,
)
from bert_engine.training.device import select_device

TOKENIZER_FILE = "tokenizer.json"
LABELS_FILE = "labels.json"
BERT_CONFIG_FILE = "bert_config.json"
CONFIG_FILE = "config.toml"
CLASSIFIER_FILE = "classifier.json"  # a classifier's head: {"pooling": "cls" | "mean"}


class RunError(BertbenchError, ValueError):
    """A run directory is missing, incomplete, or of the wrong kind for the request."""


# ----------------------------------------------------------------------------- run directories
def require_run_dir(run_dir: str | os.PathLike[str]) -> Path:
    path = Path(run_dir)
    if not path.is_dir():
        raise RunError(
            f"run directory {path} does not exist; list runs with `bertbench runs list` "
            "or pass the path of a folder under runs/"
        )
    if not (path / "checkpoints").is_dir():
        raise RunError(f"{path} is not a run directory: it has no checkpoints/ folder")
    return path


def resolve_checkpoint(run_dir: str | os.PathLike[str], which: str | None = None) -> Path:
    """A checkpoint of a run: ``which`` (a step-* name or a path), else the best one (by the
    run's chosen metric), else the latest."""
    run = Path(run_dir)
    directory = run / "checkpoints"
    if which:
        candidate = Path(which)
        for path in (candidate, directory / which):
            if (path / MODEL_FILE).is_file():
                return path
        names = ", ".join(c.path.name for c in list_checkpoints(directory)) or "none"
        raise RunError(f"{run}: no checkpoint {which!r}; available: {names}")
    best_file = directory / BEST_FILE
    if best_file.is_file():
        try:
            name = str(json.loads(best_file.read_text(encoding="utf-8"))["name"])
        except (OSError, ValueError, KeyError, TypeError):
            name = ""
        if name and (directory / name / MODEL_FILE).is_file():
            return directory / name
    latest_file = directory / LATEST_FILE
    if latest_file.is_file():
        name = latest_file.read_text(encoding="utf-8").strip()
        if name and (directory / name / MODEL_FILE).is_file():
            return directory / name
    found = list_checkpoints(directory)
    if not found:
        raise RunError(
            f"{run} has no checkpoint yet (checkpoints/ is empty); wait for the run to save one "
            "or resume it"
        )
    return found[-1].path


def read_run_tokenizer(run_dir: str | os.PathLike[str]) -> Tokenizer:
    path = Path(run_dir) / TOKENIZER_FILE
    if not path.is_file():
        raise RunError(f"{run_dir}: no {TOKENIZER_FILE}; the run did not save its tokenizer")
    return load_tokenizer(path)


def _electra(run: Path, config: BertConfig) -> nn.Module:
    """An ELECTRA run's model, with the generator shape its preset gave."""
    from bert_engine.modeling import ElectraForPreTraining
    from bert_engine.tracking import read_config

    model = read_config(run).get("model", {})
    return ElectraForPreTraining(
        config,
        generator_fraction=float(model.get("generator_fraction", 0.25)),
        discriminator_weight=float(model.get("discriminator_weight", 50.0)),
    )


def read_pooling(run_dir: str | os.PathLike[str]) -> str:
    """How a fine-tuned run pools ("cls" or "mean"); "cls" for runs made before it was a
    choice (they have no classifier.json)."""
    from bert_engine.modeling.models import POOLINGS

    path = Path(run_dir) / CLASSIFIER_FILE
    if not path.is_file():
        return "cls"
    try:
        pooling = json.loads(path.read_text(encoding="utf-8"))["pooling"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise RunError(f"{path}: not a classifier description ({exc})") from exc
    if pooling not in POOLINGS:
        raise RunError(f"{path}: unknown pooling {pooling!r}; expected one of {POOLINGS}")
    return str(pooling)


def read_bert_config(run_dir: str | os.PathLike[str], vocab_size: int) -> BertConfig:
    """The architecture of a run: ``bert_config.json`` when present (fine-tuned runs), else the
    ``[model]`` table of its ``config.toml`` (the preset it was trained with)."""
    run = Path(run_dir)
    direct = run / BERT_CONFIG_FILE
    if direct.is_file():
        try:
            return BertConfig.model_validate_json(direct.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise RunError(f"{direct}: not a valid BERT config ({exc})") from exc
    from bert_engine.tracking import read_config

    try:
        config = read_config(run)
    except (OSError, ValueError) as exc:
        raise RunError(f"{run}: cannot read {CONFIG_FILE} ({exc})") from exc
    model = config.get("model")
    if not isinstance(model, dict):
        raise RunError(
            f"{run}: neither {BERT_CONFIG_FILE} nor a [model] table in {CONFIG_FILE}; "
            "cannot tell the model's architecture"
        )
    try:
        return ModelSettings.model_validate(model).bert_config(vocab_size)
    except ValueError as exc:
        raise RunError(f"{run}: invalid [model] table in {CONFIG_FILE} ({exc})") from exc


def read_weights(checkpoint: Path) -> dict[str, torch.Tensor]:
    file = checkpoint / MODEL_FILE
    try:
        return load_file(str(file))
    except (OSError, SafetensorError) as exc:
        raise RunError(f"{file}: cannot read the weights ({exc})") from exc


def weight_names(checkpoint: Path) -> list[str]:
    file = checkpoint / MODEL_FILE
    try:
        with safe_open(str(file), framework="pt") as f:
            return list(f.keys())
    except (OSError, SafetensorError) as exc:
        raise RunError(f"{file}: cannot read the weights ({exc})") from exc


def load_state(model: nn.Module, weights: dict[str, torch.Tensor], where: Path) -> None:
    """Strict load with a readable error (a checkpoint of another architecture)."""
    try:
        model.load_state_dict(weights, strict=True)
    except RuntimeError as exc:
        raise RunError(f"{where}: the weights do not fit the run's model config ({exc})") from exc


# ----------------------------------------------------------------------------- predictions
@dataclass
class Prediction:
    label: str
    probabilities: dict[str, float]  # every label, in label-vocabulary order
    tokens: list[str]  # the model's input tokens (after truncation)


@dataclass
class MaskCandidate:
    token: str
    token_id: int
    probability: float


@dataclass
class MaskPrediction:
    position: int  # index of the [MASK] token in `tokens`
    candidates: list[MaskCandidate]  # most probable first


@dataclass
class FillMaskResult:
    text: str
    tokens: list[str]
    masks: list[MaskPrediction]


class Predictor:
    """A trained model in eval mode with its tokenizer (and labels, for classifiers)."""

    def __init__(
        self,
        model: nn.Module,
        tokenizer: Tokenizer,
        *,
        labels: LabelVocab | None = None,
        max_length: int = 128,
        batch_size: int = 32,
        device: str | torch.device = "cpu",
        run_dir: Path | None = None,
        checkpoint: Path | None = None,
    ) -> None:
        self.device = select_device(device)
        self.model = model.to(self.device).eval()
        self.tokenizer = tokenizer
        self.labels = labels
        self.max_length = max_length
        self.batch_size = batch_size
        self.run_dir = run_dir
        self.checkpoint = checkpoint

    @classmethod
    def from_run(
        cls,
        run_dir: str | os.PathLike[str],
        *,
        checkpoint: str | None = None,
        device: str = "cpu",
        batch_size: int = 32,
    ) -> Predictor:
        """Load a fine-tuned run (a classifier) or a pre-training run (masked LM)."""
        run = require_run_dir(run_dir)
        tokenizer = read_run_tokenizer(run)
        ckpt = resolve_checkpoint(run, checkpoint)
        config = read_bert_config(run, tokenizer.vocab_size)
        weights = read_weights(ckpt)
        labels: LabelVocab | None = None
        model: nn.Module
        if (run / LABELS_FILE).is_file():
            labels = LabelVocab.load(run / LABELS_FILE)
            model = BertForSequenceClassification(
                config, len(labels), label_names=labels.labels, pooling=read_pooling(run)
            )
        elif any(k.startswith("generator.") for k in weights):
            model = _electra(run, config)
        elif any(k.startswith("nsp.") for k in weights):
            model = BertForPreTraining(config)
        elif any(k.startswith("mlm.") for k in weights):
            model = BertForMaskedLM(config)
        else:
            raise RunError(f"{ckpt}: neither a classifier (no {LABELS_FILE}) nor a masked LM")
        load_state(model, weights, ckpt)
        max_length = _max_length(run, config)
        return cls(
            model,
            tokenizer,
            labels=labels,
            max_length=max_length,
            batch_size=batch_size,
            device=device,
            run_dir=run,
            checkpoint=ckpt,
        )

    @property
    def is_classifier(self) -> bool:
        return isinstance(self.model, BertForSequenceClassification)

    def _batches(
        self, texts: Sequence[str], pairs: Sequence[str] | None
    ) -> list[tuple[int, dict[str, torch.Tensor], Any]]:
        out = []
        for start in range(0, len(texts), self.batch_size):
            part = list(texts[start : start + self.batch_size])
            part_pairs = list(pairs[start : start + self.batch_size]) if pairs else None
            enc = self.tokenizer.encode_batch(
                part, pairs=part_pairs, max_length=self.max_length, padding="longest"
            )
            batch = {
                "input_ids": torch.as_tensor(enc.input_ids, dtype=torch.long),
                "token_type_ids": torch.as_tensor(enc.token_type_ids, dtype=torch.long),
                "attention_mask": torch.as_tensor(enc.attention_mask, dtype=torch.long),
            }
            out.append((start, {k: v.to(self.device) for k, v in batch.items()}, enc))
        return out

    @torch.no_grad()
    def classify(
        self, texts: Sequence[str], pairs: Sequence[str] | None = None
    ) -> list[Prediction]:
        """The label of each text (or text pair) with every label's probability."""
        if not self.is_classifier or self.labels is None:
            where = self.run_dir or "this model"
            raise RunError(
                f"{where} is not a fine-tuned classifier (no {LABELS_FILE}); fine-tune it "
                "first with `bertbench finetune`, or use fill-mask on a pre-training run"
            )
        _check_texts(texts, pairs)
        labels = self.labels
        out: list[Prediction] = []
        for _, batch, enc in self._batches(texts, pairs):
            logits = self.model(**batch).logits.float()
            probs = torch.softmax(logits, dim=-1).cpu()
            for row, p in enumerate(probs):
                n = int(enc.lengths[row])
                tokens = [self.tokenizer.id_to_token(int(i)) or "" for i in enc.input_ids[row][:n]]
                best = int(p.argmax())
                out.append(
                    Prediction(
                        label=labels.decode(best),
                        probabilities={labels.decode(i): float(v) for i, v in enumerate(p)},
                        tokens=tokens,
                    )
                )
        return out

    @torch.no_grad()
    def attention(self, text: str, pair: str | None = None) -> AttentionMap:
        """Every layer's and head's attention over the tokens of one text (or text pair), as
        the model reads it (truncated to the run's length)."""
        _check_texts([text], None if pair is None else [pair])
        backbone = getattr(self.model, "bert", None)
        if backbone is None or not hasattr(backbone, "attentions"):
            raise RunError(f"{self.run_dir or 'this model'} has no BERT encoder to look into")
        _, batch, enc = self._batches([text], None if pair is None else [pair])[0]
        layers = backbone.attentions(**batch)
        n = int(enc.lengths[0])
        probabilities = torch.stack([p[0, :, :n, :n] for p in layers]).float().cpu()
        tokens = [self.tokenizer.id_to_token(int(i)) or "" for i in enc.input_ids[0][:n]]
        return AttentionMap(text, tokens, probabilities)

    def _word_ids(self, word: str) -> list[int]:
        if not word.strip():
            raise InputError("type a word to find its neighbours")
        ids = self.tokenizer.encode(word.strip(), add_special_tokens=False).ids
        if not ids:
            raise InputError(f"{word!r} gives no token with this run's tokenizer")
        return [int(i) for i in ids]

    def _skip_ids(self, own: list[int]) -> set[int]:
        specials = (self.tokenizer.token_to_id(t) for t in self.tokenizer.special_tokens)
        return set(own) | {i for i in specials if i is not None}

    def _neighbours(self, table: torch.Tensor, own: list[int], k: int) -> list[Neighbour]:
        query = table[torch.tensor(own)].mean(0)
        found = cosine_neighbours(table, query, self._skip_ids(own), k)
        return [Neighbour(self.tokenizer.id_to_token(i) or "", i, v) for i, v in found]

    @torch.no_grad()
    def neighbours(self, word: str, k: int = 10) -> list[Neighbour]:
        """The `k` tokens whose input embeddings are nearest (cosine) to `word`'s (the mean of
        its pieces' when the tokenizer cuts it), special tokens and the word's own left out."""
        if k < 1:
            raise InputError(f"k must be at least 1, got {k}")
        backbone = getattr(self.model, "bert", None)
        if backbone is None:
            raise RunError(f"{self.run_dir or 'this model'} has no BERT embeddings to look into")
        table = backbone.embeddings.word.weight.detach().float().cpu()
        return self._neighbours(table, self._word_ids(word), k)

    @torch.no_grad()
    def contextual_neighbours(
        self, word: str, texts: Sequence[str], k: int = 10, min_count: int = 2
    ) -> list[Neighbour]:
        """Like `neighbours`, over contextual vectors: each token's final hidden state averaged
        over its occurrences in `texts` (a corpus sample); tokens seen fewer than `min_count`
        times are left out. The word must occur in the sample."""
        if k < 1:
            raise InputError(f"k must be at least 1, got {k}")
        backbone = getattr(self.model, "bert", None)
        if backbone is None:
            raise RunError(f"{self.run_dir or 'this model'} has no BERT encoder to look into")
        own = self._word_ids(word)
        _check_texts(texts, None)
        vocab = self.tokenizer.vocab_size
        sums = torch.zeros(vocab, backbone.config.hidden_size)
        counts = torch.zeros(vocab)
        for _, batch, _ in self._batches(texts, None):
            hidden = backbone.encode(**batch).padded().float().cpu()
            real = batch["attention_mask"].bool().cpu()
            ids = batch["input_ids"].cpu()[real]
            sums.index_add_(0, ids, hidden[real])
            counts.index_add_(0, ids, torch.ones(ids.shape[0]))
        if any(counts[i] == 0 for i in own):
            raise InputError(
                f"{word!r} does not occur in the {len(texts)} texts sampled; try a more "
                "frequent word or a larger sample"
            )
        table = sums / counts.clamp_min(1).unsqueeze(1)
        table[counts < min_count] = 0.0  # rare tokens' averages are noise
        table[torch.tensor(own)] = sums[torch.tensor(own)] / counts[torch.tensor(own)][:, None]
        return self._neighbours(table, own, k)

    @torch.no_grad()
    def fill_mask(self, texts: Sequence[str], top_k: int = 5) -> list[FillMaskResult]:
        """For each ``[MASK]`` in each text, the ``top_k`` most probable tokens."""
        if self.is_classifier or not hasattr(self.model, "mlm"):
            where = self.run_dir or "this model"
            raise RunError(
                f"{where} is a fine-tuned classifier without a masked-LM head; use classify, "
                "or fill-mask with the pre-training run it started from"
            )
        mask_id = self.tokenizer.mask_id
        if mask_id is None:
            raise RunError("the tokenizer has no [MASK] token; fill-mask is impossible")
        if top_k < 1:
            raise InputError(f"top_k must be at least 1, got {top_k}")
        _check_texts(texts, None)
        mask_token = self.tokenizer.id_to_token(mask_id) or "[MASK]"
        # `[mask]` or `[Mask]` typed by hand means the mask too (a lower-casing tokenizer would
        # otherwise cut it into `[ ma ##s ##k ]` and predict nothing).
        texts = [spell_masks(text, mask_token) for text in texts]
        out: list[FillMaskResult] = []
        for start, batch, enc in self._batches(texts, None):
            ids = batch["input_ids"]
            for row in range(ids.shape[0]):
                if not bool((ids[row] == mask_id).any()):
                    raise RunError(
                        f"text {start + row + 1} has no {mask_token} token (or it was cut off "
                        f"at {self.max_length} tokens): {texts[start + row]!r}; write "
                        f"{mask_token} where a word should be predicted"
                    )
            output = self.model(
                input_ids=ids,
                token_type_ids=batch["token_type_ids"],
                attention_mask=batch["attention_mask"],
            )
            probs = torch.softmax(output.mlm_logits.float(), dim=-1)
            k = min(top_k, probs.shape[-1])
            for row in range(ids.shape[0]):
                n = int(enc.lengths[row])
                row_ids = [int(i) for i in enc.input_ids[row][:n]]
                tokens = [self.tokenizer.id_to_token(i) or "" for i in row_ids]
                masks = []
                for pos in (i for i, t in enumerate(row_ids) if t == mask_id):
                    values, indices = probs[row, pos].topk(k)
                    masks.append(
                        MaskPrediction(
                            position=pos,
                            candidates=[
                                MaskCandidate(
                                    self.tokenizer.id_to_token(int(i)) or "", int(i), float(v)
                                )
                                for v, i in zip(values.cpu(), indices.cpu(), strict=True)
                            ],
                        )
                    )
                out.append(FillMaskResult(texts[start + row], tokens, masks))
        return out


@dataclass(frozen=True)
class AttentionMap:
    """Where each token looks: `probabilities[layer, head, query, key]` over `tokens`."""

    text: str
    tokens: list[str]
    probabilities: torch.Tensor  # [layers, heads, tokens, tokens], float32 on the CPU

    def row(self, layer: int, head: int | None, query: int) -> list[float]:
        """How token `query` spreads its attention over the tokens (one head, or the mean of
        all heads when `head` is None); sums to 1."""
        weights = self.probabilities[layer, :, query]
        chosen = weights.mean(0) if head is None else weights[head]
        return [float(v) for v in chosen]


@dataclass(frozen=True)
class Neighbour:
    token: str
    token_id: int
    similarity: float  # cosine, -1..1


def cosine_neighbours(
    table: torch.Tensor, query: torch.Tensor, exclude: set[int], k: int
) -> list[tuple[int, float]]:
    """The `k` rows of `table` [n, d] most cosine-similar to `query` [d], best first, leaving
    out the rows in `exclude` (the query's own ids, special tokens) and all-zero rows."""
    norms = table.norm(dim=1)
    similarity = (table @ query) / (norms * query.norm()).clamp_min(1e-12)
    similarity[norms == 0] = -2.0
    if exclude:
        similarity[torch.tensor(sorted(exclude), dtype=torch.long)] = -2.0
    values, indices = similarity.topk(min(k, table.shape[0]))
    return [(int(i), float(v)) for v, i in zip(values, indices, strict=True) if float(v) > -2.0]


def spell_masks(text: str, mask_token: str) -> str:
    """`text` with every case-variant of the mask token (`[mask]`, `[Mask]`) written exactly."""
    return re.sub(re.escape(mask_token), lambda _: mask_token, text, flags=re.IGNORECASE)


def _check_texts(texts: Sequence[str], pairs: Sequence[str] | None) -> None:
    if isinstance(texts, str):
        raise TypeError("pass a list of texts, not a single string")
    if not texts:
        raise InputError("no texts given")
    for i, text in enumerate(texts):
        if not isinstance(text, str) or not text.strip():
            raise InputError(f"text {i + 1} is empty; give some words to predict from")
    if pairs is not None and len(pairs) != len(texts):
        raise InputError(f"{len(pairs)} text pairs for {len(texts)} texts; give one per text")


def _max_length(run: Path, config: BertConfig) -> int:
    """The sequence length the run trained with (capped by the model's positions)."""
    from bert_engine.tracking import read_config

    try:
        cfg = read_config(run)
    except (OSError, ValueError):
        cfg = {}
    for section in ("classification", "data"):
        value = (
            cfg.get(section, {}).get("max_seq_len") if isinstance(cfg.get(section), dict) else None
        )
        if isinstance(value, int) and value > 0:
            return min(value, config.max_position_embeddings)
    return min(512, config.max_position_embeddings)
