"""Inline Map: each iteration's states are recorded in the execution history between
``MapIterationStarted`` and ``MapIterationSucceeded|Failed``; one failed iteration fails the state."""

from __future__ import annotations

from functools import partial
from typing import Any, Callable, Generator

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
        self.runs_now = self.flow.synchronous  # no state of an iteration ever yields

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
        # Nothing else due at this instant can come between the iterations' first steps, nor, when
        # no state of theirs ever yields, between any of their steps: see _run_in_order.
        alone = visit.run.scheduler.nothing_else_due()
        try:
            if alone and self.runs_now and (not concurrent or not limit or limit >= len(items)):
                results = yield from self._run_in_order(visit, cursor, effective, items, concurrent)
            else:
                results = yield from self._run_scheduled(visit, cursor, effective, items, limit, concurrent,
                                                         concurrent and alone)
        except StatesError:
            visit.branch.prev = cursor.position
            raise
        self._record_closing(visit, cursor, "MapStateSucceeded")
        return self.io.output(visit, results, self.next)

    def _run_scheduled(self, visit: Visit, cursor: "_Cursor", effective: Any, items: list[Any], limit: int,
                       concurrent: bool, start_first_wave: bool) -> Generator[Any, Any, list[Any]]:
        started: list[Branch] = []
        if start_first_wave:
            # AWS starts every concurrent iteration before any of them enters its first state, and
            # nothing else due at this instant could come between: start the first wave right here,
            # rather than resume each of its iterations once only to record MapIterationStarted.
            started = [self._start_iteration(visit, cursor, i) for i in range(min(limit or len(items), len(items)))]
        factories = [
            (lambda i=i, item=item: self._iteration(visit, cursor, effective, i, item, concurrent,
                                                    started[i] if i < len(started) else None))
            for i, item in enumerate(items)
        ]
        return (yield Gather(factories, limit))

    def _run_in_order(self, visit: Visit, cursor: "_Cursor", effective: Any, items: list[Any],
                      concurrent: bool) -> Generator[Any, Any, list[Any]]:
        """Every iteration of an ItemProcessor whose states never yield (Pass, Choice, Succeed,
        Fail), run one after another as plain calls, when nothing else is due at this instant.

        The scheduler would run them in exactly this order: all started at once (concurrent) they
        each record MapIterationStarted, then run to their end in turn; one at a time, each starts
        and ends before the next. An iteration that fails hands the rest back to the scheduler as
        it would then stand: the iterations after it still to run, then the failed one, waiting
        for the end of the instant (``fail_after_instant``).
        """
        run = visit.run
        children = [self._start_iteration(visit, cursor, i) for i in range(len(items))] if concurrent else []
        results: list[Any] = []
        for index, item in enumerate(items):
            failure: StatesError | None = None
            try:
                child = children[index] if concurrent else self._start_iteration(visit, cursor, index)
                item_input = self._iteration_input(visit, cursor, child, effective, index, item)
                try:
                    output = self.flow.run_now(run, child, item_input)
                except StatesError as error:
                    failure = error
                else:
                    self._finish_iteration(visit, child, cursor, "MapIterationSucceeded", index)
                    results.append(output)
            except StatesError:
                raise  # as from the iteration's own step: straight to the Map, nothing waits
            except Exception as problem:  # a simulation limit: it leaves the scheduler from the iteration
                return (yield Gather([lambda: _raising(problem)]))
            if failure is not None:
                waiting = fail_after_instant(failure, partial(self._finish_iteration, visit, child, cursor, index=index))
                next(waiting)  # to its wait for the end of the instant
                rest = [(lambda i=i: self._iteration(visit, cursor, effective, i, items[i], True, children[i]))
                        for i in range(index + 1, len(children))]
                return (yield Gather([*rest, lambda: waiting]))
        return results

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
        item_input = self._iteration_input(visit, cursor, child, effective, index, item)
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

    def _iteration_input(self, visit: Visit, cursor: "_Cursor", child: Branch, effective: Any, index: int,
                         item: Any) -> Any:
        try:
            return self.item_input(visit, effective, index, item)
        except StatesError:  # failed before its states ran (ItemSelector): nothing waits
            self._finish_iteration(visit, child, cursor, "MapIterationFailed", index)
            raise

    def _start_iteration(self, visit: Visit, cursor: "_Cursor", index: int) -> Branch:
        child = visit.branch.child(prev=cursor.position)
        child.record_next(visit.run, "MapIterationStarted", {"index": index, "name": self.name})
        return child

    def _finish_iteration(self, visit: Visit, child: Branch, cursor: "_Cursor", event_type: str,
                          index: int) -> None:
        cursor.position = child.prev
        child.record_next(visit.run, event_type, {"index": index, "name": self.name})
        cursor.last_iteration_event = child.prev


def _raising(problem: Exception) -> Generator[Any, Any, Any]:
    raise problem
    yield  # a generator: the problem is raised when the scheduler resumes it


class _Cursor:
    """Where the next iteration's first event links to (AWS links it to the previous iteration's last state event)."""

    __slots__ = ("position", "last_iteration_event")

    def __init__(self, position: int) -> None:
        self.position = position
        self.last_iteration_event = 0
