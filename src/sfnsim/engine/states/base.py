"""What every state executor shares: entering and leaving a state, errors, Retry and Catch.

A state executor is compiled once from its definition. ``execute`` is a generator run inside a
branch's fiber: it records ``<Type>StateEntered``, runs the state's own ``body`` (which may yield to
the scheduler), records ``<Type>StateExited`` and returns ``(output, next state name or None)``.
"""

from __future__ import annotations

import re
from collections import ChainMap
from datetime import timedelta
from typing import Any, Callable, ClassVar, Generator, Protocol

from sfnsim.dataflow.context import context_object
from sfnsim.dataflow.jsontypes import MAX_NESTING_DEPTH
from sfnsim.dataflow.pipeline import MAX_PAYLOAD_BYTES, check_payload_size, payload_size
from sfnsim.dataflow.scope import Scope
from sfnsim.engine.clock import iso_millis
from sfnsim.engine.recovery import Catcher, Retrier, error_matches, error_output
from sfnsim.engine.runtime import Branch, Run
from sfnsim.engine.scheduler import NOW, Sleep
from sfnsim.engine.states.io import StateIO, make_io
from sfnsim.engine.states.outcome import Outcome
from sfnsim.errors import SimulationLimitError, StatesError
from sfnsim.history.events import entered_details, exited_details


_ABORTABLE = frozenset({"Task", "Wait", "Map", "Parallel"})
_FIELD_IN_CAUSE = re.compile(r"specified for the field '([^']+)'")


class StateCompiler(Protocol):
    """What an executor needs from the compiler (``engine.compiler.Compiler``): the machine's query
    language, and compiling the flows nested in it (Parallel branches, a Map's ItemProcessor)."""

    query_language: str

    def compile_branch(self, spec: dict[str, Any], pointer: str = "") -> Any: ...


class Visit:
    """One entry into a state: what its expressions can see, and where its errors are located."""

    __slots__ = ("run", "branch", "state", "entered_id", "entered_at", "_entered_time", "input", "retry_count",
                 "task_token", "map_item", "entered_prev", "inspection")

    def __init__(self, run: Run, branch: Branch, state: "StateExecutor", entered_id: int, state_input: Any,
                 entered_prev: int = 0) -> None:
        self.entered_prev = entered_prev
        self.run = run
        self.branch = branch
        self.state = state
        self.entered_id = entered_id
        self.entered_at = run.clock.elapsed
        self._entered_time: str | None = None
        self.input = state_input
        self.retry_count: int | None = 0 if state.has_retry_count else None
        self.task_token: str | None = None
        self.map_item: tuple[int, Any, str | None] | None = None
        inspector = run.inspector
        self.inspection = None if inspector is None else inspector.begin(
            state.name, state.state_type, state.query_language, entered_id, self.entered_time, state_input)

    @property
    def entered_time(self) -> str:
        """``$$.State.EnteredTime``; formatted only when something reads it."""
        if self._entered_time is None:
            clock = self.run.clock
            self._entered_time = iso_millis(clock.start + timedelta(seconds=self.entered_at))
        return self._entered_time

    def stage(self, name: str, value: Any) -> None:
        """Note a data-flow stage's value when the run is being inspected."""
        if self.inspection is not None:
            self.inspection.stages[name] = value

    def note(self, kind: str, **details: Any) -> None:
        if self.inspection is not None:
            self.inspection.notes.append({"kind": kind, **details})

    def note_choice(self, rule: int | None, **details: Any) -> None:
        """The Choice rule that matched (None: Default), kept beside the history for coverage."""
        self.branch.recorder.matched_choice_rules[self.entered_id] = rule
        self.note("choice", rule=rule, **details)

    def context(self) -> dict[str, Any]:
        return context_object(
            self.run.info, self.state.name, self.entered_time,
            retry_count=self.retry_count, task_token=self.task_token, map_item=self.map_item,
        )

    def scope(self, data: Any) -> Scope:
        return Scope(data, self.context, self.branch.variables, self.run.rng)

    def record(self, event_type: str, details: dict[str, Any] | None = None, *,
               after: int | None = None, advance: bool = True) -> int:
        return self.branch.record(self.run, event_type, details, after=after, advance=advance)

    def located(self, error: StatesError) -> StatesError:
        """AWS prefixes runtime errors with the state and the id of its Entered event."""
        if not error.runtime:
            return error
        prefix = (f"An error occurred while executing the state '{self.state.name}' "
                  f"(entered at the event id #{self.entered_id}).")
        cause = f"{prefix} {error.cause}" if error.cause else prefix
        if error.error == "States.QueryEvaluationError":
            match = _FIELD_IN_CAUSE.search(error.cause or "")
            location = getattr(error, "location", None) or (match.group(1) if match else None)
            details = {"error": error.error, "cause": cause, "state": self.state.name}
            if location:
                details["location"] = location
            # An expression that failed to evaluate: AWS links EvaluationFailed to the event
            # before the state was entered. A value checked after evaluation links normally.
            failed_to_evaluate = getattr(error, "location", None) is None
            self.record("EvaluationFailed", details, after=self.entered_prev if failed_to_evaluate else None)
        return StatesError(error.error, cause, terminal=error.terminal)


class StateExecutor:
    state_type: ClassVar[str]
    synchronous: ClassVar[bool] = False  # body() returns an Outcome instead of being a generator (execute_now)
    has_retry_count: ClassVar[bool] = False

    def __init__(self, name: str, spec: dict[str, Any], compiler: StateCompiler) -> None:
        self.name = name
        self.spec = spec
        self.next: str | None = spec.get("Next")
        self.query_language: str = spec.get("QueryLanguage") or compiler.query_language
        self.io: StateIO = make_io(self, spec, compiler)
        self.entered_type = f"{self.state_type}StateEntered"
        # Only states that can be in flight have an Aborted event in AWS's history.
        self.aborted_type = f"{self.state_type}StateAborted" if self.state_type in _ABORTABLE else None
        self.exited_type = f"{self.state_type}StateExited"
        self.retriers = [Retrier(r) for r in spec.get("Retry", ())]
        self.catchers = [Catcher(c) for c in spec.get("Catch", ())]

    # -- the life of one visit ----------------------------------------------------------------
    def execute(self, run: Run, branch: Branch, state_input: Any) -> Generator[Any, Any, tuple[Any, str | None]]:
        visit = self._enter(run, branch, state_input)
        try:
            outcome = yield from self.body(visit)
            self._check_sizes(outcome, state_input)
        except StatesError as error:
            raise self._failed(visit, error) from None
        except RecursionError:
            raise self._too_deep() from None
        except GeneratorExit:
            # Cancelled: a sibling branch failed, or the execution timed out or was stopped.
            if self.aborted_type is not None:
                visit.record(self.aborted_type)
            raise
        return self._leave(visit, outcome)

    def execute_now(self, run: Run, branch: Branch, state_input: Any) -> tuple[Any, str | None]:
        """``execute`` for a ``synchronous`` state (Pass, Choice, Succeed, Fail): it never yields
        to the scheduler, so ``Flow.run`` calls it without a generator of its own per visit."""
        visit = self._enter(run, branch, state_input)
        try:
            outcome = self.body(visit)
            self._check_sizes(outcome, state_input)
        except StatesError as error:
            raise self._failed(visit, error) from None
        except RecursionError:
            raise self._too_deep() from None
        return self._leave(visit, outcome)

    def _enter(self, run: Run, branch: Branch, state_input: Any) -> Visit:
        entered_prev = branch.prev
        entered_id = branch.record_next(run, self.entered_type, entered_details(self.name, state_input))
        return Visit(run, branch, self, entered_id, state_input, entered_prev)

    def _check_sizes(self, outcome: Outcome, state_input: Any) -> None:
        if outcome.output is not state_input:  # an unchanged input was checked when it was produced
            check_payload_size(outcome.output, self.name)
        if outcome.assigned is not None:
            check_assignment_size(outcome.assigned, self.name)

    def _failed(self, visit: Visit, error: StatesError) -> StatesError:
        located = visit.located(error)
        if self.aborted_type is not None:
            located.pending_abort = lambda: self._record_aborted_after_failure(visit)
        if visit.inspection is not None:
            visit.inspection.error = {"error": located.error, "cause": located.cause}
        return located

    def _too_deep(self) -> SimulationLimitError:
        return SimulationLimitError(
            f"state {self.name!r}: its data is nested more deeply than sfnsim can follow "
            f"(about {MAX_NESTING_DEPTH} levels are supported; AWS documents no limit)")

    def _leave(self, visit: Visit, outcome: Outcome) -> tuple[Any, str | None]:
        self.exit(visit, outcome)
        if visit.inspection is not None:
            visit.inspection.output, visit.inspection.next = outcome.output, outcome.next
            if outcome.assigned is not None:
                visit.inspection.stages["variables"] = outcome.assigned
        return outcome.output, outcome.next

    def body(self, visit: Visit) -> Any:
        raise NotImplementedError

    def _record_aborted_after_failure(self, visit: Visit) -> None:
        """AWS links the failed state's Aborted event, and what follows it, to the failure event."""
        anchor = visit.branch.prev
        visit.record(self.aborted_type)  # type: ignore[arg-type]
        visit.branch.prev = anchor

    def exit(self, visit: Visit, outcome: Outcome) -> None:
        if outcome.assigned is not None:
            _assign(visit.branch.variables, outcome.assigned)
        visit.branch.record_next(visit.run, self.exited_type, exited_details(self.name, outcome.output, outcome.assigned))

    # -- Retry and Catch (Task, Parallel, Map) ------------------------------------------------
    def attempt_with_recovery(self, visit: Visit, attempt: Any) -> Generator[Any, Any, Outcome]:
        """Run ``attempt(visit, attempt_number)`` until it succeeds, a catcher takes over, or it fails."""
        retries = [0] * len(self.retriers)
        number = 0
        while True:
            try:
                return (yield from attempt(visit, number))
            except StatesError as raw:
                error = visit.located(raw)
            index = self._retrier_for(error)
            if index is not None and retries[index] < self.retriers[index].max_attempts:
                delay = self.retriers[index].delay(retries[index], visit.run.rng)
                visit.note("retry", retrier=index, attempt=number + 1, backoffSeconds=delay,
                           error=error.error, cause=error.cause)
                retries[index] += 1
                number += 1
                if visit.retry_count is not None:
                    visit.retry_count += 1
                yield Sleep(delay)
                continue
            self.failed_finally(visit, error)
            for position, catcher in enumerate(self.catchers):
                if error_matches(catcher.error_equals, error):
                    caught = error_output(error.error, error.cause)
                    visit.note("catch", catcher=position, errorOutput=caught, next=catcher.next)
                    return self.io.caught(visit, catcher, caught)
            raise error

    def failed_finally(self, visit: Visit, error: StatesError) -> None:
        """Called once when the state has failed for good (no retrier left), before any catcher runs."""

    def _retrier_for(self, error: StatesError) -> int | None:
        for index, retrier in enumerate(self.retriers):
            if error_matches(retrier.error_equals, error):
                return index
        return None


def branch_failing_after_instant(flow: Generator[Any, Any, Any],
                                 on_failure: Callable[[str], None] | None = None) -> Generator[Any, Any, Any]:
    """Run a Parallel branch or Map iteration; when it fails, fail it the way AWS records it
    (``fail_after_instant``)."""
    try:
        return (yield from flow)
    except StatesError as failure:
        error = failure
    yield from fail_after_instant(error, on_failure)


def fail_after_instant(error: StatesError,
                       on_failure: Callable[[str], None] | None = None) -> Generator[Any, Any, Any]:
    """Fail a branch whose flow raised ``error``: it always raises.

    AWS finishes everything else due at the same virtual instant first (concurrent iterations whose
    tasks time out together each record their ``TaskTimedOut``), then records the branch's failure,
    then the failed state's ``<Type>StateAborted`` (LocalStack's recorded ``test_parallel_catch_error``
    and ``test_service_lambda_map_timeout`` histories). ``on_failure("MapIterationFailed" |
    "MapIterationAborted")`` lets a Map record its iteration event before that.
    """
    try:
        yield NOW
    except GeneratorExit:  # a sibling's failure, due at the same instant, came first
        if on_failure is not None:
            on_failure("MapIterationAborted")
        error.record_pending_abort()
        raise
    if on_failure is not None:
        on_failure("MapIterationFailed")
    error.record_pending_abort()
    raise error


def check_assignment_size(assigned: dict[str, Any], state_name: str) -> None:
    """AWS caps one variable, and everything one Assign sets, at 256 KiB each."""
    total = 0
    for name, value in assigned.items():
        size = payload_size(value)
        total += size
        if size > MAX_PAYLOAD_BYTES:
            raise StatesError("States.DataLimitExceeded",
                              f"The variable '{name}' assigned in state '{state_name}' exceeds the 256 KiB limit.")
    if total > MAX_PAYLOAD_BYTES:
        raise StatesError("States.DataLimitExceeded",
                          f"The variables assigned in state '{state_name}' together exceed the 256 KiB limit.")


def _assign(variables: ChainMap, assigned: dict[str, Any]) -> None:
    variables.maps[0].update(assigned)
