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
  The calls at one moment (a Map's iterations) also share the nested freezer started around each
  call: building one parses its time and offset, which cost more than a small Lambda handler.

Nothing stays patched after a scope or a call: the test's own code sees real time again, and no
state is left behind for the next test (pytest-xdist workers are separate processes anyway).
asyncio's event loop keeps real time (what freezegun's ``real_asyncio`` does, done here once per
event loop policy) so a handler that runs an event loop does not hang.

Threads: freezegun patches the whole process and keeps one stack of frozen times, so two threads
freezing at once would see each other's clocks, and stopping out of order breaks it. A scope
therefore takes a process-wide lock when it starts freezegun (its first handler call that reads
the clock) and holds it until it ends: executions in other threads run on, and wait only when
they too call a handler. Each execution's handlers see its own virtual time, and runs in threads
give the same results as one after another (docs/guarantees.md has the measurement).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timezone
from typing import Any, Iterable, Iterator


class _Scope:
    __slots__ = ("base", "call", "call_at", "keep", "loop_time")

    def __init__(self, keep: frozenset[str]) -> None:
        self.base: Any = None  # the freezegun freezer started by the scope's first handler call
        self.call: Any = None  # the nested freezer of the last call, reused by calls at its moment
        self.call_at: datetime | None = None
        self.keep = keep
        self.loop_time: tuple[type, Any] | None = None  # the event loop class kept on real time, its own time


_SCOPE: ContextVar[_Scope | None] = ContextVar("sfnsim_clock_scope", default=None)
# Held by the one scope whose freezegun is started (re-entrant: a handler may run an execution).
_FREEZEGUN = threading.RLock()


@contextmanager
def clock_scope(keep: Iterable[str] = ()) -> Iterator[None]:
    """Let the handler calls made inside share one freezegun start (see the module docstring).

    ``keep``: top-level packages of the handlers, patched even when installed in site-packages.
    """
    if _SCOPE.get() is not None:  # already inside a scope: the outer one does the work
        yield
        return
    scope = _Scope(frozenset(keep))
    token = _SCOPE.set(scope)
    try:
        yield
    finally:
        _SCOPE.reset(token)
        if scope.base is not None:
            try:
                scope.base.stop()
                if scope.loop_time is not None:
                    _restore_loop_time(*scope.loop_time)
            finally:
                _FREEZEGUN.release()


@contextmanager
def frozen_at(moment: datetime | str | None, keep: Iterable[str] = ()) -> Iterator[None]:
    """Freeze the clock Python code reads at ``moment`` for the duration of the ``with`` block.

    ``moment`` is an aware datetime (naive means UTC), AWS timestamp text such as
    ``2024-01-01T00:00:00.000Z`` (``TaskContext.entered_time``), or None to leave the clock alone.
    """
    if moment is None:
        yield
        return
    scope = _SCOPE.get()
    if scope is None:  # a scope of its own, so the expensive start skips library modules
        with clock_scope(keep), frozen_at(moment):
            yield
        return
    at = _naive_utc(moment)
    if scope.base is None:
        _start_base(scope, at, keep)
    if scope.call_at != at:
        from freezegun import freeze_time

        scope.call, scope.call_at = freeze_time(at, real_asyncio=True, ignore=[]), at
    call = scope.call
    # Nested inside the base, a start scans nothing: it pushes the freezer's moment, and stop pops
    # it. A handler that runs an execution in the same thread starts one on top: each start pushes
    # a moment of its own, so the outer call gets its own back.
    call.start()
    try:
        yield
    finally:
        call.stop()


def _start_base(scope: _Scope, at: datetime, keep: Iterable[str]) -> None:
    from freezegun import freeze_time  # imported on first use: it costs tens of milliseconds

    # freezegun's ignore list does two things: the scan skips those modules, and calls made from
    # them see real time. The base freezer wants both; the one around each call ignores nothing,
    # so a handler sees the virtual clock whatever library it calls through.
    _FREEZEGUN.acquire()  # released when the scope ends: one frozen clock in the process at a time
    try:
        from freezegun.api import real_monotonic

        outermost = time.monotonic is real_monotonic  # no freezer of the test's own is running
        # real_asyncio=True would make (and close) an event loop at every start to learn the loop's
        # class, a tenth of a short run: the class is learnt once per event loop policy instead,
        # and its clock kept on real time the same way, so a handler's asyncio.sleep() still ends.
        base = freeze_time(at, real_asyncio=False, ignore=library_modules(scope.keep | frozenset(keep)))
        base.start()
    except BaseException:
        _FREEZEGUN.release()
        raise
    scope.base = base
    if outermost:
        loop_class = _event_loop_class()
        scope.loop_time = (loop_class, vars(loop_class).get("time", _ABSENT))
        loop_class.time = lambda self: real_monotonic()  # type: ignore[attr-defined]


def _restore_loop_time(loop_class: type, own: Any) -> None:
    if own is _ABSENT:
        del loop_class.time  # type: ignore[attr-defined]  # the inherited one shows again
    else:
        loop_class.time = own  # type: ignore[attr-defined]


_ABSENT = object()


def _event_loop_class() -> type:
    import asyncio  # loaded already: freezegun imports it

    global _LOOP_CLASS
    policy = asyncio.get_event_loop_policy()
    known = _LOOP_CLASS  # read once: another thread may replace it meanwhile
    if known[0] is not policy:
        loop = policy.new_event_loop()
        loop.close()
        known = _LOOP_CLASS = (policy, type(loop))
    return known[1]


_LOOP_CLASS: tuple[Any, type] = (None, type)


@contextmanager
def real_clock() -> Iterator[None]:
    """The wall clock again, ticking, inside a clock scope: for sfnsim's own calls to the outside
    world (an AWS API signs requests and stamps what it stores with the time it reads).

    freezegun's ignore list does not cover ``datetime.datetime.now()``, which every library reads
    through the patched ``datetime`` module, so a started scope would otherwise show it the virtual
    clock. A nested freezer at the real time costs microseconds (no module scan).
    """
    scope = _SCOPE.get()
    if scope is None or scope.base is None:
        yield
        return
    from freezegun import freeze_time
    from freezegun.api import real_datetime

    freezer = freeze_time(real_datetime.now(timezone.utc), tick=True, real_asyncio=True, ignore=[])
    freezer.start()
    try:
        yield
    finally:
        freezer.stop()


def library_modules(keep: frozenset[str] = frozenset()) -> list[str]:
    """Names of loaded modules from the standard library and site-packages, for freezegun to skip.

    Starting freezegun looks through every loaded module for ``from datetime import datetime``-style
    names; skipping library code (the ``datetime``/``time`` modules themselves are always patched)
    makes that a scan of your own modules only. freezegun matches by prefix, so a name that is also
    the prefix of one of your modules is left out. ``keep`` names top-level packages to scan anyway.
    """
    key = (len(sys.modules), keep)
    cached = _LIBRARY_CACHE.get(key)
    if cached is None:
        library, user = [], []
        roots = _library_roots()
        for name, module in list(sys.modules.items()):
            location = getattr(module, "__file__", None)
            is_library = name.split(".", 1)[0] not in keep and (
                location is None or os.path.abspath(location).startswith(roots) or name.startswith("sfnsim")
            )
            (library if is_library else user).append(name)
        cached = _without_covered(n for n in library if not any(u.startswith(n) for u in user))
        _LIBRARY_CACHE.clear()
        _LIBRARY_CACHE[key] = cached
    return list(cached)  # freezegun extends it


_LIBRARY_CACHE: dict[tuple[int, frozenset[str]], tuple[str, ...]] = {}


def _without_covered(names: Iterable[str]) -> tuple[str, ...]:
    """``names`` less those that start with another of them (``json.decoder`` after ``json``), the
    prefixes that cover the most names first.

    freezegun tests each loaded module's name against the list, prefix by prefix, at every start
    (once per run): a name another one covers matches nothing more, and most modules belong to a
    few packages (sfnsim's own, the standard library's email or encodings), found first."""
    kept: list[str] = []
    covers: dict[str, int] = {}
    for name in sorted(names):  # a name's prefixes sort before it, and so does all that lies between
        if kept and name.startswith(kept[-1]):
            covers[kept[-1]] += 1
        else:
            kept.append(name)
            covers[name] = 1
    return tuple(sorted(kept, key=lambda prefix: -covers[prefix]))


def _library_roots() -> tuple[str, ...]:
    import sysconfig  # only when a handler runs on the virtual clock

    paths = sysconfig.get_paths()
    roots = {os.path.abspath(paths[k]) + os.sep for k in ("stdlib", "platstdlib", "purelib", "platlib") if k in paths}
    return tuple(sorted(roots))


def _naive_utc(moment: datetime | str) -> datetime:
    """``moment`` as the naive UTC datetime freezegun keeps; the text of the last call is remembered
    (the handler calls of a Map all read the same instant)."""
    global _LAST_TEXT
    if not isinstance(moment, str):
        return as_utc(moment).replace(tzinfo=None)
    last = _LAST_TEXT  # read once: another thread may replace it meanwhile
    if last[0] != moment:
        last = _LAST_TEXT = (moment, as_utc(moment).replace(tzinfo=None))
    return last[1]


_LAST_TEXT: tuple[str, datetime] = ("", datetime(1970, 1, 1))


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


__all__ = ["frozen_at", "clock_scope", "as_utc", "real_clock"]
