"""Showing runs to people and machines: a run's path as rich text (:mod:`.text`), as JSON data
(:mod:`.data`), and a state machine as a Mermaid or DOT diagram (:mod:`.graph`).

Nothing here is imported by the engine; the CLI imports each module only when a command needs it.
"""
