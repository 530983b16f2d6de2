"""A deterministic discrete-event scheduler for branches written as generators.

Every running branch (the main flow, each Parallel branch, each Map iteration) is a *fiber*: a
generator that yields requests and is resumed with their answers:

* ``Sleep(seconds)``: resume after that much virtual time.
* ``Gather(factories, limit, fail_fast)``: run child branches side by side (at most ``limit`` at a
  time; 0 means no limit) and resume with their results in order. With ``fail_fast`` the first
  child error cancels the other children and is thrown into the parent.
* ``Park(key, timeout)``: wait until someone calls ``wake(key, ...)`` (a callback token), or throw
  ``ParkTimeout`` into the fiber once ``timeout`` virtual seconds pass without a wake.

Pending resumptions are ordered by (virtual time, sequence number); the scheduler resumes one at a
time, so every interleaving is reproducible. Nothing here sleeps or reads the wall clock.

Most resumptions are due at the current instant (a Map's 10,000 iterations start together), and
the clock never runs backwards, so those are kept in a first-in first-out queue beside the heap of
later ones: the queue stays sorted by (time, sequence) on its own, and taking whichever head of the
two is smaller resumes fibers in exactly the order one heap would, without a heap operation each.
"""

from __future__ import annotations

import heapq
from collections import deque
from typing import Any, Callable, Generator, Hashable

from sfnsim.engine.clock import VirtualClock
from sfnsim.errors import StatesError

Branch = Generator[Any, Any, Any]


# The requests, the gather bookkeeping and the fibers are plain slotted classes rather than
# dataclasses: they sit on every run's import path, nothing compares, hashes or copies them, and
# generating their dataclass methods cost more start-up time than the classes are worth.
class Sleep:
    __slots__ = ("seconds",)

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds


class Gather:
    __slots__ = ("factories", "limit", "fail_fast")

    def __init__(self, factories: list[Callable[[], Branch]], limit: int = 0, fail_fast: bool = True) -> None:
        self.factories = factories
        self.limit = limit
        self.fail_fast = fail_fast


class Park:
    __slots__ = ("key", "timeout")

    def __init__(self, key: Hashable, timeout: float | None = None) -> None:
        self.key = key
        self.timeout = timeout


# ``yield NOW``: let everything else due at this instant run first (one shared request, never changed).
NOW = Sleep(0)


class ParkTimeout(Exception):
    """Thrown into a parked fiber whose timeout passed before it was woken."""


class ExecutionDeadline(Exception):
    """Raised out of ``Scheduler.run`` when virtual time reaches the execution's deadline."""


class _GatherState:
    __slots__ = ("factories", "limit", "fail_fast", "results", "next_index", "running", "finished")

    def __init__(self, request: Gather) -> None:
        self.factories = request.factories
        self.limit = request.limit
        self.fail_fast = request.fail_fast
        self.results: list[Any] = [None] * len(request.factories)
        self.next_index = 0
        self.running = 0
        self.finished = 0


class Fiber:
    __slots__ = ("gen", "parent", "index", "children", "gather", "parked", "park_generation", "done")

    def __init__(self, gen: Branch, parent: "Fiber | None" = None, index: int = 0) -> None:
        self.gen = gen
        self.parent = parent
        self.index = index
        self.children: list[Fiber] | tuple[()] = ()  # a list of the running Gather's children
        self.gather: _GatherState | None = None
        self.parked: Hashable | None = None
        self.park_generation = 0
        self.done = False


_Entry = tuple[float, int, "Fiber", Any, "BaseException | None", int]  # (at, seq, fiber, value, exc, generation)


class Scheduler:
    def __init__(self, clock: VirtualClock, deadline: float | None = None) -> None:
        self.clock = clock
        self.deadline = deadline
        self._heap: list[_Entry] = []  # due later than the instant they were pushed at
        self._due: deque[_Entry] = deque()  # due at the instant they were pushed at, in push order
        self._seq = 0
        self._active = 0  # heap entries that are not callback timeouts
        self._parked: dict[Hashable, Fiber] = {}
        self.root: Fiber | None = None
        self.root_result: Any = None
        self.root_error: StatesError | None = None

    # -- public -------------------------------------------------------------------------------
    def start(self, gen: Branch) -> None:
        self.root = Fiber(gen)
        self._push(self.clock.elapsed, self.root)

    @property
    def finished(self) -> bool:
        return self.root is not None and self.root.done

    def run(self, *, quiesce: bool = False, until: float | None = None) -> None:
        """Resume fibers until the root finishes or nothing is left to resume.

        With ``quiesce``, stop as soon as every live fiber is parked on a callback, before any of
        their timeouts fires (an interactive caller may still answer). With ``until``, stop before
        virtual time passes that point. Raises ExecutionDeadline when the next resumption lies
        past the execution's deadline.
        """
        heap, due, clock, deadline = self._heap, self._due, self.clock, self.deadline
        root = self.root
        while (heap or due) and not (root is not None and root.done):
            if quiesce and self._active == 0:
                return
            from_heap = not due or (heap and heap[0] < due[0])
            at = heap[0][0] if from_heap else due[0][0]
            if until is not None and at > until:
                return
            if deadline is not None and at > deadline:
                clock.elapsed = max(clock.elapsed, deadline)
                raise ExecutionDeadline()
            _, _, fiber, value, exc, generation = heapq.heappop(heap) if from_heap else due.popleft()
            if generation:
                if fiber.done or generation != fiber.park_generation:
                    continue
            else:
                self._active -= 1
                if fiber.done:
                    continue
            if at > clock.elapsed:
                clock.elapsed = at
            self._step(fiber, value, exc)

    def next_wake_time(self) -> float | None:
        """When the next resumption is due (a timeout, a Wait's end); ``Execution.next_timer``."""
        heads = [queue[0] for queue in (self._heap, self._due) if queue]
        return min(heads)[0] if heads else None

    def nothing_else_due(self) -> bool:
        """Whether no other fiber is due at the present instant: what the running fiber does before
        it next yields then comes before anything else, however it is split into steps."""
        heap = self._heap
        return not self._due and not (heap and heap[0][0] <= self.clock.elapsed)

    def wake(self, key: Hashable, value: Any = None, exc: BaseException | None = None) -> None:
        fiber = self._parked.pop(key)
        fiber.parked = None
        fiber.park_generation += 1
        self._push(self.clock.elapsed, fiber, value, exc)

    def extend_park(self, key: Hashable, timeout: float | None) -> None:
        """Restart a parked fiber's timeout (a heartbeat)."""
        fiber = self._parked[key]
        fiber.park_generation += 1
        if timeout is not None:
            self._push(self.clock.elapsed + timeout, fiber, None, ParkTimeout(), fiber.park_generation)

    def cancel_all(self) -> None:
        if self.root is not None:
            self._cancel(self.root)

    # -- internals ----------------------------------------------------------------------------
    def _push(self, at: float, fiber: Fiber, value: Any = None, exc: BaseException | None = None,
              generation: int = 0) -> None:
        self._seq += 1
        if not generation:
            self._active += 1
        entry = (at, self._seq, fiber, value, exc, generation)
        if at == self.clock.elapsed:
            self._due.append(entry)
        else:
            heapq.heappush(self._heap, entry)

    def _step(self, fiber: Fiber, value: Any, exc: BaseException | None) -> None:
        try:
            request = fiber.gen.throw(exc) if exc is not None else fiber.gen.send(value)
        except StopIteration as stop:
            self._finish(fiber, stop.value, None)
            return
        except StatesError as error:
            self._finish(fiber, None, error)
            return
        kind = type(request)
        if kind is Sleep:
            self._push(self.clock.elapsed + max(request.seconds, 0.0), fiber)
        elif kind is Gather:
            self._gather(fiber, request)
        elif kind is Park:
            fiber.parked = request.key
            fiber.park_generation += 1
            self._parked[request.key] = fiber
            if request.timeout is not None:
                self._push(self.clock.elapsed + request.timeout, fiber, None, ParkTimeout(), fiber.park_generation)
        else:
            raise TypeError(f"a branch yielded {request!r}, which the scheduler does not understand")

    def _gather(self, parent: Fiber, request: Gather) -> None:
        state = _GatherState(request)
        parent.gather = state
        parent.children = []
        if not request.factories:
            parent.gather = None
            self._push(self.clock.elapsed, parent, [])
            return
        self._start_children(parent)

    def _start_children(self, parent: Fiber) -> None:
        state = parent.gather
        assert state is not None
        while state.next_index < len(state.factories) and (not state.limit or state.running < state.limit):
            index = state.next_index
            state.next_index += 1
            state.running += 1
            child = Fiber(state.factories[index](), parent, index)
            parent.children.append(child)
            self._push(self.clock.elapsed, child)

    def _finish(self, fiber: Fiber, result: Any, error: StatesError | None) -> None:
        fiber.done = True
        parent = fiber.parent
        if parent is None:
            self.root_result, self.root_error = result, error
            return
        state = parent.gather
        if state is None:  # the parent was cancelled meanwhile
            return
        state.running -= 1
        state.finished += 1
        if error is not None and state.fail_fast:
            for sibling in parent.children:
                if not sibling.done:
                    self._cancel(sibling)
            parent.gather = None
            parent.children = []
            self._push(self.clock.elapsed, parent, None, error)
            return
        state.results[fiber.index] = error if error is not None else result
        if state.finished == len(state.factories):
            parent.gather = None
            parent.children = []
            self._push(self.clock.elapsed, parent, state.results)
        else:
            self._start_children(parent)

    def _cancel(self, fiber: Fiber) -> None:
        for child in fiber.children:
            if not child.done:
                self._cancel(child)
        fiber.children = []
        fiber.gather = None
        if fiber.parked is not None:
            self._parked.pop(fiber.parked, None)
            fiber.parked = None
        fiber.done = True
        fiber.gen.close()
