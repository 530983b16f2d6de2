"""Rich text for people: a run's path on the virtual clock, validation problems, replay verdicts."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Iterable

from rich.console import Console
from rich.text import Text

from sfnsim.errors import Problem
from sfnsim.history.steps import Step, StepTree, details_of, step_tree
from sfnsim.render.data import next_state, seconds_since, step_end, step_status

if TYPE_CHECKING:  # replay is only needed by `sfnsim replay`, not by every `sfnsim run`
    from sfnsim.replay import ReplayResult

STATUS_STYLES = {
    "SUCCEEDED": "bold green", "FAILED": "bold red", "TIMED_OUT": "bold red", "ABORTED": "bold yellow",
    "RUNNING": "bold yellow",
}
_STEP_STYLES = {"succeeded": "green", "caught": "yellow", "failed": "red", "aborted": "yellow", "unfinished": "yellow"}
_CAUSE_LIMIT = 160


def format_seconds(seconds: float | None) -> str:
    """``0s``, ``1.25s``, ``2m 5s``, ``1h 2m 3s``, ``2d 3h 4m``: short, exact to the millisecond."""
    if seconds is None:
        return ""
    if seconds < 60:
        return f"{seconds:.3f}".rstrip("0").rstrip(".") + "s"
    whole = int(round(seconds))
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h {minutes}m"
    if hours:
        return f"{hours}h {minutes}m {secs}s"
    return f"{minutes}m {secs}s"


def shorten(text: str, limit: int = _CAUSE_LIMIT) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---------------------------------------------------------------------------------------------
# A run


def render_run(console: Console, execution: Any, *, title: str) -> None:
    """The path taken with virtual times, durations, attempts and errors; then the output or error."""
    tree = step_tree(execution.history)
    status = execution.status
    total = seconds_since(tree.start_time, tree.events[-1]) if tree.events else None
    start = tree.start_time
    started = start.strftime("%Y-%m-%dT%H:%M:%S.") + f"{start.microsecond // 1000:03d}Z" if start else "?"
    console.print(Text.assemble(("Execution ", "bold"), (status, STATUS_STYLES.get(status, "bold")),
                                f" after {format_seconds(total)} of virtual time"))
    console.print(Text(f"{title} · started {started}", style="dim"))
    console.print(Text("\n").join(path_lines(tree)), soft_wrap=True)  # one print: fast for long paths
    render_children(console, getattr(execution, "children", []))
    render_result(console, execution)


def render_children(console: Console, children: list[Any], depth: int = 1) -> None:
    """The child executions (startExecution, Distributed Map) with their own paths, indented."""
    indent = "  " * depth
    for child in children:
        machine = child.state_machine_arn.rsplit(":", 1)[-1]
        console.print(Text.assemble(f"{indent}child execution {machine}:{child.name} from {child.parent_state}: ",
                                    (child.status, STATUS_STYLES.get(child.status, "bold"))), soft_wrap=True)
        lines = path_lines(step_tree(child.history))
        console.print(Text("\n").join(Text(indent + "  ") + line for line in lines), soft_wrap=True)
        render_children(console, child.children, depth + 1)


# One line of the path: (at, state, type, took, what happened, style of what happened).
_Row = tuple[str, str, str, str, str, str]
_HEADER: _Row = ("at", "state", "type", "took", "what happened", "bold")


def path_lines(tree: StepTree) -> list[Text]:
    """The path as aligned lines (a table without rich's Table, which costs start-up time)."""
    rows: list[_Row] = []
    for step in tree.roots:
        _add_step(rows, step, tree, depth=0)
    widths = [max(len(row[i]) for row in [_HEADER, *rows]) for i in range(4)]
    lines = []
    for row in [_HEADER, *rows]:
        at, state, state_type, took, what, style = row
        header = row is _HEADER
        line = Text(style="bold" if header else "")
        line.append(f"{at:>{widths[0]}}  {state:<{widths[1]}}  {state_type:<{widths[2]}}  {took:>{widths[3]}}  ")
        line.append(what, style=style)
        lines.append(line)
    return lines


def _add_step(rows: list[_Row], step: Step, tree: StepTree, depth: int) -> None:
    start = tree.start_time
    entered = seconds_since(start, step.entered)
    ended = seconds_since(start, step_end(step, tree))
    took = ended - entered if entered is not None and ended is not None else None
    label = "  " * depth + (f"[{step.iteration}] " if step.iteration is not None else "") + step.name
    status = step_status(step)
    rows.append(("+" + format_seconds(entered), label, step.state_type, format_seconds(took),
                 _summary(step, tree), _STEP_STYLES.get(status, "")))
    if len(step.attempts) > 1 or (step.attempts and step.attempts[-1].outcome != "succeeded"):
        for number, attempt in enumerate(step.attempts, 1):
            style = "green" if attempt.outcome == "succeeded" else "yellow"
            rows.append(("+" + format_seconds(seconds_since(start, attempt.scheduled)), "", "",
                         format_seconds(attempt.seconds), "  " + _attempt_line(number, attempt), style))
    for child in step.children:
        _add_step(rows, child, tree, depth + 1)


def _summary(step: Step, tree: StepTree) -> str:
    status = step_status(step)
    following = next_state(step)
    if status == "failed":
        error, cause = _error_of(step, tree)
        return "failed" + (f": {error}" if error else "") + (f" — {shorten(cause)}" if cause else "")
    if status == "caught":
        error = step.attempts[-1].result.get("error") if step.attempts else step.error
        return f"caught {error or 'an error'}" + (f" → {following}" if following else "")
    if status == "aborted":
        return "stopped"
    if status == "unfinished":
        return "still running" if tree.status == "RUNNING" else f"cut short: execution {tree.status}"
    parts = []
    if len(step.attempts) > 1:
        parts.append(f"ok after {len(step.attempts)} attempts")
    if step.state_type == "Map":
        iterations = {c.iteration for c in step.children}
        parts.append(f"{len(iterations)} iteration{'s' if len(iterations) != 1 else ''}")
    if step.state_type == "Parallel":
        branches = {c.thread for c in step.children}
        parts.append(f"{len(branches)} branch{'es' if len(branches) != 1 else ''}")
    if step.state_type == "Choice" and following:
        parts.append(f"→ {following}")
    return ", ".join(parts) or "ok"


def _error_of(step: Step, tree: StepTree) -> tuple[str | None, str | None]:
    if step.error is not None:
        return step.error, step.cause
    if step.attempts and step.attempts[-1].result.get("error") is not None:
        result = step.attempts[-1].result
        return result.get("error"), result.get("cause")
    if step.state_type == "Fail" or not step.children:
        end = tree.end_event
        if end is not None:
            details = details_of(end)
            return details.get("error"), details.get("cause")
    return None, None


def _attempt_line(number: int, attempt: Any) -> str:
    outcome = attempt.outcome.replace("_", " ")
    result = attempt.result
    line = f"attempt {number} {outcome}"
    if result.get("error") is not None:
        line += f": {result['error']}"
    if result.get("cause"):
        line += f" — {shorten(result['cause'], 100)}"
    return line


def render_result(console: Console, execution: Any) -> None:
    status = execution.status
    if status == "SUCCEEDED":
        console.print(Text("Output:", style="bold"))
        console.print(json_text(execution.output), soft_wrap=True, markup=False)
        return
    if status == "RUNNING":
        tokens = ", ".join(execution.pending_tokens) or "none"
        console.print(Text(f"Still RUNNING: waiting on task token(s) {tokens} (no timeout to end it)", style="yellow"))
        return
    if status == "TIMED_OUT" and execution.error is None:
        console.print(Text("The execution ran longer than the state machine's TimeoutSeconds.", style="red"))
    if execution.error is not None:
        console.print(Text.assemble(("Error: ", "bold"), (execution.error, "red")))
    if execution.cause is not None:
        console.print(Text("Cause:", style="bold"))
        console.print(_pretty_cause(execution.cause), soft_wrap=True, markup=False)


def json_text(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


def _pretty_cause(cause: str) -> str:
    """A cause that is a JSON object (Lambda's errorMessage/errorType/stackTrace) shown indented."""
    try:
        parsed = json.loads(cause)
    except (json.JSONDecodeError, TypeError):
        return cause
    return json_text(parsed) if isinstance(parsed, (dict, list)) else cause


# ---------------------------------------------------------------------------------------------
# Validation problems


def problem_line(problem: Problem, fallback_source: str) -> str:
    """``file:line:col: message (at /json/pointer)``: the form editors and CI annotate."""
    where = problem.source or fallback_source
    if problem.line is not None:
        where += f":{problem.line}" + (f":{problem.column}" if problem.column is not None else "")
    pointer = problem.pointer or "/"
    return f"{where}: {problem.message} (at {pointer})"


def render_validation(console: Console, results: Iterable[tuple[str, list[Problem] | None, str | None]]) -> None:
    """Per file: OK, its problems, or why it could not be read."""
    for name, problems, unreadable in results:
        if unreadable is not None:
            console.print(Text.assemble((f"{name}: ", "bold"), ("cannot check: ", "red"), unreadable))
        elif problems:
            for problem in problems:
                console.print(Text(problem_line(problem, name), style="red"), soft_wrap=True)
        else:
            console.print(Text.assemble((f"{name}: ", "bold"), ("valid", "green")))


# ---------------------------------------------------------------------------------------------
# Replay verdicts


def render_replay(console: Console, result: ReplayResult) -> None:
    recorded, local = result.recorded, result.local
    events = f"{len(result.recording.events)} recorded events, {len(result.execution.history)} local"
    if result.reproduced:
        console.print(Text.assemble(("Reproduced: ", "bold green"),
                                    f"the local run matches the recording ({events}); outcome {local.describe()}"),
                      soft_wrap=True)
    else:
        console.print(Text.assemble(("Diverged: ", "bold red"), f"the local run differs from the recording ({events})"),
                      soft_wrap=True)
    if result.divergence is not None:
        console.print(Text.assemble(("First divergence at ", "bold"), result.divergence.describe()), soft_wrap=True)
    if result.outcome_changed:
        console.print(Text.assemble(("Outcome changed: ", "bold"), recorded.describe(), " → ",
                                    (local.describe(), STATUS_STYLES.get(local.status, ""))), soft_wrap=True)
    elif not result.reproduced:
        console.print(Text.assemble(("Outcome unchanged: ", "bold"), local.describe()), soft_wrap=True)
    for message in getattr(result, "known_differences", ()):
        console.print(Text.assemble(("Known difference: ", "bold"), message), soft_wrap=True)
    for message in result.unanswered:
        console.print(Text.assemble(("Unanswered task: ", "bold yellow"), message), soft_wrap=True)
    if result.unused:
        states = ", ".join(dict.fromkeys(f'"{r.state}"' for r in result.unused))
        console.print(Text(f"{len(result.unused)} recorded task attempt(s) were not asked for (states {states})",
                           style="yellow"), soft_wrap=True)


__all__ = ["format_seconds", "path_lines", "problem_line", "render_replay", "render_run", "render_validation"]
