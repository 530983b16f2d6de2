"""Finding and calling the handler that answers a Task, and shaping its answer like the service.

A Task's result comes from the first that applies (DESIGN.md, "Tasks"):
1. a handler registered under the state's name,
2. a handler registered under the resource (the full ARN, or the Lambda function's name/ARN),
3. otherwise a HandlerError that names the state and resource and says how to provide one.
"""

from __future__ import annotations

import inspect
import json
import traceback
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from sfnsim.errors import HandlerError, StatesError, TaskFailed
from sfnsim.tasks.outcomes import TaskResponse
from sfnsim.tasks.resources import LAMBDA_FUNCTION, Resource, lambda_function_name

Handler = Callable[..., Any]


@dataclass(frozen=True)
class TaskContext:
    """What a two-argument handler receives next to its payload."""

    state_name: str
    resource: str
    attempt: int
    task_token: str | None
    execution_arn: str
    entered_time: str


@dataclass(frozen=True)
class TaskCall:
    """One attempt at a task: the handler's outcome, normalised."""

    value: Any = None
    error: str | None = None
    cause: str | None = None
    duration: float = 0.0
    raw: bool = False
    submitted: Any = None
    has_submitted: bool = False


class TaskDispatcher:
    def __init__(self, handlers: Mapping[str, Handler] | None = None) -> None:
        self.handlers = dict(handlers or {})
        self._arity: dict[int, int] = {}

    @classmethod
    def create(cls, handlers: Mapping[str, Handler] | None = None, *, mock_config: Any = None,
               test_case: str | None = None, machine_name: str = "StateMachine") -> "TaskDispatcher":
        if mock_config is not None or test_case is not None:
            from sfnsim.errors import UnsupportedFeatureError

            raise UnsupportedFeatureError("MockConfigFile support is not available yet")
        return cls(handlers)

    def find(self, state_name: str, resource: Resource, parameters: Any) -> Handler:
        for key in self._candidate_keys(state_name, resource, parameters):
            handler = self.handlers.get(key)
            if handler is not None:
                return handler
        raise HandlerError(self._missing_message(state_name, resource, parameters))

    @staticmethod
    def _candidate_keys(state_name: str, resource: Resource, parameters: Any) -> list[str]:
        keys = [state_name, resource.arn]
        if resource.kind == LAMBDA_FUNCTION:
            keys.append(lambda_function_name(resource.arn))
        elif resource.is_lambda and isinstance(parameters, dict) and isinstance(parameters.get("FunctionName"), str):
            keys += [parameters["FunctionName"], lambda_function_name(parameters["FunctionName"])]
        return keys

    def _missing_message(self, state_name: str, resource: Resource, parameters: Any) -> str:
        keys = self._candidate_keys(state_name, resource, parameters)
        hint = ", ".join(repr(k) for k in dict.fromkeys(keys))
        return (
            f"Task state {state_name!r} (resource {resource.arn!r}) has no handler. "
            f"Register one under any of: {hint} — e.g. "
            f"sm.run(input, handlers={{{state_name!r}: my_function}}) — or give a MockConfigFile test case."
        )

    def call(self, handler: Handler, payload: Any, context: TaskContext, resource: Resource) -> TaskCall:
        """Call ``handler``; a raised exception becomes a failed TaskCall, never escapes."""
        try:
            if self._wants_context(handler):
                answer = handler(payload, context)
            else:
                answer = handler(payload)
        except StatesError as failure:  # TaskFailed and friends: exact names
            return TaskCall(error=failure.error, cause=failure.cause)
        except Exception as exc:  # the handler's own bug or deliberate raise: AWS names it by type
            return TaskCall(error=type(exc).__name__, cause=_exception_cause(exc, resource))
        if isinstance(answer, TaskResponse):
            return TaskCall(
                value=answer.value, error=answer.error, cause=answer.cause, duration=answer.duration,
                raw=answer.raw, submitted=answer.submitted if answer.has_submitted else None,
                has_submitted=answer.has_submitted,
            )
        return TaskCall(value=answer)

    def _wants_context(self, handler: Handler) -> bool:
        key = id(handler)
        arity = self._arity.get(key)
        if arity is None:
            arity = self._arity[key] = _positional_arity(handler)
        return arity >= 2


def _positional_arity(handler: Handler) -> int:
    try:
        signature = inspect.signature(handler)
    except (TypeError, ValueError):
        return 1
    count = 0
    for parameter in signature.parameters.values():
        if parameter.kind is inspect.Parameter.VAR_POSITIONAL:
            return 2
        if parameter.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD):
            count += 1
    return count


def _exception_cause(exc: Exception, resource: Resource) -> str:
    """Lambda reports an unhandled exception as JSON with errorMessage/errorType/stackTrace."""
    if not resource.is_lambda:
        return str(exc)
    frames = traceback.format_tb(exc.__traceback__)[1:]  # drop our own call frame
    body = {"errorMessage": str(exc), "errorType": type(exc).__name__, "stackTrace": frames}
    if resource.kind == LAMBDA_FUNCTION:
        return json.dumps(body)
    return json.dumps(body, separators=(",", ":"))


__all__ = ["TaskDispatcher", "TaskContext", "TaskCall", "TaskFailed", "Handler"]
