"""The app shell: served on 127.0.0.1, every event reachable by a stable API name."""

from __future__ import annotations

from urllib.parse import urlparse
from urllib.request import urlopen

from web_kit import WebPanel


def test_serves_the_page_on_localhost(web: WebPanel) -> None:
    url = urlparse(web.url)
    assert url.hostname == "127.0.0.1"
    with urlopen(web.url, timeout=10) as response:
        assert response.status == 200
        assert "bertbench" in response.read().decode("utf-8")
