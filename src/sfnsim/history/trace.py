"""Per-state views over an execution's history.

``ex.state("Load")`` is a :class:`StateView`: every visit to the state (a state inside a Map
iteration or a Parallel branch is visited several times), each visit's input, output, error and
task attempts, read from the AWS-shaped history. The history is grouped into visits by
``sfnsim.history.steps.step_tree``, which follows ``previousEventId`` as AWS links events, so
interleaved branches and iterations are told apart exactly as in a real AWS export.

A view's assertions (``ex.state("Load").assert_retried(times=2)``), like the execution's
(:mod:`sfnsim.history.assertions`), fail with an ``AssertionError`` whose message
(:mod:`sfnsim.history.failure_messages`) is meant to be read in a CI log. Every helper sets
``__tracebackhide__`` so pytest shows the test's own line, not sfnsim's frames.
"""

from __future__ import annotations

from typing import Any

from sfnsim.history import failure_messages as messages
from sfnsim.history.steps import Attempt, Step, StepTree, details_of, step_tree
from sfnsim.history.steps import event_id as _event_id

# Outcomes of an attempt that left the task without a result.
_FAILED_OUTCOMES = frozenset({"failed", "timed_out", "start_failed", "submit_failed", "schedule_failed"})
# Events that end one run of a Parallel or Map state's branches; the last one says how the state ended.
_BRANCHES_ENDED = {
    "ParallelStateSucceeded": False, "ParallelStateFailed": True,
    "MapStateSucceeded": False, "MapStateFailed": True, "MapRunFailed": True,
}


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
    def step(self) -> Step:
        """The visit's events as grouped from the history (its attempts, the steps inside it)."""
        return self._step

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
            raise AssertionError(messages.not_exited(self._trace, self))
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
    ``outcome`` (``succeeded``, ``failed``, ``timed_out``, ``start_failed``..., ``aborted`` or ``pending``),
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
    """Every visit to one state; ``input``/``output`` are the last visit's, ``error``/``cause`` the
    last failed visit's.

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
            raise AssertionError(messages.never_entered(self._trace, self.name))
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
        """The error of the last visit that failed: in a Map, the iteration that failed, not a
        sibling aborted after it."""
        __tracebackhide__ = True
        return self.last_failed.error

    @property
    def cause(self) -> str | None:
        __tracebackhide__ = True
        return self.last_failed.cause

    @property
    def last_failed(self) -> Visit:
        """The last visit that ended with an error, or else the last visit."""
        __tracebackhide__ = True
        last = self.last
        return next((visit for visit in reversed(self.visits) if visit.error is not None), last)

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
            raise AssertionError(messages.state_problem(
                self._trace, self, f"expected state {self.name!r} to be entered {expected}, "
                      f"but it was entered {_times(len(self.visits))}"))
        return self

    def assert_not_entered(self) -> "StateView":
        __tracebackhide__ = True
        if self.visits:
            raise AssertionError(messages.state_problem(
                self._trace, self, f"expected state {self.name!r} not to be entered, but it was entered {_times(len(self.visits))}"))
        return self

    def assert_retried(self, times: int | None = None) -> "StateView":
        """The state's task was retried (exactly ``times`` times over all its visits, if given)."""
        __tracebackhide__ = True
        if not self.visits:
            raise AssertionError(messages.never_entered(self._trace, self.name))
        count = self.retry_count
        if (times is None and count == 0) or (times is not None and count != times):
            expected = "retried" if times is None else f"retried {_times(times)}"
            raise AssertionError(messages.state_problem(
                self._trace, self, f"expected state {self.name!r} to be {expected}, but it was retried {_times(count)}"))
        return self

    def __repr__(self) -> str:
        return f"<StateView {self.name!r}: {_times(len(self.visits))} entered>"


# ---------------------------------------------------------------------------------------------
# The trace


class Trace:
    """The state visits of one history: AWS-shaped event dicts with payloads as values, as
    ``Execution.history`` holds them (or ``sfnsim.history.aws_files.read_history`` reads an AWS export).

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
            raise AssertionError(messages.unknown_state(self, name))
        return StateView(self, name)

    def failed_visit(self) -> Visit | None:
        """The innermost state the execution failed in (None unless it failed or timed out)."""
        step = self.tree.failed_step()
        return self._visits_by_step.get(id(step)) if step is not None else None

    def origin_visit(self) -> Visit | None:
        """Where the failure began, when a Catch passed an error on before the execution failed
        elsewhere (the usual Catch → notify → Fail): the last earlier visit that failed with the
        execution's error, or else (a Fail state with an error of its own) the last earlier visit
        whose error a Catch took. None when the execution failed where the error was raised."""
        failed = self.failed_visit()
        error = self.execution_failure()[0]
        if failed is None:
            return None
        earlier = [visit for visit in self.visits
                   if _event_id(visit.entered) < _event_id(failed.entered) and id(visit._step) not in self._failure_chain
                   and visit.error is not None]
        same = [visit for visit in earlier if visit.error == error]
        return (same or earlier or [None])[-1]

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

    @property
    def known_states(self) -> dict[str, str] | None:
        """The definition's state names → types (None when the trace has no definition)."""
        return self._states

    def owner_names(self) -> dict[int, str]:
        """Event id → the name of the state the event belongs to ("" outside any state)."""
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


def _branches_failed(step: Step) -> bool:
    """A Parallel/Map visit whose last run of its branches or iterations failed."""
    for event in reversed(step.events):
        ended = _BRANCHES_ENDED.get(event["type"])
        if ended is not None:
            return ended
    return False


def _times(count: int) -> str:
    return {0: "0 times", 1: "once", 2: "twice"}.get(count, f"{count} times")


__all__ = ["Trace", "StateView", "Visit", "attempt_dict", "state_types"]
