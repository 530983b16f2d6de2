"""Map: runs its ItemProcessor (or legacy Iterator) once per item, at most MaxConcurrency at a time;
the result is the array of iteration outputs in item order. One failed iteration fails the state.

Inline mode records each iteration's states in the execution history between
``MapIterationStarted`` and ``MapIterationSucceeded|Failed``. Distributed mode runs iterations as
child executions, which AWS keeps out of the parent history (``MapRunStarted → MapRunSucceeded``).
"""

from __future__ import annotations

from typing import Any, ClassVar, Generator

from sfnsim.dataflow.jsonpath import PathNotFound, compile_path
from sfnsim.dataflow.pipeline import ABSENT, compile_optional_template
from sfnsim.engine.runtime import Branch, DiscardingRecorder
from sfnsim.engine.scheduler import Gather
from sfnsim.engine.states.base import Outcome, StateExecutor, Visit
from sfnsim.errors import StatesError, UnsupportedFeatureError, runtime_error
from sfnsim.history.events import dump_json


class MapState(StateExecutor):
    state_type: ClassVar[str] = "Map"

    def __init__(self, name: str, spec: dict[str, Any], compiler: Any) -> None:
        super().__init__(name, spec, compiler)
        processor = spec.get("ItemProcessor") or spec.get("Iterator") or {}
        self.distributed = processor.get("ProcessorConfig", {}).get("Mode", "INLINE") == "DISTRIBUTED"
        self.flow = compiler.compile_branch(processor, f"/States/{name}/ItemProcessor")
        self.item_reader = spec.get("ItemReader")
        self.item_batcher = spec.get("ItemBatcher")
        self.jsonata = self.query_language == "JSONata"
        if not self.jsonata:
            self.items_path = compile_path(spec.get("ItemsPath", "$"))
            self.item_selector = compile_optional_template(spec.get("ItemSelector", spec.get("Parameters", ABSENT)))
        self.max_concurrency = spec.get("MaxConcurrency", 0)
        self.max_concurrency_path = compile_path(spec["MaxConcurrencyPath"]) if "MaxConcurrencyPath" in spec else None

    def body(self, visit: Visit) -> Generator[Any, Any, Outcome]:
        return (yield from self.attempt_with_recovery(visit, self._attempt))

    # -- inputs ---------------------------------------------------------------------------------
    def _items(self, visit: Visit, effective: Any) -> list[Any]:
        if self.item_reader is not None:
            from sfnsim.engine.item_reader import read_items

            return read_items(self, visit, effective)
        if self.jsonata:
            from sfnsim.engine.states.jsonata_io import map_items

            return map_items(self, visit)
        try:
            items = self.items_path.resolve(visit.scope(effective))
        except PathNotFound as missing:
            raise runtime_error(f"Invalid path '{self.items_path.text}' : {missing.jayway_message()}") from None
        if not isinstance(items, list):
            raise runtime_error(
                f"Invalid path '{self.items_path.text}' : The Map state's ItemsPath must point to an array, "
                f"but it references the value: {dump_json(items)}"
            )
        return items

    def _concurrency(self, visit: Visit) -> int:
        if self.jsonata and isinstance(self.max_concurrency, str):
            from sfnsim.engine.states.jsonata_io import evaluate_number_field

            return int(evaluate_number_field(visit, self.max_concurrency, "MaxConcurrency"))
        if self.max_concurrency_path is None:
            return int(self.max_concurrency)
        try:
            value = self.max_concurrency_path.resolve(visit.scope(visit.input))
        except PathNotFound as missing:
            raise runtime_error(
                f"Invalid path '{self.max_concurrency_path.text}' : {missing.jayway_message()}"
            ) from None
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise runtime_error(
                f"The MaxConcurrencyPath field refers to value \"{value}\" which is not a valid integer: "
                f"{self.max_concurrency_path.text}"
            )
        return value

    def _item_input(self, visit: Visit, effective: Any, index: int, item: Any) -> Any:
        if self.jsonata:
            from sfnsim.engine.states.jsonata_io import map_item_input

            return map_item_input(self, visit, index, item)
        if self.item_selector is None:
            return item
        visit.map_item = (index, item)
        try:
            return self.item_selector(visit.scope(effective))
        finally:
            visit.map_item = None

    # -- one attempt ----------------------------------------------------------------------------
    def _attempt(self, visit: Visit, number: int) -> Generator[Any, Any, Outcome]:
        if self.item_batcher is not None:
            raise UnsupportedFeatureError(f"Map state {self.name!r}: ItemBatcher is not supported yet")
        effective = self.io.after_input_path(visit) if not self.jsonata else visit.input
        items = self._items(visit, effective)
        limit = self._concurrency(visit)
        run, parent = visit.run, visit.branch
        visit.record("MapStateStarted", {"length": len(items)})
        if self.distributed:
            map_run_arn = (f"arn:aws:states:us-east-1:{run.info.execution_arn.split(':')[4]}:mapRun:"
                           f"{run.info.state_machine_name}/{self.name}:{run.new_uuid()}")
            visit.record("MapRunStarted", {"mapRunArn": map_run_arn})
        cursor = _Cursor(parent.prev)
        factories = [
            (lambda i=i, item=item: self._iteration(visit, cursor, effective, i, item))
            for i, item in enumerate(items)
        ]
        visit.iteration_cursor = cursor
        try:
            results = yield Gather(factories, limit)
        except StatesError as error:
            if self.distributed:
                visit.record("MapRunFailed", {k: v for k, v in (("error", error.error), ("cause", error.cause)) if v})
            if not self.distributed:
                visit.branch.prev = cursor.position
            raise
        if self.distributed:
            visit.record("MapRunSucceeded")
        self._record_closing(visit, cursor, "MapStateSucceeded")
        return self.io.output(visit, results, self.next)

    def failed_finally(self, visit: Visit, error: StatesError) -> None:
        visit.record("MapStateFailed")

    def _record_closing(self, visit: Visit, cursor: "_Cursor", event_type: str) -> None:
        # AWS links both MapStateSucceeded/Failed and MapStateExited to the last iteration event.
        branch = visit.branch
        if not self.distributed:
            branch.prev = cursor.last_iteration_event or branch.prev
        anchor = branch.prev
        visit.record(event_type)
        branch.prev = anchor

    def _iteration(self, visit: Visit, cursor: "_Cursor", effective: Any, index: int, item: Any) -> Generator[Any, Any, Any]:
        run = visit.run
        if self.distributed:
            child = Branch(DiscardingRecorder(run.clock.now), 0, visit.branch.variables.new_child())
        else:
            child = visit.branch.child(prev=cursor.position)
        identity = {"index": index, "name": self.name}
        self._iteration_event(visit, child, "MapIterationStarted", identity)
        try:
            item_input = self._item_input(visit, effective, index, item)
            output = yield from self.flow.run(run, child, item_input)
        except StatesError:
            self._finish_iteration(visit, child, cursor, "MapIterationFailed", identity)
            raise
        except GeneratorExit:
            self._finish_iteration(visit, child, cursor, "MapIterationAborted", identity)
            raise
        self._finish_iteration(visit, child, cursor, "MapIterationSucceeded", identity)
        return output

    def _iteration_event(self, visit: Visit, child: Branch, event_type: str, identity: dict[str, Any]) -> None:
        if not self.distributed:
            child.record(visit.run, event_type, dict(identity))

    def _finish_iteration(self, visit: Visit, child: Branch, cursor: "_Cursor", event_type: str,
                          identity: dict[str, Any]) -> None:
        if self.distributed:
            return
        cursor.position = child.prev
        self._iteration_event(visit, child, event_type, identity)
        cursor.last_iteration_event = child.prev


class _Cursor:
    """Where the next iteration's first event links to (AWS links it to the previous iteration's last state event)."""

    __slots__ = ("position", "last_iteration_event")

    def __init__(self, position: int) -> None:
        self.position = position
        self.last_iteration_event = 0
