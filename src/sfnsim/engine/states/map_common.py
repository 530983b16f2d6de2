"""Map: runs its ItemProcessor (or legacy Iterator) once per item, at most MaxConcurrency at a time;
the result is the array of iteration outputs in item order.

What both modes share lives here: reading the items (``ItemsPath``/``Items``), ``MaxConcurrency``,
selecting each item's input (``ItemSelector``, legacy ``Parameters``) and Retry/Catch. Inline mode is
:mod:`sfnsim.engine.states.map_inline`, Distributed mode :mod:`sfnsim.engine.states.map_distributed`.
"""

from __future__ import annotations

from typing import Any, ClassVar, Generator

from sfnsim.dataflow.jsonpath import PathNotFound, compile_path
from sfnsim.dataflow.pipeline import ABSENT
from sfnsim.engine.states.base import Outcome, StateExecutor, Visit
from sfnsim.engine.states.fields import NumberField, template_field
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
        self.items_source: _JsonataItems | _JsonPathItems = (
            _JsonataItems(spec) if self.jsonata else _JsonPathItems(spec.get("ItemsPath", "$"))
        )
        # JSONPath's legacy Parameters selects each item too.
        selector = spec.get("ItemSelector", ABSENT if self.jsonata else spec.get("Parameters", ABSENT))
        self.item_selector = None if selector is ABSENT else template_field(selector, "ItemSelector",
                                                                           jsonata=self.jsonata)
        self.max_concurrency = NumberField(spec, "MaxConcurrency")

    def body(self, visit: Visit) -> Generator[Any, Any, Outcome]:
        return (yield from self.attempt_with_recovery(visit, self._attempt))

    def _attempt(self, visit: Visit, number: int) -> Generator[Any, Any, Outcome]:
        self.check_fields()
        return (yield from self.run_items(visit, self.io.after_input_path(visit)))

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
        return self.items_source.read(visit, effective)

    def concurrency(self, visit: Visit) -> int:
        """``MaxConcurrency``/``MaxConcurrencyPath`` (0, the default, means no limit)."""
        if not self.max_concurrency.present:
            return 0
        return int(self.max_concurrency.value(visit, visit.input))  # type: ignore[arg-type]

    @property
    def has_selector(self) -> bool:
        return self.item_selector is not None

    def item_input(self, visit: Visit, effective: Any, index: int, item: Any, key: str | None = None) -> Any:
        """The iteration's input: the item, or what ``ItemSelector`` makes of it (``$$.Map.Item``)."""
        if self.item_selector is None:
            return item
        visit.map_item = (index, item, key)
        try:
            return self.item_selector.evaluate(visit, effective)
        finally:
            visit.map_item = None


class _JsonPathItems:
    """``ItemsPath`` (default ``$``) over the value after InputPath; it must select an array."""

    def __init__(self, items_path: str) -> None:
        self.path = compile_path(items_path)

    def read(self, visit: Visit, effective: Any) -> list[Any]:
        try:
            items = self.path.resolve(visit.scope(effective))
        except PathNotFound as missing:
            raise runtime_error(f"Invalid path '{self.path.text}' : {missing.jayway_message()}") from None
        if not isinstance(items, list):
            raise runtime_error(
                f"Invalid path '{self.path.text}' : The Map state's ItemsPath must point to an array, "
                f"but it references the value: {compact_json(items)}"
            )
        return items


class _JsonataItems:
    """``Items`` (an array, or an expression giving one); without it, the state's input must be an array."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.items = template_field(spec["Items"], "Items", jsonata=True, expect="array") if "Items" in spec else None

    def read(self, visit: Visit, effective: Any) -> list[Any]:
        if self.items is not None:
            return self.items.evaluate(visit, effective)  # type: ignore[no-any-return]
        if not isinstance(visit.input, list):
            raise StatesError("States.QueryEvaluationError",
                              f"Map state input must be an array but was: {compact_json(visit.input)}", runtime=True)
        return visit.input
