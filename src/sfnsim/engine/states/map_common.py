"""Map: runs its ItemProcessor (or legacy Iterator) once per item, at most MaxConcurrency at a time;
the result is the array of iteration outputs in item order.

What both modes share lives here: reading the items (``ItemsPath``/``Items``), ``MaxConcurrency``,
selecting each item's input (``ItemSelector``, legacy ``Parameters``) and Retry/Catch. Inline mode is
:mod:`sfnsim.engine.states.map_inline`, Distributed mode :mod:`sfnsim.engine.states.map_distributed`.
"""

from __future__ import annotations

from typing import Any, ClassVar, Generator

from sfnsim.dataflow.jsonpath import PathNotFound, compile_path
from sfnsim.dataflow.pipeline import ABSENT, compile_optional_template
from sfnsim.engine.states.base import Outcome, StateExecutor, Visit
from sfnsim.errors import StatesError, runtime_error
from sfnsim.dataflow.jsontypes import compact_json


def is_distributed(spec: dict[str, Any]) -> bool:
    processor = spec.get("ItemProcessor") or spec.get("Iterator") or {}
    return processor.get("ProcessorConfig", {}).get("Mode", "INLINE") == "DISTRIBUTED"


class MapState(StateExecutor):
    """The part of a Map state that does not depend on its mode; subclasses run the items."""

    state_type: ClassVar[str] = "Map"

    def __init__(self, name: str, spec: dict[str, Any], compiler: Any) -> None:
        super().__init__(name, spec, compiler)
        processor = spec.get("ItemProcessor") or spec.get("Iterator") or {}
        self.flow = compiler.compile_branch(processor, f"/States/{name}/ItemProcessor")
        self.jsonata = self.query_language == "JSONata"
        if not self.jsonata:
            self.items_path = compile_path(spec.get("ItemsPath", "$"))
            self.item_selector = compile_optional_template(spec.get("ItemSelector", spec.get("Parameters", ABSENT)))
        self.max_concurrency = spec.get("MaxConcurrency", 0)
        self.max_concurrency_path = compile_path(spec["MaxConcurrencyPath"]) if "MaxConcurrencyPath" in spec else None

    def body(self, visit: Visit) -> Generator[Any, Any, Outcome]:
        return (yield from self.attempt_with_recovery(visit, self._attempt))

    def _attempt(self, visit: Visit, number: int) -> Generator[Any, Any, Outcome]:
        self.check_fields()
        effective = self.io.after_input_path(visit) if not self.jsonata else visit.input
        return (yield from self.run_items(visit, effective))

    def check_fields(self) -> None:
        """Fail the attempt for fields this mode does not allow (checked before any input is read)."""

    def run_items(self, visit: Visit, effective: Any) -> Generator[Any, Any, Outcome]:
        raise NotImplementedError

    def failed_finally(self, visit: Visit, error: StatesError) -> None:
        # The recordings show no MapStateFailed when a States.Runtime error ends the execution.
        if not error.terminal:
            visit.record("MapStateFailed")

    # -- inputs ---------------------------------------------------------------------------------
    def items(self, visit: Visit, effective: Any) -> list[Any]:
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
                f"but it references the value: {compact_json(items)}"
            )
        return items

    def concurrency(self, visit: Visit) -> int:
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

    @property
    def has_selector(self) -> bool:
        return ("ItemSelector" in self.spec) if self.jsonata else self.item_selector is not None

    def item_input(self, visit: Visit, effective: Any, index: int, item: Any, key: str | None = None) -> Any:
        """The iteration's input: the item, or what ``ItemSelector`` makes of it (``$$.Map.Item``)."""
        if self.jsonata:
            from sfnsim.engine.states.jsonata_io import map_item_input

            return map_item_input(self, visit, index, item, key)
        if self.item_selector is None:
            return item
        visit.map_item = (index, item, key)
        try:
            return self.item_selector(visit.scope(effective))
        finally:
            visit.map_item = None
