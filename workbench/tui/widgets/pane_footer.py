"""PaneFooter: the key footer, fitted to the terminal's width.

The focused pane's keys come first in Textual's footer; on a narrow terminal the footer drops
its padding and the command palette key (Ctrl+P still works, and help lists it), so a
pane's keys fit in 80 columns."""

from __future__ import annotations

from textual import events
from textual.widgets import Footer

NARROW = 120  # below this width the footer is compact


class PaneFooter(Footer):
    def on_resize(self, event: events.Resize) -> None:
        narrow = event.size.width < NARROW
        if narrow == self.compact and narrow != self.show_command_palette:
            return
        self.compact = narrow
        self.show_command_palette = not narrow
        if self._bindings_ready:
            self.call_after_refresh(self.recompose)
