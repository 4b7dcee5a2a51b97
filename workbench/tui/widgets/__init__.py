"""Widgets shared by several panes, one per file."""
