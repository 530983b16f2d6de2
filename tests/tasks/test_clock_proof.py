"""Handlers called without a frozen clock must be ones that provably cannot read it
(sfnsim.tasks.clock_proof); every other handler still sees the virtual time of its call."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

import sfnsim.tasks.dispatch as dispatch
from sfnsim import StateMachine
from sfnsim.tasks.clock_proof import cannot_read_clock

START = datetime(2031, 5, 6, 7, 8, 9, tzinfo=timezone.utc)
MACHINE = StateMachine.from_dict({"StartAt": "Later", "States": {
    "Later": {"Type": "Wait", "Seconds": 60, "Next": "Call"},
    "Call": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f", "End": True}}})


def stamp() -> str:
    return datetime.now(timezone.utc).isoformat()


def reads_through_a_helper(event: Any) -> str:
    return stamp()


def make_closure() -> Any:
    clock = time  # the module: its time() is looked up at the call, so freezegun's is found
    return lambda event: clock.time()


def imports_inside(event: Any) -> float:
    import time as inner

    return inner.time()


def sorts_and_formats(event: Any) -> dict[str, Any]:
    names = sorted((name.strip().upper() for name in event["names"] if name), key=len)
    return {"names": names, "label": f"{len(names)} names", "first": event.get("first", "-")}


@pytest.mark.parametrize("handler", [
    lambda event: {**event, "ok": True},
    lambda event: {"id": event, "raw": f"record-{event}"},
    lambda event, times=3: [event] * times,
    lambda event: [item for item in event.items() if isinstance(item[1], int)],
    sorts_and_formats,
], ids=["spread", "f-string", "scalar-default", "comprehension", "function"])
def test_handlers_that_only_reshape_their_event_cannot_read_the_clock(handler: Any) -> None:
    assert cannot_read_clock(handler)


@pytest.mark.parametrize("handler", [
    lambda event: datetime.now(timezone.utc).isoformat(),
    lambda event: time.time(),
    reads_through_a_helper,
    lambda event: stamp(),
    make_closure(),
    lambda event, clock=time.time: clock(),
    imports_inside,
    lambda event: __import__("time").time(),
    lambda event: getattr(event, "now")(),
    lambda event: [stamp() for _ in event],
    lambda event, context: context.invoked_time,
    print,
    dispatch.TaskDispatcher,
], ids=["datetime", "time", "helper", "helper-lambda", "closure", "callable-default", "import", "__import__",
        "getattr", "nested", "context", "builtin", "class"])
def test_anything_else_may_read_the_clock(handler: Any) -> None:
    assert not cannot_read_clock(handler)


def test_a_name_the_module_defines_later_is_checked_at_each_call() -> None:
    namespace: dict[str, Any] = {}
    exec("handler = lambda event: sorted(event)", namespace)
    assert cannot_read_clock(namespace["handler"])
    namespace["sorted"] = lambda items: [time.time()]  # the module shadows the builtin
    assert not cannot_read_clock(namespace["handler"])


@pytest.mark.parametrize("handler", [reads_through_a_helper, lambda event: stamp(), make_closure()])
def test_handlers_that_may_read_the_clock_still_see_the_virtual_time(handler: Any) -> None:
    ex = MACHINE.run({}, handlers={"f": handler}, start_time=START)
    ex.assert_succeeded()
    seen = ex.output if isinstance(ex.output, str) else datetime.fromtimestamp(ex.output, timezone.utc).isoformat()
    assert seen == (START + timedelta(seconds=60)).isoformat()


def test_a_provably_clock_free_handler_is_called_without_freezing(monkeypatch: pytest.MonkeyPatch) -> None:
    moments: list[Any] = []
    real_frozen_at = dispatch.frozen_at

    def noting(moment: Any, keep: Any = ()) -> Any:
        moments.append(moment)
        return real_frozen_at(moment, keep)

    monkeypatch.setattr(dispatch, "frozen_at", noting)
    MACHINE.run({}, handlers={"f": lambda event: {**event, "ok": True}}, start_time=START).assert_succeeded()
    assert moments == []
    MACHINE.run({}, handlers={"f": reads_through_a_helper}, start_time=START).assert_succeeded()
    assert moments == ["2031-05-06T07:09:09.000Z"]


def test_a_handler_that_runs_an_event_loop_keeps_its_real_clock_and_sees_the_virtual_time() -> None:
    # asyncio's loop keeps the real monotonic clock under freezegun (real_asyncio), or a sleep would
    # never end; code inside the coroutine still reads the virtual time. (Compared, not slept: the
    # frozen monotonic clock is the virtual time's epoch seconds, the real one is the machine's uptime.)
    async def work() -> dict[str, Any]:
        gap = abs(asyncio.get_running_loop().time() - time.monotonic())
        await asyncio.sleep(0)
        return {"loop_is_real": gap > 10 ** 8, "now": stamp()}

    loop_class = type(asyncio.new_event_loop())
    ex = MACHINE.run({}, handlers={"f": lambda event: asyncio.run(work())}, start_time=START)
    assert ex.output == {"loop_is_real": True, "now": (START + timedelta(seconds=60)).isoformat()}
    assert loop_class.time is asyncio.BaseEventLoop.time  # the loop's own clock is given back after the run


def test_a_run_inside_the_tests_own_freezer_shows_handlers_the_virtual_time_and_leaves_the_freezer_as_it_was() -> None:
    from freezegun import freeze_time

    with freeze_time("2020-02-02"):
        ex = MACHINE.run({}, handlers={"f": reads_through_a_helper}, start_time=START)
        assert ex.output == (START + timedelta(seconds=60)).isoformat()
        assert datetime.now(timezone.utc) == datetime(2020, 2, 2, tzinfo=timezone.utc)
    assert datetime.now(timezone.utc).year > 2020
