"""The app's panes (one per tab) and modal screens, one per file."""
