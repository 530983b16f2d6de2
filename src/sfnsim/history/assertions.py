"""The assertions on an execution (``ex.assert_succeeded()``, ``ex.assert_failed(...)``,
``ex.assert_path([...])``), mixed into ``sfnsim.api.Execution``.

The API hands the mixin what it reads (``history``, ``status``, ``output``... and the machine's
``definition``); nothing here imports the API.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Protocol, Sequence

from sfnsim.history.failure_messages import (
    describe_cause,
    ended,
    execution_problem,
    output_difference,
    path_problem,
    shortened,
    wanted_failure,
)
from sfnsim.history.trace import StateView, Trace

_ANY: Any = object()  # "not given", where None is a meaningful value (an output can be null)


class _HasDefinition(Protocol):
    definition: dict[str, Any]


class ExecutionAssertions:
    """Assertions and per-state views on ``Execution`` (mixed into ``sfnsim.api.Execution``)."""

    if TYPE_CHECKING:
        machine: _HasDefinition
        history: list[dict[str, Any]]
        status: str
        output: Any
        error: str | None
        cause: str | None
        path: list[str]

    @property
    def trace(self) -> Trace:
        """The history grouped into state visits (rebuilt when the history has grown)."""
        cached = self.__dict__.get("_sfnsim_trace")
        if cached is None or len(cached.events) != len(self.history):
            cached = Trace(list(self.history), self.machine.definition)
            self.__dict__["_sfnsim_trace"] = cached
        return cached

    def state(self, name: str) -> StateView:
        """Every visit to state ``name``: ``.input``, ``.output``, ``.attempts``, ``.assert_retried()``..."""
        __tracebackhide__ = True
        return self.trace.state(name)

    def assert_succeeded(self, output: Any = _ANY) -> "ExecutionAssertions":
        """The execution succeeded (with exactly ``output``, if given)."""
        __tracebackhide__ = True
        if self.status != "SUCCEEDED":
            raise AssertionError(execution_problem(self.trace, 
                f"expected the execution to succeed, but {ended(self.status)}"))
        if output is not _ANY and self.output != output:
            raise AssertionError(execution_problem(self.trace, 
                "the execution succeeded with a different output", output_difference(output, self.output)))
        return self

    def assert_failed(self, error: str | None = None, cause: str | re.Pattern[str] | None = None
                      ) -> "ExecutionAssertions":
        """The execution failed (with this ``error`` name and ``cause``, if given).

        ``cause`` is compared exactly, or searched when it is a compiled regular expression
        (``re.compile("Rate exceeded")``), handy for Lambda's JSON causes.
        """
        __tracebackhide__ = True
        wanted = wanted_failure(error, cause)
        if self.status != "FAILED":
            raise AssertionError(execution_problem(self.trace, 
                f"expected the execution to fail{wanted}, but {ended(self.status)}"))
        problems = []
        if error is not None and self.error != error:
            problems.append(f"  error: expected {error!r}, got {self.error!r}")
        if cause is not None and not _cause_matches(cause, self.cause):
            problems.append(f"  cause: expected {describe_cause(cause)}, got {shortened(self.cause, 400)}")
        if problems:
            raise AssertionError(execution_problem(self.trace, 
                f"the execution failed, but not as expected{wanted}:", problems))
        return self

    def assert_timed_out(self) -> "ExecutionAssertions":
        """The execution hit its ``TimeoutSeconds`` (status TIMED_OUT)."""
        __tracebackhide__ = True
        if self.status != "TIMED_OUT":
            raise AssertionError(execution_problem(self.trace, 
                f"expected the execution to time out, but {ended(self.status)}"))
        return self

    def assert_path(self, expected: Sequence[str]) -> "ExecutionAssertions":
        """The states entered, in order, are exactly ``expected`` (see ``Execution.path``)."""
        __tracebackhide__ = True
        if isinstance(expected, str):
            raise TypeError("assert_path takes a list of state names, e.g. ex.assert_path(['Extract', 'Load'])")
        if list(expected) != self.path:
            raise AssertionError(path_problem(self.trace, list(expected)))
        return self


def _cause_matches(cause: Any, actual: str | None) -> bool:
    if isinstance(cause, re.Pattern):
        return actual is not None and cause.search(actual) is not None
    return cause == actual


__all__ = ["ExecutionAssertions"]
