"""Where a classifier's weights come from: a pre-training run of ours, a HuggingFace BERT
folder, or a random init (with a tokenizer trained on the training texts when none is given)."""

from __future__ import annotations

import os
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bert_engine.schema import BertConfig, ModelSettings
from bert_engine.training.finetune.plan import FinetuneError, FinetunePlan

if TYPE_CHECKING:
    import torch

    from bert_engine.modeling import BertForSequenceClassification
    from bert_engine.tokenizers import Tokenizer

DEFAULT_VOCAB = 8000  # tokenizer trained on the training texts when init="random" and none given


@dataclass
class Initialised:
    model: BertForSequenceClassification
    tokenizer: Tokenizer
    source: str  # "random", "run:<path>", "hf:<path>"
    loaded: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unused: list[str] = field(default_factory=list)
    reinitialised: list[str] = field(default_factory=list)

    def describe(self) -> str:
        if self.source == "random":
            return "initialised from random weights"
        text = f"loaded {len(self.loaded)} weights from {self.source}"
        if self.missing:
            text += f"; newly initialised: {', '.join(self.missing)}"
        if self.unused:
            text += f"; not used: {', '.join(self.unused)}"
        if self.reinitialised:
            text += f"; re-initialised: {', '.join(self.reinitialised)}"
        return text


def reinit_top_layers(model: BertForSequenceClassification, n: int) -> list[str]:
    """Gives the top `n` encoder layers and the pooler of a BertForSequenceClassification
    BERT's fresh initialisation; returns the parameter names touched."""
    from functools import partial

    from bert_engine.modeling.models import init_weights

    layers = model.bert.encoder.layers
    if n > len(layers):
        raise FinetuneError(
            f"reinit_layers = {n} but the model has only {len(layers)} encoder layers; use at "
            f"most {len(layers)}"
        )
    modules = [(f"bert.encoder.layers.{i}", layers[i]) for i in range(len(layers) - n, len(layers))]
    if model.bert.pooler is not None:
        modules.append(("bert.pooler", model.bert.pooler))
    names: list[str] = []
    for prefix, module in modules:
        module.apply(partial(init_weights, std=model.config.initializer_range))
        names += [f"{prefix}.{name}" for name, _ in module.named_parameters()]
    return names


def _is_hf_folder(path: Path) -> bool:
    return (path / "config.json").is_file() and any(
        (path / f).is_file() for f in ("model.safetensors", "pytorch_model.bin")
    )


def resolve_init(init: str, runs_dir: Path) -> tuple[str, Path | None]:
    """("random", None), ("run", path) or ("hf", path). A name that is not a path means the
    newest finished run of that preset name under ``runs_dir``; "hf:ORG/NAME" a Hub model
    (downloaded, or the cached copy offline)."""
    if init == "random":
        return "random", None
    if init.startswith("hf:"):
        from bert_engine.hub import fetch_checkpoint

        folder = fetch_checkpoint(init)
        if not _is_hf_folder(folder):
            raise FinetuneError(
                f"init = {init!r}: the Hub model has no config.json and model.safetensors "
                "(only safetensors weights are fetched); choose a BERT checkpoint that has them"
            )
        return "hf", folder
    path = Path(os.path.expanduser(init))
    if path.is_dir():
        if (path / "checkpoints").is_dir():
            return "run", path
        if _is_hf_folder(path):
            return "hf", path
        raise FinetuneError(
            f"init = {init!r}: the folder is neither one of our runs (no checkpoints/) nor a "
            "HuggingFace BERT checkpoint (config.json + model.safetensors or pytorch_model.bin)"
        )
    if "/" not in init and os.sep not in init:
        from bert_engine.tracking import list_runs, safe_name

        # A preset name as its runs' folders spell it ("my exp" -> "my-exp-<time>").
        wanted = {init, safe_name(init)}
        runs = list_runs(runs_dir) if runs_dir.is_dir() else []
        runs = [r for r in runs if r.name in wanted or safe_name(r.name) in wanted]
        finished = [r for r in runs if r.status == "finished"] or runs
        for record in finished:  # newest first
            if (record.path / "checkpoints").is_dir():
                return "run", record.path
        raise FinetuneError(
            f"init = {init!r}: no run named {init!r} in {runs_dir}/; pre-train one first "
            f"(`bertbench pretrain {shlex.quote(init)}`), or give a run folder, a HuggingFace "
            "folder or 'random'"
        )
    raise FinetuneError(f"init = {init!r}: no such folder")


def _classifier_weights_from_run(
    run: Path, checkpoint: str | None
) -> tuple[Tokenizer, BertConfig, Path, dict[str, torch.Tensor]]:
    from bert_engine.inference import (
        read_bert_config,
        read_run_tokenizer,
        read_weights,
        require_run_dir,
        resolve_checkpoint,
    )

    require_run_dir(run)
    tokenizer = read_run_tokenizer(run)
    config = read_bert_config(run, tokenizer.vocab_size)
    ckpt = resolve_checkpoint(run, checkpoint)
    return tokenizer, config, ckpt, read_weights(ckpt)


def initialise(
    plan: FinetunePlan,
    labels: Sequence[str],
    train_texts: Sequence[str],
    tokenizer: Tokenizer | None = None,
) -> Initialised:
    """Builds the classifier: from a pre-training run, a HF folder, or random weights."""
    from bert_engine.tokenizers import load_tokenizer

    s = plan.settings
    kind, path = resolve_init(s.init, plan.runs_dir)
    options = {
        "label_names": list(labels),
        "classifier_dropout": s.classifier_dropout,
        "pooling": s.pooling,
    }
    if tokenizer is None and s.tokenizer:
        tokenizer = load_tokenizer(s.tokenizer)
    init = _initialise(plan, kind, path, options, labels, train_texts, tokenizer)
    if s.reinit_layers and kind != "random":
        init.reinitialised = reinit_top_layers(init.model, s.reinit_layers)
    return init


def _initialise(
    plan: FinetunePlan,
    kind: str,
    path: Path | None,
    options: dict[str, Any],
    labels: Sequence[str],
    train_texts: Sequence[str],
    tokenizer: Tokenizer | None,
) -> Initialised:
    from bert_engine.modeling import BertForSequenceClassification
    from bert_engine.tokenizers import WordPieceTokenizer, load_tokenizer

    s = plan.settings
    if kind == "run":
        assert path is not None
        run_tok, config, ckpt, weights = _classifier_weights_from_run(path, s.checkpoint)
        if tokenizer is not None and tokenizer.get_vocab() != run_tok.get_vocab():
            raise FinetuneError(
                f"the tokenizer given differs from the one {path} was trained with; leave "
                "finetune.tokenizer out to use the run's"
            )
        model = BertForSequenceClassification(config, len(labels), **options)
        backbone = {k: v for k, v in weights.items() if k.startswith("bert.")}
        result = model.load_state_dict(backbone, strict=False)
        return Initialised(
            model,
            run_tok,
            f"run:{ckpt}",
            loaded=sorted(backbone),
            missing=sorted(result.missing_keys),
            unused=sorted(k for k in weights if not k.startswith("bert.")),
        )
    if kind == "hf":
        from bert_engine.modeling.hf import load_hf

        assert path is not None
        if tokenizer is None:
            try:
                tokenizer = WordPieceTokenizer.from_huggingface(path)
            except Exception as exc:  # the folder may hold a BPE tokenizer.json instead
                if not (path / "tokenizer.json").is_file():
                    raise FinetuneError(f"{path}: no usable tokenizer ({exc})") from exc
                tokenizer = load_tokenizer(path / "tokenizer.json")
        model, report = load_hf(
            path, BertForSequenceClassification, num_labels=len(labels), **options
        )
        # Report entries read "ours (HF theirs)": keep our parameter names.
        missing = sorted(name.split(" ")[0] for name in report.missing)
        loaded = [k for k in model.state_dict() if k not in set(missing)]
        return Initialised(model, tokenizer, f"hf:{path}", loaded, missing, list(report.unexpected))
    if tokenizer is None:
        t = plan.tokenizer  # a preset's [tokenizer] table; bare settings: the defaults below
        tokenizer = WordPieceTokenizer.train(
            list(train_texts),
            vocab_size=min(t.vocab_size if t is not None else DEFAULT_VOCAB, 30522),
            min_frequency=t.min_frequency if t is not None else 2,
            lowercase=t.lowercase if t is not None else True,
        )
    if isinstance(plan.model, BertConfig):
        config = plan.model.model_copy(update={"vocab_size": tokenizer.vocab_size})
    elif isinstance(plan.model, ModelSettings):
        config = plan.model.bert_config(tokenizer.vocab_size)
    else:
        config = BertConfig.from_size("tiny", vocab_size=tokenizer.vocab_size)
    return Initialised(
        BertForSequenceClassification(config, len(labels), **options), tokenizer, "random"
    )
