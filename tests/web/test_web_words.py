"""What the browser says: the services' CLI-shaped and internal words turned into the panel's
(field labels, button names), no flags, keyword arguments or exception class names."""

from __future__ import annotations

import pytest

from bert_engine.presets import PresetError, apply_overrides, load_preset
from workbench.web.common import browser_words, error_text, failed


@pytest.mark.parametrize(
    ("service", "browser"),
    [
        (
            "DataFileNotFoundError: no file presets/train.csv",
            "no file presets/train.csv",
        ),
        (
            "device cpu is busy with tiny-1 (running, step 3); stop it first, or start the "
            "manager with max_per_device=2 to train side by side",
            "device cpu is busy with tiny-1 (running, step 3); stop it first, or ask whoever "
            "started this panel to allow trainings side by side",
        ),
        (
            "cuda:0 is used by x; wait for it or stop it, or pass --allow-shared-device to "
            "train side by side (slower for both)",
            "cuda:0 is used by x; wait for it or stop it, or ask whoever started this panel "
            "to allow trainings side by side",
        ),
        (
            "no cuda; pass --device auto or cpu",
            "no cuda; set the device to auto or cpu in the preset",
        ),
        ("a plain message stays as it is", "a plain message stays as it is"),
    ],
)
def test_service_words_become_panel_words(service: str, browser: str) -> None:
    assert browser_words(service) == browser


def test_an_override_error_names_the_override_not_the_flag() -> None:
    with pytest.raises(PresetError) as info:
        apply_overrides(load_preset("quickstart"), ["pretrain.max_stepz=3"])
    assert "--set" in str(info.value)  # the CLI's words, right for the CLI
    shown = error_text(info.value)
    assert "--set" not in shown and "the override 'pretrain.max_stepz=3'" in shown
    assert failed(str(info.value)) == f"**⚠ {shown}**"
