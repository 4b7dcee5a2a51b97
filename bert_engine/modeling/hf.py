"""HuggingFace interop: load `transformers` BERT checkpoint folders, export folders they load.

One name table (`_name_pairs`) drives both directions. The only real conversion is the fused
QKV projection: HF keeps query, key and value as three Linear layers; ours stacks them (in that
order) into one, so import concatenates and export splits.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file
from torch import nn

from bert_engine.files import atomic_write, atomic_write_text
from bert_engine.safe_load import load_tensors
from bert_engine.schema.bert import BertConfig

from .models import (
    BertForMaskedLM,
    BertForPreTraining,
    BertForSequenceClassification,
    BertModel,
)

BertLike = BertModel | BertForPreTraining | BertForMaskedLM | BertForSequenceClassification

# Keys in HF checkpoints that carry no information of their own: tied copies and old buffers.
_TIED_DECODER_WEIGHT = "cls.predictions.decoder.weight"
_TIED_DECODER_BIAS = "cls.predictions.decoder.bias"
_BUFFERS = ("embeddings.position_ids", "embeddings.token_type_ids")
# A mean-pooled classifier has no HF class of its own: it is exported as a BertModel (no
# pooler) plus its classification layer in this file, named in config.json (docs/finetuning.md).
CLASSIFIER_WEIGHTS = "classifier.safetensors"

# Special-token strings of BERT vocabularies and the names HF tokenizers give them.
_SPECIAL_ROLES = {
    "[PAD]": "pad_token",
    "[UNK]": "unk_token",
    "[CLS]": "cls_token",
    "[SEP]": "sep_token",
    "[MASK]": "mask_token",
}


@dataclass
class LoadReport:
    """What a checkpoint load did not line up: weights we lack, and weights we did not use."""

    missing: list[str] = field(default_factory=list)  # ours, left at their initial values
    unexpected: list[str] = field(default_factory=list)  # theirs, ignored
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.missing and not self.unexpected

    def __str__(self) -> str:
        if self.ok and not self.notes:
            return "all weights loaded; nothing missing or unused"
        lines = []
        if self.missing:
            lines.append(f"{len(self.missing)} weights missing (left freshly initialised):")
            lines += [f"  - {name}" for name in self.missing]
        if self.unexpected:
            lines.append(f"{len(self.unexpected)} checkpoint weights not used:")
            lines += [f"  - {name}" for name in self.unexpected]
        lines += self.notes
        return "\n".join(lines)


def _layer_pairs(i: int) -> list[tuple[str, str]]:
    ours, hf = f"encoder.layers.{i}.", f"encoder.layer.{i}."
    pairs = [
        ("attention_output.dense", "attention.output.dense"),
        ("attention_output.norm", "attention.output.LayerNorm"),
        ("feed_forward.up", "intermediate.dense"),
        ("feed_forward.down", "output.dense"),
        ("feed_forward.norm", "output.LayerNorm"),
    ]
    return [(ours + a + s, hf + b + s) for a, b in pairs for s in (".weight", ".bias")]


def _name_pairs(model: nn.Module) -> tuple[list[tuple[str, str]], list[tuple[str, list[str]]]]:
    """(our name, HF name) for every weight of `model`, plus the fused QKV entries.

    HF names are given without the "bert." prefix that head models add to the backbone; our
    head models keep the backbone under `bert.`.
    """
    bert: BertModel = model if isinstance(model, BertModel) else model.bert  # type: ignore[assignment]
    ours_prefix = "" if isinstance(model, BertModel) else "bert."
    pairs = [
        ("embeddings.word.weight", "embeddings.word_embeddings.weight"),
        ("embeddings.position.weight", "embeddings.position_embeddings.weight"),
        ("embeddings.token_type.weight", "embeddings.token_type_embeddings.weight"),
        ("embeddings.norm.weight", "embeddings.LayerNorm.weight"),
        ("embeddings.norm.bias", "embeddings.LayerNorm.bias"),
    ]
    fused = []
    for i in range(bert.config.num_layers):
        pairs += _layer_pairs(i)
        hf = f"encoder.layer.{i}.attention.self."
        for s in ("weight", "bias"):
            parts = [f"{hf}{part}.{s}" for part in ("query", "key", "value")]
            fused.append((f"{ours_prefix}encoder.layers.{i}.attention.qkv.{s}", parts))
    if bert.pooler is not None:
        pairs += [(f"pooler.dense.{s}", f"pooler.dense.{s}") for s in ("weight", "bias")]
    pairs = [(ours_prefix + o, h) for o, h in pairs]
    if isinstance(model, (BertForPreTraining, BertForMaskedLM)):
        pairs += [
            ("mlm.dense.weight", "cls.predictions.transform.dense.weight"),
            ("mlm.dense.bias", "cls.predictions.transform.dense.bias"),
            ("mlm.norm.weight", "cls.predictions.transform.LayerNorm.weight"),
            ("mlm.norm.bias", "cls.predictions.transform.LayerNorm.bias"),
            ("mlm.bias", "cls.predictions.bias"),
        ]
    if isinstance(model, BertForPreTraining):
        pairs += [
            ("nsp.dense.weight", "cls.seq_relationship.weight"),
            ("nsp.dense.bias", "cls.seq_relationship.bias"),
        ]
    if isinstance(model, BertForSequenceClassification):
        pairs += [
            ("classifier.dense.weight", "classifier.weight"),
            ("classifier.dense.bias", "classifier.bias"),
        ]
    return pairs, fused


def _hf_canonical(name: str) -> str:
    """HF key without the backbone prefix, with TF-era LayerNorm names modernised."""
    name = name.removeprefix("bert.")
    if name.endswith(".gamma"):
        name = name[: -len(".gamma")] + ".weight"
    elif name.endswith(".beta"):
        name = name[: -len(".beta")] + ".bias"
    return name


def hf_state_dict_to_ours(
    model: nn.Module, hf_state: dict[str, torch.Tensor]
) -> tuple[dict[str, torch.Tensor], LoadReport]:
    """Rename (and fuse) a HF BERT state dict for `model`; report what did not line up."""
    theirs = {_hf_canonical(k): v for k, v in hf_state.items()}
    used: set[str] = set()
    ours: dict[str, torch.Tensor] = {}
    report = LoadReport()
    pairs, fused = _name_pairs(model)
    for our_name, hf_name in pairs:
        if hf_name in theirs:
            ours[our_name] = theirs[hf_name]
            used.add(hf_name)
        else:
            report.missing.append(f"{our_name} (HF {hf_name})")
    for our_name, hf_names in fused:
        present = [h for h in hf_names if h in theirs]
        used.update(present)
        if len(present) == 3:
            ours[our_name] = torch.cat([theirs[h] for h in hf_names], dim=0)
        else:
            lacking = ", ".join(h for h in hf_names if h not in theirs)
            report.missing.append(f"{our_name} (HF {lacking})")
    _check_tied(theirs, used, report, ours, model)
    used.update(k for k in theirs if k in _BUFFERS)
    report.unexpected = sorted(k for k in theirs if k not in used)
    return ours, report


def _check_tied(
    theirs: dict[str, torch.Tensor],
    used: set[str],
    report: LoadReport,
    ours: dict[str, torch.Tensor],
    model: nn.Module,
) -> None:
    """Tied decoder copies are accepted when they equal what they are tied to."""
    if not isinstance(model, (BertForPreTraining, BertForMaskedLM)):
        return
    for copy, source in (
        (_TIED_DECODER_WEIGHT, "embeddings.word_embeddings.weight"),
        (_TIED_DECODER_BIAS, "cls.predictions.bias"),
    ):
        if copy not in theirs:
            continue
        if source in theirs and torch.equal(theirs[copy], theirs[source]):
            used.add(copy)
        elif source not in theirs and copy == _TIED_DECODER_BIAS:
            ours["mlm.bias"] = theirs[copy]  # some checkpoints store only the decoder's bias
            report.missing = [m for m in report.missing if not m.startswith("mlm.bias ")]
            used.add(copy)
        else:
            report.notes.append(
                f"{copy} differs from {source}; this model ties them, so it was not used"
            )


def ours_to_hf_state_dict(model: nn.Module) -> dict[str, torch.Tensor]:
    """Our weights under HF names (fused QKV split), ready for `save_file`."""
    state = model.state_dict()
    prefix = "" if isinstance(model, BertModel) else "bert."
    pairs, fused = _name_pairs(model)
    out: dict[str, torch.Tensor] = {}
    for our_name, hf_name in pairs:
        head = hf_name.startswith(("cls.", "classifier."))
        out[hf_name if head else prefix + hf_name] = state[our_name]
    for our_name, hf_names in fused:
        for hf_name, part in zip(hf_names, state[our_name].chunk(3, dim=0), strict=True):
            out[prefix + hf_name] = part
    # Separate, contiguous CPU copies: safetensors refuses views that share memory.
    return {k: v.detach().to("cpu").contiguous().clone() for k, v in out.items()}


# --- folders ---------------------------------------------------------------------------------


def read_hf_config(folder: str | os.PathLike[str]) -> dict[str, Any]:
    """The parsed `config.json` of a local HF checkpoint folder."""
    path = Path(folder)
    if not path.is_dir():
        raise FileNotFoundError(f"{path} is not a folder; expected a HuggingFace BERT checkpoint")
    config_path = path / "config.json"
    if not config_path.is_file():
        raise FileNotFoundError(f"{config_path} is missing; a HF checkpoint folder needs one")
    try:
        return json.loads(config_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ValueError(f"{config_path} is not valid JSON: {err}") from err


def read_hf_weights(folder: str | os.PathLike[str]) -> dict[str, torch.Tensor]:
    """model.safetensors, else pytorch_model.bin loaded without unpickling code."""
    path = Path(folder)
    if (path / "model.safetensors").is_file():
        return load_file(path / "model.safetensors")
    if (path / "pytorch_model.bin").is_file():
        # weights_only: never unpickle arbitrary objects from a downloaded file
        return load_tensors(path / "pytorch_model.bin", map_location="cpu")
    raise FileNotFoundError(
        f"{path} has neither model.safetensors nor pytorch_model.bin (sharded checkpoints "
        "are not supported)"
    )


def load_hf(
    folder: str | os.PathLike[str],
    model_class: type[nn.Module] = BertModel,
    *,
    strict: bool = False,
    **model_options: Any,
) -> tuple[Any, LoadReport]:
    """Build `model_class` from a HF BERT checkpoint folder. Returns (model, report).

    Weights the checkpoint lacks (e.g. a new classifier) keep BERT's initialisation and are
    listed in the report; with strict=True any mismatch raises instead.
    """
    hf_config = read_hf_config(folder)
    config = BertConfig.from_hf_dict(hf_config)  # config errors first, before reading weights
    hf_state = read_hf_weights(folder)
    if model_class is BertForSequenceClassification and hf_config.get("bertbench_pooling"):
        model_options.setdefault("pooling", hf_config["bertbench_pooling"])
        head = Path(folder) / hf_config.get("bertbench_classifier", CLASSIFIER_WEIGHTS)
        if head.is_file():
            hf_state.update({f"classifier.{k}": v for k, v in load_tensors(head).items()})
    if model_class is BertForSequenceClassification:
        id2label = hf_config.get("id2label")
        if "num_labels" not in model_options and id2label:
            model_options["num_labels"] = len(id2label)
            if "label_names" not in model_options:
                order = sorted(id2label, key=int)
                model_options["label_names"] = [id2label[k] for k in order]
    model = model_class(config, **model_options)
    ours, report = hf_state_dict_to_ours(model, hf_state)
    expected = model.state_dict()
    wrong = [
        f"{k}: checkpoint {tuple(v.shape)} vs model {tuple(expected[k].shape)}"
        for k, v in ours.items()
        if v.shape != expected[k].shape
    ]
    if wrong:
        raise ValueError(f"{folder}: weight shapes do not match the config: " + "; ".join(wrong))
    if strict and not report.ok:
        raise ValueError(f"{folder} does not match {model_class.__name__}:\n{report}")
    model.load_state_dict(ours, strict=False)
    return model, report


def _architecture(model: nn.Module) -> str:
    for cls in (BertForPreTraining, BertForMaskedLM, BertForSequenceClassification, BertModel):
        if isinstance(model, cls):
            return cls.__name__
    raise TypeError(f"cannot export {type(model).__name__}; expected a bert_engine BERT model")


def hf_config_dict(model: nn.Module, dtype: torch.dtype) -> dict[str, Any]:
    config: BertConfig = model.config  # type: ignore[assignment]
    architecture = "BertModel" if _mean_pooled(model) else _architecture(model)
    out = {"architectures": [architecture], **config.to_hf_dict()}
    out["dtype"] = str(dtype).removeprefix("torch.")
    if isinstance(model, BertForSequenceClassification):
        names = model.label_names or [f"LABEL_{i}" for i in range(model.num_labels)]
        out["id2label"] = {str(i): name for i, name in enumerate(names)}
        out["label2id"] = {name: i for i, name in enumerate(names)}
    if _mean_pooled(model):
        out["bertbench_pooling"] = "mean"
        out["bertbench_classifier"] = CLASSIFIER_WEIGHTS
    return out


def _mean_pooled(model: nn.Module) -> bool:
    return isinstance(model, BertForSequenceClassification) and model.pooling == "mean"


def export_hf(
    model: nn.Module, folder: str | os.PathLike[str], tokenizer: Any | None = None
) -> Path:
    """Write `model` (and optionally its tokenizer) as a folder `transformers` loads directly.

    Files: config.json, model.safetensors (metadata format=pt; for a mean-pooled classifier a
    BertModel's weights, its classification layer in classifier.safetensors); with a tokenizer
    also tokenizer.json, tokenizer_config.json, special_tokens_map.json and, for WordPiece,
    vocab.txt. The tokenizer is anything with `save(path)` writing a HF tokenizer.json (our façade's
    tokenizers or a `tokenizers.Tokenizer`). Every file is written atomically.
    """
    from .electra import ElectraForPreTraining

    if isinstance(model, ElectraForPreTraining):
        model = model.bert  # the discriminator is the model; the generator is left out
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    state = ours_to_hf_state_dict(model)
    dtype = next(iter(state.values())).dtype
    metadata = {"format": "pt"}
    if _mean_pooled(model):
        # A BertModel's names (no "bert." prefix) plus the classification layer on its own.
        head = {
            k.removeprefix("classifier."): state.pop(k)
            for k in list(state)
            if k.startswith("classifier.")
        }
        atomic_write(path / CLASSIFIER_WEIGHTS, lambda tmp: save_file(head, tmp, metadata=metadata))
        state = {k.removeprefix("bert."): v for k, v in state.items()}
    atomic_write(path / "model.safetensors", lambda tmp: save_file(state, tmp, metadata=metadata))
    _write_json(path / "config.json", hf_config_dict(model, dtype))
    if tokenizer is not None:
        max_len = model.config.max_position_embeddings  # type: ignore[union-attr]
        export_tokenizer(tokenizer, path, model_max_length=max_len)
    return path


def export_tokenizer(tokenizer: Any, folder: Path, model_max_length: int) -> None:
    """tokenizer.json (+ vocab.txt for WordPiece) and the two small files AutoTokenizer reads."""
    if not callable(getattr(tokenizer, "save", None)):
        raise TypeError(
            f"cannot export tokenizer of type {type(tokenizer).__name__}: it needs a "
            "save(path) method writing tokenizer.json"
        )
    atomic_write(folder / "tokenizer.json", lambda tmp: tokenizer.save(str(tmp)))
    spec = json.loads((folder / "tokenizer.json").read_text(encoding="utf-8"))
    model_spec = spec.get("model") or {}
    if model_spec.get("type") == "WordPiece":
        if callable(getattr(tokenizer, "save_vocab", None)):
            atomic_write(folder / "vocab.txt", lambda tmp: tokenizer.save_vocab(str(tmp)))
        else:  # e.g. a plain `tokenizers.Tokenizer`: the vocab is in tokenizer.json
            vocab = sorted(model_spec["vocab"].items(), key=lambda item: item[1])
            text = "".join(token + "\n" for token, _ in vocab)
            atomic_write_text(folder / "vocab.txt", text)
    specials = getattr(tokenizer, "special_tokens", None)
    if specials is None:  # `tokenizers.Tokenizer`: the added tokens flagged special
        specials = [t["content"] for t in spec.get("added_tokens", []) if t.get("special")]
    roles: dict[str, Any] = {}
    extra = []
    for token in specials:
        if token in _SPECIAL_ROLES:
            roles[_SPECIAL_ROLES[token]] = token
        else:
            extra.append(token)
    if extra:
        roles["additional_special_tokens"] = extra
    lowercase = _lowercases(spec)
    tokenizer_config = {
        # PreTrainedTokenizerFast reads tokenizer.json exactly as written, for BPE and WordPiece.
        "tokenizer_class": "PreTrainedTokenizerFast",
        "model_max_length": model_max_length,
        # BERT reads segment ids: make AutoTokenizer return them for pairs.
        "model_input_names": ["input_ids", "token_type_ids", "attention_mask"],
        "clean_up_tokenization_spaces": False,
        "do_lower_case": lowercase,
        **roles,
    }
    _write_json(folder / "special_tokens_map.json", roles)
    _write_json(folder / "tokenizer_config.json", tokenizer_config)


def _lowercases(spec: dict[str, Any]) -> bool:
    norm = spec.get("normalizer") or {}
    stack = [norm]
    while stack:
        node = stack.pop()
        if node.get("type") == "Lowercase" or node.get("lowercase") is True:
            return True
        stack += node.get("normalizers") or []
    return False


def _write_json(target: Path, data: dict[str, Any]) -> None:
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    atomic_write_text(target, text)
