"""Dashboard widgets, one thing each. Every widget that draws part of the count has `show_view(view)`: it reads the
frozen View and draws; no widget computes a rule (those live in tally/)."""
