"""Compile a validated definition into ready-to-run state executors (once per StateMachine)."""

from __future__ import annotations

from typing import Any, Callable, Generator

from sfnsim.dataflow.choice import ChoiceRuleError
from sfnsim.dataflow.jsonpath import PathSyntaxError
from sfnsim.dataflow.templates import TemplateError
from sfnsim.engine.runtime import Branch, Run
from sfnsim.engine.states.base import StateExecutor
from sfnsim.engine.states.choice_state import ChoiceState
from sfnsim.engine.states.fail_state import FailState
from sfnsim.engine.states.map_common import is_distributed
from sfnsim.engine.states.map_inline import InlineMapState
from sfnsim.engine.states.parallel_state import ParallelState
from sfnsim.engine.states.pass_state import PassState
from sfnsim.engine.states.succeed_state import SucceedState
from sfnsim.engine.states.task_state import TaskState
from sfnsim.engine.states.wait_state import WaitState
from sfnsim.errors import DefinitionError, Problem

ExecutorFactory = Callable[[str, dict[str, Any], "Compiler"], StateExecutor]


def _map_executor(name: str, spec: dict[str, Any], compiler: "Compiler") -> StateExecutor:
    if not is_distributed(spec):
        return InlineMapState(name, spec, compiler)
    # Imported for a Distributed Map only: it brings the item readers (CSV, S3) and AWS backends.
    from sfnsim.engine.states.map_distributed import DistributedMapState

    return DistributedMapState(name, spec, compiler)


# Each executor says which state type it runs (its ``state_type``); the language's list of state
# types is ``sfnsim.asl.models.STATE_MODELS``, and a test checks that every one has an executor.
# (Imported lazily elsewhere: the models need pydantic, which running a compiled machine does not.)
EXECUTORS: dict[str, ExecutorFactory] = {
    executor.state_type: executor
    for executor in (PassState, TaskState, ChoiceState, WaitState, SucceedState, FailState, ParallelState)
}
EXECUTORS[InlineMapState.state_type] = _map_executor


# Flow and CompiledMachine are plain classes, not dataclasses: they are built on every run's
# import path and nothing compares or copies them.
class Flow:
    """A compiled set of states with its StartAt: the machine itself, a Parallel branch or a Map processor."""

    def __init__(self, start_at: str, states: dict[str, StateExecutor]) -> None:
        self.start_at = start_at
        self.states = states

    @property
    def synchronous(self) -> bool:
        """Whether every state is ``synchronous``: running the flow never yields to the scheduler."""
        return all(state.synchronous for state in self.states.values())

    def run_now(self, run: Run, branch: Branch, data: Any) -> Any:
        """``run`` for a ``synchronous`` flow, as a plain call."""
        name: str | None = self.start_at
        states = self.states
        while name is not None:
            data, name = states[name].execute_now(run, branch, data)
        return data

    def run(self, run: Run, branch: Branch, data: Any) -> Generator[Any, Any, Any]:
        name: str | None = self.start_at
        states = self.states
        while name is not None:
            state = states[name]
            if state.synchronous:
                data, name = state.execute_now(run, branch, data)
            else:
                data, name = yield from state.execute(run, branch, data)
        return data


class CompiledMachine:
    def __init__(self, flow: Flow, timeout_seconds: float | None, query_language: str) -> None:
        self.flow = flow
        self.timeout_seconds = timeout_seconds
        self.query_language = query_language


class Compiler:
    def __init__(self, query_language: str) -> None:
        self.query_language = query_language
        self.problems: list[Problem] = []

    def compile_branch(self, spec: dict[str, Any], pointer: str = "") -> Flow:
        states: dict[str, StateExecutor] = {}
        for name, state_spec in spec.get("States", {}).items():
            executor_type = EXECUTORS.get(state_spec.get("Type"))
            where = f"{pointer}/States/{name}" if pointer else f"/States/{name}"
            if executor_type is None:
                self.problems.append(Problem(where + "/Type", f"unknown state type {state_spec.get('Type')!r}"))
                continue
            try:
                states[name] = executor_type(name, state_spec, self)
            except (PathSyntaxError, TemplateError, ChoiceRuleError, ValueError) as exc:
                self.problems.append(Problem(where, str(exc)))
        return Flow(spec.get("StartAt", ""), states)


def compile_machine(definition: dict[str, Any]) -> CompiledMachine:
    """Compile ``definition`` (already validated); raises DefinitionError for what only compiling finds."""
    query_language = definition.get("QueryLanguage", "JSONPath")
    compiler = Compiler(query_language)
    flow = compiler.compile_branch(definition)
    if compiler.problems:
        raise DefinitionError(compiler.problems)
    timeout = definition.get("TimeoutSeconds")
    return CompiledMachine(flow, float(timeout) if timeout is not None else None, query_language)
