"""The app's panes, one per tab and one per file."""
