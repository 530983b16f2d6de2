"""Succeed: ends its branch successfully; InputPath and OutputPath still apply."""

from __future__ import annotations

from typing import ClassVar

from sfnsim.engine.states.base import Outcome, StateExecutor, Visit


class SucceedState(StateExecutor):
    state_type: ClassVar[str] = "Succeed"
    synchronous: ClassVar[bool] = True

    def body(self, visit: Visit) -> Outcome:
        return self.io.passthrough(visit, None)
