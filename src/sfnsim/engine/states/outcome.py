"""What a state's visit ends with: its output, the next state, and the variables it assigns.

A module of its own so that the data-flow implementations (``io``, ``jsonata_io``) and the
executors' base can all build one without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(slots=True)
class Outcome:
    output: Any
    next: str | None
    assigned: dict[str, Any] | None = None
