"""Optional recording of each state's data-flow stages, for walkthroughs and reports.

Field names follow AWS's TestState API inspection data (``afterInputPath``, ``afterParameters``,
``result``, ``afterResultSelector``, ``afterResultPath``, ``variables``, ``errorDetails``) so a
walkthrough uses AWS's own words. Recording is off unless a run asks for it; the engine then
pays one ``if`` per stage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class StateInspection:
    """What happened inside one visit to one state."""

    name: str
    state_type: str
    query_language: str
    entered_event_id: int
    entered_time: str
    input: Any
    stages: dict[str, Any] = field(default_factory=dict)
    notes: list[dict[str, Any]] = field(default_factory=list)  # choice, retry, catch, map, parallel details
    output: Any = None
    next: str | None = None
    error: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "type": self.state_type, "queryLanguage": self.query_language,
            "enteredEventId": self.entered_event_id, "enteredTime": self.entered_time, "input": self.input,
            "stages": self.stages, "notes": self.notes, "output": self.output, "next": self.next,
            "errorDetails": self.error,
        }


class Inspector:
    """Collects a StateInspection per state visit, in the order states were entered."""

    def __init__(self) -> None:
        self.visits: list[StateInspection] = []

    def begin(self, name: str, state_type: str, query_language: str, entered_event_id: int, entered_time: str,
              state_input: Any) -> StateInspection:
        record = StateInspection(name, state_type, query_language, entered_event_id, entered_time, state_input)
        self.visits.append(record)
        return record
