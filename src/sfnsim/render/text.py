"""Rich text for people: a run's path on the virtual clock, validation problems, replay verdicts.

rich is imported where it prints: a run's report written to a file or pipe needs none
(``plain_run``), and rich's import costs more than running a small machine."""

from __future__ import annotations

import json
import os
import re
from typing import TYPE_CHECKING, Any, Iterable

from sfnsim.errors import Problem
from sfnsim.history.steps import Step, StepTree, details_of, step_tree
from sfnsim.render.data import next_state, seconds_since, step_end, step_status

if TYPE_CHECKING:  # replay is only needed by `sfnsim replay`, not by every `sfnsim run`
    from rich.console import Console
    from rich.text import Text

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
    for call in run_prints(execution, title=title):
        call.to_console(console)


def plain_run(execution: Any, *, title: str, width: int) -> str | None:
    """What ``render_run`` prints to a console that is no terminal and ``width`` columns wide, made
    without importing rich (its import costs more than a small run); None when it cannot promise the
    same text (a line rich would wrap, an emoji code, a character rich may count as 0 or 2 columns)."""
    lines: list[str] = []
    for call in run_prints(execution, title=title):
        text = call.plain(width)
        if text is None:
            return None
        lines += text
    return "".join(line + "\n" for line in lines)


def plain_output_width(stream: Any) -> int | None:
    """The width rich's ``Console`` would give ``stream`` when it would not treat it as a terminal
    (so it writes no styles: ``plain_run`` applies); None when it would."""
    environ = os.environ
    if environ.get("TTY_COMPATIBLE") == "1" or environ.get("FORCE_COLOR") or environ.get("JUPYTER_COLUMNS"):
        return None
    isatty = getattr(stream, "isatty", None)
    try:
        if isatty is None or isatty():
            return None
    except ValueError:  # a closed stream: let rich say so
        return None
    columns = environ.get("COLUMNS")
    if columns is not None and columns.isdigit():
        return int(columns)
    for descriptor in (0, 1, 2):  # rich asks stdin, stdout, then stderr
        try:
            return os.get_terminal_size(descriptor)[0] or 80
        except (AttributeError, ValueError, OSError):
            continue
    return 80


Span = tuple[str, str]  # text and rich style ("" for none)
# Characters rich counts as one column: printable Latin (rich's single-cell range) and the
# punctuation these reports use.
_ONE_COLUMN_EXTRA = frozenset("—→…")
_EMOJI_CODE = re.compile(r":\S*:")  # what rich may replace in a plain str (":smile:"), to be safe


class PrintCall:
    """One ``console.print`` of a report, kept as plain data, so the same report can be printed
    by rich or written as plain text (``plain``) without importing rich.

    ``lines`` are joined with newlines into one rich Text (``joined``: as ``Text("\\n").join``,
    each line with its ``line_styles`` and after ``prefix``), or one Text of the spans, or, for
    ``raw``, a str printed with markup off (rich still replaces emoji codes in a str).

    A plain class, not a dataclass: building a dataclass costs about a millisecond at import."""

    __slots__ = ("lines", "style", "line_styles", "prefix", "joined", "soft_wrap", "raw")

    def __init__(self, lines: tuple[tuple[Span, ...], ...], style: str = "", *, line_styles: tuple[str, ...] = (),
                 prefix: str = "", joined: bool = False, soft_wrap: bool = False, raw: bool = False) -> None:
        self.lines = lines
        self.style = style
        self.line_styles = line_styles
        self.prefix = prefix
        self.joined = joined
        self.soft_wrap = soft_wrap
        self.raw = raw

    def to_console(self, console: Console) -> None:
        from rich.text import Text

        if self.raw:
            console.print(self.lines[0][0][0], soft_wrap=self.soft_wrap, markup=False)
            return
        texts = [Text.assemble(*spans, style=style) for spans, style in zip(self.lines, self._styles())]
        if not self.joined:
            console.print(texts[0], soft_wrap=self.soft_wrap)
            return
        if self.prefix:
            texts = [Text(self.prefix) + text for text in texts]
        console.print(Text("\n").join(texts), soft_wrap=self.soft_wrap)

    def _styles(self) -> tuple[str, ...]:
        return self.line_styles or (self.style,) * len(self.lines)

    def plain(self, width: int) -> list[str] | None:
        text = "\n".join(self.prefix + "".join(part for part, _ in spans) for spans in self.lines)
        if self.raw and _EMOJI_CODE.search(text):
            return None
        lines = text.split("\n")
        for line in lines:
            if not all(ch.isprintable() and (ch < "\u0300" or ch in _ONE_COLUMN_EXTRA) for ch in line):
                return None
            if len(line) >= width and (not self.soft_wrap or line[-1:].isspace()):
                return None  # rich would wrap it, or strip its trailing spaces
        return lines


def run_prints(execution: Any, *, title: str) -> list[PrintCall]:
    """The prints of ``render_run``: the headline, the path, child executions, the output or error."""
    tree = step_tree(execution.history)
    status = execution.status
    total = seconds_since(tree.start_time, tree.events[-1]) if tree.events else None
    start = tree.start_time
    started = start.strftime("%Y-%m-%dT%H:%M:%S.") + f"{start.microsecond // 1000:03d}Z" if start else "?"
    calls = [
        PrintCall(((("Execution ", "bold"), (status, STATUS_STYLES.get(status, "bold")),
                    (f" after {format_seconds(total)} of virtual time", "")),)),
        PrintCall((((f"{title} · started {started}", ""),),), style="dim"),
        _path_call(tree, soft_wrap=True),  # one print: fast for long paths
    ]
    _children_calls(calls, getattr(execution, "children", []))
    calls += _result_calls(execution)
    return calls


def _path_call(tree: StepTree, *, prefix: str = "", soft_wrap: bool) -> PrintCall:
    rows = path_rows(tree)
    return PrintCall(tuple(spans for spans, _ in rows), line_styles=tuple(style for _, style in rows),
                     prefix=prefix, joined=True, soft_wrap=soft_wrap)


def _children_calls(calls: list[PrintCall], children: list[Any], depth: int = 1) -> None:
    """The child executions (startExecution, Distributed Map) with their own paths, indented."""
    indent = "  " * depth
    for child in children:
        machine = child.state_machine_arn.rsplit(":", 1)[-1]
        calls.append(PrintCall((((f"{indent}child execution {machine}:{child.name} from {child.parent_state}: ", ""),
                                 (child.status, STATUS_STYLES.get(child.status, "bold"))),), soft_wrap=True))
        calls.append(_path_call(step_tree(child.history), prefix=indent + "  ", soft_wrap=True))
        _children_calls(calls, child.children, depth + 1)


# One line of the path: (at, state, type, took, what happened, style of what happened).
_Row = tuple[str, str, str, str, str, str]
_HEADER: _Row = ("at", "state", "type", "took", "what happened", "bold")


def path_rows(tree: StepTree) -> list[tuple[tuple[Span, ...], str]]:
    """The path as aligned lines (a table without rich's Table, which costs start-up time): each
    line's spans and its style (the header's is bold)."""
    rows: list[_Row] = []
    for step in tree.roots:
        _add_step(rows, step, tree, depth=0)
    widths = [max(len(row[i]) for row in [_HEADER, *rows]) for i in range(4)]
    lines = []
    for row in [_HEADER, *rows]:
        at, state, state_type, took, what, style = row
        cells = f"{at:>{widths[0]}}  {state:<{widths[1]}}  {state_type:<{widths[2]}}  {took:>{widths[3]}}  "
        lines.append((((cells, ""), (what, style)), "bold" if row is _HEADER else ""))
    return lines


def path_lines(tree: StepTree) -> list[Text]:
    """The path as rich Text lines."""
    from rich.text import Text

    return [Text.assemble(*spans, style=style) for spans, style in path_rows(tree)]


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
    for call in _result_calls(execution):
        call.to_console(console)


def _result_calls(execution: Any) -> list[PrintCall]:
    status = execution.status
    if status == "SUCCEEDED":
        return [PrintCall(((("Output:", ""),),), style="bold"),
                PrintCall((((json_text(execution.output), ""),),), soft_wrap=True, raw=True)]
    if status == "RUNNING":
        tokens = ", ".join(execution.pending_tokens) or "none"
        return [PrintCall((((f"Still RUNNING: waiting on task token(s) {tokens} (no timeout to end it)", ""),),),
                          style="yellow")]
    calls = []
    if status == "TIMED_OUT" and execution.error is None:
        calls.append(PrintCall(((("The execution ran longer than the state machine's TimeoutSeconds.", ""),),),
                               style="red"))
    if execution.error is not None:
        calls.append(PrintCall(((("Error: ", "bold"), (execution.error, "red")),)))
    if execution.cause is not None:
        calls.append(PrintCall(((("Cause:", ""),),), style="bold"))
        calls.append(PrintCall((((_pretty_cause(execution.cause), ""),),), soft_wrap=True, raw=True))
    return calls


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
    from rich.text import Text

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
    from rich.text import Text

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


__all__ = ["format_seconds", "path_lines", "plain_output_width", "plain_run", "problem_line", "render_replay",
           "render_run", "render_validation"]
