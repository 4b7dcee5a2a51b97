"""The Tokenizer tab."""

from __future__ import annotations

import gradio as gr

from workbench.services import Services


def build(services: Services) -> None:
    gr.Markdown("Tokenizer: coming soon")
