"""Dashboard widgets, one thing each. Every widget has `show(view)`: it reads the
frozen View and draws; no widget computes a rule (those live in tally/)."""
