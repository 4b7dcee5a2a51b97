"""workbench: what people touch (the bertbench TUI, web panel and headless CLI)."""
