"""The panel's tabs: each module has `build(services) -> None`, called inside a `gr.Tab`."""
