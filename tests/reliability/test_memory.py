"""The memory estimate: exact parameter counts, close to measured peaks, and a refusal (exit 2,
in seconds, nothing allocated) for presets that cannot fit."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from bert_engine.modeling import (
    BertConfig,
    BertForMaskedLM,
    BertForPreTraining,
    BertForSequenceClassification,
)
from bert_engine.presets import PresetError, load_preset
from bert_engine.training.memory import (
    MemoryCheckError,
    ModelShape,
    available_ram,
    check_memory,
    check_pretrain_memory,
    count_parameters,
    estimate_training_memory,
)

ROOT = Path(__file__).resolve().parents[2]
HUGE = [
    "model.hidden_size=16384",
    "model.num_heads=16",
    "model.num_layers=48",
    "model.intermediate_size=65536",
]
LONG = ["data.max_seq_len=65536", "model.max_position_embeddings=65536", "data.batch_size=4096"]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


# ----------------------------------------------------------------------------- the count
@pytest.mark.parametrize(
    ("cls", "head"),
    [
        (BertForPreTraining, "mlm+nsp"),
        (BertForMaskedLM, "mlm"),
        (BertForSequenceClassification, "classifier"),
    ],
)
def test_parameter_count_is_exact(cls: type, head: str) -> None:
    config = BertConfig(
        vocab_size=321, hidden_size=48, num_layers=3, num_heads=4, intermediate_size=80,
        max_position_embeddings=64,
    )  # fmt: skip
    model = cls(config, 3) if head == "classifier" else cls(config)
    real = sum(p.numel() for p in model.parameters())
    assert count_parameters(ModelShape.of(config), head, num_labels=3) == real


# ----------------------------------------------------------------------------- against peaks
_MEASURE = textwrap.dedent(
    """
    import json, sys
    import torch
    torch.set_num_threads(1)
    from bert_engine.modeling import (
        BertConfig, BertForMaskedLM, BertForPreTraining, BertForSequenceClassification,
    )
    from bert_engine.training.optim import build_optimizer

    args = json.loads(sys.argv[1])
    head, batch, seq = args.pop("head"), args.pop("batch"), args.pop("seq")
    config = BertConfig(**args)
    torch.manual_seed(0)
    ids = torch.randint(5, config.vocab_size, (batch, seq))
    types, mask = torch.zeros_like(ids), torch.ones_like(ids)
    labels = torch.full_like(ids, -100)
    picked = torch.rand(batch, seq) < 0.15
    labels[picked] = ids[picked]
    nsp = torch.randint(0, 2, (batch,))
    def status_kib(key):
        for line in open("/proc/self/status"):
            if line.startswith(key + ":"):
                return int(line.split()[1])

    # The lifetime high-water mark (ru_maxrss) may already sit above the current RSS (a peak
    # while importing), hiding the step's growth: reset it (Linux clear_refs 5) and measure
    # from the resident size now.
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    before = status_kib("VmRSS")
    if head == "mlm+nsp":
        model = BertForPreTraining(config)
        step = lambda: model(ids, types, mask, labels, nsp).loss
    elif head == "mlm":
        model = BertForMaskedLM(config)
        step = lambda: model(ids, types, mask, labels).loss
    else:
        model = BertForSequenceClassification(config, 2)
        step = lambda: model(ids, types, mask, nsp).loss
    optimizer = build_optimizer(model, lr=1e-4)
    model.train()
    for _ in range(2):  # the second step has AdamW's state too
        optimizer.zero_grad(set_to_none=True)
        step().backward()
        optimizer.step()
    peak = status_kib("VmHWM")
    print(json.dumps({"peak": (peak - before) * 1024}))
    """
)

SIZES = [
    # weights dominate (17.5M parameters, few tokens)
    {"head": "mlm+nsp", "batch": 2, "seq": 64, "vocab_size": 8000, "hidden_size": 512,
     "num_layers": 4, "num_heads": 8, "intermediate_size": 2048},
    # activations dominate (4096 tokens), MLM objective
    {"head": "mlm", "batch": 32, "seq": 128, "vocab_size": 8000, "hidden_size": 256,
     "num_layers": 4, "num_heads": 4, "intermediate_size": 1024},
    # fine-tuning shape: long sequences (attention probabilities), a classifier head
    {"head": "classifier", "batch": 8, "seq": 512, "vocab_size": 8000, "hidden_size": 256,
     "num_layers": 4, "num_heads": 4, "intermediate_size": 1024},
]  # fmt: skip


@pytest.mark.parametrize("size", SIZES, ids=["weights", "activations", "long-classifier"])
def test_estimate_is_within_30_percent_of_the_measured_peak(size: dict) -> None:
    if not Path("/proc/self/clear_refs").exists():
        pytest.skip("measures with Linux's /proc/self/clear_refs and VmHWM")
    ram = available_ram()
    if ram is not None and ram < 3 * 1024**3:
        pytest.skip("needs ~1.5 GiB of free RAM to measure a training step")
    out = subprocess.run(
        [sys.executable, "-c", _MEASURE, json.dumps(size)],
        capture_output=True, text=True, env=_env(), timeout=600, check=True,
    )  # fmt: skip
    peak = json.loads(out.stdout.strip().splitlines()[-1])["peak"]
    args = dict(size)
    head, batch, seq = args.pop("head"), args.pop("batch"), args.pop("seq")
    estimate = estimate_training_memory(
        BertConfig(**args), batch_size=batch, seq_len=seq, device="cpu", head=head
    )
    ratio = estimate.total_bytes / peak
    assert 0.7 <= ratio <= 1.3, f"estimate {estimate.describe()} vs measured {peak >> 20} MiB"


# ----------------------------------------------------------------------------- the refusal
def test_check_memory_refuses_with_the_numbers_and_what_to_lower() -> None:
    config = BertConfig.from_size("base")
    estimate = estimate_training_memory(config, batch_size=32, seq_len=128)
    check_memory(estimate, estimate.total_bytes * 2, override="x.ignore", lower="the batch")
    with pytest.raises(MemoryCheckError) as info:
        check_memory(estimate, 1024**3, override="x.ignore", lower="the batch")
    message = str(info.value)
    assert "110,106,428 parameters" in message and "1.0 GiB" in message
    assert "lower the batch" in message and "x.ignore=true" in message
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("overrides", [HUGE, LONG], ids=["huge-model", "long-batch"])
def test_pretrain_presets_that_cannot_fit_are_refused(overrides: list[str]) -> None:
    preset = load_preset("quickstart", [*overrides, "pretrain.device=cpu"])
    with pytest.raises(MemoryCheckError, match="needs about .* TiB"):
        check_pretrain_memory(preset)
    ignored = load_preset("quickstart", [*overrides, "pretrain.ignore_memory_check=true"])
    assert check_pretrain_memory(ignored) is None


def test_quickstart_fits() -> None:
    estimate = check_pretrain_memory(load_preset("quickstart", ["pretrain.device=cpu"]))
    assert estimate is not None and estimate.total_bytes < 2 * 1024**3


def test_finetune_refuses_before_reading_data_or_creating_a_run(tmp_path: Path) -> None:
    from bert_engine.training.finetune import (
        ClassificationDataSettings,
        FinetuneSettings,
        finetune,
    )

    huge = BertConfig(
        vocab_size=8000, hidden_size=16384, num_heads=16, num_layers=48,
        intermediate_size=65536,
    )  # fmt: skip
    data = ClassificationDataSettings(train=str(tmp_path / "missing.csv"))
    with pytest.raises(MemoryCheckError, match="finetune.ignore_memory_check"):
        finetune(
            FinetuneSettings(device="cpu"), data=data, model_config=huge, runs_dir=tmp_path / "r"
        )
    assert not (tmp_path / "r").exists()


def test_schema_has_sane_upper_bounds() -> None:
    for override in (
        "pretrain.max_steps=99999999999999999999999",
        "pretrain.seed=99999999999999999999999",
        "model.intermediate_size=99999999999",
        "pretrain.checkpoint_every=99999999999999",
    ):
        with pytest.raises(PresetError, match="less than or equal"):
            load_preset("quickstart", [override])


def test_cli_refuses_a_huge_model_in_seconds(tmp_path: Path) -> None:
    """Exit 2 with the estimate, no run folder, nothing allocated: within 10 s of what the
    interpreter needs to import the training stack (measured here, the machine may be busy)."""
    start = time.monotonic()
    subprocess.run(
        [sys.executable, "-c", "import bert_engine.training.pretrain"],
        env=_env(), cwd=tmp_path, check=True, timeout=300,
    )  # fmt: skip
    imports = time.monotonic() - start
    start = time.monotonic()
    out = subprocess.run(
        [sys.executable, "-m", "workbench.cli", "pretrain", "quickstart", "--quiet"]
        + [arg for o in HUGE for arg in ("--set", o)],
        capture_output=True, text=True, env=_env(), cwd=tmp_path, timeout=imports + 60,
    )  # fmt: skip
    elapsed = time.monotonic() - start
    assert out.returncode == 2, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: this run needs about ")
    assert "TiB" in lines[0] and "pretrain.ignore_memory_check=true" in lines[0]
    assert "Traceback" not in out.stderr
    assert elapsed < imports + 10, f"{elapsed:.1f} s (imports alone: {imports:.1f} s)"
    # Both children together never held more than a small model's worth of memory.
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    assert peak < 4 * 1024**3
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_finetune_reads_the_architecture_of_a_huggingface_init(tmp_path: Path) -> None:
    from bert_engine.modeling import BertModel
    from bert_engine.modeling.hf import export_hf
    from bert_engine.training.finetune import (
        ClassificationDataSettings,
        FinetuneSettings,
        plan_of,
    )
    from bert_engine.training.memory import check_finetune_memory

    export_hf(BertModel(BertConfig.from_size("tiny", vocab_size=100)), tmp_path / "hf")
    long = ClassificationDataSettings(train="demo", max_seq_len=4096, batch_size=4096)
    settings = FinetuneSettings(init=str(tmp_path / "hf"), device="cpu")
    with pytest.raises(MemoryCheckError, match="classification.max_seq_len"):
        check_finetune_memory(plan_of(settings, data=long))
    small = ClassificationDataSettings(train="demo", max_seq_len=64, batch_size=8)
    estimate = check_finetune_memory(plan_of(settings, data=small))
    assert estimate is not None
    assert estimate.parameters == count_parameters(
        ModelShape.of(BertConfig.from_size("tiny", vocab_size=100)), "classifier"
    )
