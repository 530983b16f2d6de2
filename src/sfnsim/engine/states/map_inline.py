"""Inline Map: each iteration's states are recorded in the execution history between
``MapIterationStarted`` and ``MapIterationSucceeded|Failed``; one failed iteration fails the state."""

from __future__ import annotations

from functools import partial
from typing import Any, Generator

from sfnsim.engine.runtime import Branch
from sfnsim.engine.scheduler import NOW, Gather
from sfnsim.engine.states.base import Outcome, Visit, fail_after_instant
from sfnsim.engine.states.map_common import MapState
from sfnsim.errors import StatesError, runtime_error

INLINE_UNSUPPORTED_CAUSE = "The ItemReader, ItemBatcher and ResultWriter fields are not supported for INLINE maps"
_DISTRIBUTED_ONLY = ("ItemReader", "ItemBatcher", "ResultWriter")


class InlineMapState(MapState):
    def __init__(self, name: str, spec: dict[str, Any], compiler: Any) -> None:
        super().__init__(name, spec, compiler)
        self.misconfigured = any(field in spec for field in _DISTRIBUTED_ONLY)

    def check_fields(self) -> None:
        if self.misconfigured:
            raise runtime_error(INLINE_UNSUPPORTED_CAUSE)

    def run_items(self, visit: Visit, effective: Any) -> Generator[Any, Any, Outcome]:
        items = self.items(visit, effective)
        limit = self.concurrency(visit)
        parent = visit.branch
        visit.record("MapStateStarted", {"length": len(items)})
        cursor = _Cursor(parent.prev)
        concurrent = limit != 1 and len(items) > 1
        started: list[Branch] = []
        if concurrent and visit.run.scheduler.nothing_else_due():
            # AWS starts every concurrent iteration before any of them enters its first state, and
            # nothing else due at this instant could come between: start the first wave right here,
            # rather than resume each of its iterations once only to record MapIterationStarted.
            started = [self._start_iteration(visit, cursor, i) for i in range(min(limit or len(items), len(items)))]
        factories = [
            (lambda i=i, item=item: self._iteration(visit, cursor, effective, i, item, concurrent,
                                                    started[i] if i < len(started) else None))
            for i, item in enumerate(items)
        ]
        try:
            results = yield Gather(factories, limit)
        except StatesError:
            visit.branch.prev = cursor.position
            raise
        self._record_closing(visit, cursor, "MapStateSucceeded")
        return self.io.output(visit, results, self.next)

    def _record_closing(self, visit: Visit, cursor: "_Cursor", event_type: str) -> None:
        # AWS links both MapStateSucceeded/Failed and MapStateExited to the last iteration event.
        visit.record(event_type, after=cursor.last_iteration_event or None, advance=False)

    def _iteration(self, visit: Visit, cursor: "_Cursor", effective: Any, index: int, item: Any,
                   concurrent: bool, child: Branch | None) -> Generator[Any, Any, Any]:
        """One iteration; ``child``: its branch, when ``run_items`` has started it already."""
        run = visit.run
        if child is None:
            child = self._start_iteration(visit, cursor, index)
            if concurrent:
                # AWS starts every concurrent iteration before any of them enters its first state
                # (recorded: MapIterationStarted for indices 0..n, then the iterations' states).
                yield NOW
        try:
            item_input = self.item_input(visit, effective, index, item)
        except StatesError:  # failed before its states ran (ItemSelector)
            self._finish_iteration(visit, child, cursor, "MapIterationFailed", index)
            raise
        try:
            output = yield from self.flow.run(run, child, item_input)
        except StatesError as failure:
            # Raises, after recording the iteration's end itself.
            yield from fail_after_instant(failure, partial(self._finish_iteration, visit, child, cursor, index=index))
        except GeneratorExit:
            self._finish_iteration(visit, child, cursor, "MapIterationAborted", index)
            raise
        self._finish_iteration(visit, child, cursor, "MapIterationSucceeded", index)
        return output

    def _start_iteration(self, visit: Visit, cursor: "_Cursor", index: int) -> Branch:
        child = visit.branch.child(prev=cursor.position)
        child.record_next(visit.run, "MapIterationStarted", {"index": index, "name": self.name})
        return child

    def _finish_iteration(self, visit: Visit, child: Branch, cursor: "_Cursor", event_type: str,
                          index: int) -> None:
        cursor.position = child.prev
        child.record_next(visit.run, event_type, {"index": index, "name": self.name})
        cursor.last_iteration_event = child.prev


class _Cursor:
    """Where the next iteration's first event links to (AWS links it to the previous iteration's last state event)."""

    __slots__ = ("position", "last_iteration_event")

    def __init__(self, position: int) -> None:
        self.position = position
        self.last_iteration_event = 0
