"""The Footer of the dashboard's keys, in the screen's first frame.

Textual's Footer composes empty and waits for the screen's first "bindings
updated" signal, then recomposes after the next refresh: the keys reach the
terminal two layouts after everything else (~110 ms at launch on a quiet host,
docs/PERFORMANCE.md "Launch to the first full frame"). The bindings are known
when the Footer is composed, so it lays them out at once.

Its keys' words are said in the reader's language (`tally.lang.t`): Textual
takes a binding's description as it was written in the class, in English
(marked with `N_`, so that Babel extracts it).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from tally.lang import t


class KeyFooter(Footer):
    """Textual's Footer, with its keys from its first compose; later changes as Textual's own."""

    def __init__(self, *, compact: bool = False, show_command_palette: bool = True) -> None:
        super().__init__(compact=compact, show_command_palette=show_command_palette)
        # The signal Textual's Footer waits for only says what the screen already knows here:
        # its bindings and the app's. A later change (focus, a pushed screen) recomposes as before.
        self.set_reactive(Footer._bindings_ready, True)

    def compose(self) -> ComposeResult:
        """Textual's keys, each with the "-compact" class it takes when mounted already on.

        A FooterKey sets that class from its `compact` (the Footer's, bound to it; the
        palette's key keeps its own, on) when it is mounted, after it was styled: each key
        was styled twice before the first frame (~6 ms of the launch, docs/PERFORMANCE.md).
        With the class already on, the same styling is done once. Each key's words are
        said in the reader's language.
        """
        for widget in super().compose():
            if isinstance(widget, FooterKey):
                widget.description = t(widget.description)
                on = self.compact or widget.has_class("-command-palette")
                widget.set_class(on, "-compact", update=False)
            yield widget
