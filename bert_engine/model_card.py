"""The model card (`README.md`) of an exported run, in the Hub's format: YAML metadata between
`---` lines (library, pipeline tag, tags, datasets, metrics, base model), then how the model
was trained, with the run's own numbers, and how to load it.

The metadata is written with JSON scalars, which YAML reads as they are, so a name with a
colon or a quote cannot break the header."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from bert_engine.files import atomic_write_text, read_json_object
from bert_engine.tracking import read_config, read_summary

MODEL_CARD = "README.md"


def _yaml(meta: dict[str, Any]) -> str:
    lines = []
    for key, value in meta.items():
        if isinstance(value, list):
            lines.append(f"{key}:")
            lines += [f"- {json.dumps(item, ensure_ascii=False)}" for item in value]
        else:
            lines.append(f"{key}: {json.dumps(value, ensure_ascii=False)}")
    return "\n".join(lines)


def _number(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _hub_base(init: str | None) -> str | None:
    return init.removeprefix("hf:") if isinstance(init, str) and init.startswith("hf:") else None


def model_card(run_dir: str | os.PathLike[str], *, step: int | None, model_class: str) -> str:
    """The card's text for the run `run_dir`, exported from the checkpoint at `step`."""
    root = Path(run_dir)
    config, summary = read_config(root), read_summary(root)
    finetuned = (root / "labels.json").is_file()
    model, tokenizer = config.get("model") or {}, config.get("tokenizer") or {}
    data, pretrain = config.get("data") or {}, config.get("pretrain") or {}
    finetune, task = config.get("finetune") or {}, config.get("classification") or {}
    init = read_json_object(root / "init.json")
    labels = read_json_object(root / "labels.json").get("labels") or []
    pooling = read_json_object(root / "classifier.json").get("pooling")
    last = {k: v for k, v in (summary.get("last") or {}).items() if isinstance(v, (int, float))}
    best = summary.get("best") or {}

    meta: dict[str, Any] = {
        "library_name": "transformers",
        "pipeline_tag": "text-classification" if finetuned else "fill-mask",
        "tags": ["bert", "bertbench", "text-classification" if finetuned else "fill-mask"],
        "license": "other",
    }
    sources = [data.get("source"), task.get("train")]
    datasets = [
        s.removeprefix("hf:") for s in sources if isinstance(s, str) and s.startswith("hf:")
    ]
    if datasets:
        meta["datasets"] = datasets
    metric_names = sorted(
        {k.split("/", 1)[1] for k in last if k.startswith(("test/", "validation/"))}
    )
    if metric_names:
        meta["metrics"] = metric_names
    base = _hub_base(finetune.get("init"))
    if base:
        meta["base_model"] = base

    name = summary.get("run_id") or root.name
    kind = "fine-tuned text classifier" if finetuned else "pre-trained BERT (masked LM)"
    lines = [
        "---",
        _yaml(meta),
        "---",
        "",
        f"# {name}",
        "",
        f"A {kind} trained with bertbench from the preset "
        f"`{config.get('name', '?')}`"
        + (f" ({config['description']})" if config.get("description") else "")
        + ".",
        "",
        "## Model",
        "",
        f"- architecture: `{model_class}`, {model.get('num_layers', '?')} layers, hidden size "
        f"{model.get('hidden_size', '?')}, {model.get('num_heads', '?')} heads, feed-forward "
        f"{model.get('intermediate_size', '?')}",
        f"- tokenizer: {tokenizer.get('kind', 'from the init model')}, vocabulary "
        f"{tokenizer.get('vocab_size', '?')}",
        f"- exported from the checkpoint at step {step if step is not None else '?'}",
    ]
    if finetuned:
        lines += [
            f"- labels: {', '.join(f'`{label}`' for label in labels) or '?'}",
            f"- pooling: `{pooling or 'cls'}`"
            + (
                " (the mean of the real tokens' final states; see below)"
                if pooling == "mean"
                else ""
            ),
            f"- started from: `{init.get('source', finetune.get('init', '?'))}`",
        ]
    lines += ["", "## Training", ""]
    if finetuned:
        lines += [
            f"- data: `{Path(str(task.get('train', '?'))).name}` (text column "
            f"`{task.get('text_column', 'text')}`, "
            f"label column `{task.get('label_column', 'label')}`)",
            f"- {finetune.get('epochs', '?')} epochs, learning rate {finetune.get('lr', '?')}, "
            f"batch size {task.get('batch_size', '?')}, "
            f"sequences of {task.get('max_seq_len', '?')} tokens",
        ]
    else:
        lines += [
            f"- corpus: `{data.get('source', '?')}`, sequences of {data.get('max_seq_len', '?')} "
            f"tokens, batch size {data.get('batch_size', '?')}",
            f"- objective: {model.get('objective', 'mlm+nsp')}, {pretrain.get('max_steps', '?')} "
            f"steps, learning rate {pretrain.get('lr', '?')}",
        ]
    elapsed = summary.get("elapsed_s")
    lines.append(
        f"- status: {summary.get('status', '?')} at step {summary.get('step', '?')}"
        + (f", {float(elapsed) / 60:.1f} minutes of training" if elapsed else "")
        + (f" on {summary['device']}" if summary.get("device") else "")
    )
    lines += ["", "## Results", "", "| metric | value |", "| --- | ---: |"]
    shown = {k: v for k, v in last.items() if k.startswith(("test/", "validation/"))}
    for key in sorted(shown):
        lines.append(f"| {key} (last) | {_number(shown[key])} |")
    for key in sorted(k for k in best if k.startswith("validation/")):
        record = best[key]
        if isinstance(record, dict) and "value" in record:
            lines.append(
                f"| {key} (best, step {record.get('step')}) | {_number(record['value'])} |"
            )
    if not shown and not best:
        lines.append("| (no evaluation recorded) | |")
    lines += ["", "## Use", "", "```python"]
    if finetuned and pooling == "mean":
        lines += [
            "import torch",
            "from safetensors.torch import load_file",
            "from transformers import AutoModel, AutoTokenizer",
            "",
            'tokenizer = AutoTokenizer.from_pretrained("PATH")',
            'bert = AutoModel.from_pretrained("PATH")',
            'head = load_file("PATH/classifier.safetensors")  # dense.weight, dense.bias',
            'batch = tokenizer(["some text"], return_tensors="pt")',
            "states = bert(**batch).last_hidden_state",
            'mask = batch["attention_mask"].unsqueeze(-1)',
            "pooled = (states * mask).sum(1) / mask.sum(1)",
            'logits = pooled @ head["dense.weight"].T + head["dense.bias"]',
        ]
    elif finetuned:
        lines += [
            "from transformers import pipeline",
            "",
            'classify = pipeline("text-classification", model="PATH")',
            'print(classify("some text"))',
        ]
    else:
        lines += [
            "from transformers import pipeline",
            "",
            'fill = pipeline("fill-mask", model="PATH")',
            'print(fill("The capital of France is [MASK]."))',
        ]
    lines += ["```", "", "`PATH`: this folder, or its Hub repository's name.", ""]
    return "\n".join(lines)


def write_model_card(
    folder: str | os.PathLike[str],
    run_dir: str | os.PathLike[str],
    *,
    step: int | None,
    model_class: str,
) -> Path:
    """`folder`/README.md: the model card of the run exported there (written atomically)."""
    target = Path(folder) / MODEL_CARD
    atomic_write_text(target, model_card(run_dir, step=step, model_class=model_class))
    return target
