"""What the endpoint holds: state machines, executions, activities, tags; and the timers that let a
waiting execution time out while the outside world is slow to answer.

Everything here runs under one lock. The engine is single-threaded by design, and handlers see a
virtual clock that freezegun patches process-wide, so executions take turns; HTTP requests are
still served in parallel (an activity worker's long poll waits outside the lock).

Time: an execution runs on its virtual clock, jumping over Waits and retry back-offs at once.
While it waits on the outside world (a callback, an activity worker), its clock follows the wall
clock, so a callback answered two seconds later is recorded two seconds later, and a task's
TimeoutSeconds or HeartbeatSeconds fires after that many real seconds. ``time_scale`` instead
runs everything, Waits included, at that many virtual seconds per wall second.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

from sfnsim.api import Execution, StateMachine
from sfnsim.errors import InputError, SfnSimError
from sfnsim.server.protocol import ServiceError

MOCK_CONFIG_ENV = "SFN_MOCK_CONFIG"


@dataclass(eq=False)
class MachineRecord:
    arn: str
    name: str
    definition: str
    role_arn: str
    type: str
    created: datetime
    machine: StateMachine
    updated: datetime
    revision: int = 1
    status: str = "ACTIVE"


@dataclass(eq=False)
class ExecutionRecord:
    arn: str
    name: str
    machine: MachineRecord
    definition: str  # the definition this execution runs (UpdateStateMachine does not change it)
    input_text: str
    execution: Execution
    started: datetime
    # The wall moment and virtual elapsed seconds that correspond, re-set after each engine step.
    anchor_wall: float = 0.0
    anchor_virtual: float = 0.0
    known_tokens: set[str] = field(default_factory=set)

    @property
    def status(self) -> str:
        return self.execution.status

    def stop_date(self) -> datetime | None:
        if self.status == "RUNNING":
            return None
        return self.execution.history[-1]["timestamp"]


@dataclass(eq=False)
class ActivityTask:
    token: str
    input_text: str
    execution_arn: str


@dataclass(eq=False)
class ActivityRecord:
    arn: str
    name: str
    created: datetime
    queue: list[ActivityTask] = field(default_factory=list)
    handler: Callable[..., Any] | None = None  # queues a task for workers; made once


class Backend:
    def __init__(self, *, region: str, account: str, handlers: Mapping[str, Any] | None = None,
                 mock_config: str | os.PathLike[str] | None = None, time_scale: float | None = None,
                 activity_poll_seconds: float = 60.0, aws: Any = None) -> None:
        self.region = region
        self.account = account
        self.handlers = dict(handlers or {})
        self.mock_config = mock_config
        self.time_scale = time_scale
        self.activity_poll_seconds = activity_poll_seconds
        self.aws = aws  # where Tasks nothing else answers go (docs/aws.md); None: nowhere
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.machines: dict[str, MachineRecord] = {}
        self.executions: dict[str, ExecutionRecord] = {}
        self.activities: dict[str, ActivityRecord] = {}
        self.tags: dict[str, dict[str, str]] = {}
        self.running: set[ExecutionRecord] = set()
        self.finished_tokens: set[str] = set()
        self.closed = False
        self._timers = threading.Thread(target=self._run_timers, name="sfnsim-timers", daemon=True)
        self._timers.start()

    # -- ARNs -----------------------------------------------------------------------------------
    def arn(self, kind: str, *names: str) -> str:
        return ":".join([f"arn:aws:states:{self.region}:{self.account}:{kind}", *names])

    # -- state machines -------------------------------------------------------------------------
    def add_machine(self, name: str, definition: str, role_arn: str, machine_type: str) -> MachineRecord:
        machine = compile_definition(definition, machine_type, name)
        created = datetime.now(timezone.utc)
        record = MachineRecord(self.arn("stateMachine", name), name, definition, role_arn, machine_type,
                               created, machine, created)
        self.machines[record.arn] = record
        self.tags.setdefault(record.arn, {})
        return record

    def machine(self, arn: str) -> MachineRecord:
        return _look_up(self.machines, arn, ("stateMachine",), "StateMachineDoesNotExist", "State Machine")

    # -- executions -----------------------------------------------------------------------------
    def execution(self, arn: str) -> ExecutionRecord:
        return _look_up(self.executions, arn, ("execution", "express"), "ExecutionDoesNotExist", "Execution")

    def start_execution(self, machine: MachineRecord, name: str, input_value: Any, input_text: str,
                        test_case: str | None, *, sync: bool = False) -> ExecutionRecord:
        arn = self.arn("execution", machine.name, name)
        existing = self.executions.get(arn)
        if existing is not None:
            if existing.status == "RUNNING" and existing.input_text == input_text:
                return existing  # the same name and input while running: idempotent, as AWS
            raise ServiceError("ExecutionAlreadyExists", f"Execution Already Exists: '{arn}'")
        started = datetime.now(timezone.utc)
        try:
            mock_config = self._mock_config(test_case)
        except SfnSimError as bad:  # the MockConfigFile cannot be read or is malformed
            raise ServiceError("ValidationException", str(bad)) from None
        try:
            execution = machine.machine.start(
                input_value, handlers=self.handlers, handler_fallback=self.fallback, name=name,
                start_time=started, mock_config=mock_config, test_case=test_case,
                role_arn=machine.role_arn, region=self.region, account=self.account, setup_errors="fail",
                run_for=0 if self.time_scale is not None and not sync else None,
                machine_type=machine.type, sync=sync, aws=self.aws,
                # states:startExecution of a machine created here runs it in-process, as a child.
                state_machines={record.arn: record.machine for record in self.machines.values()},
            )
        except InputError as bad:
            raise ServiceError("InvalidExecutionInput", str(bad)) from None
        except SfnSimError as bad:  # the test case named is not in the MockConfigFile
            raise ServiceError("ValidationException", str(bad)) from None
        record = ExecutionRecord(execution.execution_arn, name, machine, machine.definition, input_text,
                                 execution, started)
        self.executions[record.arn] = record
        if sync:  # StartSyncExecution answers once the execution ends
            execution.finish()
        self._settled(record)
        return record

    def fallback(self, state_name: str, resource: str) -> Callable[..., Any] | None:
        """Tasks nothing else answers: activities wait for a worker, callbacks for SendTask*."""
        activity = self.activities.get(resource)
        if activity is not None:
            if activity.handler is None:
                activity.handler = self._activity_handler(activity)
            return activity.handler
        if resource.endswith(".waitForTaskToken") and self.aws is None:
            return _leave_to_caller  # with an AWS backend, the message is really sent
        return None

    def _mock_config(self, test_case: str | None) -> Any:
        path = self.mock_config or os.environ.get(MOCK_CONFIG_ENV) or None
        if test_case is None:
            return None
        if path is None:
            raise ServiceError(
                "ValidationException",
                f"the state machine ARN names test case {test_case!r}, but no MockConfigFile is configured: "
                f"start sfnsim serve with --mock-config FILE or set {MOCK_CONFIG_ENV}",
            )
        if not Path(path).is_file():
            raise ServiceError("ValidationException", f"MockConfigFile {str(path)!r} does not exist")
        from sfnsim.tasks.mock_config import MockConfig

        # Cached per version of the file, so a changed file is read again. A mocked response the
        # test case names but the file lacks fails only when its state is entered, as in Step
        # Functions Local.
        return MockConfig.load(path, defer_undefined=True)

    def stop_execution(self, record: ExecutionRecord, error: str | None, cause: str | None) -> None:
        if record.status != "RUNNING":
            raise ServiceError("ValidationException",
                               f"Execution is not running: '{record.arn}' has status {record.status}")
        self._catch_up(record)
        record.execution.stop(error, cause)
        self._settled(record)

    # -- callbacks ------------------------------------------------------------------------------
    def waiting_on(self, token: str) -> ExecutionRecord:
        for record in self.running:
            if token in record.execution.pending_tokens:
                return record
        if token in self.finished_tokens:
            raise ServiceError("TaskTimedOut", "Task Timed Out: 'Provided task does not exist anymore'")
        raise ServiceError("InvalidToken", f"Invalid Token: 'Provided task token is invalid: {token}'")

    def answer(self, token: str, act: Callable[[Execution], Any]) -> None:
        record = self.waiting_on(token)
        self._catch_up(record)
        if token not in record.execution.pending_tokens:  # it timed out while we caught up
            raise ServiceError("TaskTimedOut", "Task Timed Out: 'Provided task does not exist anymore'")
        act(record.execution)
        self._settled(record)

    # -- activities -----------------------------------------------------------------------------
    def activity(self, arn: str) -> ActivityRecord:
        return _look_up(self.activities, arn, ("activity",), "ActivityDoesNotExist", "Activity")

    def _activity_handler(self, activity: ActivityRecord) -> Callable[..., Any]:
        from sfnsim.dataflow.jsontypes import compact_json
        from sfnsim.tasks.outcomes import PENDING

        def queue_for_workers(payload: Any, context: Any) -> Any:
            # Called inside the engine, under the lock: the execution's record may not exist yet.
            activity.queue.append(ActivityTask(context.task_token, compact_json(payload), context.execution_arn))
            self.changed.notify_all()
            return PENDING

        return queue_for_workers

    def take_activity_task(self, activity: ActivityRecord, worker_name: str) -> ActivityTask | None:
        """Long poll: the oldest waiting task, or None after ``activity_poll_seconds``."""
        deadline = time.monotonic() + self.activity_poll_seconds
        while not self.closed:
            while activity.queue:
                task = activity.queue.pop(0)
                record = self.executions.get(task.execution_arn)
                if record is None or task.token not in record.execution.pending_tokens:
                    continue  # stopped or timed out before a worker came
                self._catch_up(record)
                if task.token in record.execution.pending_tokens:
                    record.execution.start_activity_task(task.token, worker_name)
                    self._settled(record)
                    return task
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            self.changed.wait(remaining)
        return None

    # -- timers ---------------------------------------------------------------------------------
    def _settled(self, record: ExecutionRecord) -> None:
        """After an engine step: re-anchor the execution's clock and wake the timer thread."""
        execution = record.execution
        record.anchor_wall, record.anchor_virtual = time.monotonic(), execution.elapsed
        if execution.status == "RUNNING":
            self.running.add(record)
        else:
            self.running.discard(record)
        pending = set(execution.pending_tokens)
        self.finished_tokens |= record.known_tokens - pending  # answered, timed out or stopped
        record.known_tokens = pending
        self.changed.notify_all()

    def _pace(self) -> float:
        return self.time_scale if self.time_scale is not None else 1.0

    def _due(self, record: ExecutionRecord) -> float | None:
        at = record.execution.next_timer
        if at is None:
            return None
        return record.anchor_wall + max(0.0, at - record.anchor_virtual) / self._pace()

    def _catch_up(self, record: ExecutionRecord) -> None:
        """Bring an execution's virtual clock level with the wall clock (timeouts due fire)."""
        execution = record.execution
        if execution.status != "RUNNING":
            return
        target = record.anchor_virtual + (time.monotonic() - record.anchor_wall) * self._pace()
        if target > execution.elapsed:
            execution.advance_time(target - execution.elapsed)
        if self.time_scale is None:
            execution.run_pending()
        self._settled(record)

    def _run_timers(self) -> None:
        with self.lock:
            while not self.closed:
                due = [(self._due(r), r) for r in self.running]
                pending = [(at, r) for at, r in due if at is not None]
                if not pending:
                    self.changed.wait()
                    continue
                at, record = min(pending, key=lambda item: item[0])
                delay = at - time.monotonic()
                if delay > 0:
                    self.changed.wait(delay)
                    continue
                self._catch_up(record)

    def close(self) -> None:
        with self.lock:
            self.closed = True
            self.changed.notify_all()
        self._timers.join(timeout=5)

    # -- listing --------------------------------------------------------------------------------
    def executions_of(self, machine: MachineRecord) -> Iterator[ExecutionRecord]:
        return (r for r in self.executions.values() if r.machine is machine)


def _leave_to_caller(payload: Any) -> Any:
    """A ``.waitForTaskToken`` task with no handler: the client answers with SendTaskSuccess."""
    from sfnsim.tasks.outcomes import PENDING

    return PENDING


def compile_definition(definition: str, machine_type: str, name: str) -> StateMachine:
    """A definition as CreateStateMachine receives it (JSON text), or InvalidDefinition."""
    from sfnsim.asl import load_definition
    from sfnsim.errors import DefinitionError

    try:
        loaded = load_definition(definition, state_machine_type=machine_type)
    except DefinitionError as bad:
        details = "; ".join(f"{p.message} at {p.pointer or '/'}" for p in bad.problems)
        raise ServiceError("InvalidDefinition", f"Invalid State Machine Definition: '{details}'") from None
    return StateMachine(loaded.raw, name=name)


def _look_up(table: Mapping[str, Any], arn: str, kinds: tuple[str, ...], error: str, what: str) -> Any:
    check_arn(arn, *kinds)
    record = table.get(arn)
    if record is None:
        raise ServiceError(error, f"{what} Does Not Exist: '{arn}'")
    return record


def check_arn(arn: str, *kinds: str) -> None:
    """AWS rejects an ARN of the wrong form with InvalidArn before looking anything up."""
    parts = arn.split(":")
    if len(parts) < 7 or parts[0] != "arn" or parts[2] != "states" or parts[5] not in kinds:
        raise ServiceError("InvalidArn", f"Invalid Arn: 'Resource type not valid in this context: {arn}'")


__all__ = ["Backend", "compile_definition", "MachineRecord", "ExecutionRecord", "ActivityRecord", "check_arn", "MOCK_CONFIG_ENV"]
