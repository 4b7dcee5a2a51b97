"""The Gradio web panel (`bertbench web`): the workbench in a browser, over the same
`workbench.services` as the TUI. One tab per file in `tabs/`.

Privacy by default: Gradio reads GRADIO_ANALYTICS_ENABLED when it is imported, so it is set
here, before any module of the panel imports gradio (Blocks also gets analytics_enabled=False).
"""

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
