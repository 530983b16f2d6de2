"""Parallel: runs every branch on the same effective input, side by side; the result is the array of
branch outputs in branch order. The first failing branch stops the others and fails the state.

Events: ``ParallelStateEntered → ParallelStateStarted → (branch states, interleaved) →
ParallelStateSucceeded | ParallelStateFailed → ParallelStateExited``. AWS records no per-branch events.
"""

from __future__ import annotations

from typing import Any, ClassVar, Generator

from sfnsim.engine.scheduler import Gather
from sfnsim.engine.states.base import Outcome, StateExecutor, Visit, branch_failing_after_instant
from sfnsim.errors import StatesError


class ParallelState(StateExecutor):
    state_type: ClassVar[str] = "Parallel"

    def __init__(self, name: str, spec: dict[str, Any], compiler: Any) -> None:
        super().__init__(name, spec, compiler)
        self.branches = [compiler.compile_branch(b, f"/States/{name}/Branches/{i}") for i, b in enumerate(spec.get("Branches", ()))]

    def body(self, visit: Visit) -> Generator[Any, Any, Outcome]:
        return (yield from self.attempt_with_recovery(visit, self._attempt))

    def _attempt(self, visit: Visit, number: int) -> Generator[Any, Any, Outcome]:
        branch_input = self.io.effective_input(visit)
        visit.note("parallel", branches=len(self.branches), input=branch_input)
        visit.record("ParallelStateStarted")
        run, parent = visit.run, visit.branch
        children = [parent.child() for _ in self.branches]
        factories = [
            (lambda flow=flow, child=child: branch_failing_after_instant(flow.run(run, child, branch_input)))
            for flow, child in zip(self.branches, children)
        ]
        try:
            results = yield Gather(factories)
        finally:
            parent.prev = max([parent.prev, *(c.prev for c in children)])
        visit.record("ParallelStateSucceeded", advance=False)  # ParallelStateExited links to the last branch event too
        return self.io.output(visit, results, self.next)

    def failed_finally(self, visit: Visit, error: StatesError) -> None:
        visit.record("ParallelStateFailed")
