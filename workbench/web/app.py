"""build_app / launch: the Gradio Blocks of the web panel.

Safe by default (docs/web.md, "Security"): it listens on 127.0.0.1 and refuses any other
address without a password (`auth`) unless told `insecure_no_auth`, never opens a share link,
sends no analytics, limits upload sizes (Gradio rejects larger files before the handler runs, the
workspace checks again), serves downloads only from the workspace's exports/ folder, every name
typed in a form goes through the workspace's name check, and with `Services(confine_paths=True)`
(what `bertbench web` builds) every path goes through the sandbox (services/sandbox.py): nothing
outside the workspace and the operator's data folders is read, listed, trained on or written.
"""

from __future__ import annotations

# (the package __init__, imported first, turns Gradio's analytics off before gradio loads)
import inspect
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gradio as gr

from workbench.services import Services
from workbench.web.common import Page
from workbench.web.exposure import check_exposure, is_loopback
from workbench.web.tabs import playground, presets, runs, tokenizer, train

# A tab's build draws it; it may return how to wire its tab's `select` event. A build that
# takes a second argument gets the `Page` (the tab strip, the Train tab's follow hook).
Build = Callable[..., Callable[[gr.Tab], None] | None]
TABS: tuple[tuple[str, Build], ...] = (
    ("Presets", presets.build),
    ("Tokenizer", tokenizer.build),
    ("Train", train.build),
    ("Runs", runs.build),
    ("Try", playground.build),
)

THEME = gr.themes.Soft(primary_hue="indigo", secondary_hue="slate")
CSS = """
footer {display: none !important}
/* Token labels show the token as the tokenizer wrote it ("the", "##ing"), not upper-cased. */
.tokens .label, .tokens .label-input {text-transform: none !important}
/* A narrow page (a phone, half a screen; docs/web.md, "On a narrow screen"): the Train tab's
   run chooser, chart controls and two charts each take the whole width, one below the other
   (the charts stack below 840 px anyway: plots.MIN_WIDTH each). Wide tables (Runs) keep their
   columns and scroll sideways inside their box; the page itself never scrolls sideways. */
@media (max-width: 640px) {
  /* (Gradio puts a row's neighbouring inputs in one .form box: its children too.) */
  #train-run-row > *, #train-chart-controls > *, #train-chart-controls > .form > *,
  .charts > * {
    min-width: 100% !important;
  }
}
"""


def build_app(services: Services) -> gr.Blocks:
    with gr.Blocks(title="bertbench", analytics_enabled=False) as app:
        workspace = services.workspace
        data = workspace.sandbox.data_dirs
        extra = (
            " Data folders (read only): " + ", ".join(f"`{d}`" for d in data) + "."
            if data and workspace.confined
            else ""
        )
        gr.Markdown(
            f"# bertbench\nWorkspace: `{workspace.root}` — runs, presets, tokenizers "
            f"and exports are read from and written to this folder only.{extra}"
        )
        with gr.Tabs(elem_id="tabs") as tabs:
            page = Page(tabs)
            for title, build in TABS:
                # Each tab's id is its title in lower case: `gr.Tabs(selected="train")`.
                with gr.Tab(title, id=title.lower(), elem_id=f"tab-{title.lower()}") as tab:
                    # A tab whose lists go stale while hidden returns how to refresh them
                    # when it is selected.
                    on_select = build(*_arguments(build, services, page))
                if on_select is not None:
                    on_select(tab)
    return app


def _arguments(build: Build, services: Services, page: Page) -> tuple[Any, ...]:
    """(services,) or (services, page) for a tab's build, as it takes them."""
    takes = len(inspect.signature(build).parameters)
    return (services, page) if takes > 1 else (services,)


@dataclass
class Panel:
    """A launched panel: the Blocks (call `close()` to stop serving) and its address."""

    app: gr.Blocks
    url: str

    def close(self) -> None:
        self.app.close()


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on now (for tests and `--port 0`)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def launch(
    services: Services,
    *,
    host: str = "127.0.0.1",
    port: int = 7860,
    auth: tuple[str, str] | None = None,
    insecure_no_auth: bool = False,
    block: bool = True,
    quiet: bool = False,
) -> Panel:
    """Serve the panel. `block=False` returns once the server listens (tests); `block=True`
    serves until Ctrl+C, then stops every run (each writes a checkpoint first).

    A `host` other than loopback needs `auth` (or `insecure_no_auth=True`): an `ExposureError`
    otherwise, before anything listens."""
    check_exposure(host, auth, insecure_no_auth)
    app = build_app(services)
    if port == 0:
        port = free_port(host)
    exports = services.workspace.area("exports")
    app.queue(default_concurrency_limit=4).launch(
        server_name=host,
        server_port=port,
        auth=auth,
        share=False,
        prevent_thread_lock=True,
        quiet=True,
        show_error=True,
        theme=THEME,
        css=CSS,
        max_file_size=services.workspace.max_upload_bytes,
        # Downloads are files the panel wrote into exports/; nothing else of the disk is served.
        allowed_paths=[str(exports)],
        ssr_mode=False,
    )
    url = app.local_url or f"http://{host}:{port}/"
    panel = Panel(app, url)
    if not quiet:
        print(f"bertbench web panel: {url}  (workspace {services.workspace.root})", flush=True)
        if is_loopback(host):
            print(
                f"From another machine: ssh -L {port}:127.0.0.1:{port} <this host>, then open "
                f"http://127.0.0.1:{port}/ there. Ctrl+C stops the panel.",
                flush=True,
            )
    if block:
        try:
            app.block_thread()
        finally:
            services.close()
    return panel
