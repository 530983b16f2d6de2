"""What a Task handler may return when a plain value is not enough."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

_UNSET: Any = object()


@dataclass(frozen=True)
class TaskResponse:
    """A handler's answer with delivery details.

    * ``value``: the result. By default it is the *function's* result, which sfnsim shapes as the
      integration does (e.g. ``lambda:invoke`` wraps it in ``Payload``).
    * ``raw=True``: ``value`` is already the service's response, used as-is (replaying recorded
      executions needs this).
    * ``duration``: virtual seconds the task takes before it answers; ``math.inf`` means it never
      answers (it can then only time out).
    * ``error``/``cause``: fail the task with this error after ``duration`` instead of returning.
    * ``failed=True``: fail the task even without an error name, as a callback answered by
      ``SendTaskFailure`` with no error does on AWS (its ``TaskFailed`` event has no ``error``, and a
      catcher's error output is ``{"Error": null, "Cause": null}``).
    * ``submitted``: for ``.waitForTaskToken``/``.sync`` tasks, the service's response to the
      submission (the ``TaskSubmitted`` event's output); ``value`` is what the callback/job returned.
    """

    value: Any = None
    raw: bool = False
    duration: float = 0.0
    error: str | None = None
    cause: str | None = None
    submitted: Any = _UNSET
    failed: bool = False

    @property
    def fails(self) -> bool:
        return self.failed or self.error is not None

    @property
    def has_submitted(self) -> bool:
        return self.submitted is not _UNSET


class _Pending:
    """Returned by a ``.waitForTaskToken`` handler that does not answer the callback itself."""

    _instance: "_Pending | None" = None

    def __new__(cls) -> "_Pending":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "sfnsim.PENDING"


PENDING: Any = _Pending()


class _MissingActivity:
    """The answer for an activity that was never created (or was deleted): see ``mock.no_such_activity``."""

    def __call__(self, payload: Any) -> Any:  # never called: the Task fails before scheduling
        raise AssertionError("a missing activity is never invoked")

    def __repr__(self) -> str:
        return "mock.no_such_activity()"


def missing_activity() -> Any:
    return _MissingActivity()


def is_missing_activity(handler: Any) -> bool:
    return isinstance(handler, _MissingActivity)
