"""Comparing a recorded AWS execution with a local run: where the two histories diverge, and
whether they ended the same way.

The recording itself (:class:`Recording`) is read by ``history.aws_files`` (re-exported here) and
grouped into visits and threads by ``history.steps``. Running it again on sfnsim, with every task
attempt answered from the recording, is the interface layer's job: :mod:`sfnsim.replay`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from sfnsim.errors import InputError
from sfnsim.history.aws_files import (
    TRUNCATION,
    DefinitionSource,
    fetch_execution,
    is_truncated,
    parse_timestamp,
    read_definition,
    read_history,
)
from sfnsim.history.steps import (
    Attempt,
    Step,
    StepTree,
    details_of,
    step_tree,
)


# ---------------------------------------------------------------------------------------------
# Outcomes


@dataclass(frozen=True)
class Outcome:
    """How an execution ended: status, output or error/cause, and the state that failed."""

    status: str
    output: Any = None
    error: str | None = None
    cause: str | None = None
    state: str | None = None

    @classmethod
    def of(cls, tree: StepTree) -> "Outcome":
        end = tree.end_event
        details = details_of(end) if end is not None else {}
        failed = tree.failed_step()
        return cls(tree.status, details.get("output"), details.get("error"), details.get("cause"),
                   failed.name if failed is not None else None)

    def same_as(self, other: "Outcome", equal: Callable[[Any, Any], bool] | None = None) -> bool:
        """Same status and error, and for a success the same output (by ``equal``, default JSON equality)."""
        if (self.status, self.error) != (other.status, other.error):
            return False
        return self.status != "SUCCEEDED" or (equal or Sameness(frozenset(), None).equal)(self.output, other.output)

    def describe(self) -> str:
        """E.g. ``FAILED at "Load" (States.TaskFailed)`` or ``SUCCEEDED``."""
        text = self.status
        if self.state is not None:
            text += f' at "{self.state}"'
        if self.error is not None:
            text += f" ({self.error})"
        return text

    def to_json(self) -> dict[str, Any]:
        return {"status": self.status, "output": self.output, "error": self.error, "cause": self.cause,
                "state": self.state}


# ---------------------------------------------------------------------------------------------
# Comparing histories

# The details that say what happened; ids, timestamps, ARNs and resource names may legitimately
# differ between AWS and a local run.
COMPARED_FIELDS = ("name", "index", "length", "input", "parameters", "output", "error", "cause", "assignedVariables")


@dataclass(frozen=True)
class Divergence:
    """Where the local run first differs from the recording."""

    event_id: Any  # the recorded event's id (None when the local run has an event AWS did not record)
    local_event_id: Any
    state: str | None
    field: str  # "type", one of COMPARED_FIELDS, "missing" or "extra"
    recorded: Any
    local: Any

    def describe(self) -> str:
        where = f"event #{self.event_id}" if self.event_id is not None else f"local event #{self.local_event_id}"
        if self.state:
            where += f' (state "{self.state}")'
        if self.field == "missing":
            return f"{where}: AWS recorded {self.recorded}, sfnsim recorded nothing there"
        if self.field == "extra":
            return f"{where}: sfnsim recorded {self.local}, which AWS did not"
        if self.field == "type":
            return f"{where}: AWS recorded {self.recorded}, sfnsim recorded {self.local}"
        return f"{where}: {self.field} differs: AWS recorded {_short(self.recorded)}, sfnsim {_short(self.local)}"

    def to_json(self) -> dict[str, Any]:
        return {"event": self.event_id, "localEvent": self.local_event_id, "state": self.state,
                "field": self.field, "recorded": self.recorded, "local": self.local,
                "message": self.describe()}


_MISSING: Any = object()
Matches = Callable[[Any, Any], bool]


def first_divergence(recorded: list[dict[str, Any]], local: list[dict[str, Any]], *,
                     generated: Iterable[str] = (), matches: Matches | None = None) -> Divergence | None:
    """The first recorded event the local history does not reproduce, else the first extra local event.

    Events are compared per thread (the main flow, each Parallel branch, each Map iteration), in
    order within the thread: how concurrent branches interleave depends on real timing on AWS.
    ``generated`` are strings the local run made up where AWS had its own (task tokens, an
    execution name nobody told us): as a whole value, each matches whatever AWS recorded.
    ``matches(recorded, local)`` replaces JSON equality for payloads (e.g. to honour placeholders).
    """
    same = Sameness(frozenset(generated), matches)
    recorded_tree, local_tree = step_tree(recorded), step_tree(local)
    local_threads: dict[tuple[Any, ...], list[int]] = {}
    for position, thread in enumerate(local_tree.threads):
        local_threads.setdefault(_hashable(thread), []).append(position)
    consumed: dict[tuple[Any, ...], int] = {}
    for position, event in enumerate(recorded):
        key = _hashable(recorded_tree.threads[position])
        index = consumed.get(key, 0)
        consumed[key] = index + 1
        candidates = local_threads.get(key, [])
        if index >= len(candidates):
            return Divergence(event.get("id"), None, _state_of(recorded_tree, position), "missing", event["type"], None)
        difference = same.difference(event, local[candidates[index]])
        if difference is not None:
            field_name, was, now = difference
            return Divergence(event.get("id"), local[candidates[index]].get("id"),
                              _state_of(recorded_tree, position), field_name, was, now)
    extra = sorted(p for key, positions in local_threads.items() for p in positions[consumed.get(key, 0):])
    if extra:
        position = extra[0]
        return Divergence(None, local[position].get("id"), _state_of(local_tree, position), "extra",
                          None, local[position]["type"])
    return None


def _hashable(thread: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(tuple(part) if isinstance(part, list) else part for part in thread)


def _state_of(tree: StepTree, position: int) -> str | None:
    """The state an event belongs to; for an execution-level event, the state it followed."""
    owner = tree.owners[position]
    if owner is not None:
        return owner.name
    event = tree.events[position]
    previous = event.get("previousEventId")
    for index in range(position - 1, -1, -1):
        if tree.events[index].get("id") == previous:
            return tree.owners[index].name if tree.owners[index] is not None else None
    return None


class Sameness:
    """Whether a local event says the same as the recorded one (type, then COMPARED_FIELDS)."""

    def __init__(self, generated: frozenset[str], matches: Matches | None) -> None:
        self.generated = generated
        self.matches = matches

    def difference(self, recorded: dict[str, Any], local: dict[str, Any]) -> tuple[str, Any, Any] | None:
        if recorded["type"] != local["type"]:
            return "type", recorded["type"], local["type"]
        was, now = details_of(recorded), details_of(local)
        for name in COMPARED_FIELDS:
            if name in TRUNCATION and is_truncated(was, name):
                continue
            a, b = was.get(name, _MISSING), now.get(name, _MISSING)
            if not self.same(name, a, b):
                return name, None if a is _MISSING else a, None if b is _MISSING else b
        return None

    def same(self, name: str, recorded: Any, local: Any) -> bool:
        if recorded is _MISSING or local is _MISSING:
            # AWS leaves out an empty error/cause: a missing field matches a missing or empty one.
            other = local if recorded is _MISSING else recorded
            return other is _MISSING or other in ("", None)
        if self.equal(recorded, local):
            return True
        if name == "cause" and isinstance(recorded, str) and isinstance(local, str):
            return self._same_json_text(recorded, local)  # one JSON object, written with other spacing
        return False

    def equal(self, a: Any, b: Any) -> bool:
        if isinstance(b, str) and b in self.generated:
            return isinstance(a, str)
        if isinstance(a, dict) and isinstance(b, dict):
            return a.keys() == b.keys() and all(self.equal(a[k], b[k]) for k in a)
        if isinstance(a, list) and isinstance(b, list):
            return len(a) == len(b) and all(self.equal(x, y) for x, y in zip(a, b))
        if self.matches is not None:
            return self.matches(a, b)
        if isinstance(a, bool) or isinstance(b, bool):  # 1 and 1.0 are one JSON number; true is not 1
            return type(a) is type(b) and a == b
        return a == b

    def _same_json_text(self, a: str, b: str) -> bool:
        try:
            return self.equal(json.loads(a), json.loads(b))
        except (json.JSONDecodeError, RecursionError):
            return False


def _short(value: Any, limit: int = 200) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str) if not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---------------------------------------------------------------------------------------------
# Replaying


@dataclass
class Recording:
    """A recorded execution: its history, and the definition it ran."""

    events: list[dict[str, Any]]
    definition: DefinitionSource | None = None
    execution_arn: str | None = None

    @property
    def tree(self) -> StepTree:
        return step_tree(self.events)

    @property
    def started(self) -> dict[str, Any]:
        first = self.events[0] if self.events else None
        if first is None or first["type"] != "ExecutionStarted":
            raise InputError("the history does not begin with an ExecutionStarted event (is it complete?)")
        return first

    @property
    def input(self) -> Any:
        details = details_of(self.started)
        if "input" not in details:
            raise InputError(
                "the history has no execution data (no input in ExecutionStarted): fetch it with "
                "`aws stepfunctions get-execution-history --include-execution-data`"
            )
        if is_truncated(details, "input"):
            raise InputError("the recorded execution input was truncated by AWS, so it cannot be replayed")
        return details["input"]


__all__ = [
    "Attempt",
    "DefinitionSource",
    "Divergence",
    "Outcome",
    "Recording",
    "Sameness",
    "Step",
    "StepTree",
    "fetch_execution",
    "first_divergence",
    "parse_timestamp",
    "read_definition",
    "read_history",
    "step_tree",
]
