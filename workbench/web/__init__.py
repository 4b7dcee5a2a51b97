"""The Gradio web panel (`bertbench web`): the workbench in a browser, over the same
`workbench.services` as the TUI. One tab per file in `tabs/`."""
