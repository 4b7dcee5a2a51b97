import pytest
import torch

from bert_engine.training import DeviceError, autocast, resolve_precision, select_device
from bert_engine.training.device import available_devices, move_to_device, needs_grad_scaler


def test_cpu_and_auto_resolve_to_available_devices():
    assert select_device("cpu") == torch.device("cpu")
    assert select_device(" CPU ") == torch.device("cpu")
    auto = select_device("auto")
    assert str(auto) in available_devices() or auto.type in ("cuda", "mps")
    if not torch.cuda.is_available() and not torch.backends.mps.is_available():
        assert auto == torch.device("cpu")
    assert select_device(None) == auto


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_unavailable_cuda_is_a_clear_error():
    with pytest.raises(DeviceError, match=r"'cuda'.*--device auto or cpu"):
        select_device("cuda")


def test_missing_cuda_index_is_a_clear_error():
    with pytest.raises(DeviceError, match="cuda:99"):
        select_device("cuda:99")


@pytest.mark.skipif(torch.backends.mps.is_available(), reason="needs a machine without MPS")
def test_unavailable_mps_is_a_clear_error():
    with pytest.raises(DeviceError, match="MPS"):
        select_device("mps")


def test_unknown_device_names_list_the_choices():
    with pytest.raises(DeviceError, match="unknown device 'banana'.*'auto', 'cpu'"):
        select_device("banana")
    with pytest.raises(DeviceError, match="not supported"):
        select_device("meta")


def test_precision_resolution():
    cpu = torch.device("cpu")
    assert resolve_precision("auto", cpu) == "fp32"
    assert resolve_precision("bf16", cpu) == "bf16"
    with pytest.raises(DeviceError, match="unknown precision 'fp8'"):
        resolve_precision("fp8", cpu)
    assert not needs_grad_scaler(cpu, "fp16")


def test_autocast_is_a_no_op_on_cpu():
    a = torch.randn(4, 4)
    with autocast(torch.device("cpu"), "bf16"):
        out = a @ a
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, a @ a)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_autocast_uses_bf16_on_cuda():
    a = torch.randn(4, 4, device="cuda")
    with autocast(torch.device("cuda"), "bf16"):
        assert (a @ a).dtype == torch.bfloat16


def test_move_to_device_keeps_non_tensors():
    batch = {"x": torch.ones(2), "name": "abc"}
    moved = move_to_device(batch, torch.device("cpu"))
    assert moved["name"] == "abc" and torch.equal(moved["x"], batch["x"])
