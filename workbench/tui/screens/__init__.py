"""The modal screens (help, quit, save as, diff), one per file."""
