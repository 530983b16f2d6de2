"""Per-state views over an execution's history, and the assertions a test makes with them.

``ex.state("Load")`` is a :class:`StateView`: every visit to the state (a state inside a Map
iteration or a Parallel branch is visited several times), each visit's input, output, error and
task attempts, read from the AWS-shaped history. The history is grouped into visits by
``sfnsim.history.replay.step_tree``, which follows ``previousEventId`` as AWS links events, so
interleaved branches and iterations are told apart exactly as in a real AWS export.

The assertions (``ex.assert_succeeded()``, ``ex.assert_failed(...)``, ``ex.assert_path([...])``,
``ex.state("Load").assert_retried(times=2)``) fail with an ``AssertionError`` whose message is meant
to be read in a CI log: what was expected against what happened, the state that failed (its input,
error and cause) and the part of the history that matters. Every helper sets
``__tracebackhide__`` so pytest shows the test's own line, not sfnsim's frames.
"""

from __future__ import annotations

import difflib
import json
import re
from datetime import datetime
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from sfnsim.history.steps import Attempt, Step, StepTree, details_of, step_tree

if TYPE_CHECKING:
    from sfnsim.api import StateMachine

_ANY: Any = object()  # "not given", where None is a meaningful value (an output can be null)

# Outcomes of an attempt that left the task without a result.
_FAILED_OUTCOMES = frozenset({"failed", "timed_out", "start_failed", "submit_failed", "schedule_failed"})
# Events that end one run of a Parallel or Map state's branches; the last one says how the state ended.
_BRANCHES_ENDED = {
    "ParallelStateSucceeded": False, "ParallelStateFailed": True,
    "MapStateSucceeded": False, "MapStateFailed": True, "MapRunFailed": True,
}
# Detail fields worth a glance in a history excerpt, in the order they are shown.
_SHOWN_FIELDS = ("index", "length", "input", "parameters", "output", "error", "cause")
_EXCERPT_HEAD, _EXCERPT_TAIL = 8, 16


# ---------------------------------------------------------------------------------------------
# Views


class Visit:
    """One entry into a state: its input, output (once it exited), error and task attempts."""

    def __init__(self, step: Step, trace: "Trace", number: int) -> None:
        self._step = step
        self._trace = trace
        self.number = number
        """1 for the state's first visit, 2 for the next... (in the order they were entered)."""

    @property
    def name(self) -> str:
        return self._step.name

    @property
    def state_type(self) -> str:
        return self._step.state_type

    @property
    def entered(self) -> dict[str, Any]:
        """The ``*StateEntered`` event."""
        return self._step.entered

    @property
    def exited(self) -> dict[str, Any] | None:
        """The ``*StateExited`` event; None if the visit failed, is still running or was stopped."""
        return self._step.exited

    @property
    def events(self) -> list[dict[str, Any]]:
        """Every event of this visit (not of the states inside it), in history order."""
        return list(self._step.events)

    @property
    def entered_at(self) -> Any:
        """The timestamp of the ``*StateEntered`` event (an aware datetime for sfnsim's runs)."""
        return self.entered.get("timestamp")

    @property
    def iteration(self) -> int | None:
        """The Map iteration index this visit ran in (None outside a Map)."""
        return self._step.iteration

    @property
    def input(self) -> Any:
        return details_of(self.entered).get("input")

    @property
    def output(self) -> Any:
        """The state's output; an AssertionError if this visit never exited."""
        __tracebackhide__ = True
        if self.exited is None:
            raise AssertionError(self._trace.render_not_exited(self))
        return details_of(self.exited).get("output")

    @property
    def error(self) -> str | None:
        """The error this visit failed with (None if it did not fail); also when a Catch took over."""
        return self._trace.failure_of(self._step)[0]

    @property
    def cause(self) -> str | None:
        return self._trace.failure_of(self._step)[1]

    @property
    def attempts(self) -> list[dict[str, Any]]:
        """Each try at the task (Task states only), as a dict; see :func:`attempt_dict`."""
        return [attempt_dict(a, n, self.number) for n, a in enumerate(self._step.attempts, 1)]

    @property
    def retry_count(self) -> int:
        return max(len(self._step.attempts) - 1, 0)

    def __repr__(self) -> str:
        status = "exited" if self.exited is not None else (f"error={self.error!r}" if self.error else "open")
        return f"<Visit {self.name!r} #{self.number} entered at event {self.entered.get('id')} ({status})>"


def attempt_dict(attempt: Attempt, number: int, visit: int) -> dict[str, Any]:
    """One task attempt as plain data.

    ``number`` (1 = the first try), ``visit`` (which visit of the state it belongs to), ``input``
    (what was sent: the ``TaskScheduled`` ``parameters``, or the legacy Lambda/Activity ``input``),
    ``outcome`` (``succeeded``, ``failed``, ``timed_out``, ``start_failed``... or ``pending``),
    ``output`` (the service's result), ``error``, ``cause``, ``timestamp`` (when it was scheduled),
    ``ended_at`` and ``seconds`` (virtual time it took, None while pending).
    """
    result = attempt.result
    return {
        "number": number,
        "visit": visit,
        "input": attempt.request,
        "outcome": attempt.outcome,
        "output": result.get("output"),
        "error": result.get("error"),
        "cause": result.get("cause"),
        "timestamp": attempt.scheduled.get("timestamp"),
        "ended_at": attempt.ended.get("timestamp") if attempt.ended is not None else None,
        "seconds": attempt.seconds,
    }


class StateView:
    """Every visit to one state; ``input``/``output``/``error``/``cause`` are the last visit's.

    ``attempts`` and ``retry_count`` add up all visits (a Map runs its states once per item); use
    ``visits[i].attempts`` for one visit's.
    """

    def __init__(self, trace: "Trace", name: str) -> None:
        self._trace = trace
        self.name = name
        self.visits: list[Visit] = trace.visits_of(name)

    @property
    def entered(self) -> bool:
        return bool(self.visits)

    @property
    def last(self) -> Visit:
        """The last visit; an AssertionError naming the states that were entered if there is none."""
        __tracebackhide__ = True
        if not self.visits:
            raise AssertionError(self._trace.render_never_entered(self.name))
        return self.visits[-1]

    @property
    def input(self) -> Any:
        __tracebackhide__ = True
        return self.last.input

    @property
    def output(self) -> Any:
        __tracebackhide__ = True
        return self.last.output

    @property
    def error(self) -> str | None:
        __tracebackhide__ = True
        return self.last.error

    @property
    def cause(self) -> str | None:
        __tracebackhide__ = True
        return self.last.cause

    @property
    def attempts(self) -> list[dict[str, Any]]:
        return [attempt for visit in self.visits for attempt in visit.attempts]

    @property
    def retry_count(self) -> int:
        return sum(visit.retry_count for visit in self.visits)

    # -- assertions -----------------------------------------------------------------------------
    def assert_entered(self, times: int | None = None) -> "StateView":
        """The state was entered (exactly ``times`` times, if given)."""
        __tracebackhide__ = True
        if not self.visits or (times is not None and len(self.visits) != times):
            expected = "at least once" if times is None else _times(times)
            raise AssertionError(self._trace.render_state_problem(
                self, f"expected state {self.name!r} to be entered {expected}, "
                      f"but it was entered {_times(len(self.visits))}"))
        return self

    def assert_not_entered(self) -> "StateView":
        __tracebackhide__ = True
        if self.visits:
            raise AssertionError(self._trace.render_state_problem(
                self, f"expected state {self.name!r} not to be entered, but it was entered {_times(len(self.visits))}"))
        return self

    def assert_retried(self, times: int | None = None) -> "StateView":
        """The state's task was retried (exactly ``times`` times over all its visits, if given)."""
        __tracebackhide__ = True
        if not self.visits:
            raise AssertionError(self._trace.render_never_entered(self.name))
        count = self.retry_count
        if (times is None and count == 0) or (times is not None and count != times):
            expected = "retried" if times is None else f"retried {_times(times)}"
            raise AssertionError(self._trace.render_state_problem(
                self, f"expected state {self.name!r} to be {expected}, but it was retried {_times(count)}"))
        return self

    def __repr__(self) -> str:
        return f"<StateView {self.name!r}: {_times(len(self.visits))} entered>"


# ---------------------------------------------------------------------------------------------
# The trace


class Trace:
    """The state visits of one history: AWS-shaped event dicts with payloads as values, as
    ``Execution.history`` holds them (or ``sfnsim.history.replay.read_history`` reads an AWS export).

    ``status`` and ``execution_failure()`` come from the terminal ``Execution*`` event; with the
    ``definition``, ``state()`` refuses names the machine does not have (a typo would otherwise
    make ``assert_not_entered()`` pass).
    """

    def __init__(self, events: list[dict[str, Any]], definition: dict[str, Any] | None = None) -> None:
        self.events = events
        self.tree: StepTree = step_tree(events)
        self.definition = definition
        self._states = state_types(definition) if definition is not None else None
        self.visits: list[Visit] = []
        self._visits_by_step: dict[int, Visit] = {}
        counts: dict[str, int] = {}
        for step in sorted(self.tree.steps(), key=lambda s: _event_id(s.entered)):
            counts[step.name] = counts.get(step.name, 0) + 1
            visit = Visit(step, self, counts[step.name])
            self.visits.append(visit)
            self._visits_by_step[id(step)] = visit
        self._failure_chain = self._find_failure_chain()

    # -- queries --------------------------------------------------------------------------------
    @property
    def status(self) -> str:
        return self.tree.status

    @property
    def path(self) -> list[str]:
        return [visit.name for visit in self.visits]

    @property
    def start_time(self) -> Any:
        return self.events[0].get("timestamp") if self.events else None

    def visits_of(self, name: str) -> list[Visit]:
        return [visit for visit in self.visits if visit.name == name]

    def state(self, name: str) -> StateView:
        __tracebackhide__ = True
        if self._states is not None and name not in self._states:
            raise AssertionError(self.render_unknown_state(name))
        return StateView(self, name)

    def failed_visit(self) -> Visit | None:
        """The innermost state the execution failed in (None unless it failed or timed out)."""
        step = self.tree.failed_step()
        return self._visits_by_step.get(id(step)) if step is not None else None

    def origin_visit(self) -> Visit | None:
        """Where the execution's error was first raised, when a Catch passed it on before the
        execution failed elsewhere (the usual Catch → notify → Fail); None otherwise."""
        failed = self.failed_visit()
        error = self.execution_failure()[0]
        if failed is None or error is None:
            return None
        for visit in reversed(self.visits):
            if (_event_id(visit.entered) < _event_id(failed.entered) and id(visit._step) not in self._failure_chain
                    and visit.error == error):
                return visit
        return None

    def execution_failure(self) -> tuple[str | None, str | None]:
        end = self.tree.end_event
        details = details_of(end) if end is not None else {}
        return details.get("error"), details.get("cause")

    def failure_of(self, step: Step) -> tuple[str | None, str | None]:
        """The error and cause a visit ended with, or (None, None) if it did not fail."""
        if id(step) in self._failure_chain:
            return self.execution_failure()
        if step.attempts:
            last = step.attempts[-1]
            if last.outcome in _FAILED_OUTCOMES:
                return last.result.get("error"), last.result.get("cause")
            return None, None
        if step.error is not None:  # EvaluationFailed
            return step.error, step.cause
        if _branches_failed(step):
            for event in reversed(step.events):
                if event["type"] == "MapRunFailed":
                    return details_of(event).get("error"), details_of(event).get("cause")
            failed = [child for child in step.children if child.failed or self.failure_of(child)[0]]
            return self.failure_of(failed[-1]) if failed else (None, None)
        return None, None

    def _find_failure_chain(self) -> set[int]:
        """The failed state and the states around it, which all failed with the execution's error."""
        if self.status != "FAILED":
            return set()
        step = self.tree.failed_step()
        chain: set[int] = set()
        while step is not None and step.exited is None:
            chain.add(id(step))
            step = step.parent
        return chain

    # -- messages -------------------------------------------------------------------------------
    def render_not_exited(self, visit: Visit) -> str:
        how = f"it failed with error={visit.error!r}" if visit.error else "it is still running or was stopped"
        lines = [f"state {visit.name!r} (visit {visit.number}) has no output: it never exited ({how})"]
        return "\n".join(lines + self._outcome_lines() + self._excerpt(self._events_around([visit])))

    def render_never_entered(self, name: str) -> str:
        entered = ", ".join(dict.fromkeys(self.path)) or "(none)"
        lines = [f"state {name!r} was never entered", f"states entered: {entered}"]
        return "\n".join(lines + self._outcome_lines() + self._excerpt(self._tail(8)))

    def render_unknown_state(self, name: str) -> str:
        known = ", ".join(self._states or ()) or "(none)"
        close = difflib.get_close_matches(name, list(self._states or ()), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return f"the state machine has no state named {name!r}{hint}\nits states: {known}"

    def render_state_problem(self, view: StateView, headline: str) -> str:
        lines = [headline]
        if view.visits:
            lines += _attempt_lines(view, self.start_time)
        lines += self._outcome_lines()
        events = self._events_around(view.visits) if view.visits else self._tail(8)
        return "\n".join(lines + self._excerpt(events))

    def render_execution_problem(self, headline: str, details: Sequence[str] = ()) -> str:
        """A headline, specifics, how the execution ended, and the history around where it ended."""
        lines = [headline, *details, *self._outcome_lines()]
        focus = self._focus()
        events = self._events_around(focus) if focus else self._tail(10)
        return "\n".join(lines + self._excerpt(events))

    def render_path_problem(self, expected: Sequence[str]) -> str:
        actual = self.path
        first = _first_difference(list(expected), actual)
        lines = [f"execution path differs from the expected one at step {first + 1}:"]
        lines += _path_table(list(expected), actual, first)
        if self._states is not None:
            unknown = [name for name in dict.fromkeys(expected) if name not in self._states]
            if unknown:
                lines.append(f"(not states of this machine: {', '.join(map(repr, unknown))})")
        lines += self._outcome_lines()
        start = self.visits[max(first - 1, 0)].entered if self.visits else None
        events = [e for e in self.events if start is not None and _event_id(e) >= _event_id(start)]
        focus = self._focus()
        if focus and any(visit.entered not in events for visit in focus):
            events = self._events_around(focus)
        return "\n".join(lines + self._excerpt(events or self._tail(10)))

    def _outcome_lines(self) -> list[str]:
        status = self.status
        if status == "SUCCEEDED":
            return [f"execution: SUCCEEDED, output: {_short(details_of(self.tree.end_event or {}).get('output'), 300)}"]
        if status == "RUNNING":
            return ["execution: RUNNING (waiting on a callback, or not finished)"]
        error, cause = self.execution_failure()
        lines = [f"execution: {status}", *([f"  error: {error}"] if error else []), *_cause_lines(cause)]
        failed = self.failed_visit()
        if failed is not None:
            lines += _visit_lines("failing state:", failed, self.start_time, (error, cause))
        origin = self.origin_visit()
        if origin is not None:
            lines += _visit_lines("error raised in:", origin, self.start_time, (error, cause), caught=True)
        return lines

    def _focus(self) -> list[Visit]:
        return [visit for visit in (self.origin_visit(), self.failed_visit()) if visit is not None]

    def _events_around(self, visits: Iterable[Visit]) -> list[dict[str, Any]]:
        """The visits' own events, the event each was entered from, and the events on the way out
        (enclosing Parallel/Map states ending, the execution ending)."""
        wanted: set[int] = set()
        for visit in visits:
            ids = [_event_id(e) for e in visit.events]
            wanted.update(ids)
            wanted.add(visit.entered.get("previousEventId") or 0)
            step = visit._step.parent
            while step is not None:
                wanted.update(_event_id(e) for e in step.events if _event_id(e) > min(ids))
                step = step.parent
        end = self.tree.end_event
        if end is not None:
            wanted.add(_event_id(end))
        return [e for e in self.events if _event_id(e) in wanted]

    def _tail(self, count: int) -> list[dict[str, Any]]:
        return self.events[-count:]

    def _excerpt(self, events: list[dict[str, Any]]) -> list[str]:
        if not events:
            return []
        total = len(self.events)
        lines = [f"history (events #{_event_id(events[0])} to #{_event_id(events[-1])} of {total}):"]
        shown = events
        if len(events) > _EXCERPT_HEAD + _EXCERPT_TAIL:
            shown = events[:_EXCERPT_HEAD] + [None] + events[-_EXCERPT_TAIL:]  # type: ignore[list-item]
        owners = self._owner_names()
        names = [_event_state(e, owners.get(_event_id(e), "")) for e in shown if e is not None]
        width = min(max([8, *map(len, names)]), 30)
        previous_id = None
        for event in shown:
            if event is None:
                lines.append(f"  ... {len(events) - _EXCERPT_HEAD - _EXCERPT_TAIL} more events ...")
                previous_id = None
                continue
            if previous_id is not None and _event_id(event) > previous_id + 1:
                lines.append("  ...")
            lines.append(event_line(event, self.start_time, owners.get(_event_id(event), ""), width))
            previous_id = _event_id(event)
        return lines

    def _owner_names(self) -> dict[int, str]:
        return {_event_id(event): (step.name if step is not None else "")
                for event, step in zip(self.tree.events, self.tree.owners)}


def state_types(definition: dict[str, Any]) -> dict[str, str]:
    """Every state name in a definition (inside Parallel branches and Map processors too) → its type,
    in the order they are written."""
    found: dict[str, str] = {}
    states = definition.get("States") if isinstance(definition, dict) else None
    for name, state in (states or {}).items():
        if not isinstance(state, dict):
            continue
        found[name] = str(state.get("Type"))
        nested = [b for b in state.get("Branches") or () if isinstance(b, dict)]
        nested += [state[key] for key in ("ItemProcessor", "Iterator") if isinstance(state.get(key), dict)]
        for machine in nested:
            found.update(state_types(machine))
    return found


# ---------------------------------------------------------------------------------------------
# The Execution mixin


class ExecutionAssertions:
    """Assertions and per-state views on ``Execution`` (mixed into ``sfnsim.api.Execution``)."""

    if TYPE_CHECKING:
        machine: StateMachine
        history: list[dict[str, Any]]
        status: str
        output: Any
        error: str | None
        cause: str | None
        path: list[str]

    @property
    def trace(self) -> Trace:
        """The history grouped into state visits (rebuilt when the history has grown)."""
        cached = self.__dict__.get("_sfnsim_trace")
        if cached is None or len(cached.events) != len(self.history):
            cached = Trace(list(self.history), self.machine.definition)
            self.__dict__["_sfnsim_trace"] = cached
        return cached

    def state(self, name: str) -> StateView:
        """Every visit to state ``name``: ``.input``, ``.output``, ``.attempts``, ``.assert_retried()``..."""
        __tracebackhide__ = True
        return self.trace.state(name)

    def assert_succeeded(self, output: Any = _ANY) -> "ExecutionAssertions":
        """The execution succeeded (with exactly ``output``, if given)."""
        __tracebackhide__ = True
        if self.status != "SUCCEEDED":
            raise AssertionError(self.trace.render_execution_problem(
                f"expected the execution to succeed, but {_ended(self.status)}"))
        if output is not _ANY and self.output != output:
            raise AssertionError(self.trace.render_execution_problem(
                "the execution succeeded with a different output", _compare_lines(output, self.output)))
        return self

    def assert_failed(self, error: str | None = None, cause: str | re.Pattern[str] | None = None
                      ) -> "ExecutionAssertions":
        """The execution failed (with this ``error`` name and ``cause``, if given).

        ``cause`` is compared exactly, or searched when it is a compiled regular expression
        (``re.compile("Rate exceeded")``), handy for Lambda's JSON causes.
        """
        __tracebackhide__ = True
        wanted = _wanted_failure(error, cause)
        if self.status != "FAILED":
            raise AssertionError(self.trace.render_execution_problem(
                f"expected the execution to fail{wanted}, but {_ended(self.status)}"))
        problems = []
        if error is not None and self.error != error:
            problems.append(f"  error: expected {error!r}, got {self.error!r}")
        if cause is not None and not _cause_matches(cause, self.cause):
            problems.append(f"  cause: expected {_describe_cause(cause)}, got {_short(self.cause, 400)}")
        if problems:
            raise AssertionError(self.trace.render_execution_problem(
                f"the execution failed, but not as expected{wanted}:", problems))
        return self

    def assert_timed_out(self) -> "ExecutionAssertions":
        """The execution hit its ``TimeoutSeconds`` (status TIMED_OUT)."""
        __tracebackhide__ = True
        if self.status != "TIMED_OUT":
            raise AssertionError(self.trace.render_execution_problem(
                f"expected the execution to time out, but {_ended(self.status)}"))
        return self

    def assert_path(self, expected: Sequence[str]) -> "ExecutionAssertions":
        """The states entered, in order, are exactly ``expected`` (see ``Execution.path``)."""
        __tracebackhide__ = True
        if isinstance(expected, str):
            raise TypeError("assert_path takes a list of state names, e.g. ex.assert_path(['Extract', 'Load'])")
        if list(expected) != self.path:
            raise AssertionError(self.trace.render_path_problem(list(expected)))
        return self


# ---------------------------------------------------------------------------------------------
# Formatting


def event_line(event: dict[str, Any], start: Any, owner: str = "", name_width: int = 18) -> str:
    """One history event on one line: id, time since the start, type, state, the telling fields.

    ``owner`` names the state an event belongs to when the event does not name it itself.
    """
    details = details_of(event)
    name = _event_state(event, owner)
    fields = []
    for key in _SHOWN_FIELDS:
        if key in details and not (key in ("error", "cause") and not details[key]):
            value = details[key]
            if key == "output" and _is_lambda_response(value):
                key, value = "Payload", value["Payload"]  # the function's result, not the HTTP envelope
            fields.append(f"{key}={_short(value, 100)}")
    return (f"  #{_event_id(event):<4} {_elapsed(event.get('timestamp'), start):>12}  "
            f"{event['type']:<26} {name:<{name_width}} {' '.join(fields)}").rstrip()


def _event_state(event: dict[str, Any], owner: str) -> str:
    if event["type"].endswith(("StateEntered", "StateExited")):
        return str(details_of(event).get("name", ""))
    return owner


def _visit_lines(title: str, visit: Visit, start: Any, execution_failure: tuple[str | None, str | None],
                 caught: bool = False) -> list[str]:
    """A visit's input, and its error and cause unless they are the execution's (shown already)."""
    how = ", passed on by a Catch" if caught else ""
    lines = [f"{title} {visit.name!r} ({visit.state_type}), entered at event #{visit.entered.get('id')} "
             f"({_elapsed(visit.entered_at, start)}){how}",
             f"  input: {_short(visit.input, 400)}"]
    error, cause = visit.error, visit.cause
    if error is not None and error != execution_failure[0]:
        lines.append(f"  error: {error}")
    if cause and cause != execution_failure[1]:
        lines += _cause_lines(cause)
    if len(visit.attempts) > 1:
        outcomes = ", ".join(a["error"] or a["outcome"] for a in visit.attempts)
        lines.append(f"  attempts: {len(visit.attempts)} ({outcomes})")
    return lines


def _cause_lines(cause: str | None) -> list[str]:
    """A cause as text; Lambda's JSON causes as ``errorType: errorMessage`` and the stack trace."""
    if not cause:
        return []
    try:
        parsed = json.loads(cause)
    except ValueError:
        parsed = None
    if not (isinstance(parsed, dict) and "errorMessage" in parsed):
        return [f"  cause: {_short(cause, 400)}"]
    lines = [f"  cause: {parsed.get('errorType', 'Error')}: {_short(parsed['errorMessage'], 300)}  (Lambda error JSON)"]
    frames = parsed.get("stackTrace")
    for frame in frames[-6:] if isinstance(frames, list) else ():
        lines += [f"         {line}" for line in str(frame).rstrip("\n").splitlines()]
    return lines


def _attempt_lines(view: StateView, start: Any) -> list[str]:
    attempts = view.attempts
    if not attempts:
        return [f"visits: {len(view.visits)} (no task attempts)"]
    lines = ["attempts:"]
    several = len(view.visits) > 1
    for attempt in attempts:
        where = f"visit {attempt['visit']} " if several else ""
        problem = f"  {attempt['error']}" if attempt["error"] else ""
        cause = f": {_short(attempt['cause'], 120)}" if attempt["cause"] else ""
        lines.append(f"  {where}#{attempt['number']}  {_elapsed(attempt['timestamp'], start):>12}  "
                     f"{attempt['outcome']}{problem}{cause}")
    return lines


def _path_table(expected: list[str], actual: list[str], first: int) -> list[str]:
    """Expected and actual paths side by side, from a little before the first difference."""
    width = max([len("expected"), *(len(name) for name in expected)]) + 2
    lines = [f"       {'expected':<{width}}actual"]
    low, high = max(first - 3, 0), min(max(len(expected), len(actual)), first + 8)
    if low > 0:
        lines.append(f"       ... {low} matching steps ...")
    for index in range(low, high):
        left = expected[index] if index < len(expected) else "(end)"
        right = actual[index] if index < len(actual) else "(end)"
        marker = ">" if index == first else " "
        lines.append(f"  {marker}{index + 1:>3}  {left:<{width}}{right}")
    remaining = max(len(expected), len(actual)) - high
    if remaining > 0:
        lines.append(f"       ... {remaining} more steps ...")
    return lines


def _first_difference(expected: list[str], actual: list[str]) -> int:
    for index, (want, got) in enumerate(zip(expected, actual)):
        if want != got:
            return index
    return min(len(expected), len(actual))


def _compare_lines(expected: Any, actual: Any) -> list[str]:
    return [f"  expected output: {_short(expected, 600)}", f"  actual output:   {_short(actual, 600)}"]


def _wanted_failure(error: str | None, cause: Any) -> str:
    parts = []
    if error is not None:
        parts.append(f"error={error!r}")
    if cause is not None:
        parts.append(f"cause {_describe_cause(cause)}")
    return f" with {', '.join(parts)}" if parts else ""


def _describe_cause(cause: Any) -> str:
    if isinstance(cause, re.Pattern):
        return f"matching re.compile({cause.pattern!r})"
    return repr(cause)


def _cause_matches(cause: Any, actual: str | None) -> bool:
    if isinstance(cause, re.Pattern):
        return actual is not None and cause.search(actual) is not None
    return cause == actual


def _branches_failed(step: Step) -> bool:
    """A Parallel/Map visit whose last run of its branches or iterations failed."""
    for event in reversed(step.events):
        ended = _BRANCHES_ENDED.get(event["type"])
        if ended is not None:
            return ended
    return False


def _is_lambda_response(value: Any) -> bool:
    return isinstance(value, dict) and "Payload" in value and "StatusCode" in value


def _short(value: Any, limit: int) -> str:
    """Compact JSON (strings as they are), cut to ``limit`` characters."""
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"), ensure_ascii=False,
                                                             default=str)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text)} chars)"


def _elapsed(moment: Any, start: Any) -> str:
    """``+0:00:06.000``: virtual time since the execution started."""
    if not isinstance(moment, datetime) or not isinstance(start, datetime):
        return str(moment or "")
    seconds = (moment - start).total_seconds()
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"+{int(hours)}:{int(minutes):02d}:{seconds:06.3f}"


def _ended(status: str) -> str:
    return {"RUNNING": "it is still RUNNING (waiting on a callback? see ex.pending_tokens)",
            "ABORTED": "it was ABORTED"}.get(status, f"it {status}")


def _times(count: int) -> str:
    return {0: "0 times", 1: "once", 2: "twice"}.get(count, f"{count} times")


def _event_id(event: dict[str, Any]) -> int:
    value = event.get("id")
    return value if isinstance(value, int) else 0


__all__ = ["Trace", "StateView", "Visit", "ExecutionAssertions", "attempt_dict", "event_line", "state_types"]
