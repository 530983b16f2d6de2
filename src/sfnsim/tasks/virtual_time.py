"""Handler code sees the virtual clock.

Inside a Task handler, ``datetime.now()``, ``datetime.now(timezone.utc)``, ``date.today()`` and
``time.time()`` return the virtual moment the engine hands it (the state's entered time, as in the
history), the way a Lambda function on AWS sees the time its invocation ran at. Naive ``now()`` is
UTC, as on Lambda.

freezegun does the freezing. Starting it is the expensive part (it looks through every loaded
module for ``from datetime import datetime``-style names, a few milliseconds), while a freeze
inside an active one costs microseconds. So:

* ``frozen_at(moment)`` freezes the clock around one handler call and always restores it, even
  when the handler raises;
* ``clock_scope()`` around a stretch of engine work (a scheduler run) lets all the handler calls
  inside it share a single freezegun start, made at the first call and undone when the scope ends.
  The engine itself never reads the wall clock, so it does not mind the frozen clock in between.

Nothing stays patched after a scope or a call: the test's own code sees real time again, and no
state is left behind for the next test (pytest-xdist workers are separate processes anyway).
asyncio keeps real time (``real_asyncio``) so a handler that runs an event loop does not hang.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timezone
from typing import Any, Iterator


class _Scope:
    __slots__ = ("base",)

    def __init__(self) -> None:
        self.base: Any = None  # the freezegun freezer started by the scope's first handler call


_SCOPE: ContextVar[_Scope | None] = ContextVar("sfnsim_clock_scope", default=None)


@contextmanager
def clock_scope() -> Iterator[None]:
    """Let the handler calls made inside share one freezegun start (see the module docstring)."""
    if _SCOPE.get() is not None:  # already inside a scope: the outer one does the work
        yield
        return
    scope = _Scope()
    token = _SCOPE.set(scope)
    try:
        yield
    finally:
        _SCOPE.reset(token)
        if scope.base is not None:
            scope.base.stop()


@contextmanager
def frozen_at(moment: datetime | str | None) -> Iterator[None]:
    """Freeze the clock Python code reads at ``moment`` for the duration of the ``with`` block.

    ``moment`` is an aware datetime (naive means UTC), AWS timestamp text such as
    ``2024-01-01T00:00:00.000Z`` (``TaskContext.entered_time``), or None to leave the clock alone.
    """
    if moment is None:
        yield
        return
    from freezegun import freeze_time  # imported on first use: it costs tens of milliseconds

    at = as_utc(moment)
    scope = _SCOPE.get()
    if scope is not None and scope.base is None:
        scope.base = freeze_time(at, real_asyncio=True)
        scope.base.start()
    freezer = freeze_time(at, real_asyncio=True)
    freezer.start()
    try:
        yield
    finally:
        freezer.stop()


def as_utc(moment: datetime | str) -> datetime:
    """An aware UTC datetime from a datetime (naive: UTC) or ISO-8601 text (``Z`` allowed on 3.10)."""
    if isinstance(moment, str):
        text = moment.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


__all__ = ["frozen_at", "clock_scope", "as_utc"]
