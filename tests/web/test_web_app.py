"""The app shell: served on 127.0.0.1 with analytics and share links off, the address
printed, optional auth, and every event reachable by a documented API name."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import urlopen

import pytest
from gradio_client import Client
from kit.web import UPLOAD_LIMIT, WebPanel, rows

from workbench.services import Services
from workbench.web.app import launch

DOCS = Path(__file__).resolve().parents[2] / "docs" / "web.md"
# The tabs this suite documents (the other tabs document their names in their own section).
OWN_PREFIXES = ("/preset", "/tokenizer", "/runs")


def test_serves_the_page_on_localhost(web: WebPanel) -> None:
    url = urlparse(web.url)
    assert url.hostname == "127.0.0.1"
    with urlopen(web.url, timeout=10) as response:
        assert response.status == 200
        assert "bertbench" in response.read().decode("utf-8")
    config = web.client.config
    assert config.get("analytics_enabled") is False
    assert not config.get("share_url")


def test_api_names_are_the_documented_ones(web: WebPanel) -> None:
    endpoints = set(web.client.view_api(return_format="dict", print_info=False)["named_endpoints"])
    documented = set(re.findall(r"^\| [^|]+ \| `(/[a-z_]+)` \|", DOCS.read_text(), re.MULTILINE))
    assert documented <= endpoints, documented - endpoints
    own = {e for e in endpoints if e.startswith(OWN_PREFIXES)}
    assert own <= documented, own - documented


def test_auth_and_printed_address(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    services = Services(tmp_path / "ws")
    panel = launch(services, port=0, auth=("ann", "s3cret:x"), block=False)
    try:
        printed = capsys.readouterr().out
        assert f"bertbench web panel: {panel.url}" in printed
        assert "ssh -L" in printed
        with pytest.raises(Exception, match="(?i)login|auth|credentials"):
            Client(panel.url, auth=("ann", "wrong"), verbose=False)
        client = Client(panel.url, auth=("ann", "s3cret:x"), verbose=False)
        names = [r[0] for r in rows(client.predict(api_name="/presets_list")[0])]
        assert "quickstart" in names
        client.close()
    finally:
        panel.close()


def test_the_server_refuses_oversized_uploads(web: WebPanel) -> None:
    """Gradio's own limit (max_file_size), checked by the server, not only by the client."""
    import httpx

    small = httpx.post(web.url + "gradio_api/upload", files={"files": ("a.txt", b"x" * 100)})
    assert small.status_code == 200
    big = httpx.post(
        web.url + "gradio_api/upload", files={"files": ("b.txt", b"x" * (UPLOAD_LIMIT + 1))}
    )
    assert big.status_code == 413
