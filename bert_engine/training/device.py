"""Device selection and mixed precision.

`select_device("auto")` prefers CUDA, then Apple MPS, then CPU. An explicitly requested device
that is not there is an error with a way out, never a silent fallback: a run that was meant for
the GPU should not quietly spend a day on the CPU.
"""

from __future__ import annotations

import contextlib

import torch

from bert_engine.errors import BertbenchError

PRECISIONS = ("auto", "fp32", "bf16", "fp16")


class DeviceError(BertbenchError, ValueError):
    """A requested device or precision cannot be used on this machine."""


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def available_devices() -> list[str]:
    """Device names usable here, best first (e.g. ['cuda:0', 'cpu'])."""
    names = (
        [f"cuda:{i}" for i in range(torch.cuda.device_count())] if torch.cuda.is_available() else []
    )
    if _mps_available():
        names.append("mps")
    names.append("cpu")
    return names


def select_device(requested: str | torch.device | None = "auto") -> torch.device:
    """Resolve 'auto' / 'cuda' / 'cuda:1' / 'mps' / 'cpu' to a usable `torch.device`.

    Raises DeviceError naming what was asked for, what exists, and how to choose instead.
    """
    if requested is None or (isinstance(requested, str) and requested.strip().lower() == "auto"):
        if torch.cuda.is_available():
            return torch.device("cuda", torch.cuda.current_device())
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(
            requested.strip().lower() if isinstance(requested, str) else requested
        )
    except (RuntimeError, ValueError) as exc:
        raise DeviceError(
            f"unknown device {requested!r}: use 'auto', 'cpu', 'cuda', 'cuda:<index>' or 'mps' "
            f"(available here: {', '.join(available_devices())})"
        ) from exc
    hint = f"available here: {', '.join(available_devices())}; pass --device auto or cpu"
    if device.type == "cuda":
        if not torch.cuda.is_available():
            why = (
                "this PyTorch build has no CUDA support"
                if torch.version.cuda is None
                else "no CUDA GPU is visible (driver missing or CUDA_VISIBLE_DEVICES empty?)"
            )
            raise DeviceError(f"device {str(requested)!r} was requested but {why}; {hint}")
        index = device.index if device.index is not None else torch.cuda.current_device()
        if index >= torch.cuda.device_count():
            raise DeviceError(
                f"device {str(requested)!r} was requested but only "
                f"{torch.cuda.device_count()} CUDA device(s) exist; {hint}"
            )
        return torch.device("cuda", index)
    if device.type == "mps":
        if not _mps_available():
            raise DeviceError(
                f"device 'mps' was requested but Apple Metal (MPS) is not available; {hint}"
            )
        return device
    if device.type == "cpu":
        return torch.device("cpu")
    raise DeviceError(f"device type {device.type!r} is not supported for training; {hint}")


def resolve_precision(precision: str, device: torch.device) -> str:
    """Turn 'auto' into a concrete precision and validate the name.

    'auto' means bf16 on a CUDA GPU that supports it, fp32 elsewhere. bf16/fp16 requested on a
    non-CUDA device are kept as written but `autocast` treats them as a no-op there, so one
    preset runs unchanged on a laptop and on a GPU server.
    """
    if precision not in PRECISIONS:
        raise DeviceError(f"unknown precision {precision!r}: choose one of {', '.join(PRECISIONS)}")
    if precision == "auto":
        if device.type == "cuda" and torch.cuda.is_bf16_supported():
            return "bf16"
        return "fp32"
    return precision


def autocast(device: torch.device, precision: str) -> contextlib.AbstractContextManager:
    """The mixed-precision context for the forward pass: bf16/fp16 autocast on CUDA, else none."""
    if device.type == "cuda" and precision in ("bf16", "fp16"):
        dtype = torch.bfloat16 if precision == "bf16" else torch.float16
        return torch.autocast(device_type="cuda", dtype=dtype)
    return contextlib.nullcontext()


def needs_grad_scaler(device: torch.device, precision: str) -> bool:
    """fp16 gradients underflow without loss scaling; bf16 has fp32's range and needs none."""
    return device.type == "cuda" and precision == "fp16"


def move_to_device(batch: dict, device: torch.device) -> dict:
    """Copy the tensors of a batch dict to `device`; other values pass through untouched."""
    non_blocking = device.type == "cuda"
    return {
        key: value.to(device, non_blocking=non_blocking)
        if isinstance(value, torch.Tensor)
        else value
        for key, value in batch.items()
    }
