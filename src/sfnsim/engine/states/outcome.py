"""What a state's visit ends with: its output, the next state, and the variables it assigns.

A module of its own so that the data-flow implementations (``io``, ``jsonata_io``) and the
executors' base can all build one without importing each other.
"""

from __future__ import annotations

from typing import Any


# A plain class, not a dataclass: it is built on every run's import path and nothing compares or copies it.
class Outcome:
    __slots__ = ("output", "next", "assigned")

    def __init__(self, output: Any, next: str | None, assigned: dict[str, Any] | None = None) -> None:
        self.output = output
        self.next = next
        self.assigned = assigned
