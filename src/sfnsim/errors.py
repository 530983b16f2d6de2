"""The two kinds of failure in sfnsim, kept apart on purpose.

* ``SfnSimError`` and its subclasses are problems sfnsim reports to *its user*: a definition
  that does not load, a missing handler, a broken mock file, a feature not supported yet.
  They are raised to the caller (the CLI turns them into a message and exit code 2).
* ``StatesError`` is an error *inside an execution*, named as AWS names it
  (``States.Runtime``, ``States.TaskFailed``, or a handler's own name). The engine catches it,
  matches it against Retry/Catch and, if nothing handles it, fails the execution with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


class SfnSimError(Exception):
    """Base class of every error sfnsim raises to its caller."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a definition, located by JSON pointer (and line/column from text)."""

    pointer: str
    message: str
    line: int | None = None
    column: int | None = None
    source: str | None = None

    def location(self) -> str:
        where = self.pointer or "/"
        if self.line is not None:
            col = f":{self.column}" if self.column is not None else ""
            where = f"{where} (line {self.line}{col})"
        if self.source:
            where = f"{self.source}: {where}"
        return where

    def __str__(self) -> str:
        return f"{self.location()}: {self.message}"


class DefinitionError(SfnSimError):
    """A state machine definition that cannot be parsed or does not fit the language."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        head = f"invalid state machine definition ({count} problem{'s' if count != 1 else ''}):"
        super().__init__("\n".join([head, *(f"  {p}" for p in self.problems)]))


class InputError(SfnSimError):
    """Execution input (or another data file) that is not usable, e.g. malformed JSON."""


class HandlerError(SfnSimError):
    """A Task has no handler, or a handler/mock is set up wrongly."""


class UnsupportedFeatureError(SfnSimError):
    """The definition uses something sfnsim does not simulate yet.

    Raised instead of guessing: a simulator that silently does the wrong thing is worse than none.
    """


TERMINAL_ERRORS = frozenset({"States.DataLimitExceeded", "States.Runtime"})


class StatesError(Exception):
    """An error inside an execution, with AWS's error name and cause text.

    ``runtime`` marks errors that AWS reports with the prefix
    ``An error occurred while executing the state '<name>' (entered at the event id #<n>).``;
    the state executor adds that prefix, since only it knows the state and event id.

    ``terminal`` marks errors no Retry or Catch can handle. By default that is every
    ``States.Runtime`` and ``States.DataLimitExceeded`` (AWS's error-handling page); a data-limit
    failure that AWS records as the *task's* failure (a service result over the quota) is passed
    ``terminal=False``, since AWS's recordings show Catch handling it.
    """

    def __init__(self, error: str | None, cause: str | None = None, *, runtime: bool = False,
                 terminal: bool | None = None) -> None:
        self.error = error
        self.cause = cause
        self.runtime = runtime
        self.terminal = error in TERMINAL_ERRORS if terminal is None else terminal
        # Set by the state the error escaped from: records its ``<Type>StateAborted`` event. AWS
        # records it for the failed state when the enclosing Parallel branch or Map iteration
        # fails, so the Parallel/Map calls it (see ``record_pending_abort``).
        self.pending_abort: Callable[[], None] | None = None
        super().__init__(f"{error}: {cause}" if cause else str(error))

    def record_pending_abort(self) -> None:
        """Record the failed state's Aborted event, once."""
        abort, self.pending_abort = self.pending_abort, None
        if abort is not None:
            abort()


def runtime_error(cause: str, error: str = "States.Runtime") -> StatesError:
    """A ``States.Runtime`` (or similar) error whose cause gets AWS's state prefix."""
    return StatesError(error, cause, runtime=True)


def task_failure(error: str | None, cause: str | None) -> StatesError:
    """A failure the task itself reported (a ``TaskFailed``-type event was recorded).

    A ``States.DataLimitExceeded`` there is about the service's result, not the state's data, and
    AWS's recordings show Retry/Catch handling it; ``States.Runtime`` stays terminal.
    """
    return StatesError(error, cause, terminal=error == "States.Runtime")


class TaskFailed(StatesError):
    """Raise from a Task handler to fail the task with an exact AWS error name and cause.

    >>> raise TaskFailed("Lambda.ServiceException", "Rate exceeded")
    """

    def __init__(self, error: str, cause: str | None = None) -> None:
        super().__init__(error, cause)


class SimulationLimitError(SfnSimError):
    """A run went past a limit of sfnsim's own, not AWS's: data nested deeper than it can follow.

    Raised to the caller with the state it happened in, instead of a Python RecursionError.
    """
