"""The order of the panel's choosers (common.exact_first): a Gradio dropdown filters its choices
by the typed text and Enter takes the first match, so a name comes before every longer name that
contains it (typing `quickstart` and Enter takes quickstart, not classify-quickstart; the browser
side is in test_web_journey_save_in_place.py)."""

from __future__ import annotations

from kit.web import WebPanel

from workbench.web.common import exact_first


def test_a_name_comes_before_the_names_that_contain_it() -> None:
    bundled = [
        "bert-base-gpu-512",
        "bert-base-gpu",
        "classify-quickstart",
        "mlm-only",
        "quickstart",
    ]
    assert exact_first(bundled) == [
        "bert-base-gpu",
        "bert-base-gpu-512",
        "mlm-only",
        "quickstart",
        "classify-quickstart",
    ]
    # Otherwise the given order stays (runs newest first, say); the case is ignored, as the
    # dropdown's filter does; (label, value) choices are ordered by their labels.
    assert exact_first(["b", "a", "c"]) == ["b", "a", "c"]
    assert exact_first(["My-Run-2", "my-run"]) == ["my-run", "My-Run-2"]
    assert exact_first([("tiny-2 · finished", "x"), ("tiny", "y")]) == [
        ("tiny", "y"),
        ("tiny-2 · finished", "x"),
    ]
    assert exact_first([]) == []


def test_the_preset_choosers_offer_quickstart_before_classify_quickstart(web: WebPanel) -> None:
    _, *choosers = web.client.predict(api_name="/presets_list")
    assert len(choosers) == 3
    for chooser in choosers:
        names = [c[0] if isinstance(c, (list, tuple)) else c for c in chooser["choices"]]
        assert names.index("quickstart") < names.index("classify-quickstart")
        assert names.index("bert-base-gpu") < names.index("bert-base-gpu-512")
