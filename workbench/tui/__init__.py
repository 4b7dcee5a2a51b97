"""The `bertbench` Textual TUI: one app, one pane per file in `screens/`, messages in
`messages.py`, styles in `app.tcss`. It calls only `workbench.services`."""

from __future__ import annotations


def run_tui(root: str | None = None, *, allow_shared_device: bool = False) -> int:
    """Open the workbench in the terminal over the workspace `root` (default: see
    `workbench.services.default_root`); `allow_shared_device`: start runs even while another
    process of the workspace trains on the device."""
    from workbench.services import Services, default_root
    from workbench.tui.app import BertbenchApp

    services = Services(root or default_root(), allow_shared_device=allow_shared_device)
    app = BertbenchApp(root, services=services)
    try:
        app.run()
    finally:
        # However the app ended (quit, Ctrl+C, a crash), runs still training checkpoint
        # before their threads stop: no work is lost.
        app.services.close()
    # Non-zero after a crash (Textual sets 1), so scripts and shells see that it failed.
    return app.return_code or 0
