"""build_app / launch: the Gradio Blocks of the web panel."""

from __future__ import annotations

import os

import gradio as gr

from workbench.services import Services
from workbench.web.tabs import playground, presets, runs, tokenizer, train

# Privacy by default: no usage statistics leave the machine.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

TABS = (
    ("Presets", presets.build),
    ("Tokenizer", tokenizer.build),
    ("Train", train.build),
    ("Runs", runs.build),
    ("Try", playground.build),
)


def build_app(services: Services) -> gr.Blocks:
    with gr.Blocks(title="bertbench", analytics_enabled=False) as app:
        gr.Markdown("# bertbench")
        for title, build in TABS:
            with gr.Tab(title):
                build(services)
    return app


def launch(
    services: Services,
    *,
    host: str = "127.0.0.1",
    port: int = 7860,
    auth: tuple[str, str] | None = None,
    block: bool = True,
) -> gr.Blocks:
    app = build_app(services)
    app.queue().launch(
        server_name=host,
        server_port=port,
        auth=auth,
        share=False,
        prevent_thread_lock=not block,
    )
    return app
