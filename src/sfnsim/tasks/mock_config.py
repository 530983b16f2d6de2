"""AWS Step Functions Local's MockConfigFile, read as-is.

    {"StateMachines": {"<machine>": {"TestCases": {"<case>": {"<Task state>": "<MockedResponse>"}}}},
     "MockedResponses": {"<MockedResponse>": {"0": {"Return": <service response>},
                                              "1-2": {"Throw": {"Error": "...", "Cause": "..."}}}}}

* A test case maps Task state names to mocked responses; states it does not name get no mock from it.
* A mocked response's keys number a state's invocations from 0 (``"3"``) or as an inclusive range
  (``"1-2"``); every invocation counts: retries, re-entries and Map iterations. An invocation
  without a key is a setup error (``HandlerError``), as AWS's tool fails the execution there.
* ``Return`` is the service's whole response (for ``lambda:invoke``: ``{"StatusCode": 200,
  "Payload": ...}``), used as-is; ``Throw`` fails the task with ``Error`` and ``Cause``.

The file is validated when it is loaded; every problem is reported with the file, a JSON pointer
(and line/column when read from text) and what is wrong.
"""

from __future__ import annotations

import copy
import json
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Mapping

from sfnsim.dataflow.jsontypes import described_type
from sfnsim.errors import DefinitionError, HandlerError, InputError, Problem
from sfnsim.tasks.outcomes import TaskResponse

_KEY = re.compile(r"(\d+)(?:-(\d+))?")
_TOP_FIELDS = ("StateMachines", "MockedResponses")
_DICT_SOURCE = "<mock_config dict>"

# JSON pointer -> (line, column) in the file, when known.
Locate = Callable[[str], "tuple[int, int] | None"]


class MockConfigError(HandlerError):
    """A MockConfigFile that cannot be used, with every problem located by JSON pointer."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        head = f"invalid MockConfigFile ({count} problem{'s' if count != 1 else ''}):"
        super().__init__("\n".join([head, *(f"  {p}" for p in self.problems)]))


@dataclass(frozen=True)
class MockedAnswer:
    """One entry of a mocked response: ``Return`` a value or ``Throw`` an error."""

    value: Any = None
    error: str | None = None
    cause: str | None = None

    def response(self) -> TaskResponse:
        if self.error is not None:
            return TaskResponse(error=self.error, cause=self.cause)
        return TaskResponse(value=copy.deepcopy(self.value), raw=True)


@dataclass(frozen=True)
class MockedResponse:
    name: str
    entries: tuple[tuple[int, int, MockedAnswer], ...]  # (first, last invocation, answer), sorted
    keys: tuple[str, ...]  # as written in the file, in that order

    def answer(self, invocation: int) -> MockedAnswer | None:
        for first, last, answer in self.entries:
            if first <= invocation <= last:
                return answer
        return None


@dataclass(frozen=True, eq=False)
class MockConfig:
    """A validated MockConfigFile. Immutable: each execution plays a test case with its own counters."""

    source: str
    # machine name -> test case name -> state name -> mocked response name
    state_machines: Mapping[str, Mapping[str, Mapping[str, str]]]
    responses: Mapping[str, MockedResponse]
    locate: Locate = field(default=lambda pointer: None, repr=False)

    @classmethod
    def load(cls, config: "str | os.PathLike[str] | Mapping[str, Any] | MockConfig", *,
             defer_undefined: bool = False) -> "MockConfig":
        """From a file path, an already-parsed dict, or a MockConfig (returned as is).

        ``defer_undefined``: a test case that names a mocked response the file does not define
        fails only when that state is entered, as Step Functions Local does (``sfnsim serve``),
        instead of when the file is loaded.
        """
        if isinstance(config, MockConfig):
            return config
        if isinstance(config, Mapping):
            return _build(config, _DICT_SOURCE, lambda pointer: None, defer_undefined)
        if isinstance(config, (str, os.PathLike)):
            path = Path(config)
            try:
                stat = path.stat()
            except OSError as exc:
                raise InputError(f"cannot read MockConfigFile {str(path)!r}: {exc.strerror or exc}") from None
            return _load_file(str(path), str(path.resolve()), stat.st_mtime_ns, stat.st_size, defer_undefined)
        raise HandlerError(
            f"mock_config must be a path to a MockConfigFile or its content as a dict, got {type(config).__name__}"
        )

    def test_case(self, machine_name: str, test_case: str | None) -> "MockedTestCase":
        """The test case to play for the machine named ``machine_name`` (or the file's only machine)."""
        machine = self._machine(machine_name)
        cases = self.state_machines[machine]
        where = _pointer("StateMachines", machine, "TestCases")
        if test_case is None:
            raise self._error(where, f"pass test_case= to choose one of the test cases of state machine "
                                     f"{machine!r}: {_names(cases)}")
        if test_case not in cases:
            raise self._error(where, f"state machine {machine!r} has no test case {test_case!r} "
                                     f"(test cases: {_names(cases)})")
        states = {state: self.responses.get(name, name) for state, name in cases[test_case].items()}
        return MockedTestCase(self, machine, test_case, states)

    def _machine(self, machine_name: str) -> str:
        if machine_name in self.state_machines:
            return machine_name
        if len(self.state_machines) == 1:
            return next(iter(self.state_machines))
        raise self._error(
            "/StateMachines",
            f"no state machine named {machine_name!r} (state machines: {_names(self.state_machines)}); the "
            f"machine's name comes from its file name, or from name= in StateMachine.from_file/from_dict",
        )

    def _error(self, pointer: str, message: str) -> MockConfigError:
        return MockConfigError([_problem(pointer, message, self.source, self.locate)])


class MockedTestCase:
    """One execution's use of a test case: counts each state's invocations from 0."""

    __test__ = False  # not a pytest test class, whatever its name suggests

    def __init__(self, config: MockConfig, machine: str, name: str,
                 states: Mapping[str, "MockedResponse | str"]) -> None:
        self.config = config
        self.machine = machine
        self.name = name
        self.states = dict(states)
        self.invocations: dict[str, int] = {}
        # One handler per state, made once: the dispatcher caches what it learns about a handler.
        self._handlers: dict[str, Callable[[Any], TaskResponse]] = {}

    def handler_for(self, state_name: str) -> Callable[[Any], TaskResponse] | None:
        if state_name not in self.states:
            return None
        handler = self._handlers.get(state_name)
        if handler is None:
            def handler(payload: Any) -> TaskResponse:
                return self.answer(state_name)

            handler.reads_clock = False  # type: ignore[attr-defined]  # canned answers: no clock to freeze
            self._handlers[state_name] = handler
        return handler

    def answer(self, state_name: str) -> TaskResponse:
        invocation = self.invocations.get(state_name, 0)
        self.invocations[state_name] = invocation + 1
        mocked = self.states[state_name]
        if isinstance(mocked, str):  # loaded with defer_undefined: the name of a response not defined
            raise self.config._error(
                _pointer("StateMachines", self.machine, "TestCases", self.name, state_name),
                f"state {state_name!r} was entered in test case {self.name!r} of state machine {self.machine!r}, "
                f"but its mocked response {mocked!r} is not defined under /MockedResponses "
                f"(defined: {_names(self.config.responses)})",
            )
        found = mocked.answer(invocation)
        if found is None:
            keys = ", ".join(f'"{k}"' for k in mocked.keys)
            raise self.config._error(
                _pointer("MockedResponses", mocked.name),
                f"state {state_name!r} was invoked for the {_ordinal(invocation + 1)} time (key \"{invocation}\") "
                f"in test case {self.name!r} of state machine {self.machine!r}, but mocked response "
                f"{mocked.name!r} has no entry for it (its keys: {keys}); add a key such as \"{invocation}\"",
            )
        return found.response()

    def describe(self) -> str:
        return f"test case {self.name!r} of state machine {self.machine!r} in {self.config.source}"


# -- loading and validation -----------------------------------------------------------------------
@lru_cache(maxsize=32)
def _load_file(path: str, resolved: str, mtime_ns: int, size: int, defer_undefined: bool = False) -> MockConfig:
    """Parsed once per file version (a test suite runs the same file many times); ``resolved``,
    ``mtime_ns`` and ``size`` only make the cache key, ``path`` is what messages show."""
    from sfnsim.asl import parse_text

    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read MockConfigFile {path!r}: {getattr(exc, 'strerror', None) or exc}") from None
    if not text.strip():
        raise MockConfigError([Problem("", "the file is empty: a MockConfigFile is a JSON object", 1, 1, path)])
    try:
        data, locator = parse_text(text, source=path)
    except DefinitionError as bad:
        raise MockConfigError([_with_source(p, path) for p in bad.problems]) from None
    return _build(data, path, locator.nearest, defer_undefined)


def _with_source(problem: Problem, source: str) -> Problem:
    return Problem(problem.pointer, problem.message, problem.line, problem.column, source)


def _build(data: Any, source: str, locate: Locate, defer_undefined: bool = False) -> MockConfig:
    problems: list[tuple[str, str]] = []

    def report(pointer: str, message: str) -> None:
        problems.append((pointer, message))

    if not isinstance(data, Mapping):
        report("", f"a MockConfigFile is a JSON object with {' and '.join(_TOP_FIELDS)}, got {_kind(data)}")
        raise _collected(problems, source, locate)
    for key in data:
        if key not in _TOP_FIELDS:
            report(_pointer(key), f"unknown field {key!r} (a MockConfigFile has {' and '.join(_TOP_FIELDS)})")
    responses = _read_responses(data.get("MockedResponses", {}), report)
    machines = _read_machines(data, responses, report, defer_undefined)
    if problems:
        raise _collected(problems, source, locate)
    return MockConfig(source, machines, responses, locate)


def _read_machines(data: Mapping[str, Any], responses: Mapping[str, MockedResponse],
                   report: Callable[[str, str], None], defer_undefined: bool = False) -> dict[str, dict[str, dict[str, str]]]:
    if "StateMachines" not in data:
        report("", "missing field 'StateMachines' (state machine name -> {\"TestCases\": {...}})")
        return {}
    machines_raw = data["StateMachines"]
    if not _object(machines_raw, "/StateMachines", report):
        return {}
    machines: dict[str, dict[str, dict[str, str]]] = {}
    for machine, spec in machines_raw.items():
        at = _pointer("StateMachines", machine)
        if not _object(spec, at, report):
            continue
        for key in spec:
            if key != "TestCases":
                report(_pointer("StateMachines", machine, key), f"unknown field {key!r} (expected TestCases)")
        if "TestCases" not in spec:
            report(at, "missing field 'TestCases' (test case name -> {state name: mocked response name})")
            continue
        cases = spec["TestCases"]
        if not _object(cases, _pointer("StateMachines", machine, "TestCases"), report):
            continue
        machines[machine] = {case: _read_case(states, (machine, case), responses, report, defer_undefined)
                             for case, states in cases.items()}
    return machines


def _read_case(states: Any, where: tuple[str, str], responses: Mapping[str, MockedResponse],
               report: Callable[[str, str], None], defer_undefined: bool = False) -> dict[str, str]:
    machine, case = where
    at = _pointer("StateMachines", machine, "TestCases", case)
    if not _object(states, at, report):
        return {}
    mapping: dict[str, str] = {}
    for state, name in states.items():
        state_at = _pointer("StateMachines", machine, "TestCases", case, state)
        if not isinstance(name, str):
            report(state_at, f"expected the name of a mocked response (a string), got {_kind(name)}")
        elif name not in responses and not defer_undefined:
            report(state_at, f"mocked response {name!r} is not defined under /MockedResponses"
                             f" (defined: {_names(responses)})")
        else:
            mapping[state] = name
    return mapping


def _read_responses(raw: Any, report: Callable[[str, str], None]) -> dict[str, MockedResponse]:
    if not _object(raw, "/MockedResponses", report):
        return {}
    responses: dict[str, MockedResponse] = {}
    for name, spec in raw.items():
        at = _pointer("MockedResponses", name)
        if not _object(spec, at, report):
            continue
        if not spec:
            report(at, 'a mocked response needs at least one entry, e.g. {"0": {"Return": {}}}')
            continue
        entries = []
        for key, entry in spec.items():
            span = _read_key(key, _pointer("MockedResponses", name, key), report)
            answer = _read_answer(entry, _pointer("MockedResponses", name, key), report)
            if span is not None and answer is not None:
                entries.append((span[0], span[1], answer, key))
        _report_overlaps(entries, name, report)
        ordered = tuple(sorted((first, last, answer) for first, last, answer, _ in entries))
        responses[name] = MockedResponse(name, ordered, tuple(spec))
    return responses


def _read_key(key: str, at: str, report: Callable[[str, str], None]) -> tuple[int, int] | None:
    match = _KEY.fullmatch(key)
    if match is None:
        report(at, f"invalid key {key!r}: expected an invocation number (\"0\") or an inclusive range (\"1-2\")")
        return None
    first = int(match.group(1))
    last = int(match.group(2)) if match.group(2) is not None else first
    if last < first:
        report(at, f"invalid range {key!r}: the first invocation is after the last")
        return None
    return first, last


def _read_answer(entry: Any, at: str, report: Callable[[str, str], None]) -> MockedAnswer | None:
    if not _object(entry, at, report):
        return None
    kinds = [k for k in ("Return", "Throw") if k in entry]
    for key in entry:
        if key not in ("Return", "Throw"):
            report(_pointer_join(at, key), f"unknown field {key!r} (an entry has Return or Throw)")
    if len(kinds) != 1:
        report(at, "an entry needs exactly one of Return (the service's response) or Throw ({Error, Cause})")
        return None
    if kinds[0] == "Return":
        return MockedAnswer(value=entry["Return"])
    return _read_throw(entry["Throw"], _pointer_join(at, "Throw"), report)


def _read_throw(throw: Any, at: str, report: Callable[[str, str], None]) -> MockedAnswer | None:
    if not _object(throw, at, report):
        return None
    ok = True
    for key in throw:
        if key not in ("Error", "Cause"):
            report(_pointer_join(at, key), f"unknown field {key!r} (Throw has Error and Cause)")
            ok = False
    error, cause = throw.get("Error"), throw.get("Cause")
    if not isinstance(error, str):
        report(_pointer_join(at, "Error"), f"Error must be the error name as a string, got {_kind(error)}")
        ok = False
    if cause is not None and not isinstance(cause, str):
        report(_pointer_join(at, "Cause"), f"Cause must be a string, got {_kind(cause)}")
        ok = False
    return MockedAnswer(error=error, cause=cause) if ok else None


def _report_overlaps(entries: list[tuple[int, int, MockedAnswer, str]], name: str,
                     report: Callable[[str, str], None]) -> None:
    ordered = sorted(entries, key=lambda e: (e[0], e[1]))
    for before, after in zip(ordered, ordered[1:]):
        if after[0] <= before[1]:
            report(_pointer("MockedResponses", name, after[3]),
                   f"key {after[3]!r} overlaps key {before[3]!r}: each invocation needs exactly one entry")


# -- small helpers --------------------------------------------------------------------------------
def _object(value: Any, at: str, report: Callable[[str, str], None]) -> bool:
    if isinstance(value, Mapping):
        return True
    report(at, f"expected a JSON object, got {_kind(value)}")
    return False


def _collected(problems: list[tuple[str, str]], source: str, locate: Locate) -> MockConfigError:
    return MockConfigError([_problem(pointer, message, source, locate) for pointer, message in problems])


def _problem(pointer: str, message: str, source: str, locate: Locate) -> Problem:
    position = locate(pointer)
    line, column = position if position is not None else (None, None)
    return Problem(pointer, message, line, column, source)


def _pointer(*tokens: str) -> str:
    """An RFC 6901 JSON pointer."""
    return "".join("/" + str(t).replace("~", "~0").replace("/", "~1") for t in tokens)


def _pointer_join(base: str, token: str) -> str:
    return base + _pointer(token)


def _kind(value: Any) -> str:
    if isinstance(value, str):
        return f"a string ({json.dumps(value)})"
    return described_type(value)


def _names(mapping: Mapping[str, Any]) -> str:
    return ", ".join(repr(name) for name in mapping) or "none"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


__all__ = ["MockConfig", "MockConfigError", "MockedTestCase", "MockedResponse", "MockedAnswer"]
