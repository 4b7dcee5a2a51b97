import math

import pytest
import torch
from torch import nn

from bert_engine.training import WarmupDecay, build_scheduler


def lrs(kind, total=10, warmup=4, min_lr_ratio=0.0, base=1.0):
    model = nn.Linear(2, 2)
    opt = torch.optim.SGD(model.parameters(), lr=base)
    sched = build_scheduler(
        opt, total_steps=total, warmup_steps=warmup, kind=kind, min_lr_ratio=min_lr_ratio
    )
    seen = []
    for _ in range(total):
        seen.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return seen


def test_linear_warmup_then_linear_decay():
    seen = lrs("linear", base=2.0)
    assert seen[:4] == pytest.approx([0.5, 1.0, 1.5, 2.0])  # rises to the peak in 4 steps
    assert seen[4:] == pytest.approx([2.0 * (1 - k / 6) for k in range(6)])
    assert all(a > b for a, b in zip(seen[4:], seen[5:], strict=False))


def test_cosine_decay_shape():
    f = WarmupDecay(warmup_steps=0, total_steps=100, kind="cosine")
    assert f(0) == pytest.approx(1.0)
    assert f(50) == pytest.approx(0.5)
    assert f(25) == pytest.approx((1 + math.cos(math.pi / 4)) / 2)
    assert f(100) == pytest.approx(0.0) and f(150) == pytest.approx(0.0)


def test_min_lr_ratio_and_constant():
    f = WarmupDecay(warmup_steps=2, total_steps=12, kind="linear", min_lr_ratio=0.1)
    assert f(12) == pytest.approx(0.1) and f(7) == pytest.approx(0.1 + 0.9 * 0.5)
    assert lrs("constant", warmup=2)[2:] == [1.0] * 8


def test_scheduler_state_round_trips_through_weights_only_load(tmp_path):
    model = nn.Linear(2, 2)
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    sched = build_scheduler(opt, total_steps=20, warmup_steps=5, kind="cosine")
    for _ in range(7):
        opt.step()
        sched.step()
    torch.save(sched.state_dict(), tmp_path / "s.pt")
    opt2 = torch.optim.SGD(nn.Linear(2, 2).parameters(), lr=1.0)
    sched2 = build_scheduler(opt2, total_steps=99, warmup_steps=0, kind="linear")
    sched2.load_state_dict(torch.load(tmp_path / "s.pt", weights_only=True))
    assert sched2.last_epoch == 7
    assert sched2.lr_lambdas[0].kind == "cosine" and sched2.lr_lambdas[0].total_steps == 20
    opt2.step()
    sched2.step()
    opt.step()
    sched.step()
    assert opt2.param_groups[0]["lr"] == pytest.approx(opt.param_groups[0]["lr"])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"warmup_steps": 0, "total_steps": 0}, "total_steps"),
        ({"warmup_steps": 11, "total_steps": 10}, "warmup_steps"),
        ({"warmup_steps": 1, "total_steps": 10, "kind": "step"}, "unknown schedule 'step'"),
        ({"warmup_steps": 1, "total_steps": 10, "min_lr_ratio": 2.0}, "min_lr_ratio"),
    ],
)
def test_bad_schedules_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        WarmupDecay(**kwargs)


def test_time_budget_decays_by_the_fraction_of_time_spent():
    s = WarmupDecay(warmup_steps=2, total_steps=100, kind="linear")
    assert s(0) == 0.5 and s(1) == 1.0  # warm-up is counted in steps either way
    s.time_fraction = 0.2  # warm-up ended when 20% of the time was spent
    assert s(2) == 1.0 and s.warmup_end_fraction == 0.2
    s.time_fraction = 0.6  # half of the time after warm-up
    assert s(3) == pytest.approx(0.5)
    s.time_fraction = 1.0
    assert s(4) == 0.0
    # Whichever runs out first leads: here the steps (49 of 98 decay steps) are ahead of time.
    s.time_fraction = 0.3
    assert s(51) == pytest.approx(0.5)
    cosine = WarmupDecay(0, 10, kind="cosine", min_lr_ratio=0.1)
    cosine.time_fraction = 0.0
    cosine(0)
    cosine.time_fraction = 0.5
    assert cosine(1) == pytest.approx(0.1 + 0.9 * 0.5)
