"""Grouping an execution history into state visits, task attempts and threads.

Each event belongs to one visit to one state, and to one thread: the main flow, a Parallel branch or
a Map iteration. The grouping follows ``previousEventId``, so concurrent branches and iterations are
told apart even when their events interleave. The trace views (``ex.state(...)``), the replay
divergence report and the renderers all read histories through this one structure.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable, Mapping

# Event types that start, submit and end one attempt at a task.
ATTEMPT_STARTS = frozenset({"TaskScheduled", "LambdaFunctionScheduled", "ActivityScheduled"})
ATTEMPT_SUBMITTED = frozenset({"TaskSubmitted"})
ATTEMPT_ENDS: dict[str, str] = {
    "TaskSucceeded": "succeeded", "LambdaFunctionSucceeded": "succeeded", "ActivitySucceeded": "succeeded",
    "TaskFailed": "failed", "LambdaFunctionFailed": "failed", "ActivityFailed": "failed",
    "TaskTimedOut": "timed_out", "LambdaFunctionTimedOut": "timed_out", "ActivityTimedOut": "timed_out",
    "TaskStartFailed": "start_failed", "LambdaFunctionStartFailed": "start_failed",
    "TaskSubmitFailed": "submit_failed",
    "LambdaFunctionScheduleFailed": "schedule_failed", "ActivityScheduleFailed": "schedule_failed",
}
# Which state type owns an event, by the event type's prefix.
_OWNER_TYPE_BY_PREFIX = (
    ("LambdaFunction", "Task"), ("Activity", "Task"), ("Task", "Task"),
    ("MapIteration", "Map"), ("MapRun", "Map"), ("Map", "Map"), ("Parallel", "Parallel"), ("Wait", "Wait"),
    ("Pass", "Pass"), ("Choice", "Choice"), ("Succeed", "Succeed"), ("Fail", "Fail"),
)
# Every history event type AWS documents (HistoryEvent in the Step Functions API Reference).
KNOWN_EVENT_TYPES = frozenset({
    "ActivityFailed", "ActivityScheduled", "ActivityScheduleFailed", "ActivityStarted", "ActivitySucceeded",
    "ActivityTimedOut", "ChoiceStateEntered", "ChoiceStateExited", "EvaluationFailed", "ExecutionAborted",
    "ExecutionFailed", "ExecutionRedriven", "ExecutionStarted", "ExecutionSucceeded", "ExecutionTimedOut",
    "FailStateEntered", "LambdaFunctionFailed", "LambdaFunctionScheduled", "LambdaFunctionScheduleFailed",
    "LambdaFunctionStarted", "LambdaFunctionStartFailed", "LambdaFunctionSucceeded", "LambdaFunctionTimedOut",
    "MapIterationAborted", "MapIterationFailed", "MapIterationStarted", "MapIterationSucceeded", "MapRunAborted",
    "MapRunFailed", "MapRunRedriven", "MapRunStarted", "MapRunSucceeded", "MapStateAborted", "MapStateEntered",
    "MapStateExited", "MapStateFailed", "MapStateStarted", "MapStateSucceeded", "ParallelStateAborted",
    "ParallelStateEntered", "ParallelStateExited", "ParallelStateFailed", "ParallelStateStarted",
    "ParallelStateSucceeded", "PassStateEntered", "PassStateExited", "SucceedStateEntered", "SucceedStateExited",
    "TaskFailed", "TaskScheduled", "TaskStarted", "TaskStartFailed", "TaskStateAborted", "TaskStateEntered",
    "TaskStateExited", "TaskSubmitFailed", "TaskSubmitted", "TaskSucceeded", "TaskTimedOut", "WaitStateAborted",
    "WaitStateEntered", "WaitStateExited",
})
TERMINAL_EXECUTION_EVENTS = {
    "ExecutionSucceeded": "SUCCEEDED", "ExecutionFailed": "FAILED",
    "ExecutionTimedOut": "TIMED_OUT", "ExecutionAborted": "ABORTED",
}


def event_id(event: Mapping[str, Any]) -> int:
    """An event's ``id``; 0 when it has none (a hand-written or partial history)."""
    value = event.get("id")
    return value if isinstance(value, int) else 0


def details_of(event: Mapping[str, Any]) -> dict[str, Any]:
    """An event's ``*EventDetails`` (empty when it has none)."""
    for key, value in event.items():
        if key.endswith("EventDetails") and isinstance(value, dict):
            return value
    return {}


# Attempt, Step and StepTree are plain classes rather than dataclasses: they sit on every run's
# import path, and nothing compares, hashes or copies them (visits are told apart by identity).
class Attempt:
    """One try at a task: its Scheduled event and, once it ended, the event that ended it."""

    def __init__(self, scheduled: dict[str, Any]) -> None:
        self.scheduled = scheduled
        self.submitted: dict[str, Any] | None = None
        self.ended: dict[str, Any] | None = None
        self.aborted = False  # the state was aborted (a sibling failed, the execution stopped) mid-attempt

    @property
    def outcome(self) -> str:
        """``succeeded``, ``failed``, ``timed_out``, ``start_failed``..., ``aborted`` or ``pending``."""
        if self.ended is not None:
            return ATTEMPT_ENDS[self.ended["type"]]
        return "aborted" if self.aborted else "pending"

    @property
    def request(self) -> Any:
        details = details_of(self.scheduled)
        return details.get("parameters", details.get("input"))

    @property
    def result(self) -> dict[str, Any]:
        return details_of(self.ended) if self.ended is not None else {}

    @property
    def seconds(self) -> float | None:
        return seconds_between(self.scheduled, self.ended)


class Step:
    """One visit to a state: its events, task attempts and, for Parallel/Map, the states inside."""

    def __init__(self, name: str, state_type: str, entered: dict[str, Any], parent: Step | None,
                 thread: tuple[Any, ...], iteration: int | None = None) -> None:
        self.name = name
        self.state_type = state_type
        self.entered = entered
        self.parent = parent
        self.thread = thread
        self.iteration = iteration
        self.events: list[dict[str, Any]] = []
        self.children: list[Step] = []
        self.attempts: list[Attempt] = []
        self.exited: dict[str, Any] | None = None
        self.aborted = False
        self.error: str | None = None
        self.cause: str | None = None
        self.next: Step | None = None  # the visit that followed in the same flow (branch, iteration)

    @property
    def last_event(self) -> dict[str, Any]:
        return self.events[-1]

    @property
    def failed(self) -> bool:
        """Left without exiting because of an error (not because it was stopped from outside)."""
        if self.exited is not None or self.aborted:
            return False
        return (self.state_type == "Fail" or self.error is not None
                or (bool(self.attempts) and self.attempts[-1].outcome not in ("succeeded", "pending", "aborted"))
                or any(child.failed for child in self.children))

    @property
    def caught(self) -> bool:
        """Exited after its last attempt failed: a Catch took over."""
        return self.exited is not None and bool(self.attempts) and self.attempts[-1].outcome != "succeeded"

    def walk(self) -> Iterable["Step"]:
        yield self
        for child in self.children:
            yield from child.walk()


class StepTree:
    """The state visits of one history, nested as Parallel branches and Map iterations nest."""

    def __init__(self, events: list[dict[str, Any]], roots: list[Step], owners: list[Step | None],
                 threads: list[tuple[Any, ...]]) -> None:
        self.events = events
        self.roots = roots
        self.owners = owners  # per event position: the visit it belongs to (None: the execution)
        self.threads = threads  # per event position: its branch/iteration, () for the main flow

    def steps(self) -> Iterable[Step]:
        for root in self.roots:
            yield from root.walk()

    @property
    def start_time(self) -> datetime | None:
        return self.events[0].get("timestamp") if self.events else None

    @property
    def end_event(self) -> dict[str, Any] | None:
        last = self.events[-1] if self.events else None
        return last if last is not None and last["type"] in TERMINAL_EXECUTION_EVENTS else None

    @property
    def status(self) -> str:
        end = self.end_event
        return TERMINAL_EXECUTION_EVENTS[end["type"]] if end is not None else "RUNNING"

    def failed_step(self) -> Step | None:
        """The innermost state the execution's error came from (None unless it failed or timed out)."""
        end = self.end_event
        if end is None or end["type"] == "ExecutionSucceeded":
            return None
        position = len(self.events) - 1
        step = self._owner_of_previous(position)
        if step is None:
            failed_roots = [s for s in self.roots if s.failed]
            step = failed_roots[-1] if failed_roots else None
        while step is not None:
            failed_children = [c for c in step.children if c.failed]
            if not failed_children:
                return step
            step = failed_children[-1]
        return None

    def _owner_of_previous(self, position: int) -> Step | None:
        previous = self.events[position].get("previousEventId")
        for index, event in enumerate(self.events):
            if event.get("id") == previous:
                step = self.owners[index]
                while step is not None and step.parent is not None and not step.failed:
                    step = step.parent
                return step if step is not None and step.failed else None
        return None


def step_tree(events: list[dict[str, Any]]) -> StepTree:
    """Group events into state visits by following ``previousEventId`` as AWS links them.

    A state's first event links to the previous state's last event in the same branch, or to
    ``ParallelStateStarted`` / ``MapIterationStarted`` when it starts a branch or an iteration;
    the other events of a visit link back into it. Where links are missing, the most recent
    open visit of the right kind is assumed.
    """
    builder = _TreeBuilder(events)
    for position, event in enumerate(events):
        builder.add(position, event)
    return StepTree(events, builder.roots, builder.owners, builder.threads)


class _TreeBuilder:
    def __init__(self, events: list[dict[str, Any]]) -> None:
        self.events = events
        self.position_of = {e["id"]: i for i, e in enumerate(events) if isinstance(e.get("id"), int)}
        self.roots: list[Step] = []
        self.owners: list[Step | None] = []
        self.threads: list[tuple[Any, ...]] = []
        self.all_steps: list[Step] = []

    def add(self, position: int, event: dict[str, Any]) -> None:
        previous = self.position_of.get(event.get("previousEventId"))
        previous_step = self.owners[previous] if previous is not None and previous < position else None
        previous_event = self.events[previous] if previous is not None and previous < position else None
        event_type = event["type"]
        if event_type.endswith("StateEntered"):
            step = self._enter(event, previous_event, previous_step)
            thread = step.thread
        else:
            step = self._claim(event, previous_step)
            thread = self._thread_of(event, step)
            if step is not None:
                self._note(step, event)
        if step is not None:
            step.events.append(event)
        self.owners.append(step)
        self.threads.append(thread)

    def _enter(self, event: dict[str, Any], previous_event: dict[str, Any] | None, previous_step: Step | None) -> Step:
        details = details_of(event)
        name = str(details.get("name"))
        state_type = event["type"][: -len("StateEntered")]
        previous_type = previous_event["type"] if previous_event is not None else None
        if previous_type == "ParallelStateStarted" and previous_step is not None:
            parent, iteration = previous_step, None
            thread = (*previous_step.thread, (previous_step.name, name))
        elif previous_type == "MapIterationStarted" and previous_step is not None:
            parent, iteration = previous_step, details_of(previous_event).get("index")  # type: ignore[arg-type]
            thread = (*previous_step.thread, (previous_step.name, iteration))
        else:
            sibling = previous_step if previous_event is not None else None
            if sibling is None and event.get("previousEventId") not in (0, None) and self.all_steps:
                sibling = self.all_steps[-1]  # a broken link: assume it follows the last visit
            parent = sibling.parent if sibling is not None else None
            iteration = sibling.iteration if sibling is not None else None
            thread = sibling.thread if sibling is not None else ()
        step = Step(name, state_type, event, parent, thread, iteration)
        if previous_type not in ("ParallelStateStarted", "MapIterationStarted") and previous_step is not None:
            previous_step.next = step
        (parent.children if parent is not None else self.roots).append(step)
        self.all_steps.append(step)
        return step

    def _claim(self, event: dict[str, Any], previous_step: Step | None) -> Step | None:
        event_type = event["type"]
        if event_type.startswith("Execution"):
            return None
        if event_type not in KNOWN_EVENT_TYPES:
            # A type AWS added after this list was written: its name says nothing reliable about its
            # owner, so it belongs to the event it links to, and no guess is made without a link.
            return previous_step
        wanted_type, wanted_name = _owner_wanted(event_type, details_of(event))
        step = previous_step
        while step is not None and not _is_owner(step, wanted_type, wanted_name):
            step = step.parent
        if step is not None:
            return step
        for candidate in reversed(self.all_steps):  # links missing: the latest open visit that fits
            if candidate.exited is None and _is_owner(candidate, wanted_type, wanted_name):
                return candidate
        return None

    @staticmethod
    def _thread_of(event: dict[str, Any], step: Step | None) -> tuple[Any, ...]:
        if step is None:
            return ()
        if event["type"].startswith("MapIteration"):
            return (*step.thread, (step.name, details_of(event).get("index")))
        return step.thread

    @staticmethod
    def _note(step: Step, event: dict[str, Any]) -> None:
        event_type = event["type"]
        details = details_of(event)
        if event_type in ATTEMPT_STARTS:
            step.attempts.append(Attempt(event))
        elif event_type in ATTEMPT_SUBMITTED and step.attempts:
            step.attempts[-1].submitted = event
        elif event_type in ATTEMPT_ENDS and step.attempts:
            step.attempts[-1].ended = event
        elif event_type.endswith("StateExited"):
            step.exited = event
        elif event_type.endswith("StateAborted"):
            step.aborted = True
            if step.attempts and step.attempts[-1].ended is None:
                step.attempts[-1].aborted = True
        elif event_type == "EvaluationFailed":
            step.error, step.cause = details.get("error"), details.get("cause")


def _owner_wanted(event_type: str, details: dict[str, Any]) -> tuple[str | None, str | None]:
    if event_type == "EvaluationFailed":
        return None, details.get("state")
    name = details.get("name") if event_type.endswith("StateExited") or event_type.startswith("MapIteration") else None
    for prefix, state_type in _OWNER_TYPE_BY_PREFIX:
        if event_type.startswith(prefix):
            return state_type, name
    return None, name


def _is_owner(step: Step, wanted_type: str | None, wanted_name: str | None) -> bool:
    return (wanted_type is None or step.state_type == wanted_type) and (wanted_name is None or step.name == wanted_name)


def seconds_between(first: Mapping[str, Any] | None, last: Mapping[str, Any] | None) -> float | None:
    start = first.get("timestamp") if first else None
    end = last.get("timestamp") if last else None
    if isinstance(start, datetime) and isinstance(end, datetime):
        return (end - start).total_seconds()
    return None
