"""Fixtures of the web panel tests: one panel for the whole session, over a temporary
workspace, served on a free port of 127.0.0.1 and driven with gradio_client.

    def test_something(web: WebPanel) -> None:
        url, services, client = web
        client.predict(api_name="/presets_list")

The workspace holds a generated corpus (`corpus.txt`) and a saved preset `tiny` (a one-layer
BERT whose pre-training takes seconds on a CPU, see tests/kit/services.py).
`finished_runs` adds two finished tiny pre-training runs (different learning rates).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from kit.services import tiny_preset  # shared through tests/conftest.py
from kit.web import RUN_LIMIT, UPLOAD_LIMIT, WebPanel

from workbench.services import Services  # noqa: E402


@pytest.fixture(scope="session")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebPanel]:
    from gradio_client import Client

    from workbench.web.app import launch

    tmp = tmp_path_factory.mktemp("web")
    # Confined as `bertbench web` runs it; the test's own files (corpus, tasks) in `tmp` are a
    # --data-dir folder.
    services = Services(
        tmp / "ws", max_upload_bytes=UPLOAD_LIMIT, confine_paths=True, data_dirs=[str(tmp)]
    )
    services.presets.save(tiny_preset(tmp), "tiny")
    panel = launch(services, port=0, block=False, quiet=True)
    client = Client(panel.url, verbose=False, download_files=str(tmp / "downloads"))
    try:
        yield WebPanel(panel.url, services, client)
    finally:
        client.close()
        panel.close()
        services.close()


@pytest.fixture(scope="session")
def finished_runs(web: WebPanel) -> list[str]:
    """Two finished tiny pre-training runs in the panel's workspace (their run ids)."""
    manager = web.services.manager
    ids = []
    for name, lr in (("tiny-a", 1e-3), ("tiny-b", 3e-3)):
        run = manager.start_pretraining("tiny", [f"pretrain.lr={lr}"], name=name)
        status = manager.wait(run, RUN_LIMIT)
        assert status.status == "finished", status.error
        assert status.run_dir is not None
        ids.append(status.run_dir.name)
    return ids
