"""Ready-made Task handlers: return a value, raise an AWS error, wait for a callback, take time.

    from sfnsim import StateMachine, mock

    load = mock.raises("Lambda.ServiceException", times=2).then(returns={"rows": 3})
    ex = sm.run({"date": "2024-01-01"}, handlers={"Load": load})
    load.calls          # the payload of each call, in order
    load.call_count     # 3

A mock answers its calls in order: each step answers ``times`` calls (default 1), then the next
step takes over; the last step answers every call after that. Calls are counted per mock object,
across retries, Map iterations and executions (``reset()`` starts again), which is also how AWS Step
Functions Local consumes a MockConfigFile's responses.

``mock.returns(value)`` gives the *function's* result, which sfnsim shapes like the integration
(``lambda:invoke`` wraps it in ``Payload``, as handlers' results are); ``raw=True`` passes the
service's response through as-is. ``duration`` is in virtual seconds: the task answers that much
later, so ``TimeoutSeconds`` and ``HeartbeatSeconds`` apply as on AWS.
"""

from __future__ import annotations

import copy
import json
import math
from dataclasses import dataclass, replace
from typing import Any, Callable, Sequence

from sfnsim.dataflow.jsontypes import compact_json
from sfnsim.errors import HandlerError
from sfnsim.tasks.dispatch import Handler, call_handler
from sfnsim.tasks.outcomes import PENDING, TaskResponse, missing_activity

_UNSET: Any = object()

# One step's answer to a call: (payload, context) -> what a handler returns.
Respond = Callable[[Any, Any], Any]


@dataclass(frozen=True)
class _Step:
    respond: Respond
    times: int
    label: str  # how the step was written, for repr()
    runs_user_code: bool = False  # a wrapped handler may read the clock; canned answers never do


class Mock:
    """A callable Task handler that answers from a list of steps and records its calls."""

    def __init__(self, steps: Sequence[_Step]) -> None:
        if not steps:
            raise HandlerError("a mock needs at least one step, e.g. mock.returns(value)")
        self._steps = tuple(steps)
        # The engine freezes the clock at virtual time only around calls that may read it.
        self.reads_clock = any(step.runs_user_code for step in self._steps)
        self.calls: list[Any] = []
        """The input of each call (for ``lambda:invoke``: the function's event, i.e. ``Payload``)."""

    @property
    def call_count(self) -> int:
        return len(self.calls)

    def __call__(self, payload: Any, context: Any = None) -> Any:
        self.calls.append(copy.deepcopy(payload))
        return self._step_for(len(self.calls) - 1).respond(payload, context)

    def _step_for(self, index: int) -> _Step:
        for step in self._steps[:-1]:
            if index < step.times:
                return step
            index -= step.times
        return self._steps[-1]

    def then(self, answer: "Mock | TaskResponse | Handler | None" = None, /, *, returns: Any = _UNSET,
             raises: str | None = None, cause: Any = None, duration: float | None = None, raw: bool = False,
             times: int = 1, submitted: Any = _UNSET) -> "Mock":
        """A new mock that answers like this one, then like ``answer`` (or the keywords).

        ``m.then(mock.returns(1))`` and ``m.then(returns=1)`` are the same; ``m.then(my_function)``
        hands later calls to a real handler. The new mock records its own calls.
        """
        keywords_given = returns is not _UNSET or raises is not None or submitted is not _UNSET
        if answer is not None:
            if keywords_given or cause is not None or duration is not None or raw or times != 1:
                raise HandlerError(
                    "mock.then(...) takes either a step (a mock, TaskResponse or function) or keywords "
                    "(returns=/raises=, cause=, duration=, raw=, times=), not both"
                )
            return Mock(self._steps + _steps_of(answer, "then"))
        if returns is not _UNSET and raises is not None:
            raise HandlerError("mock.then(...): give returns= or raises=, not both")
        if raises is not None:
            if raw or submitted is not _UNSET:
                raise HandlerError("mock.then(raises=...): raw= and submitted= only go with returns=")
            follow = _raises_step(raises, cause, duration, times)
        elif returns is not _UNSET:
            if cause is not None:
                raise HandlerError("mock.then(returns=...): cause= only goes with raises=")
            follow = _returns_step(returns, duration, raw, times, submitted)
        else:
            raise HandlerError(
                "mock.then() needs what comes next: then(returns=value), then(raises='Error.Name'), "
                "or then(mock.pending())"
            )
        return Mock(self._steps + (follow,))

    def reset(self) -> "Mock":
        """Forget the calls: the next call is answered by the first step again."""
        self.calls.clear()
        return self

    def __repr__(self) -> str:
        head, *rest = self._steps
        return "mock." + head.label + "".join(f".then({_qualified(step.label)})" for step in rest)


# -- building mocks -------------------------------------------------------------------------------
def returns(value: Any = None, *, duration: float | None = None, raw: bool = False, times: int = 1,
            submitted: Any = _UNSET) -> Mock:
    """Succeed with ``value`` (after ``duration`` virtual seconds).

    ``raw=True``: ``value`` is the service's whole response (for ``lambda:invoke``,
    ``{"StatusCode": 200, "Payload": ...}``) instead of the function's result.
    ``submitted``: for ``.sync``/``.waitForTaskToken`` tasks, the output of the ``TaskSubmitted`` event.
    """
    return Mock([_returns_step(value, duration, raw, times, submitted)])


def raises(error: str | None, cause: Any = None, *, duration: float | None = None, times: int = 1) -> Mock:
    """Fail with the AWS error name ``error`` and ``cause`` (a string; other JSON is written as
    compact JSON, as Lambda writes its error causes), after ``duration`` virtual seconds.

    ``error=None`` fails without an error name, as a callback answered by ``SendTaskFailure``
    without one does on AWS: a catcher on ``States.ALL`` then sees ``{"Error": null, "Cause": ...}``."""
    return Mock([_raises_step(error, cause, duration, times)])


def pending(submitted: Any = _UNSET, *, times: int = 1) -> Mock:
    """For ``.waitForTaskToken`` tasks: submit and wait for ``send_task_success``/``_failure``.

    The execution stays RUNNING with the token in ``execution.pending_tokens`` (or times out at
    ``TimeoutSeconds``/``HeartbeatSeconds``). ``submitted`` is the ``TaskSubmitted`` event's output.
    """
    times = _check_times(times)
    if submitted is _UNSET:
        response: Any = PENDING
    else:
        _check_json(submitted, "mock.pending(submitted=...)")
        response = TaskResponse(value=PENDING, **_submitted(submitted))
    extras = [f"submitted={submitted!r}" if submitted is not _UNSET else ""]
    return Mock([_Step(lambda payload, context: response, times, _call_label("pending", extras, times))])


def wraps(handler: Handler, *, times: int = 1) -> Mock:
    """Call a real handler, recording its calls in ``.calls`` (a spy)."""
    return Mock([_handler_step(handler, times)])


def no_such_activity() -> Any:
    """For an activity Task: the activity does not exist (never created, or deleted).

    The Task fails as AWS records it: ``States.Runtime`` right after ``TaskStateEntered``, cause
    ``The activity <ARN> does not exist.``, with nothing scheduled (no Retry or Catch applies).
    """
    return missing_activity()


def sequence(*answers: "Mock | TaskResponse | Handler") -> Mock:
    """Answer call 1 with the first answer, call 2 with the second, …; the last one repeats.

    ``mock.sequence(mock.raises("Lambda.TooManyRequestsException"), mock.returns({"ok": True}))``
    """
    if not answers:
        raise HandlerError("mock.sequence() needs at least one answer, e.g. mock.sequence(mock.returns(1))")
    steps: tuple[_Step, ...] = ()
    for answer in answers:
        steps += _steps_of(answer, "sequence")
    return Mock(steps)


# -- steps ----------------------------------------------------------------------------------------
def _returns_step(value: Any, duration: float | None, raw: bool, times: int, submitted: Any) -> _Step:
    if value is PENDING:
        raise HandlerError("mock.returns(PENDING): use mock.pending() for a task that waits for a callback")
    _check_json(value, "mock.returns(...)")
    if submitted is not _UNSET:
        _check_json(submitted, "mock.returns(submitted=...)")
    if not isinstance(raw, bool):
        raise HandlerError(f"mock.returns(raw=...) must be True or False, got {raw!r}")
    seconds = _check_duration(duration)
    times = _check_times(times)
    response = TaskResponse(value=value, raw=raw, duration=seconds, **_submitted(submitted))
    extras = [f"duration={duration!r}" if duration is not None else "", "raw=True" if raw else "",
              f"submitted={submitted!r}" if submitted is not _UNSET else ""]
    label = _call_label("returns", [repr(value), *extras], times)
    return _Step(lambda payload, context: _fresh(response), times, label)


def _raises_step(error: Any, cause: Any, duration: float | None, times: int) -> _Step:
    if error is not None and (not isinstance(error, str) or not error):
        raise HandlerError(
            f"mock.raises(...) takes the AWS error name as a string (or None for an error-less failure), e.g. "
            f"mock.raises('Lambda.ServiceException', cause='Rate exceeded'); got {error!r}. "
            f"To raise a Python exception, register a function that raises it."
        )
    cause_text = _cause_text(cause)
    seconds = _check_duration(duration)
    times = _check_times(times)
    response = TaskResponse(error=error, cause=cause_text, duration=seconds, failed=True)
    extras = [f"cause={cause!r}" if cause is not None else "", f"duration={duration!r}" if duration is not None else ""]
    label = _call_label("raises", [repr(error), *extras], times)
    return _Step(lambda payload, context: response, times, label)


def _handler_step(handler: Any, times: int) -> _Step:
    if not callable(handler):
        raise HandlerError(f"mock.wraps(...) needs a callable handler, got {type(handler).__name__}")
    times = _check_times(times)
    name = getattr(handler, "__name__", type(handler).__name__)
    return _Step(lambda payload, context: call_handler(handler, payload, context), times,
                 _call_label("wraps", [name], times), runs_user_code=True)


def _steps_of(answer: Any, where: str) -> tuple[_Step, ...]:
    """The steps an argument of ``then``/``sequence`` stands for."""
    if isinstance(answer, Mock):
        return answer._steps
    if isinstance(answer, TaskResponse):
        if not answer.fails:
            _check_json(answer.value, f"mock.{where}(TaskResponse(value=...))")
        _check_duration(answer.duration)
        return (_Step(lambda payload, context: _fresh(answer), 1, repr(answer)),)
    if callable(answer):
        return (_handler_step(answer, 1),)
    raise HandlerError(
        f"mock.{where}({answer!r}): expected a mock, a TaskResponse or a handler function; "
        f"for a value write mock.{where}(mock.returns({answer!r}))"
        + (f" or .then(returns={answer!r})" if where == "then" else "")
    )


# -- checks ---------------------------------------------------------------------------------------
def _check_json(value: Any, what: str) -> None:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise HandlerError(f"{what}: the value must be JSON (as a service's answer is): {exc}") from None


def _check_duration(duration: Any) -> float:
    if duration is None:
        return 0.0
    if isinstance(duration, bool) or not isinstance(duration, (int, float)) or math.isnan(duration) or duration < 0:
        raise HandlerError(
            f"duration must be a number of virtual seconds >= 0 (math.inf: never answers), got {duration!r}"
        )
    return float(duration)


def _check_times(times: Any) -> int:
    if isinstance(times, bool) or not isinstance(times, int) or times < 1:
        raise HandlerError(f"times must be a whole number >= 1, got {times!r}")
    return times


def _cause_text(cause: Any) -> str | None:
    if cause is None or isinstance(cause, str):
        return cause
    _check_json(cause, "mock.raises(cause=...)")
    return compact_json(cause, ascii_only=True)


# -- small helpers --------------------------------------------------------------------------------
def _fresh(answer: Any) -> Any:
    """A copy the engine may change without changing what later calls return."""
    if isinstance(answer, TaskResponse) and answer.value is not PENDING:
        return replace(answer, value=copy.deepcopy(answer.value))
    return answer


def _submitted(submitted: Any) -> dict[str, Any]:
    """TaskResponse's own "not given" marker is private: leave the field out instead."""
    return {} if submitted is _UNSET else {"submitted": submitted}


def _call_label(name: str, arguments: list[str], times: int) -> str:
    shown = [a for a in arguments if a]
    if times != 1:
        shown.append(f"times={times}")
    return f"{name}({', '.join(shown)})"


def _qualified(label: str) -> str:
    return label if label.startswith("TaskResponse(") else "mock." + label


__all__ = ["Mock", "returns", "raises", "pending", "wraps", "sequence", "no_such_activity", "PENDING", "TaskResponse"]
