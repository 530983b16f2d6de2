"""Recording execution history in AWS's shape.

Events are plain dicts with AWS's keys (``id``, ``previousEventId``, ``timestamp``, ``type`` and one
``*EventDetails``). Payloads (``input``, ``output``, ``parameters``, assigned variable values) are
kept as Python values and only turned into JSON text by ``to_aws_events``, so recording is cheap.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any, Callable

from sfnsim.dataflow.jsontypes import compact_json
from sfnsim.errors import SimulationLimitError, StatesError

# Event types whose details key does not follow "<lowerCamelType>EventDetails".
_DETAILS_KEY_OVERRIDES = {
    "StateEntered": "stateEnteredEventDetails",
    "StateExited": "stateExitedEventDetails",
}
_NO_DETAILS = frozenset({
    "LambdaFunctionStarted", "MapStateSucceeded", "MapStateFailed", "MapStateAborted",
    "ParallelStateStarted", "ParallelStateSucceeded", "ParallelStateFailed", "ParallelStateAborted",
    "TaskStateAborted", "WaitStateAborted", "MapRunSucceeded", "MapRunAborted",
})
_JSON_TEXT_FIELDS = ("input", "output", "parameters")
# A payload field and the field beside it that says whether AWS truncated it.
TRUNCATION = {"input": "inputDetails", "output": "outputDetails", "assignedVariables": "assignedVariablesDetails"}


@lru_cache(maxsize=None)
def details_key(event_type: str) -> str | None:
    if event_type in _NO_DETAILS:
        return None
    for suffix, key in _DETAILS_KEY_OVERRIDES.items():
        if event_type.endswith(suffix):
            return key
    return event_type[0].lower() + event_type[1:] + "EventDetails"


def _with_truncation(details: dict[str, Any]) -> dict[str, Any]:
    """``details`` with ``inputDetails``/``outputDetails``/``assignedVariablesDetails`` right after
    the field they describe, as AWS writes them (sfnsim never truncates a payload)."""
    shaped: dict[str, Any] = {}
    for name, value in details.items():
        shaped[name] = value
        companion = TRUNCATION.get(name)
        if companion is not None:
            shaped[companion] = {"truncated": False}
    return shaped


def entered_details(name: str, state_input: Any) -> dict[str, Any]:
    """``stateEnteredEventDetails`` as AWS writes them, ready for ``add(..., shaped=True)``."""
    return {"name": name, "input": state_input, "inputDetails": {"truncated": False}}


def exited_details(name: str, output: Any, assigned: dict[str, Any] | None = None) -> dict[str, Any]:
    """``stateExitedEventDetails`` as AWS writes them, ready for ``add(..., shaped=True)``."""
    details: dict[str, Any] = {"name": name, "output": output, "outputDetails": {"truncated": False}}
    if assigned is not None:
        details["assignedVariables"] = assigned
        details["assignedVariablesDetails"] = {"truncated": False}
    return details


# AWS's quota on one execution's history (Standard workflows). Event 25,000 itself is the
# ExecutionFailed event; a Distributed Map child execution has a history, and so a budget, of its own.
# Express workflows have none: "Execution history is not captured by Step Functions" for them (AWS,
# "Execution guarantees" in the Developer Guide), so no history quota can end one.
MAX_HISTORY_EVENTS = 25_000
HISTORY_LIMIT_CAUSE = f"The execution reached the maximum number of history events ({MAX_HISTORY_EVENTS})."
# sfnsim's own bound for Express executions, which AWS stops only after five minutes of real time:
# a loop that takes no virtual time would otherwise never end here.
EXPRESS_EVENT_CAP = 250_000
_CLOSING_EVENTS = frozenset({"ExecutionFailed", "ExecutionSucceeded", "ExecutionAborted", "ExecutionTimedOut"})


class HistoryLimitExceeded(StatesError):
    """The execution's history is full: a terminal ``States.Runtime`` that nothing can retry or catch."""

    def __init__(self) -> None:
        super().__init__("States.Runtime", HISTORY_LIMIT_CAUSE)


class HistoryRecorder:
    """Appends events with increasing ids, stamped with the virtual clock.

    Every execution's history goes through one recorder, so AWS's history quota lives here: the
    event that would take the last free id raises :class:`HistoryLimitExceeded` instead, which
    unwinds the execution; whatever the unwinding would record is dropped, and the closing
    ``Execution*`` event takes id 25,000, linked to event 24,999.

    Beside the events (never inside them, so the history stays exactly AWS's) it keeps what AWS's
    history cannot tell, for coverage reports: which Choice rule matched.
    """

    __slots__ = ("events", "_now", "limit", "full", "matched_choice_rules", "_first_checked_id")

    def __init__(self, now: Callable[[], datetime], limit: int | None = MAX_HISTORY_EVENTS) -> None:
        self.events: list[dict[str, Any]] = []
        self._now = now
        self.limit = limit
        self.full = False
        # ChoiceStateEntered id -> index in Choices of the rule that matched (None: Default). AWS
        # records only the next state, and two rules may share a Next.
        self.matched_choice_rules: dict[int, int | None] = {}
        # Below this id no quota or cap applies: one comparison per event instead of four.
        self._first_checked_id = limit if limit is not None else EXPRESS_EVENT_CAP + 1

    def add(self, event_type: str, previous: int, details: dict[str, Any] | None = None, *,
            shaped: bool = False) -> int:
        """Record an event linked to event ``previous``; a payload field in ``details`` gets its
        ``inputDetails``/``outputDetails``/``assignedVariablesDetails`` here, so no caller writes them.

        ``shaped``: the caller built ``details`` with them already, or knows it has no payload field
        (``entered_details`` and ``exited_details``: every state's two events, where reshaping the dict
        was a tenth of a run)."""
        events = self.events
        event_id = len(events) + 1
        if event_id >= self._first_checked_id:
            checked = self._at_quota(event_type, event_id, previous)
            if checked is None:
                return event_id - 1  # unwinding after the limit: AWS records nothing more
            previous = checked
        key = _DETAILS_KEYS.get(event_type, _UNKNOWN)
        if key is _UNKNOWN:
            key = _DETAILS_KEYS[event_type] = details_key(event_type)
        if key is None:
            events.append({"timestamp": self._now(), "type": event_type, "id": event_id,
                           "previousEventId": previous})
            return event_id
        if details is None:
            details = {}
        elif not shaped and not TRUNCATION.keys().isdisjoint(details):
            details = _with_truncation(details)
        # One literal, not a dict filled key by key: this runs twice per state entered.
        events.append({"timestamp": self._now(), "type": event_type, "id": event_id,
                       "previousEventId": previous, key: details})
        return event_id

    def _at_quota(self, event_type: str, event_id: int, previous: int) -> int | None:
        """The ``previous`` to link event ``event_id`` to once the history is (nearly) full, or None
        to record nothing; raises when this event would exceed the quota or sfnsim's Express cap."""
        if self.limit is None:
            raise SimulationLimitError(
                f"this Express execution recorded {EXPRESS_EVENT_CAP:,} events without ending. AWS has no "
                "history quota for Express workflows and ends them after five minutes of real time; on the "
                "virtual clock a loop that takes no time would never end, so sfnsim stops it here. Look for a "
                "loop (a Choice that leads back, or a Retry that never gives up)")
        if event_type not in _CLOSING_EVENTS:
            if self.full:
                return None
            self.full = True
            raise HistoryLimitExceeded()
        return event_id - 1 if self.full else previous


_UNKNOWN = object()
_DETAILS_KEYS: dict[str, str | None] = {}  # details_key's answers, looked up without a call


def to_aws_event(event: dict[str, Any]) -> dict[str, Any]:
    """One event as ``get-execution-history`` prints it (payload fields as JSON text)."""
    out: dict[str, Any] = {}
    for key, value in event.items():
        if key == "timestamp":
            out[key] = value.isoformat()
        elif key.endswith("EventDetails") and isinstance(value, dict):
            out[key] = _serialise_details(value)
        else:
            out[key] = value
    return out


def _serialise_details(details: dict[str, Any]) -> dict[str, Any]:
    out = dict(details)
    for name in _JSON_TEXT_FIELDS:
        if name in out:
            out[name] = compact_json(out[name])
    if "assignedVariables" in out:
        out["assignedVariables"] = {k: compact_json(v) for k, v in out["assignedVariables"].items()}
    return out


def to_aws_events(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {"events": [to_aws_event(e) for e in events]}
