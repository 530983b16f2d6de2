"""Answering Task states from a case's recorded ``task_results`` instead of calling services.

Results are served per state in recorded order. Inside a Map several iterations ask the same
state at once, so (as the corpus README advises) an entry whose recorded ``parameters`` match the
request is preferred, and only then plain recorded order (the engine's attempt numbering is not
relied on: retries of one visit are recorded in order anyway).
Entries the recording could not attribute to a state (``state: null``) are used only when their
parameters match.

A request the recording has no answer for is not guessed: the task fails with
``sfnsim.NoRecordedResult`` and the miss is kept, so the case is reported as failed for that reason.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from typing import Any

from sfnsim.conformance.placeholders import Matcher
from sfnsim.tasks.outcomes import PENDING, TaskResponse

NO_RESULT_ERROR = "sfnsim.NoRecordedResult"


# How AWS wrote a JSON-object cause as text, by task kind (seen in caught errors' "Cause" in the
# corpus): a Lambda-ARN task passes on the runtime's text, which Python's default separators
# reproduce; a service integration (e.g. lambda:invoke) re-serialises it compactly.
_CAUSE_SEPARATORS: dict[str, tuple[str, str]] = {
    "lambda": (", ", ": "),
    "task": (",", ":"),
}


def _cause_text(cause: Any, kind: str | None = None) -> str | None:
    """A recorded cause back as the text AWS reported (the corpus parsed JSON-object causes)."""
    if cause is None or isinstance(cause, str):
        return cause
    return json.dumps(cause, separators=_CAUSE_SEPARATORS.get(str(kind), (", ", ": ")), ensure_ascii=False)


def _submitted(entry: dict) -> dict[str, Any]:
    return {"submitted": entry["submitted_output"]} if "submitted_output" in entry else {}


def _succeeded(entry: dict) -> TaskResponse:
    # The corpus records the service's raw response (e.g. lambda:invoke's Payload/StatusCode).
    return TaskResponse(value=entry.get("output"), raw=True, **_submitted(entry))


def _failed(entry: dict) -> TaskResponse:
    cause = _cause_text(entry.get("cause"), entry.get("kind"))
    return TaskResponse(error=entry.get("error"), cause=cause, **_submitted(entry))


def _never_answers(entry: dict) -> TaskResponse:
    # Timed out on AWS, or still running when the execution ended: on a virtual clock the task
    # simply never returns, and the state's timeouts (or the execution's end) decide.
    return TaskResponse(duration=math.inf, **_submitted(entry))


_RESPONSES: dict[str, Callable[[dict], TaskResponse]] = {
    "succeeded": _succeeded,
    "failed": _failed,
    # TaskResponse cannot say *which* step failed yet, so these replay as a plain task failure.
    "start_failed": _failed,
    "submit_failed": _failed,
    "schedule_failed": _failed,
    "timed_out": _never_answers,
    "pending": _never_answers,
}


def missing_activities(definition: dict, events: list[dict] | None, task_results: list[dict]) -> list[str]:
    """Activity Task states that the recording shows were never scheduled: entered, and the event
    that follows the entry is not ``ActivityScheduled`` (AWS found no such activity)."""
    if not events:
        return []
    answered = {entry.get("state") for entry in task_results}
    activities = {name for name, state in _states(definition)
                  if state.get("Type") == "Task" and ":activity:" in str(state.get("Resource", ""))}
    missing = []
    for event in events:
        name = (event.get("stateEnteredEventDetails") or {}).get("name")
        if event.get("type") != "TaskStateEntered" or name not in activities or name in answered:
            continue
        following = next((e for e in events if e.get("previousEventId") == event.get("id")), None)
        if following is not None and following.get("type") != "ActivityScheduled" and name not in missing:
            missing.append(name)
    return missing


def task_state_names(definition: dict) -> list[str]:
    """Names of every Task state in a definition, nested Parallel branches and Map bodies included."""
    names: list[str] = []
    for name, state in _states(definition):
        if state.get("Type") == "Task":
            names.append(name)
    return names


def _states(machine: dict) -> Iterator[tuple[str, dict]]:
    states = machine.get("States")
    if not isinstance(states, dict):
        return
    for name, state in states.items():
        if not isinstance(state, dict):
            continue
        yield name, state
        for branch in state.get("Branches") or []:
            if isinstance(branch, dict):
                yield from _states(branch)
        for key in ("ItemProcessor", "Iterator"):
            if isinstance(state.get(key), dict):
                yield from _states(state[key])


class TaskReplay:
    """The recorded task results of one case, handed out to the engine's Task handlers."""

    def __init__(self, task_results: list[dict], matcher: Matcher, *, callbacks_by_actions: bool = False) -> None:
        self.entries = list(task_results)
        self.matcher = matcher
        # When the test answered callbacks itself (send_task_success/failure), a .waitForTaskToken
        # task waits for that call instead of answering from the recording.
        self.callbacks_by_actions = callbacks_by_actions
        self.used: set[int] = set()
        self.misses: list[str] = []
        self.problems: list[str] = []

    def handlers(self, state_names: list[str]) -> dict[str, Callable[..., TaskResponse]]:
        return {name: self._handler_for(name) for name in state_names}

    def _handler_for(self, state_name: str) -> Callable[..., TaskResponse]:
        def handler(payload: Any, ctx: Any = None) -> TaskResponse:
            return self.answer(state_name, payload, getattr(ctx, "attempt", None))

        handler.reads_clock = False  # type: ignore[attr-defined]  # recorded answers: no clock to freeze
        handler.__name__ = f"replay_{state_name}"
        return handler

    def answer(self, state_name: str, payload: Any, attempt: int | None = None) -> TaskResponse:
        index = self._pick(state_name, payload)
        if index is None:
            asked = sum(1 for i in self.used if self.entries[i].get("state") == state_name) + 1
            message = (f"state {state_name!r} asked for a task result ({_ordinal(asked)} call"
                       f"{'' if attempt is None else f', attempt {attempt}'}) that was not recorded")
            self.misses.append(message)
            return TaskResponse(error=NO_RESULT_ERROR, cause=message)
        self.used.add(index)
        entry = self.entries[index]
        outcome = entry.get("outcome")
        respond = _RESPONSES.get(str(outcome))
        if respond is None:
            self.problems.append(f"state {state_name!r}: unknown recorded outcome {outcome!r}")
            return TaskResponse(error=NO_RESULT_ERROR, cause=f"unknown recorded outcome {outcome!r}")
        if self.callbacks_by_actions and str(entry.get("resource", "")).endswith(".waitForTaskToken"):
            return TaskResponse(value=PENDING, **_submitted(entry))
        if respond is _failed and entry.get("error") is None:
            # TaskResponse treats a missing error as success, which would replay the wrong thing.
            self.problems.append(f"state {state_name!r}: a failure without an error name cannot be replayed yet")
        return respond(entry)

    def _pick(self, state_name: str, payload: Any) -> int | None:
        own = [i for i, e in enumerate(self.entries) if i not in self.used and e.get("state") == state_name]
        orphans = [i for i, e in enumerate(self.entries) if i not in self.used and e.get("state") is None]
        matching = [i for i in own if self._parameters_match(self.entries[i], payload)]
        for candidates in (matching, own):
            if candidates:
                return candidates[0]
        return next((i for i in orphans if self._parameters_match(self.entries[i], payload)), None)

    def _parameters_match(self, entry: dict, payload: Any) -> bool:
        recorded = entry.get("parameters")
        if self.matcher.matches(recorded, payload):
            return True
        # A handler may be given the function's payload rather than the whole request.
        return isinstance(recorded, dict) and "Payload" in recorded and self.matcher.matches(recorded["Payload"], payload)

    def unused(self) -> list[dict]:
        return [e for i, e in enumerate(self.entries) if i not in self.used]


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
