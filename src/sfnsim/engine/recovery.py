"""Retry and Catch: which errors a retrier or catcher matches, and the back-off between attempts.

From AWS's error-handling page: ``States.ALL`` matches any error name except the terminal
``States.DataLimitExceeded`` and ``States.Runtime``, which nothing can retry or catch;
``States.TaskFailed`` matches any error except ``States.Timeout``.

Which errors are terminal is decided where they are raised (``StatesError.terminal``): AWS's
recordings show a Lambda result over the payload quota recorded as the task's failure
(``TaskFailed``/``LambdaFunctionFailed`` with ``States.DataLimitExceeded``) and then caught by
``States.ALL`` or by a catcher naming it, while a state's own input or output over the quota fails
the execution at once.
"""

from __future__ import annotations

import math
import random
from typing import Any

from sfnsim.errors import StatesError


def error_matches(error_equals: tuple[str, ...], error: StatesError) -> bool:
    if error.terminal:
        return False
    name = error.error or ""
    for candidate in error_equals:
        if candidate == name or candidate == "States.ALL":
            return True
        if candidate == "States.TaskFailed" and name != "States.Timeout":
            return True
    return False


# Retrier and Catcher are plain slotted classes built once per state from its ASL, rather than
# dataclasses: they sit on every run's import path and nothing compares, hashes or copies them.
class Retrier:
    __slots__ = ("error_equals", "interval_seconds", "max_attempts", "backoff_rate", "max_delay_seconds",
                 "full_jitter")

    def __init__(self, spec: dict[str, Any]) -> None:
        self.error_equals: tuple[str, ...] = tuple(spec.get("ErrorEquals", ()))
        self.interval_seconds = float(spec.get("IntervalSeconds", 1))
        self.max_attempts = int(spec.get("MaxAttempts", 3))
        self.backoff_rate = float(spec.get("BackoffRate", 2.0))
        self.max_delay_seconds = float(spec["MaxDelaySeconds"]) if "MaxDelaySeconds" in spec else None
        self.full_jitter = spec.get("JitterStrategy") == "FULL"

    def delay(self, retries_so_far: int, rng: random.Random) -> float:
        """Seconds to wait before retry number ``retries_so_far + 1``."""
        try:
            delay = self.interval_seconds * (self.backoff_rate ** retries_so_far)
        except OverflowError:  # thousands of retries: the back-off outgrows a float (and any deadline)
            delay = math.inf
        if self.max_delay_seconds is not None:
            delay = min(delay, self.max_delay_seconds)
        if self.full_jitter:
            delay = rng.uniform(0, delay)
        return delay


class Catcher:
    __slots__ = ("error_equals", "next", "spec")

    def __init__(self, spec: dict[str, Any]) -> None:
        self.error_equals: tuple[str, ...] = tuple(spec.get("ErrorEquals", ()))
        self.next: str = spec["Next"]
        self.spec = spec


def error_output(error: str | None, cause: str | None) -> dict[str, Any]:
    """The value a catcher passes on: ``{"Error": ..., "Cause": ...}``."""
    if error is None:
        # An error-less failure (SendTaskFailure without an error): AWS's recorded error output
        # keeps both keys, as nulls.
        return {"Error": None, "Cause": cause}
    output: dict[str, Any] = {}
    if error == "States.Timeout" and cause is None:
        cause = ""  # AWS's recorded error output for a caught timeout carries an empty Cause
    if error is not None:
        output["Error"] = error
    if cause is not None:
        output["Cause"] = cause
    return output
