"""Finding and calling the handler that answers a Task, and shaping its answer like the service.

A Task's result comes from the first that applies (DESIGN.md, "Tasks"):
1. a handler registered under the state's name,
2. a handler registered under the resource (the full ARN, or the Lambda function's name/ARN),
3. a MockConfigFile test case that maps the state to a mocked response (``sfnsim.tasks.mock_config``),
4. the AWS backend given with ``aws=`` (moto, an endpoint or a session: ``sfnsim.tasks.aws_backend``),
   when it serves the Task's service,
5. otherwise a HandlerError that names the state and resource and says how to provide one.
"""

from __future__ import annotations

import inspect
import json
import os
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from types import FunctionType
from typing import TYPE_CHECKING, Any, Callable, Mapping

from sfnsim.dataflow.jsontypes import compact_json, json_value_problem
from sfnsim.errors import HandlerError, SfnSimError, StatesError, TaskFailed
from sfnsim.tasks.clock_proof import cannot_read_clock
from sfnsim.tasks.outcomes import PENDING, TaskResponse
from sfnsim.tasks.resources import LAMBDA_FUNCTION, Resource, lambda_function_name
from sfnsim.tasks.virtual_time import frozen_at

if TYPE_CHECKING:
    import traceback

    from sfnsim.tasks.aws_backend import AwsBackend
    from sfnsim.tasks.mock_config import MockedTestCase

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
    invoked_time: str = ""  # when this attempt was scheduled (later than entered_time on a retry)


@dataclass(slots=True)  # not frozen: made once per attempt, and a frozen dataclass is four times slower to make
class TaskCall:
    """One attempt at a task: the handler's outcome, normalised (nothing changes it once made)."""

    value: Any = None
    error: str | None = None
    cause: str | None = None
    duration: float = 0.0
    raw: bool = False
    submitted: Any = None
    has_submitted: bool = False
    failed: bool = False  # fails even when ``error`` is None (an error-less failure)

    @property
    def fails(self) -> bool:
        return self.failed or self.error is not None


# Asked last, with the state name and resource ARN, for a handler nothing else provides.
HandlerFallback = Callable[[str, str], "Handler | None"]


class TaskDispatcher:
    def __init__(self, handlers: Mapping[str, Handler] | None = None, *,
                 mock_case: "MockedTestCase | None" = None, aws: "AwsBackend | None" = None,
                 fallback: HandlerFallback | None = None) -> None:
        self.handlers = _checked_handlers(handlers)
        # What ``handlers`` answers for (state, resource, FunctionName): looked up once per Task, not per call.
        self._registered: dict[tuple[str, str, str | None], Handler | None] = {}
        self.mock_case = mock_case
        self.aws = aws
        self.fallback = fallback

    def services_running(self) -> AbstractContextManager[None]:
        """Around engine work: what the AWS backend needs on while tasks run (moto's mock)."""
        return self.aws.active() if self.aws is not None else nullcontext()

    @property
    def user_packages(self) -> frozenset[str]:
        """Top-level packages of the registered handlers."""
        return frozenset(p for handler in self.handlers.values() for p in package_of(handler))

    @classmethod
    def create(cls, handlers: Mapping[str, Handler] | None = None, *, mock_config: Any = None,
               test_case: str | None = None, machine_name: str = "StateMachine", aws: Any = None,
               region: str = "us-east-1", fallback: HandlerFallback | None = None) -> "TaskDispatcher":
        """A dispatcher for one execution (MockConfigFile invocation counts start at 0).

        ``mock_config`` is a MockConfigFile path, its parsed content, or a ``MockConfig``;
        ``test_case`` names the test case, looked up under ``machine_name`` (or the file's only machine).
        ``aws`` is where Tasks nothing else answers are sent (``sfnsim.tasks.aws_backend``).
        ``fallback(state_name, resource_arn)`` is asked after the MockConfigFile, before ``aws``.
        """
        backend = None
        if aws is not None:
            from sfnsim.tasks.aws_backend import AwsBackend

            backend = AwsBackend.from_option(aws, region)
        if mock_config is None:
            if test_case is not None:
                raise HandlerError(
                    f"test_case={test_case!r} needs mock_config= (the MockConfigFile that defines it), e.g. "
                    f"sm.run(input, mock_config='MockConfigFile.json', test_case={test_case!r})"
                )
            return cls(handlers, aws=backend, fallback=fallback)
        from sfnsim.tasks.mock_config import MockConfig

        return cls(handlers, mock_case=MockConfig.load(mock_config).test_case(machine_name, test_case), aws=backend,
                   fallback=fallback)

    def find(self, state_name: str, resource: Resource, parameters: Any) -> Handler:
        """The handler for a Task: by state name, by resource, then from the MockConfigFile test case."""
        handler = self.given(state_name, resource, parameters)
        if handler is not None:
            return handler
        if self.fallback is not None:
            handler = self.fallback(state_name, resource.arn)
            if handler is not None:
                return handler
        if self.aws is not None:  # last: handlers and mocks win per state
            handler = self.aws.handler_for(state_name, resource, parameters)
            if handler is not None:
                return handler
        raise HandlerError(self._missing_message(state_name, resource, parameters))

    def given(self, state_name: str, resource: Resource, parameters: Any) -> Handler | None:
        """The handler or mock the test gave for this Task (by state name, resource, MockConfigFile), if any."""
        function = parameters.get("FunctionName") if isinstance(parameters, dict) and resource.is_lambda else None
        key = (state_name, resource.arn, function if isinstance(function, str) else None)
        try:
            handler = self._registered[key]
        except KeyError:
            keys = self._candidate_keys(state_name, resource, parameters)
            handler = self._registered[key] = next(
                (self.handlers[k] for k in keys if self.handlers.get(k) is not None), None)
        if handler is not None:
            return handler
        if self.mock_case is not None:
            return self.mock_case.handler_for(state_name)
        return None

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
        lines = [
            f"Task state {state_name!r} (resource {resource.arn!r}) has no handler.",
            f"Register one under any of: {hint}, e.g.",
            f"    sm.run(input, handlers={{{state_name!r}: my_function}})",
            f"    sm.run(input, handlers={{{state_name!r}: sfnsim.mock.returns({{...}})}})",
        ]
        if self.mock_case is not None:
            lines.append(f"or map {state_name!r} to a mocked response in {self.mock_case.describe()}.")
        else:
            lines.append("or give a MockConfigFile test case: "
                         "sm.run(input, mock_config='MockConfigFile.json', test_case='HappyPath').")
        if self.aws is None and resource.kind == "service" and not resource.is_lambda:
            lines.append("or send it to an AWS API: sm.run(input, aws='moto') (or aws='endpoint=http://localhost:4566').")
        elif self.aws is not None and resource.kind == "service":
            lines.append(f"(the aws= backend serves {', '.join(sorted(self.aws.targets))}, not this resource; "
                         f"Lambda only when the mapping names 'lambda')")
        return "\n".join(lines)

    def call(self, handler: Handler, payload: Any, context: TaskContext, resource: Resource) -> TaskCall:
        """Call ``handler``; a raised exception becomes a failed TaskCall, never escapes.

        sfnsim's own errors (a mock set up wrongly, a MockConfigFile without a response for this
        invocation) are the exception: they are the test's mistake, not the task's, and go to the caller.
        """
        _check_signature(handler, context)
        reads_clock = getattr(handler, "reads_clock", True) and not cannot_read_clock(handler)
        # Handler code sees the virtual clock. Freezing sits outside the try: a failure there is
        # sfnsim's, not the handler's.
        with frozen_at(context.invoked_time or context.entered_time, keep=package_of(handler)) if reads_clock \
                else _UNFROZEN:
            try:
                answer = call_handler(handler, payload, context)
            except SfnSimError:
                raise
            except StatesError as failure:  # TaskFailed and friends: exact names
                _check_failure(handler, context, failure.error, failure.cause, "raised TaskFailed")
                return TaskCall(error=failure.error, cause=failure.cause, failed=True)
            except Exception as exc:  # the handler's own bug or deliberate raise: AWS names it by type
                return TaskCall(error=type(exc).__name__, cause=_exception_cause(exc, resource, handler, context))
        if isinstance(answer, TaskResponse):
            return _task_call(answer, context, handler)
        if answer is not PENDING:
            _check_result(handler, context, answer, "returned")
        return TaskCall(value=answer)

    @staticmethod
    def _wants_context(handler: Handler) -> bool:
        """Kept for subclasses (history.replay): see ``call_handler``."""
        return _positional_arity(handler) >= 2


_UNFROZEN = nullcontext()  # stateless: one serves every call


def package_of(handler: Any) -> tuple[str, ...]:
    """The top-level package a handler's code lives in (its clock is frozen even if installed)."""
    module = getattr(handler, "__module__", None) or getattr(type(handler), "__module__", None)
    return (module.split(".", 1)[0],) if isinstance(module, str) and not module.startswith("sfnsim") else ()


def call_handler(handler: Handler, payload: Any, context: Any) -> Any:
    """``handler(payload, context)`` if it takes two positional arguments, else ``handler(payload)``."""
    if _positional_arity(handler) >= 2:
        return handler(payload, context)
    return handler(payload)


def _task_call(answer: TaskResponse, context: TaskContext, handler: Handler) -> TaskCall:
    if answer.value is not PENDING:
        _check_result(handler, context, answer.value, "returned TaskResponse(value=...) with")
    if answer.has_submitted:
        _check_result(handler, context, answer.submitted, "returned TaskResponse(submitted=...) with")
    if answer.error is not None or answer.cause is not None:
        _check_failure(handler, context, answer.error, answer.cause, "returned TaskResponse(error=...)",
                       error_required=False)
    duration = answer.duration
    if isinstance(duration, bool) or not isinstance(duration, (int, float)) or duration != duration or duration < 0:
        raise HandlerError(
            f"Task state {context.state_name!r}: the handler returned TaskResponse(duration={duration!r}); "
            f"duration must be a number of virtual seconds >= 0"
        )
    return TaskCall(
        value=answer.value, error=answer.error, cause=answer.cause, duration=float(duration),
        raw=answer.raw, submitted=answer.submitted if answer.has_submitted else None,
        has_submitted=answer.has_submitted, failed=answer.fails,
    )


def describe_handler(handler: Handler) -> str:
    """How a message names a handler: ``module.function`` for code, the repr for mocks."""
    name = getattr(handler, "__qualname__", None)
    module = getattr(handler, "__module__", None)
    if isinstance(name, str) and not name.startswith("<"):
        return f"{module}.{name}" if isinstance(module, str) and module != "__main__" else name
    if isinstance(name, str):  # a lambda or a nested function: where it was written says more
        code = getattr(handler, "__code__", None)
        if code is not None:
            return f"{name} ({os.path.basename(code.co_filename)}:{code.co_firstlineno})"
    try:
        return repr(handler)
    except Exception:
        return type(handler).__name__


def _mistake(handler: Handler, context: TaskContext, what: str) -> HandlerError:
    return HandlerError(f"Task state {context.state_name!r}: the handler {describe_handler(handler)} {what}")


def _check_result(handler: Handler, context: TaskContext, value: Any, verb: str) -> None:
    """A handler's result must be a value JSON can hold: that is all a task can ever return on AWS."""
    problem = json_value_problem(value)
    if problem is not None:
        raise _mistake(handler, context, f"{verb} a value that is not JSON: {problem}")


def _check_failure(handler: Handler, context: TaskContext, error: Any, cause: Any, how: str,
                   *, error_required: bool = True) -> None:
    if error_required and error is None:
        raise _mistake(handler, context, f"{how} with no error name, which would make the task succeed; "
                                         "name the error, e.g. TaskFailed('MyError', 'what went wrong')")
    for field, value in (("error", error), ("cause", cause)):
        if value is not None and not isinstance(value, str):
            raise _mistake(handler, context, f"{how} with a {type(value).__name__} as {field}; "
                                             f"error and cause are text")
        if isinstance(value, str) and json_value_problem(value) is not None:
            raise _mistake(handler, context, f"{how} whose {field} is not valid Unicode text: {value[:40]!r}")


def _check_signature(handler: Handler, context: TaskContext) -> None:
    """Refuse a handler that cannot take (payload) or (payload, context), before calling it: the
    TypeError Python would raise is about sfnsim's call, not the handler's own code."""
    problem = _signature_problem(handler)
    if problem is not None:
        raise _mistake(handler, context, problem)


def _signature_problem(handler: Handler) -> str | None:
    return _signature_facts(handler)[1]


def _signature_facts(handler: Handler) -> tuple[int, str | None]:
    """``handler``'s positional arity (2: it wants the TaskContext) and what keeps it from being
    called as a handler (or None), worked out once per handler, or per class for callable objects."""
    try:
        key = _signature_key(handler)
        facts = _SIGNATURES.get(key)
    except TypeError:  # an unhashable callable: inspect it every time
        return _inspect_signature(handler)
    if facts is None:
        facts = _inspect_signature(handler)
        if len(_SIGNATURES) >= 1024:
            _SIGNATURES.clear()
        _SIGNATURES[key] = facts
    return facts


def _signature_key(handler: Handler) -> Any:
    """What ``handler``'s signature depends on: itself, but for an instance of a class whose
    ``__call__`` is a Python function (``sfnsim.mock`` objects, made anew for each run) its class,
    unless the instance carries a signature of its own (``__signature__``, ``__wrapped__``)."""
    kind = type(handler)
    if type(getattr(kind, "__call__", None)) is not FunctionType or hasattr(kind, "__getattr__"):
        return handler
    own = getattr(handler, "__dict__", None)
    if own is None or "__signature__" in own or "__wrapped__" in own:
        return handler
    return kind


def _inspect_signature(handler: Handler) -> tuple[int, str | None]:
    try:
        signature = inspect.signature(handler)
    except (TypeError, ValueError):  # a builtin without a signature: let the call speak for itself
        return 1, None
    arity = 0
    for parameter in signature.parameters.values():
        if parameter.kind is inspect.Parameter.VAR_POSITIONAL:
            arity = 2
            break
        if parameter.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD):
            arity += 1
    try:
        signature.bind(*((None, None) if arity >= 2 else (None,)))
    except TypeError as exc:
        shown = ", ".join(str(parameter.replace(annotation=parameter.empty)) for parameter in signature.parameters.values())
        return arity, (f"cannot be called as a task handler: its signature is ({shown}) ({exc}); "
                       "a handler takes (payload) or (payload, context)")
    return arity, None


_SIGNATURES: dict[Any, tuple[int, str | None]] = {}


def _checked_handlers(handlers: Mapping[str, Handler] | None) -> dict[str, Handler]:
    if handlers is None:
        return {}
    if not isinstance(handlers, Mapping):
        raise HandlerError(
            f"handlers must map a state name, resource ARN or Lambda function name to a handler, "
            f"got {type(handlers).__name__}"
        )
    for key, handler in handlers.items():
        if not isinstance(key, str):
            raise HandlerError(
                f"handlers: keys are state names, resource ARNs or function names (strings), got {key!r}"
            )
        if not callable(handler):
            raise HandlerError(
                f"handlers[{key!r}] is not callable (got {type(handler).__name__}); to answer with a fixed "
                f"value use sfnsim.mock.returns({handler!r})"
            )
    return dict(handlers)


def _positional_arity(handler: Handler) -> int:
    """How many positional arguments ``handler`` takes (2 means it wants the TaskContext)."""
    return _signature_facts(handler)[0]


def _exception_cause(exc: Exception, resource: Resource, handler: Handler, context: TaskContext) -> str:
    """Lambda reports an unhandled exception as JSON with errorMessage/errorType/stackTrace."""
    try:
        message = str(exc)
    except Exception as broken:
        raise _mistake(handler, context, f"raised {type(exc).__name__}, whose str() itself raised "
                                         f"{type(broken).__name__}: the failure has no readable cause") from None
    if json_value_problem(message) is not None:
        message = message.encode("utf-8", "backslashreplace").decode("utf-8")
    if not resource.is_lambda:
        return message
    import traceback  # only for a Lambda handler that raised

    frames = traceback.format_list(_user_frames(exc))
    body = {"errorMessage": message, "errorType": type(exc).__name__, "stackTrace": frames}
    if resource.kind == LAMBDA_FUNCTION:
        return json.dumps(body)
    return compact_json(body, ascii_only=True)


def _user_frames(exc: Exception) -> list[traceback.FrameSummary]:
    """The traceback from the handler on: sfnsim's own calling frames are not the user's stack."""
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)
    start = 0
    while start < len(frames) - 1 and frames[start].filename.startswith(_PACKAGE_DIR):
        start += 1
    return frames[start:]


_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep

__all__ = ["TaskDispatcher", "HandlerFallback", "TaskContext", "TaskCall", "TaskFailed", "Handler", "call_handler"]
