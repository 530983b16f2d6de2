"""Wait: delays the branch for Seconds, SecondsPath, or until Timestamp/TimestampPath.

The delay moves the virtual clock only; a Wait of a year costs no real time.
"""

from __future__ import annotations

from typing import Any, ClassVar, Generator

from sfnsim.dataflow.jsonpath import PathNotFound, compile_path
from sfnsim.dataflow.jsontypes import shown
from sfnsim.dataflow.timestamps import parse_timestamp
from sfnsim.engine.scheduler import Sleep
from sfnsim.engine.states.base import Outcome, StateExecutor, Visit
from sfnsim.errors import runtime_error

_LONG_MAX = 2 ** 63 - 1


class WaitState(StateExecutor):
    state_type: ClassVar[str] = "Wait"

    def __init__(self, name: str, spec: dict[str, Any], compiler: Any) -> None:
        super().__init__(name, spec, compiler)
        self.mode = next((f for f in ("Seconds", "SecondsPath", "Timestamp", "TimestampPath") if f in spec), None)
        self.value = spec.get(self.mode) if self.mode else None
        self.path = compile_path(self.value) if self.mode in ("SecondsPath", "TimestampPath") else None

    def body(self, visit: Visit) -> Generator[Any, Any, Outcome]:
        if self.query_language == "JSONata":
            from sfnsim.engine.states.jsonata_io import wait_seconds

            seconds = wait_seconds(self, visit)
        else:
            seconds = self._seconds(visit)
        if seconds > 0:
            yield Sleep(seconds)
        if self.query_language == "JSONata":
            return self.io.output(visit, visit.input, self.next)
        return self.io.passthrough(visit, self.next)

    def _seconds(self, visit: Visit) -> float:
        if self.mode == "Seconds":
            return float(self.value)
        if self.mode == "Timestamp":
            instant = parse_timestamp(self.value)
            if instant is None:
                raise runtime_error(f"The Timestamp field is not a valid ISO-8601 timestamp: {self.value}")
            return visit.run.clock.seconds_until_instant(*instant)
        data = self.io.after_input_path(visit)
        assert self.path is not None
        try:
            value = self.path.resolve(visit.scope(data))
        except PathNotFound:
            raise runtime_error(f"The {self.mode} parameter does not reference an input value: {self.path.text}") from None
        if self.mode == "SecondsPath":
            return self._seconds_from(value)
        instant = parse_timestamp(value)
        if instant is None:
            raise runtime_error(
                "The TimestampPath parameter does not reference a valid ISO-8601 extended offset "
                f"date-time format string: {self.path.text} == {shown(value)}"
            )
        return visit.run.clock.seconds_until_instant(*instant)

    def _seconds_from(self, value: Any) -> float:
        assert self.path is not None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (
            isinstance(value, float) and not value.is_integer()
        ):
            raise runtime_error(
                f"The SecondsPath parameter cannot be parsed as a long value: {self.path.text} == {shown(value)}"
            )
        if value > _LONG_MAX:  # AWS reads it as a Java long
            raise runtime_error(
                f"The SecondsPath parameter cannot be parsed as a long value: {self.path.text} == {shown(value)}"
            )
        if value < 0:
            raise runtime_error(
                f"The SecondsPath parameter references a negative value: {self.path.text} == {shown(value)}"
            )
        return float(value)


__all__ = ["WaitState"]
