"""Failure messages for the trace assertions: what was expected against what happened, the state
that failed (its input, error and cause) and the part of the history that matters, written to be
read in a CI log. The views they describe are in :mod:`sfnsim.history.trace`.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from sfnsim.history.steps import details_of, event_id as _event_id

if TYPE_CHECKING:
    from sfnsim.history.trace import StateView, Trace, Visit

# Detail fields worth a glance in a history excerpt, in the order they are shown.
_SHOWN_FIELDS = ("index", "length", "input", "parameters", "output", "error", "cause")
_EXCERPT_HEAD, _EXCERPT_TAIL = 8, 16


def not_exited(trace: "Trace", visit: "Visit") -> str:
    how = f"it failed with error={visit.error!r}" if visit.error else "it is still running or was stopped"
    lines = [f"state {visit.name!r} (visit {visit.number}) has no output: it never exited ({how})"]
    return "\n".join(lines + _outcome_lines(trace) + _excerpt(trace, _events_around(trace, [visit])))

def never_entered(trace: "Trace", name: str) -> str:
    entered = ", ".join(dict.fromkeys(trace.path)) or "(none)"
    lines = [f"state {name!r} was never entered", f"states entered: {entered}"]
    return "\n".join(lines + _outcome_lines(trace) + _excerpt(trace, _tail(trace, 8)))

def unknown_state(trace: "Trace", name: str) -> str:
    known = ", ".join(trace.known_states or ()) or "(none)"
    import difflib  # only to word a failed assertion

    close = difflib.get_close_matches(name, list(trace.known_states or ()), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"the state machine has no state named {name!r}{hint}\nits states: {known}"

def state_problem(trace: "Trace", view: "StateView", headline: str) -> str:
    lines = [headline]
    if view.visits:
        lines += _attempt_lines(view, trace.start_time)
    lines += _outcome_lines(trace)
    events = _events_around(trace, view.visits) if view.visits else _tail(trace, 8)
    return "\n".join(lines + _excerpt(trace, events))

def execution_problem(trace: "Trace", headline: str, details: Sequence[str] = ()) -> str:
    """A headline, specifics, how the execution ended, and the history around where it ended."""
    lines = [headline, *details, *_outcome_lines(trace)]
    focus = _focus(trace)
    events = _events_around(trace, focus) if focus else _tail(trace, 10)
    return "\n".join(lines + _excerpt(trace, events))

def path_problem(trace: "Trace", expected: Sequence[str]) -> str:
    actual = trace.path
    first = _first_difference(list(expected), actual)
    lines = [f"execution path differs from the expected one at step {first + 1}:"]
    lines += _path_table(list(expected), actual, first)
    if trace.known_states is not None:
        unknown = [name for name in dict.fromkeys(expected) if name not in trace.known_states]
        if unknown:
            lines.append(f"(not states of this machine: {', '.join(map(repr, unknown))})")
    lines += _outcome_lines(trace)
    start = trace.visits[max(first - 1, 0)].entered if trace.visits else None
    events = [e for e in trace.events if start is not None and _event_id(e) >= _event_id(start)]
    focus = _focus(trace)
    if focus and any(visit.entered not in events for visit in focus):
        events = _events_around(trace, focus)
    return "\n".join(lines + _excerpt(trace, events or _tail(trace, 10)))

def _outcome_lines(trace: "Trace") -> list[str]:
    status = trace.status
    if status == "SUCCEEDED":
        return [f"execution: SUCCEEDED, output: {shortened(details_of(trace.tree.end_event or {}).get('output'), 300)}"]
    if status == "RUNNING":
        return ["execution: RUNNING (waiting on a callback, or not finished)"]
    error, cause = trace.execution_failure()
    lines: list[str] = []
    origin = trace.origin_visit()
    if origin is not None:  # the root failure first: it is what the reader has to fix
        lines += _visit_lines("root failure:", origin, trace.start_time, (None, None), caught=True)
    lines += [f"execution: {status}", *([f"  error: {error}"] if error else []), *_cause_lines(cause)]
    failed = trace.failed_visit()
    if failed is not None:
        lines += _visit_lines("failing state:", failed, trace.start_time, (error, cause))
    return lines

def _focus(trace: "Trace") -> list["Visit"]:
    return [visit for visit in (trace.origin_visit(), trace.failed_visit()) if visit is not None]

def _events_around(trace: "Trace", visits: Iterable["Visit"]) -> list[dict[str, Any]]:
    """The visits' own events, the event each was entered from, and the events on the way out
    (enclosing Parallel/Map states ending, the execution ending)."""
    wanted: set[int] = set()
    for visit in visits:
        ids = [_event_id(e) for e in visit.events]
        wanted.update(ids)
        wanted.add(visit.entered.get("previousEventId") or 0)
        step = visit.step.parent
        while step is not None:
            wanted.update(_event_id(e) for e in step.events if _event_id(e) > min(ids))
            step = step.parent
    end = trace.tree.end_event
    if end is not None:
        wanted.add(_event_id(end))
    return [e for e in trace.events if _event_id(e) in wanted]

def _tail(trace: "Trace", count: int) -> list[dict[str, Any]]:
    return trace.events[-count:]

def _excerpt(trace: "Trace", events: list[dict[str, Any]]) -> list[str]:
    if not events:
        return []
    total = len(trace.events)
    lines = [f"history (events #{_event_id(events[0])} to #{_event_id(events[-1])} of {total}):"]
    shown = events
    if len(events) > _EXCERPT_HEAD + _EXCERPT_TAIL:
        shown = events[:_EXCERPT_HEAD] + [None] + events[-_EXCERPT_TAIL:]  # type: ignore[list-item]
    owners = trace.owner_names()
    names = [_event_state(e, owners.get(_event_id(e), "")) for e in shown if e is not None]
    width = min(max([8, *map(len, names)]), 30)
    previous_id = None
    for event in shown:
        if event is None:
            lines.append(f"  ... {len(events) - _EXCERPT_HEAD - _EXCERPT_TAIL} more events ...")
            previous_id = None
            continue
        if previous_id is not None and _event_id(event) > previous_id + 1:
            lines.append("  ...")
        lines.append(event_line(event, trace.start_time, owners.get(_event_id(event), ""), width))
        previous_id = _event_id(event)
    return lines


# ---------------------------------------------------------------------------------------------
# Formatting


def event_line(event: dict[str, Any], start: Any, owner: str = "", name_width: int = 18) -> str:
    """One history event on one line: id, time since the start, type, state, the telling fields.

    ``owner`` names the state an event belongs to when the event does not name it itself.
    """
    details = details_of(event)
    name = _event_state(event, owner)
    fields = []
    for key in _SHOWN_FIELDS:
        if key in details and not (key in ("error", "cause") and not details[key]):
            value = details[key]
            if key == "output" and _is_lambda_response(value):
                key, value = "Payload", value["Payload"]  # the function's result, not the HTTP envelope
            fields.append(f"{key}={shortened(value, 100)}")
    return (f"  #{_event_id(event):<4} {_elapsed(event.get('timestamp'), start):>12}  "
            f"{event['type']:<26} {name:<{name_width}} {' '.join(fields)}").rstrip()


def _event_state(event: dict[str, Any], owner: str) -> str:
    if event["type"].endswith(("StateEntered", "StateExited")):
        return str(details_of(event).get("name", ""))
    return owner


def _visit_lines(title: str, visit: "Visit", start: Any, execution_failure: tuple[str | None, str | None],
                 caught: bool = False) -> list[str]:
    """A visit's input, and its error and cause unless they are the execution's (shown already)."""
    how = ", passed on by a Catch" if caught else ""
    lines = [f"{title} {visit.name!r} ({visit.state_type}), entered at event #{visit.entered.get('id')} "
             f"({_elapsed(visit.entered_at, start)}){how}",
             f"  input: {shortened(visit.input, 400)}"]
    error, cause = visit.error, visit.cause
    if error is not None and error != execution_failure[0]:
        lines.append(f"  error: {error}")
    if cause and cause != execution_failure[1]:
        lines += _cause_lines(cause)
    if len(visit.attempts) > 1 or (caught and visit.attempts):
        outcomes = ", ".join(a["error"] or a["outcome"] for a in visit.attempts)
        lines.append(f"  attempts: {len(visit.attempts)} ({outcomes})")
    return lines


def _cause_lines(cause: str | None) -> list[str]:
    """A cause as text; Lambda's JSON causes as ``errorType: errorMessage`` and the stack trace."""
    if not cause:
        return []
    try:
        parsed = json.loads(cause)
    except ValueError:
        parsed = None
    if not (isinstance(parsed, dict) and "errorMessage" in parsed):
        return [f"  cause: {shortened(cause, 400)}"]
    lines = [f"  cause: {parsed.get('errorType', 'Error')}: {shortened(parsed['errorMessage'], 300)}  (Lambda error JSON)"]
    frames = parsed.get("stackTrace")
    for frame in frames[-6:] if isinstance(frames, list) else ():
        lines += [f"         {line}" for line in str(frame).rstrip("\n").splitlines()]
    return lines


def _attempt_lines(view: "StateView", start: Any) -> list[str]:
    attempts = view.attempts
    if not attempts:
        return [f"visits: {len(view.visits)} (no task attempts)"]
    lines = ["attempts:"]
    several = len(view.visits) > 1
    for attempt in attempts:
        where = f"visit {attempt['visit']} " if several else ""
        problem = f"  {attempt['error']}" if attempt["error"] else ""
        cause = f": {shortened(attempt['cause'], 120)}" if attempt["cause"] else ""
        lines.append(f"  {where}#{attempt['number']}  {_elapsed(attempt['timestamp'], start):>12}  "
                     f"{attempt['outcome']}{problem}{cause}")
    return lines


def _path_table(expected: list[str], actual: list[str], first: int) -> list[str]:
    """Expected and actual paths side by side, from a little before the first difference."""
    width = max([len("expected"), *(len(name) for name in expected)]) + 2
    lines = [f"       {'expected':<{width}}actual"]
    low, high = max(first - 3, 0), min(max(len(expected), len(actual)), first + 8)
    if low > 0:
        lines.append(f"       ... {low} matching steps ...")
    for index in range(low, high):
        left = expected[index] if index < len(expected) else "(end)"
        right = actual[index] if index < len(actual) else "(end)"
        marker = ">" if index == first else " "
        lines.append(f"  {marker}{index + 1:>3}  {left:<{width}}{right}")
    remaining = max(len(expected), len(actual)) - high
    if remaining > 0:
        lines.append(f"       ... {remaining} more steps ...")
    return lines


def _first_difference(expected: list[str], actual: list[str]) -> int:
    for index, (want, got) in enumerate(zip(expected, actual)):
        if want != got:
            return index
    return min(len(expected), len(actual))


def output_difference(expected: Any, actual: Any) -> list[str]:
    return [f"  expected output: {shortened(expected, 600)}", f"  actual output:   {shortened(actual, 600)}"]


def wanted_failure(error: str | None, cause: Any) -> str:
    parts = []
    if error is not None:
        parts.append(f"error={error!r}")
    if cause is not None:
        parts.append(f"cause {describe_cause(cause)}")
    return f" with {', '.join(parts)}" if parts else ""


def describe_cause(cause: Any) -> str:
    if isinstance(cause, re.Pattern):
        return f"matching re.compile({cause.pattern!r})"
    return repr(cause)


def _is_lambda_response(value: Any) -> bool:
    return isinstance(value, dict) and "Payload" in value and "StatusCode" in value


def shortened(value: Any, limit: int) -> str:
    """Compact JSON (strings as they are), cut to ``limit`` characters."""
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"), ensure_ascii=False,
                                                             default=str)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text)} chars)"


def _elapsed(moment: Any, start: Any) -> str:
    """``+0:00:06.000``: virtual time since the execution started."""
    if not isinstance(moment, datetime) or not isinstance(start, datetime):
        return str(moment or "")
    seconds = (moment - start).total_seconds()
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"+{int(hours)}:{int(minutes):02d}:{seconds:06.3f}"


def ended(status: str) -> str:
    return {"RUNNING": "it is still RUNNING (waiting on a callback? see ex.pending_tokens)",
            "ABORTED": "it was ABORTED"}.get(status, f"it {status}")
