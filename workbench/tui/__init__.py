"""The `bertbench` Textual TUI: one app, one pane per file in `screens/`, messages in
`messages.py`, styles in `app.tcss`. It calls only `workbench.services`."""

from __future__ import annotations


def run_tui(root: str | None = None) -> int:
    """Open the workbench in the terminal over the workspace `root` (default: see
    `workbench.services.default_root`)."""
    from workbench.tui.app import BertbenchApp

    app = BertbenchApp(root)
    try:
        app.run()
    finally:
        # However the app ended (quit, Ctrl+C, a crash), runs still training checkpoint
        # before their threads stop: no work is lost.
        app.services.close()
    # Non-zero after a crash (Textual sets 1), so scripts and shells see that it failed.
    return app.return_code or 0
