"""How much memory a training run needs, estimated before anything is allocated (torch-free).

`estimate_training_memory` counts the model's parameters exactly from its config and adds the
gradients, AdamW's two moment buffers and the activations one training step keeps for the
backward pass (the formula is in docs/training.md). `check_memory` compares the total with the
free memory of the device (available RAM on the CPU, `torch.cuda.mem_get_info` on a GPU) and
refuses with the numbers and what to lower. The workflows call it before the model is built, so
a preset that cannot fit stops in seconds instead of swapping the machine to death.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bert_engine.errors import BertbenchError

if TYPE_CHECKING:
    from bert_engine.schema import Preset, TokenizerSettings
    from bert_engine.schema.bert import BertConfig
    from bert_engine.training.finetune.plan import FinetunePlan

# Use at most this share of the free memory: the allocator, the data pipeline, the
# interpreter and other processes need the rest.
SAFETY_FRACTION = 0.9
_GIB = 1024**3
_MIB = 1024**2
# What a training process uses beyond tensors, measured with torch 2.x: on the CPU the kernels'
# code pages and thread pools (~185 MiB for a 12k-parameter model); on CUDA cuBLAS workspaces
# and the caching allocator's rounding (the CUDA context is already out of the free memory).
RUNTIME_BYTES = {"cpu": 192 * _MIB, "mps": 192 * _MIB, "cuda": 512 * _MIB}


class MemoryCheckError(BertbenchError, ValueError):
    """The run would not fit in the device's free memory (the message has the numbers)."""


@dataclass(frozen=True)
class ModelShape:
    """What the estimate needs to know about the model (a BertConfig has these fields)."""

    vocab_size: int
    hidden_size: int
    num_layers: int
    num_heads: int
    intermediate_size: int
    max_position_embeddings: int
    type_vocab_size: int = 2

    @classmethod
    def of(cls, config: Any) -> ModelShape:
        names = [f for f in cls.__dataclass_fields__]
        return cls(**{n: int(getattr(config, n)) for n in names if hasattr(config, n)})


def count_parameters(shape: ModelShape, head: str = "mlm+nsp", num_labels: int = 2) -> int:
    """Trainable parameters of our BERT with `head` ("mlm+nsp", "mlm", "electra" (bounded
    above) or "classifier"),
    exactly as `bert_engine.modeling` builds it (the MLM decoder is tied to the embeddings)."""
    v, h, i = shape.vocab_size, shape.hidden_size, shape.intermediate_size
    embeddings = (v + shape.max_position_embeddings + shape.type_vocab_size) * h + 2 * h
    # fused QKV, attention output + LayerNorm, feed-forward up and down + LayerNorm
    layer = (3 * h * h + 3 * h) + (h * h + h + 2 * h) + (h * i + i) + (i * h + h + 2 * h)
    pooler = h * h + h
    mlm = h * h + h + 2 * h + v  # transform, LayerNorm, decoder bias
    total = embeddings + shape.num_layers * layer
    if head == "mlm+nsp":
        return total + pooler + mlm + 2 * h + 2
    if head == "mlm":
        return total + mlm
    if head == "classifier":
        return total + pooler + h * num_labels + num_labels
    if head == "electra":
        # The generator is narrower (generator_fraction of the width); counting it as a second
        # full-width encoder keeps the estimate on the safe side. Plus the detection head.
        return total + shape.num_layers * layer + mlm + h * h + 2 * h + 1
    raise ValueError(f"unknown head {head!r}; use 'mlm+nsp', 'mlm', 'electra' or 'classifier'")


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes one training process needs, by kind."""

    parameters: int  # how many
    parameter_bytes: int
    gradient_bytes: int
    optimizer_bytes: int
    activation_bytes: int
    runtime_bytes: int  # the framework's own: kernels' code and workspaces, allocator slack
    device: str  # "cpu", "cuda", "mps"
    precision: str  # "fp32", "bf16", "fp16"

    @property
    def total_bytes(self) -> int:
        return (
            self.parameter_bytes
            + self.gradient_bytes
            + self.optimizer_bytes
            + self.activation_bytes
            + self.runtime_bytes
        )

    def describe(self) -> str:
        return (
            f"{_size(self.total_bytes)} ({self.parameters:,} parameters: weights "
            f"{_size(self.parameter_bytes)}, gradients {_size(self.gradient_bytes)}, AdamW state "
            f"{_size(self.optimizer_bytes)}; activations {_size(self.activation_bytes)}; runtime "
            f"{_size(self.runtime_bytes)})"
        )


def estimate_training_memory(
    config: Any,
    *,
    batch_size: int,
    seq_len: int,
    precision: str = "fp32",
    device: str = "cpu",
    head: str = "mlm+nsp",
    num_labels: int = 2,
    mlm_probability: float = 0.15,
) -> MemoryEstimate:
    """Memory of one training step of `config` (a BertConfig or ModelShape) on `device`
    ("cpu", "cuda", "mps") in `precision` ("fp32", "bf16", "fp16"; half precision acts on
    CUDA only), with AdamW. See docs/training.md for the formula."""
    shape = config if isinstance(config, ModelShape) else ModelShape.of(config)
    n = count_parameters(shape, head, num_labels)
    kind = device.split(":")[0]
    half = kind == "cuda" and precision in ("bf16", "fp16")
    # Weights, gradients and AdamW's moments stay fp32 (autocast computes in half precision but
    # keeps fp32 master weights); under autocast each weight also gets a cached half copy.
    weights = 4 * n + (2 * n if half else 0)
    gradients = 4 * n
    # Two fp32 moments; on CUDA torch's multi-tensor AdamW also holds one fp32 temporary.
    optimizer = 8 * n + (4 * n if kind == "cuda" else 0)
    tokens = batch_size * seq_len
    h, i, a = shape.hidden_size, shape.intermediate_size, shape.num_heads
    act = 2 if half else 4  # bytes per saved activation element
    # Per layer and token: the saved inputs of the QKV, attention-output and feed-forward
    # matmuls, q/k/v and the attention output, two LayerNorms, GELU's input and output (two
    # tensors of the intermediate size), plus one byte per element for each dropout mask.
    per_token_layer = act * (10 * h + 2 * i) + 3 * h
    if kind != "cuda":
        # Off CUDA, SDPA's math path keeps the attention probabilities (and their dropout mask).
        per_token_layer += (2 * act + 1) * a * seq_len
    layers = shape.num_layers * tokens * per_token_layer
    if head == "electra":  # the generator's layers (counted at full width) and a second pass
        layers *= 3
    embeddings = tokens * (3 * act * h + h)
    if head == "classifier":
        heads = batch_size * (act * 3 * h + 4 * num_labels)
    else:
        # Logits over the vocabulary for the masked tokens only: the logits, their log-softmax
        # and the gradient of the logits, all fp32.
        masked = max(1, round(tokens * mlm_probability))
        heads = masked * (12 * shape.vocab_size + 5 * act * h)
    # At its peak the backward pass also holds gradients of about 1.5 layers' activations.
    backward = 3 * tokens * per_token_layer // 2
    activations = layers + embeddings + heads + backward
    return MemoryEstimate(
        parameters=n,
        parameter_bytes=weights,
        gradient_bytes=gradients,
        optimizer_bytes=optimizer,
        activation_bytes=activations,
        runtime_bytes=RUNTIME_BYTES.get(kind, RUNTIME_BYTES["cpu"]),
        device=kind,
        precision=precision if half else "fp32",
    )


# ----------------------------------------------------------------------------- free memory
def available_ram() -> int | None:
    """Bytes of RAM available to a new process (MemAvailable), or None when unknown."""
    try:
        import psutil  # type: ignore[import-untyped]

        return int(psutil.virtual_memory().available)
    except ImportError:
        pass
    try:
        text = Path("/proc/meminfo").read_text(encoding="ascii")
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) * 1024
    return None


def _gpu_may_exist() -> bool:
    """Whether a CUDA/ROCm GPU could be here (decides "auto" without importing torch)."""
    return any(
        os.path.exists(p) for p in ("/proc/driver/nvidia", "/dev/nvidia0", "/dev/kfd")
    ) or bool(shutil.which("nvidia-smi"))


def resolve_device_kind(requested: str) -> str | None:
    """'cpu', 'cuda', 'mps' for a device setting; None when it cannot be told without torch.

    With torch already imported, "auto" is resolved as the trainer resolves it."""
    name = (requested or "auto").strip().lower()
    if name != "auto":
        return name.split(":")[0]
    if "torch" in sys.modules:
        from bert_engine.training.device import select_device

        return select_device("auto").type
    if _gpu_may_exist():
        return None
    return "mps" if sys.platform == "darwin" else "cpu"


def free_memory(requested: str) -> tuple[str, int] | None:
    """(device kind, free bytes) of the device a run would use, or None when unknown (a GPU
    without torch imported yet, or no way to read the free memory)."""
    kind = resolve_device_kind(requested)
    if kind is None:
        return None
    if kind == "cuda":
        if "torch" not in sys.modules:
            return None
        import torch

        from bert_engine.training.device import select_device

        device = select_device(requested)  # a clear DeviceError when it does not exist
        free, _total = torch.cuda.mem_get_info(device)
        return kind, int(free)
    ram = available_ram()  # the CPU, and Apple's unified memory for MPS
    return None if ram is None else (kind, ram)


# ----------------------------------------------------------------------------- the check
def check_memory(
    estimate: MemoryEstimate, free: int, *, override: str, lower: str, device: str = ""
) -> None:
    """Raise MemoryCheckError when `estimate` exceeds SAFETY_FRACTION of `free` bytes."""
    usable = int(free * SAFETY_FRACTION)
    if estimate.total_bytes <= usable:
        return
    where = device or estimate.device
    what = "available RAM" if estimate.device != "cuda" else "free GPU memory"
    raise MemoryCheckError(
        f"this run needs about {estimate.describe()}, but device {where!r} has "
        f"{_size(free)} of {what} (at most {int(SAFETY_FRACTION * 100)}% is used); lower "
        f"{lower}, or set {override}=true to start anyway"
    )


def check_pretrain_memory(preset: Preset) -> MemoryEstimate | None:
    """Refuse a pre-training preset that cannot fit (MemoryCheckError); the estimate, or None
    when the free memory cannot be known yet (a GPU before torch is imported)."""
    p, d = preset.pretrain, preset.data
    if p.ignore_memory_check:
        return None
    found = free_memory(p.device)
    if found is None:
        return None
    kind, free = found
    vocab = preset.model.vocab_size or _tokenizer_vocab(preset.tokenizer)
    config = preset.model.bert_config(vocab)
    estimate = estimate_training_memory(
        config,
        batch_size=d.batch_size,
        seq_len=d.max_seq_len,
        precision=_precision(p.precision, kind),
        device=kind,
        head=preset.model.objective,
        mlm_probability=d.mlm_probability,
    )
    check_memory(
        estimate,
        free,
        override="pretrain.ignore_memory_check",
        lower="data.batch_size, data.max_seq_len or the model size (model.size, "
        "model.hidden_size, model.num_layers, model.intermediate_size)",
        device=p.device if p.device != "auto" else kind,
    )
    return estimate


def check_finetune_memory(
    plan: FinetunePlan, resume: str | os.PathLike[str] | None = None
) -> MemoryEstimate | None:
    """The same for a fine-tuning plan (`training.finetune.FinetunePlan`); the model comes from
    the resumed run, the init run or HuggingFace folder, or the preset's [model] table."""
    s, d = plan.settings, plan.data
    if s.ignore_memory_check:
        return None
    found = free_memory(s.device)
    if found is None:
        return None
    config = _finetune_config(plan, resume)
    if config is None:
        return None
    kind, free = found
    seq_len = min(d.max_seq_len, int(config.max_position_embeddings))
    estimate = estimate_training_memory(
        config,
        batch_size=s.batch_size or d.batch_size,
        seq_len=seq_len,
        precision=_precision(s.precision, kind),
        device=kind,
        head="classifier",
    )
    check_memory(
        estimate,
        free,
        override="finetune.ignore_memory_check",
        lower="finetune.batch_size (or classification.batch_size), classification.max_seq_len "
        "or the model size",
        device=s.device if s.device != "auto" else kind,
    )
    return estimate


def _precision(precision: str, kind: str) -> str:
    # "auto" is bf16 on CUDA GPUs that support it: assume the cheaper one only when known.
    if precision != "auto":
        return precision
    return "bf16" if kind == "cuda" else "fp32"


def _tokenizer_vocab(settings: TokenizerSettings) -> int:
    if settings.path is not None:
        try:
            from bert_engine.tokenizers import load_tokenizer

            return int(load_tokenizer(settings.path).vocab_size)
        except Exception:  # an unreadable tokenizer is reported where it is loaded
            pass
    return int(settings.vocab_size)


def _finetune_config(
    plan: FinetunePlan, resume: str | os.PathLike[str] | None
) -> BertConfig | None:
    """The fine-tuned model's architecture as far as it can be read cheaply, or None (then
    the workflow reports the problem where it reads the files)."""
    import json

    from bert_engine.schema.bert import BertConfig

    def read(path: Path, hf: bool) -> Any:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return BertConfig.from_hf_dict(data) if hf else BertConfig.model_validate(data)
        except (OSError, ValueError):
            return None

    if resume is not None:
        return read(Path(resume) / "bert_config.json", hf=False)
    from bert_engine.training.finetune import resolve_init

    try:
        kind, path = resolve_init(str(plan.settings.init), Path(plan.runs_dir))
    except ValueError:
        return None
    if kind == "random":
        vocab = min(plan.tokenizer.vocab_size if plan.tokenizer else 8000, 30522)
        model = plan.model
        if isinstance(model, BertConfig):
            return model
        if model is not None:  # ModelSettings
            return model.bert_config(vocab)
        return BertConfig.from_size("tiny", vocab_size=vocab)
    assert path is not None
    if kind == "hf":
        return read(path / "config.json", hf=True)
    try:  # one of our pre-training runs
        from bert_engine.inference import read_bert_config
        from bert_engine.tokenizers import load_tokenizer

        vocab = load_tokenizer(path / "tokenizer.json").vocab_size
        return read_bert_config(path, vocab)
    except (OSError, ValueError):
        return None


def _size(n: float) -> str:
    if n >= 1024 * _GIB:
        return f"{n / (1024 * _GIB):,.1f} TiB"
    if n >= _GIB:
        return f"{n / _GIB:.1f} GiB"
    return f"{n / _MIB:.0f} MiB"
