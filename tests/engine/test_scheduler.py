"""The discrete-event scheduler on its own: generators yielding Sleep, Gather and Park.

The expectations follow from DESIGN's model (a heap ordered by virtual time, then by sequence;
one fiber resumed at a time; nothing reads the wall clock), not from the engine's output.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Generator

import pytest

from sfnsim.engine.clock import VirtualClock
from sfnsim.engine.scheduler import ExecutionDeadline, Gather, Park, ParkTimeout, Scheduler, Sleep
from sfnsim.errors import StatesError

START = datetime(2024, 1, 1, tzinfo=timezone.utc)


def scheduler(deadline: float | None = None) -> Scheduler:
    return Scheduler(VirtualClock(START), deadline)


def sleeper(log: list[tuple[str, float]], clock: VirtualClock, name: str, seconds: float) -> Generator[Any, Any, str]:
    yield Sleep(seconds)
    log.append((name, clock.elapsed))
    return name


def test_a_sleep_moves_virtual_time_and_nothing_else() -> None:
    sched = scheduler()
    log: list[tuple[str, float]] = []
    sched.start(sleeper(log, sched.clock, "only", 86_400))
    sched.run()
    assert sched.finished and sched.root_result == "only"
    assert log == [("only", 86_400)] and sched.clock.now() == datetime(2024, 1, 2, tzinfo=timezone.utc)


def test_gather_resumes_children_by_time_and_returns_results_in_order() -> None:
    sched = scheduler()
    log: list[tuple[str, float]] = []

    def parent() -> Generator[Any, Any, Any]:
        factories = [lambda n=n, s=s: sleeper(log, sched.clock, n, s) for n, s in (("a", 5), ("b", 2), ("c", 2))]
        return (yield Gather(factories))

    sched.start(parent())
    sched.run()
    # b and c wake at the same instant: the one scheduled first (b) resumes first.
    assert log == [("b", 2), ("c", 2), ("a", 5)]
    assert sched.root_result == ["a", "b", "c"]


def test_a_fiber_that_yields_the_instant_resumes_after_everything_already_due_then() -> None:
    """Fibers due at the present instant and fibers that reach it by sleeping resume in the order
    they were scheduled, whichever way they were queued."""
    sched = scheduler()
    log: list[tuple[str, float]] = []

    def hopper(name: str, first: float) -> Generator[Any, Any, str]:
        yield Sleep(first)
        log.append((name, sched.clock.elapsed))
        yield Sleep(0)
        log.append((name + "'", sched.clock.elapsed))
        return name

    def parent() -> Generator[Any, Any, Any]:
        # a and b reach t=3 by sleeping; c is already there when a yields the instant; d starts at 0.
        return (yield Gather([lambda: hopper("a", 3), lambda: hopper("b", 3), lambda: hopper("c", 0),
                              lambda: hopper("d", 0)]))

    sched.start(parent())
    sched.run()
    assert log == [("c", 0), ("d", 0), ("c'", 0), ("d'", 0), ("a", 3), ("b", 3), ("a'", 3), ("b'", 3)]
    assert sched.root_result == ["a", "b", "c", "d"]
    assert sched.next_wake_time() is None


def test_gather_runs_at_most_limit_children_at_a_time() -> None:
    sched = scheduler()
    log: list[tuple[str, float]] = []

    def parent() -> Generator[Any, Any, Any]:
        return (yield Gather([lambda n=n: sleeper(log, sched.clock, n, 10) for n in "abc"], limit=2))

    sched.start(parent())
    sched.run()
    assert log == [("a", 10), ("b", 10), ("c", 20)]


def test_a_failing_child_cancels_its_siblings_and_fails_the_parent() -> None:
    sched = scheduler()
    closed: list[str] = []

    def slow() -> Generator[Any, Any, Any]:
        try:
            yield Sleep(100)
        except GeneratorExit:
            closed.append("slow")
            raise

    def failing() -> Generator[Any, Any, Any]:
        yield Sleep(1)
        raise StatesError("States.TaskFailed", "boom")

    def parent() -> Generator[Any, Any, Any]:
        try:
            yield Gather([slow, failing])
        except StatesError as error:
            return f"caught {error.error} at {sched.clock.elapsed}"

    sched.start(parent())
    sched.run()
    assert closed == ["slow"] and sched.root_result == "caught States.TaskFailed at 1.0"


def test_without_fail_fast_a_failed_child_leaves_its_error_as_its_result() -> None:
    sched = scheduler()
    error = StatesError("States.TaskFailed", "boom")

    def failing() -> Generator[Any, Any, Any]:
        yield Sleep(1)
        raise error

    def parent() -> Generator[Any, Any, Any]:
        return (yield Gather([failing, lambda: sleeper([], sched.clock, "ok", 3)], fail_fast=False))

    sched.start(parent())
    sched.run()
    assert sched.root_result == [error, "ok"] and sched.clock.elapsed == 3


def test_a_parked_fiber_waits_for_its_key() -> None:
    sched = scheduler()

    def waiting() -> Generator[Any, Any, Any]:
        return (yield Park("token", timeout=60))

    sched.start(waiting())
    sched.run(quiesce=True)  # stops while the only fiber waits on a callback
    assert not sched.finished and sched.clock.elapsed == 0
    sched.clock.elapsed = 30
    sched.wake("token", {"approved": True})
    sched.run()
    assert sched.root_result == {"approved": True} and sched.clock.elapsed == 30  # the timeout never fired


def test_an_unanswered_park_times_out_after_its_timeout() -> None:
    sched = scheduler()

    def waiting() -> Generator[Any, Any, Any]:
        try:
            yield Park("token", timeout=60)
        except ParkTimeout:
            return sched.clock.elapsed

    sched.start(waiting())
    sched.run()
    assert sched.root_result == 60


def test_a_heartbeat_restarts_the_timeout() -> None:
    sched = scheduler()

    def waiting() -> Generator[Any, Any, Any]:
        try:
            yield Park("token", timeout=10)
        except ParkTimeout:
            return sched.clock.elapsed

    sched.start(waiting())
    sched.run(quiesce=True)
    sched.clock.elapsed = 8
    sched.extend_park("token", 10)
    sched.run()
    assert sched.root_result == 18


def test_run_until_stops_before_time_passes_that_point() -> None:
    sched = scheduler()
    log: list[tuple[str, float]] = []
    sched.start(sleeper(log, sched.clock, "later", 5))
    sched.run(until=3)
    assert log == [] and not sched.finished
    sched.run()
    assert log == [("later", 5)]


def test_the_deadline_stops_the_run_at_the_deadline() -> None:
    sched = scheduler(deadline=30)
    sched.start(sleeper([], sched.clock, "too late", 60))
    with pytest.raises(ExecutionDeadline):
        sched.run()
    assert sched.clock.elapsed == 30 and not sched.finished


def test_an_unknown_request_is_a_clear_error() -> None:
    sched = scheduler()

    def confused() -> Generator[Any, Any, Any]:
        yield "wait a bit"

    sched.start(confused())
    with pytest.raises(TypeError, match="which the scheduler does not understand"):
        sched.run()
