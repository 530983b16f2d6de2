"""Check results as terminal text, in the current language. Field names, state names and values
are printed as they are; only the sentences around them are translated."""

from __future__ import annotations

from typing import Any

from sfnsim.i18n import _, ngettext
from sfnsim.learn.catalog import Exercise
from sfnsim.learn.checking import CaseResult, CheckResult, Unmet
from sfnsim.learn.feedback import Difference
from sfnsim.walk.details import MISSING
from sfnsim.walk.narrate import pad_to
from sfnsim.walk.story import compact, pretty

PASS, FAIL = "✓", "✗"
LABEL_WIDTH = 11
CAUSE_LIMIT = 400  # an error's cause can quote a whole payload; the stage values above show it already


def headline(exercise: Exercise, passed: bool) -> str:
    return f"{PASS if passed else FAIL} {exercise.slug} · {exercise.title()}"


def render_result(result: CheckResult, file_label: str | None = None) -> str:
    """A passing exercise in one line; a failing one with its first failing case explained."""
    lines = [headline(result.exercise, result.passed)]
    if result.problem is not None:
        lines += ["", *_indent(result.problem.splitlines())]
    failure = result.first_failure
    if failure is not None:
        lines += ["", *_case_lines(failure)]
    if not result.passed:
        lines += ["", "  " + _next_steps(result.exercise, file_label)]
    return "\n".join(lines) + "\n"


def _next_steps(exercise: Exercise, file_label: str | None) -> str:
    target = file_label or exercise.file_name
    return _("Edit {file} and check again; `sfnsim learn hint {name}` gives a hint.").format(file=target,
                                                                                         name=exercise.slug)


def _case_lines(failure: CaseResult) -> list[str]:
    lines = ["  " + _("Case {name!r}, input {input}:").format(name=_(failure.case.name), input=_short(failure.case.input))]
    lines += ["    • " + describe_unmet(unmet) for unmet in failure.unmet]
    if failure.difference is not None:
        lines += ["", *_difference_lines(failure.difference)]
    return lines


def describe_unmet(unmet: Unmet) -> str:
    expected, actual = unmet.expected, unmet.actual
    if unmet.what == "status":
        return _("the execution ended {actual}; expected {expected}").format(actual=actual, expected=expected)
    if unmet.what == "error":
        return _("the execution's error is {actual}; expected {expected}").format(actual=actual, expected=expected)
    if unmet.what == "path":
        return _("states entered: {actual}; expected {expected}").format(actual=" → ".join(actual),
                                                                       expected=" → ".join(expected))
    if unmet.what == "output":
        return _("the execution output is {actual}; expected {expected}").format(actual=_short(actual),
                                                                               expected=_short(expected))
    if unmet.what == "calls":
        return _("{state} was called with {actual}; expected {expected}").format(
            state=unmet.state, actual=_short(actual), expected=_short(expected))
    if unmet.what == "attempts":
        return ngettext("{state} ran {actual} attempt; expected {expected}",
                        "{state} ran {actual} attempts; expected {expected}", actual).format(
            state=unmet.state, actual=actual, expected=expected)
    if unmet.what == "backoff":
        return _("{state} waited {actual} seconds before its retries; expected {expected}").format(
            state=unmet.state, actual=_short(actual), expected=_short(expected))
    if unmet.what == "events":
        return _("the history has {actual} {event} events; expected {expected}").format(
            actual=actual, event=unmet.state, expected=expected)
    return _("the execution took {actual} seconds of virtual time; expected {expected}").format(
        actual=f"{actual:g}", expected=expected)


def _difference_lines(difference: Difference) -> list[str]:
    where = difference.state
    if difference.trail:
        where = _("{state} (in {trail})").format(state=where, trail=" › ".join(difference.trail))
    stage = difference.stage
    if difference.stage_field:
        stage = _("{stage} (from {field}, which is as in the reference; {cause} differs)").format(
            stage=stage, field=difference.stage_field, cause=difference.field)
    elif difference.field:
        stage = _("{stage} (from {field})").format(stage=stage, field=difference.field)
    lines = ["  " + _("Where your run first differs from the reference solution:"),
             "    " + _("state {state} · stage {stage}").format(state=where, stage=stage)]
    lines += _value_lines(_("yours"), difference.yours, difference.your_error, difference.stage)
    lines += _value_lines(_("expected"), difference.expected, None, difference.stage)
    if difference.your_error is not None:
        cause = difference.your_error.get("cause") or ""
        lines.append("    " + _("Your state failed here with {error}: {cause}").format(
            error=difference.your_error.get("error"), cause=cause if len(cause) <= CAUSE_LIMIT else cause[:CAUSE_LIMIT] + "…"))
    if difference.choice is not None:
        lines += ["    " + _("How Choice {state} decided in your run:").format(state=difference.choice.name)]
        lines += ["      " + line for line in _choice_lines(difference.choice)]
    if difference.docs:
        lines += ["", "  " + _("Read about {field} in the AWS documentation: {url}").format(field=difference.field,
                                                                                       url=difference.docs)]
    return lines


def _value_lines(label: str, value: Any, error: dict[str, Any] | None, stage: str) -> list[str]:
    first = f"    {pad_to(label, LABEL_WIDTH)}"
    if value is MISSING:
        text = _("(the state failed before this stage)") if error else _("(nothing: the run ended here)")
        return [first + text]
    if stage == "next":
        return [first + _("→ {state}").format(state=value)]
    if stage == "waited" and isinstance(value, (int, float)):
        return [first + _("{seconds} seconds").format(seconds=f"{value:g}")]
    body = pretty(value, 88).splitlines()
    pad = " " * (4 + LABEL_WIDTH)
    return [first + body[0], *(pad + line for line in body[1:])]


def _choice_lines(step: Any) -> list[str]:
    lines: list[str] = []
    for check in step.choice:
        if check.is_default:
            lines.append(_("no rule matched, so Default → {state}").format(state=check.next))
            continue
        verdict = _("matched") if check.matched else _("did not match")
        lines.append(_("rule {index} (→ {state}) {verdict}").format(index=check.index, state=check.next,
                                                                    verdict=verdict))
        for comparison in check.comparisons:
            seen = _("nothing") if comparison.value is MISSING else compact(comparison.value)
            outcome = {True: "true", False: "false", None: "error"}[comparison.holds]
            lines.append(f"  {comparison.variable} = {seen}; {comparison.operator} {compact(comparison.operand)}"
                         f" → {outcome}")
    return lines


def _short(value: Any, limit: int = 160) -> str:
    text = compact(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _indent(lines: list[str]) -> list[str]:
    return ["  " + line for line in lines]


def render_hints(exercise: Exercise, shown: int) -> str:
    hints = exercise.hints()
    lines = [f"{exercise.slug} · {exercise.title()}", "", exercise.goal(), ""]
    for number, hint in enumerate(hints[:shown], start=1):
        lines.append(_("Hint {number} of {total}: {hint}").format(number=number, total=len(hints), hint=hint))
    if shown < len(hints):
        lines += ["", _("Run the same command again for a stronger hint.")]
    else:
        lines += ["", _("That was the last hint: it says what to write.")]
    return "\n".join(lines) + "\n"


def render_list(rows: list[tuple[Exercise, bool]]) -> str:
    done = sum(1 for _exercise, passed in rows if passed)
    lines = [headline(exercise, passed) for exercise, passed in rows]
    lines += ["", _("{done} of {total} exercises done.").format(done=done, total=len(rows))]
    return "\n".join(lines) + "\n"


# -- for machines (--json) ---------------------------------------------------------------------------
def result_json(result: CheckResult) -> dict[str, Any]:
    """One exercise's verdict as JSON: every case, its unmet expectations and the first difference."""
    return {
        "name": result.exercise.slug, "title": result.exercise.title(), "passed": result.passed,
        "problem": result.problem,
        "cases": [{"name": case.case.name, "passed": case.passed,
                   "unmet": [{"what": u.what, "state": u.state, "expected": u.expected, "actual": u.actual}
                             for u in case.unmet],
                   "difference": None if case.difference is None else _difference_json(case.difference)}
                  for case in result.cases],
    }


def _difference_json(difference: Difference) -> dict[str, Any]:
    """``yours`` is null (and ``reached`` false) when the learner's run never got to the stage."""
    return {
        "state": difference.state, "trail": list(difference.trail), "stage": difference.stage,
        "field": difference.field, "stageField": difference.stage_field,
        "reached": difference.yours is not MISSING,
        "yours": None if difference.yours is MISSING else difference.yours,
        "expected": None if difference.expected is MISSING else difference.expected,
        "yourError": difference.your_error, "docs": difference.docs,
    }
