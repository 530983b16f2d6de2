"""The floor: what CPython needs to do the least a simulator must, per state transition.

A simulator that records AWS's history builds, for every state it enters, at least a
``*StateEntered`` and a ``*StateExited`` event: ids, the link to the previous event, a timestamp,
the state's name and its input/output (held by reference, as sfnsim serialises lazily). This loop
does only that, so ``sfnsim ÷ floor`` says how much sfnsim spends beyond the bookkeeping no
interpreter can skip. It is measured in the same run as sfnsim, on the same number of transitions.
"""

from __future__ import annotations

import gc
import statistics
import time
from datetime import datetime, timedelta, timezone
from typing import Any

START = datetime(2024, 1, 1, tzinfo=timezone.utc)


def build_events(transitions: int, payload: Any) -> list[dict[str, Any]]:
    """Two AWS-shaped events per transition, as the cheapest Python can make them."""
    events: list[dict[str, Any]] = [{"id": 1, "previousEventId": 0, "timestamp": START, "type": "ExecutionStarted",
                                     "executionStartedEventDetails": {"input": payload}}]
    previous = 1
    tick = timedelta(0)
    for index in range(transitions):
        name = f"Step{index}"
        moment = START + tick
        events.append({"id": previous + 1, "previousEventId": previous, "timestamp": moment,
                       "type": "PassStateEntered",
                       "stateEnteredEventDetails": {"name": name, "input": payload,
                                                    "inputDetails": {"truncated": False}}})
        events.append({"id": previous + 2, "previousEventId": previous + 1, "timestamp": moment,
                       "type": "PassStateExited",
                       "stateExitedEventDetails": {"name": name, "output": payload,
                                                   "outputDetails": {"truncated": False}}})
        previous += 2
    return events


def floor_seconds(transitions: int, payload: Any, repeats: int = 5) -> float:
    """Median seconds of ``build_events`` for this many transitions (collected between repeats)."""
    samples = []
    for _ in range(repeats):
        gc.collect()
        started = time.perf_counter()
        build_events(transitions, payload)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)
