"""Per-execution and per-branch runtime state shared by the state executors."""

from __future__ import annotations

import random
import uuid
from collections import ChainMap
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sfnsim.dataflow.context import ExecutionInfo
from sfnsim.dataflow.intrinsics import random_uuid
from sfnsim.engine.clock import VirtualClock, iso_millis
from sfnsim.engine.scheduler import Scheduler
from sfnsim.history.events import HistoryRecorder

if TYPE_CHECKING:
    from sfnsim.engine.child_executions import ChildExecution, MachineCatalog
    from sfnsim.engine.inspection import Inspector
    from sfnsim.tasks.dispatch import TaskDispatcher


@dataclass(eq=False)
class Run:
    """Everything one execution shares: clock, scheduler, history, randomness, task dispatch."""

    clock: VirtualClock
    scheduler: Scheduler
    history: HistoryRecorder
    rng: random.Random
    info: ExecutionInfo
    tasks: "TaskDispatcher"
    s3_objects: dict[tuple[str, str], str] = field(default_factory=dict)
    last_event_id: int = 0
    # task token -> (HeartbeatSeconds or None, absolute virtual deadline or None)
    pending_tokens: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)
    inspector: "Inspector | None" = None
    # The machines a states:startExecution Task can run in-process, and the child executions started
    # (startExecution and Distributed Map children: sfnsim.engine.child_executions).
    machines: "MachineCatalog | None" = None
    children: list["ChildExecution"] = field(default_factory=list)
    activity_tokens: int = 0

    def new_activity_token(self) -> str:
        """A task token for an activity task, unique in the execution. Derived from a counter, not
        drawn from ``rng``, so activities leave the execution's random sequence as it was."""
        self.activity_tokens += 1
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.info.execution_arn}#activity-{self.activity_tokens}"))

    def now_iso(self) -> str:
        return iso_millis(self.clock.now())

    def new_uuid(self) -> str:
        return random_uuid(self.rng)


# A plain class, not a dataclass: it is built on every run's import path and nothing compares or copies it.
class Branch:
    """One running flow of states: the main flow, a Parallel branch or a Map iteration.

    ``prev`` is the ``previousEventId`` for this branch's next event. ``variables`` chains the
    branch's own workflow variables in front of the ones it can see from outer scopes.
    """

    __slots__ = ("recorder", "prev", "variables")

    def __init__(self, recorder: HistoryRecorder, prev: int = 0, variables: ChainMap | None = None) -> None:
        self.recorder = recorder
        self.prev = prev
        self.variables = ChainMap() if variables is None else variables

    def record(self, run: Run, event_type: str, details: dict[str, Any] | None = None, *,
               after: int | None = None, advance: bool = True, shaped: bool = False) -> int:
        """Record an event linked to the branch's last event, or to event ``after``.

        With ``advance=False`` the branch's next event links where this one did (AWS links e.g. both
        ``ParallelStateSucceeded`` and ``ParallelStateExited`` to the last branch event).
        """
        if after is not None:
            self.prev = after
        previous = self.prev
        event_id = self.recorder.add(event_type, previous, details, shaped=shaped)
        if self.recorder is run.history:
            self.prev = event_id
            run.last_event_id = event_id
        if not advance:
            self.prev = previous
        return event_id

    def record_next(self, run: Run, event_type: str, details: dict[str, Any]) -> int:
        """``record(run, event_type, details, shaped=True)``: the call every state makes twice."""
        recorder = self.recorder
        event_id = recorder.add(event_type, self.prev, details, shaped=True)
        if recorder is run.history:
            self.prev = run.last_event_id = event_id
        return event_id

    def child(self, *, recorder: HistoryRecorder | None = None, prev: int | None = None) -> "Branch":
        return Branch(recorder or self.recorder, self.prev if prev is None else prev, _new_child(self.variables))


def _new_child(variables: ChainMap) -> ChainMap:
    """``variables.new_child()`` without its two Python-level calls (one per Map iteration)."""
    scope = ChainMap.__new__(ChainMap)
    scope.maps = [{}, *variables.maps]
    return scope
