"""One execution of a compiled machine: start it, let the scheduler run it, settle its status."""

from __future__ import annotations

import gc
import random
from collections import ChainMap
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Iterator, Mapping

from sfnsim.dataflow.context import ExecutionInfo
from sfnsim.dataflow.intrinsics import random_uuid
from sfnsim.dataflow.jsontypes import json_value_problem
from sfnsim.dataflow.pipeline import MAX_PAYLOAD_BYTES, payload_size
from sfnsim.engine.clock import VirtualClock, iso_millis, utc
from sfnsim.engine.compiler import CompiledMachine
from sfnsim.engine.runtime import Branch, Run
from sfnsim.engine.scheduler import ExecutionDeadline, Scheduler
from sfnsim.errors import InputError, SfnSimError, StatesError
from sfnsim.history.events import MAX_HISTORY_EVENTS, HistoryRecorder
from sfnsim.tasks.dispatch import TaskDispatcher
from sfnsim.tasks.virtual_time import clock_scope

DEFAULT_START_TIME = datetime(2024, 1, 1, tzinfo=timezone.utc)
DEFAULT_ACCOUNT = "123456789012"
DEFAULT_REGION = "us-east-1"

# AWS's quota: a Standard execution runs for at most a year, then times out (States.Timeout).
# Taken as 366 days, so a calendar year fits whether or not it is a leap year.
MAX_EXECUTION_SECONDS = 366 * 24 * 3600.0
# An Express execution runs for at most five minutes (AWS's Standard vs. Express comparison).
MAX_EXPRESS_SECONDS = 300.0
STANDARD, EXPRESS = "STANDARD", "EXPRESS"

RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED = "RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"


@dataclass
class ExecutionOptions:
    seed: int = 0
    start_time: datetime | None = None
    name: str | None = None
    role_arn: str | None = None
    region: str = DEFAULT_REGION
    account: str = DEFAULT_ACCOUNT
    s3_objects: Mapping[tuple[str, str], str] = field(default_factory=dict)
    inspect: bool = False
    machine_type: str = STANDARD  # STANDARD or EXPRESS
    synchronous: bool = False  # an Express execution started with StartSyncExecution
    # "fail": a setup problem met mid-run (a task with no handler, a mock without an entry for this
    # invocation) fails the execution, named sfnsim.<ErrorClass>, instead of raising to the caller.
    setup_errors: str = "raise"
    variables: Mapping[str, Any] | None = None  # workflow variables in scope at the start (TestState)
    # False replays a recording made before AWS added $$.Execution.RedriveCount (redrive, Nov 2023).
    context_redrive_count: bool = True


class ExecutionRunner:
    """Drives one execution; the public ``Execution`` object is a view over it."""

    def __init__(self, machine: CompiledMachine, machine_name: str, execution_input: Any,
                 dispatcher: TaskDispatcher, options: ExecutionOptions) -> None:
        _check_input(execution_input)
        self.machine = machine
        self.input = execution_input
        start = _checked_start_time(options.start_time or DEFAULT_START_TIME)
        self.clock = VirtualClock(start)
        express = options.machine_type == EXPRESS
        longest = MAX_EXPRESS_SECONDS if express else MAX_EXECUTION_SECONDS
        deadline = min(machine.timeout_seconds or longest, longest)
        self.scheduler = Scheduler(self.clock, deadline)
        self.history = HistoryRecorder(self.clock.now, limit=None if express else MAX_HISTORY_EVENTS)
        rng = random.Random(options.seed)
        name = options.name or random_uuid(rng)
        prefix = f"arn:aws:states:{options.region}:{options.account}"
        role_arn = options.role_arn or f"arn:aws:iam::{options.account}:role/StepFunctionsExecutionRole"
        # Express execution ARNs as AWS records them: arn:…:express:<machine>:<name>:<id>.
        execution_arn = (f"{prefix}:express:{machine_name}:{name}:{random_uuid(rng)}" if express
                         else f"{prefix}:execution:{machine_name}:{name}")
        self.machine_type = options.machine_type
        self.synchronous = express and options.synchronous
        self.info = ExecutionInfo(
            execution_arn=execution_arn,
            name=name,
            input=execution_input,
            start_time=iso_millis(self.clock.now()),
            role_arn=role_arn,
            state_machine_arn=f"{prefix}:stateMachine:{machine_name}",
            state_machine_name=machine_name,
            redrive_count=None if self.synchronous or not options.context_redrive_count else 0,
        )
        self.run = Run(self.clock, self.scheduler, self.history, rng, self.info,
                       dispatcher, _checked_s3_objects(options.s3_objects))
        if options.inspect:
            from sfnsim.engine.inspection import Inspector

            self.run.inspector = Inspector()
        self.setup_errors = options.setup_errors
        self.initial_variables = dict(options.variables or {})
        self.status = RUNNING
        self.output: Any = None
        self.error: str | None = None
        self.cause: str | None = None

    def start(self, until: float | None = None) -> None:
        if until is not None:
            _check_seconds(until, "run_for")
        self.history.add("ExecutionStarted", 0, {
            "input": self.input, "roleArn": self.info.role_arn,
        })
        self.run.last_event_id = 1
        branch = Branch(self.history, prev=0)
        if self.initial_variables:
            branch.variables = ChainMap(self.initial_variables)
        self.scheduler.start(self.machine.flow.run(self.run, branch, self.input))
        self.advance(quiesce=True, until=until)

    def finish(self) -> None:
        """Let virtual time run on until the execution ends (pending callbacks may time out)."""
        if self.status == RUNNING:
            self.advance()

    def advance(self, *, quiesce: bool = False, until: float | None = None) -> None:
        """Run until the execution ends, or (``quiesce``) only waits on callbacks."""
        if self.status != RUNNING:
            return
        try:
            with clock_scope(keep=self.run.tasks.user_packages), self.run.tasks.services_running(), \
                    _fewer_collections():
                self.scheduler.run(quiesce=quiesce, until=until)
        except SfnSimError as problem:
            if self.setup_errors != "fail":
                raise
            self.scheduler.cancel_all()
            self._settle(FAILED, "ExecutionFailed", error=f"sfnsim.{type(problem).__name__}", cause=str(problem))
            return
        except ExecutionDeadline:
            self.scheduler.cancel_all()
            # describe-execution reports no error for a timed-out execution.
            self._settle(TIMED_OUT, "ExecutionTimedOut")
            return
        if not self.scheduler.finished:
            return
        error = self.scheduler.root_error
        if error is not None:
            self._settle(FAILED, "ExecutionFailed", error=error.error, cause=error.cause)
        else:
            self.output = self.scheduler.root_result
            self.status = SUCCEEDED
            self.history.add("ExecutionSucceeded", self.run.last_event_id,
                             {"output": self.output})

    # -- callbacks (.waitForTaskToken) ----------------------------------------------------------
    @property
    def pending_tokens(self) -> list[str]:
        return list(self.run.pending_tokens)

    def _require_token(self, token: str) -> None:
        if token not in self.run.pending_tokens:
            raise InvalidToken(f"no task is waiting on token {token!r} (pending: {self.pending_tokens})")

    def send_task_success(self, token: str, output: Any) -> None:
        self._require_token(token)
        _check_input(output, "output sent with send_task_success")
        self.scheduler.wake(("token", token), ("success", output, None))
        self.advance(quiesce=True)

    def send_task_failure(self, token: str, error: str | None = None, cause: str | None = None) -> None:
        self._require_token(token)
        self.scheduler.wake(("token", token), ("failure", error, cause))
        self.advance(quiesce=True)

    def start_activity_task(self, token: str, worker_name: str) -> None:
        """A worker took the activity task waiting on ``token``: ActivityStarted, heartbeat restarts."""
        self._require_token(token)
        self.scheduler.wake(("token", token), ("started", worker_name, None))
        self.advance(quiesce=True)

    def next_timer(self) -> float | None:
        """Virtual seconds since the start at which the scheduler next resumes something, if ever."""
        return self.scheduler.next_wake_time() if self.status == RUNNING else None

    def send_task_heartbeat(self, token: str) -> None:
        self._require_token(token)
        heartbeat, deadline = self.run.pending_tokens[token]
        if heartbeat is not None:
            remaining = None if deadline is None else deadline - self.clock.elapsed
            self.scheduler.extend_park(("token", token), heartbeat if remaining is None else min(heartbeat, remaining))

    def advance_time(self, seconds: float) -> None:
        """Let ``seconds`` of virtual time pass while callbacks are pending (timeouts may fire)."""
        _check_seconds(seconds, "advance_time(seconds)")
        deadline = self.scheduler.deadline
        target = self.clock.elapsed + seconds
        self.advance(until=min(target, deadline) if deadline is not None else target)
        if self.status != RUNNING:
            return
        if deadline is not None and target >= deadline:
            # Nothing else fires before the execution's deadline: it times out there.
            self.clock.elapsed = max(self.clock.elapsed, deadline)
            self.scheduler.cancel_all()
            self._settle(TIMED_OUT, "ExecutionTimedOut")
            return
        self.clock.elapsed = max(self.clock.elapsed, target)

    def stop(self, error: str | None = None, cause: str | None = None) -> None:
        if self.status != RUNNING:
            return
        self.scheduler.cancel_all()
        self._settle(ABORTED, "ExecutionAborted", error=error, cause=cause)

    def _settle(self, status: str, event_type: str, error: str | None = None, cause: str | None = None) -> None:
        self.status, self.error, self.cause = status, error, cause
        details = {k: v for k, v in (("error", error), ("cause", cause)) if v is not None}
        self.history.add(event_type, self.run.last_event_id, details)


@contextmanager
def _fewer_collections(gen0: int = 50_000) -> Iterator[None]:
    """Run with a larger first-generation GC threshold, then restore the caller's settings.

    A run allocates many short-lived dicts (events, payloads); the default threshold (700) makes
    the cyclic collector run every few states and costs about a third of the run time.
    """
    thresholds = gc.get_threshold()
    if thresholds[0] and thresholds[0] < gen0:
        gc.set_threshold(gen0, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


class InvalidToken(SfnSimError):
    """send_task_* with a token no task is waiting on (AWS: TaskDoesNotExist / InvalidToken)."""


def _checked_start_time(start: datetime) -> datetime:
    """A start time late enough in the calendar that a year-long execution would run past
    ``datetime.max`` cannot be simulated: refuse it up front instead of overflowing later."""
    if not isinstance(start, datetime):
        raise InputError(f"start_time must be a datetime, not {type(start).__name__}")
    latest = datetime.max.replace(tzinfo=timezone.utc) - timedelta(seconds=MAX_EXECUTION_SECONDS + 86_400)
    aware = utc(start)
    if aware > latest:
        raise InputError(f"start_time {start.isoformat()} is too late: an execution may run for a year "
                         f"(AWS's quota), which would pass the end of the calendar; use a start before {latest:%Y-%m-%d}")
    return aware


def _check_seconds(seconds: Any, what: str) -> None:
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not seconds >= 0:
        raise InputError(f"{what}: expected a number of virtual seconds >= 0, got {seconds!r}")


def _checked_s3_objects(objects: Mapping[tuple[str, str], str | bytes]) -> dict[tuple[str, str], str]:
    """``{(bucket, key): body}``; a ``bytes`` body (as a CSV file reads) is taken as UTF-8 text."""
    if not isinstance(objects, Mapping):
        raise InputError(f"s3_objects must map (bucket, key) to the object's body, got {type(objects).__name__}")
    checked: dict[tuple[str, str], str] = {}
    for where, body in objects.items():
        if not (isinstance(where, tuple) and len(where) == 2 and all(isinstance(part, str) for part in where)):
            raise InputError(f"s3_objects: keys are (bucket, key) pairs of text, got {where!r}")
        if isinstance(body, (bytes, bytearray)):
            try:
                body = bytes(body).decode("utf-8")
            except UnicodeDecodeError as exc:
                raise InputError(f"s3_objects[{where!r}]: the body is not UTF-8 text ({exc}); sfnsim reads "
                                 "JSON, JSONL, CSV and manifest objects as text") from None
        if not isinstance(body, str):
            raise InputError(f"s3_objects[{where!r}]: the body must be text or bytes, got {type(body).__name__}")
        checked[where] = body
    return checked


def _check_input(value: Any, what: str = "execution input") -> None:
    problem = json_value_problem(value)
    if problem is not None:
        raise InputError(f"the {what} is not JSON: {problem}")
    if payload_size(value) > MAX_PAYLOAD_BYTES:
        raise InputError(f"the {what} is larger than AWS's 256 KiB limit")


__all__ = ["ExecutionRunner", "ExecutionOptions", "StatesError"]
