"""Judging one case: the actual run against the recording, by the corpus README's rules.

A case passes when

1. the status equals the recorded status;
2. for ``SUCCEEDED`` the output matches, otherwise the error name is exactly the recorded one;
3. the sequence of event types equals the recorded one (Parallel branch events that the recording
   sorted are compared as a multiset, see :func:`normalise_parallel_events`);

with placeholders as wildcards (:mod:`.placeholders`). The cause and the event details are judged
and reported too, but separately: they do not decide the pass, as the README prescribes.
A case that could not be run has a ``problem`` and fails with it as its reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sfnsim.conformance.placeholders import Matcher

# What the recording did to Parallel branches (LocalStack's order-normalising snapshot
# transformer): after each ParallelStateStarted, the following events get id [0] and
# previousEventId 0; at the next Parallel closing event the run since the *latest* start is
# replaced by its sorted copy. Because that replacement reuses a stale slice when two closing
# events follow each other, nested Parallel states lose events in the recording. To compare like
# with like, the actual history goes through the same steps.
_PARALLEL_CLOSERS = frozenset(
    {"ParallelStateSucceeded", "ParallelStateAborted", "ParallelStateExited", "ParallelStateFailed"}
)
_NORMALISED_ID = [0]

# Marks a check that does not apply (nothing recorded to compare with).
_NOT_JUDGED: Any = object()


def normalise_parallel_events(events: list[dict]) -> list[dict]:
    """Apply the recording's Parallel normalisation to an actual history (a new list)."""
    events = [dict(e) for e in events]
    start: int | None = None
    sublist: list[dict] = []
    in_sublist = False
    index = 0
    # A while loop over the live list on purpose: the replacement may shorten the list, and the
    # recording's loop then skipped the event that slid into the current position.
    while index < len(events):
        event = events[index]
        event_type = event.get("type")
        if event_type is None:
            in_sublist = False
        elif event_type in _PARALLEL_CLOSERS:
            events[start:index] = list(sublist)
            in_sublist = False
        elif event_type == "ParallelStateStarted":
            in_sublist = True
            sublist = []
            start = index + 1
        elif in_sublist:
            event["id"] = list(_NORMALISED_ID)
            event["previousEventId"] = 0
            sublist.append(event)
        index += 1
    return events


def _segments(events: list[dict], normalised: bool) -> list[list[dict]]:
    """Events as comparison units: one event each, or a run of sorted (normalised) events."""
    segments: list[list[dict]] = []
    for event in events:
        bag = normalised and event.get("id") == _NORMALISED_ID
        if bag and segments and segments[-1][0].get("id") == _NORMALISED_ID:
            segments[-1].append(event)
        else:
            segments.append([event])
    return segments


def _types(events: list[dict]) -> list[str]:
    return [str(e.get("type")) for e in events]


def event_types_mismatch(expected: list[dict], actual: list[dict], normalised: bool) -> str | None:
    """Rule 3: the type sequence, with sorted Parallel runs compared as multisets."""
    if normalised:
        actual = normalise_parallel_events(actual)
    want, got = _segments(expected, normalised), _segments(actual, normalised)
    for w, g in zip(want, got):
        if sorted(_types(w)) != sorted(_types(g)):
            return (f"expected {'/'.join(sorted(_types(w)))} where we emit "
                    f"{'/'.join(sorted(_types(g)))} (event #{_first_id(w)})")
    if len(want) != len(got):
        if len(want) > len(got):
            missing = _types([e for s in want[len(got):] for e in s])
            return f"history ends early: missing {', '.join(missing[:3])}{'…' if len(missing) > 3 else ''}"
        extra = _types([e for s in got[len(want):] for e in s])
        return f"history goes on: extra {', '.join(extra[:3])}{'…' if len(extra) > 3 else ''}"
    return None


def _first_id(segment: list[dict]) -> Any:
    return segment[0].get("id")


def event_details_mismatch(
    matcher: Matcher, expected: list[dict], actual: list[dict], normalised: bool
) -> str | None:
    """Every recorded event, ids and details included, matches its actual counterpart."""
    if normalised:
        actual = normalise_parallel_events(actual)
    want, got = _segments(expected, normalised), _segments(actual, normalised)
    if len(want) != len(got):
        return f"{len(expected)} events recorded, {len(actual)} emitted"
    for w, g in zip(want, got):
        found = _bag_mismatch(matcher, w, g)
        if found:
            return found
    return None


def _bag_mismatch(matcher: Matcher, expected: list[dict], actual: list[dict]) -> str | None:
    if len(expected) != len(actual):
        return f"event #{_first_id(expected)}: {len(expected)} branch events recorded, {len(actual)} emitted"
    if len(expected) == 1:
        return matcher.mismatch(expected[0], _comparable(actual[0]), f"event #{_first_id(expected)}")
    remaining = [_comparable(e) for e in actual]
    for want in expected:
        hit = next((i for i, got in enumerate(remaining) if matcher.matches(want, got)), None)
        if hit is None:
            return f"branch event {want.get('type')} ({_first_id(expected)}): no emitted event matches"
        remaining.pop(hit)
    return None


def _comparable(event: dict) -> dict:
    """The recording dropped timestamps; so does the comparison."""
    return {k: v for k, v in event.items() if k != "timestamp"}


@dataclass
class CaseResult:
    """The verdict on one case; ``checks`` hold True/False, or None where nothing was recorded."""

    id: str
    features: list[str]
    passed: bool
    reason: str | None = None
    detail: str | None = None
    checks: dict[str, bool | None] = field(default_factory=dict)
    actual: dict = field(default_factory=dict)
    seconds: float = 0.0
    #: Where the cause and the event details differ, reported but not deciding the pass.
    disagreements: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "passed": self.passed,
            "reason": self.reason,
            "detail": self.detail,
            "checks": self.checks,
            "disagreements": self.disagreements,
            "features": self.features,
            "seconds": round(self.seconds, 4),
            "actual": self.actual,
        }


# How a problem text becomes a failure-group key: what varies from case to case (where in the
# definition, which line of a traceback's message) is dropped, what identifies the cause is kept.
_PROBLEM_GROUPS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^(internal error: \w+): .* \[(.*)\]$", re.DOTALL), r"\1 at \2"),
    (re.compile(r"^(definition rejected: .*?) \(at .*\)$", re.DOTALL), r"\1"),
    (re.compile(r"^(replay: state) '[^']*' (asked for a task result) .*", re.DOTALL), r"\1 … \2 that was not recorded"),
]


def _problem_group(problem: str) -> str:
    """A failure-group key for a problem text."""
    for pattern, replacement in _PROBLEM_GROUPS:
        if pattern.match(problem):
            problem = pattern.sub(replacement, problem)
            break
    first_line = problem.splitlines()[0] if problem else ""
    return first_line[:160]


def compare_case(case: dict, actual: dict, seconds: float = 0.0) -> CaseResult:
    """Judge ``actual`` (what :func:`run_case` returned) against the case's recording."""
    expected = case.get("expected") or {}
    matcher = Matcher(case.get("placeholders"))
    result = CaseResult(
        id=str(case.get("id")), features=list(case.get("features") or []), passed=False,
        actual=actual, seconds=seconds,
    )
    checks = result.checks
    problem = actual.get("problem")
    if problem and actual.get("status") is None:
        checks.update(status=False, result=False, events=None, cause=None, details=None)
        result.reason, result.detail = _problem_group(problem), problem
        return result

    checks["status"] = actual.get("status") == expected.get("status")
    result_detail = _result_mismatch(matcher, expected, actual)
    checks["result"] = result_detail is None
    cause_detail = _cause_mismatch(matcher, expected, actual)
    checks["cause"] = None if cause_detail is _NOT_JUDGED else cause_detail is None
    events_detail, details_detail = _events_mismatches(matcher, case, actual)
    checks["events"] = None if events_detail is _NOT_JUDGED else events_detail is None
    checks["details"] = None if details_detail is _NOT_JUDGED else details_detail is None
    result.disagreements = {
        name: text for name, text in (("cause", cause_detail), ("events", details_detail))
        if isinstance(text, str)
    }

    failure = (
        (problem and (_problem_group(problem), problem))
        or _first_failed_check(checks, expected, actual, result_detail, events_detail)
    )
    result.passed = failure is None
    if failure:
        result.reason, result.detail = failure
    return result


def _first_failed_check(
    checks: dict[str, bool | None], expected: dict, actual: dict,
    result_detail: str | None, events_detail: str | None,
) -> tuple[str, str | None] | None:
    """The reason of the first deciding check that failed, in the README's order."""
    if not checks["status"]:
        return (f"status: expected {expected.get('status')}, got {actual.get('status')}",
                _status_detail(actual))
    if not checks["result"]:
        return _result_reason(expected, actual, result_detail)
    if checks["events"] is False:
        # The event number goes to the detail only, so that equal differences group together.
        return f"event types: {re.sub(r' [(]event #[^)]*[)]', '', str(events_detail))}", events_detail
    return None


def _status_detail(actual: dict) -> str | None:
    if actual.get("error") is None:
        return None
    return f"{actual.get('error')}: {actual.get('cause')}"


def _result_mismatch(matcher: Matcher, expected: dict, actual: dict) -> str | None:
    if expected.get("status") == "SUCCEEDED":
        return matcher.mismatch(expected.get("output"), actual.get("output"))
    if expected.get("error") != actual.get("error"):
        return f"error: expected {expected.get('error')!r}, got {actual.get('error')!r}"
    return None


def _result_reason(expected: dict, actual: dict, detail: str | None) -> tuple[str, str | None]:
    if expected.get("status") == "SUCCEEDED":
        return "output differs", detail
    return (f"error: expected {expected.get('error')!r}, got {actual.get('error')!r}",
            f"cause: {actual.get('cause')}")


def _cause_mismatch(matcher: Matcher, expected: dict, actual: dict) -> Any:
    if expected.get("status") == "SUCCEEDED":
        return _NOT_JUDGED
    return matcher.cause_mismatch(expected.get("cause"), actual.get("cause"))


def _events_mismatches(matcher: Matcher, case: dict, actual: dict) -> tuple[Any, Any]:
    """(type-sequence difference, details difference); None where they agree."""
    recorded = case.get("events")
    if recorded is None:
        return _NOT_JUDGED, _NOT_JUDGED
    emitted = actual.get("events")
    if emitted is None:
        return "no history emitted", "no history emitted"
    normalised = bool((case.get("flags") or {}).get("events_parallel_normalised"))
    return (event_types_mismatch(recorded, emitted, normalised),
            event_details_mismatch(matcher, recorded, emitted, normalised))
