"""What a walkthrough says at each stop, independent of how it is printed.

``tell(block)`` turns one ``Block`` into a list of items (a heading, sentences, labelled JSON
values); the text and Markdown renderers only lay those items out. Stage labels are AWS's
TestState inspection names (``afterInputPath``, ``afterParameters``, ``result``,
``afterResultSelector``, ``afterResultPath``, ``variables``, ``errorDetails``), so a learner
meets the words AWS's console and API use.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable

from sfnsim.i18n import N_, _, ngettext
from sfnsim.walk.details import MISSING, RetryStep, RuleCheck
from sfnsim.walk.walkthrough import Block, Stage, Step, Walkthrough


@dataclass(frozen=True)
class Heading:
    number: int
    name: str
    state_type: str
    trail: tuple[str, ...]
    when: str
    part: str  # "state" | "enter" | "leave"


@dataclass(frozen=True)
class Text:
    """Prose. Backquotes mark code in the fixed wording and in Comments; values written into a
    sentence are marked with ``c()`` so that a backquote inside a value cannot end the code."""

    text: str
    bullet: bool = False  # one point of a list (a Choice rule's tests)

    def segments(self) -> list[tuple[str, bool]]:
        """``(text, is_code)`` pieces."""
        pieces: list[tuple[str, bool]] = []
        for position, part in enumerate(self.text.split(_OPEN)):
            if position:
                value, _, part = part.partition(_CLOSE)
                pieces.append((value, True))
            for inner, plain in enumerate(part.split("`")):
                if plain:
                    pieces.append((plain, inner % 2 == 1))
        return pieces


_OPEN, _CLOSE = "\ue000", "\ue001"


def c(value: Any) -> str:
    """``value`` as code inside a sentence."""
    text = value if isinstance(value, str) else compact(value)
    return _OPEN + text.replace(_OPEN, "").replace(_CLOSE, "") + _CLOSE


@dataclass(frozen=True)
class Value:
    label: str  # an inspection name (afterParameters) or a short description
    value: Any
    field: str | None = None  # the ASL field that made it
    expression: Any = MISSING  # that field's value, shown next to the result


@dataclass(frozen=True)
class Same:
    label: str
    reason: str


Item = Heading | Text | Value | Same

_ENTRY_KEYS = ("input", "afterInputPath", "afterParameters", "afterArguments")


def tell(block: Block) -> list[Item]:
    step = block.step
    items: list[Item] = [_heading(block)]
    if block.part != "leave" and isinstance(step.spec.get("Comment"), str):
        items.append(Text(step.spec["Comment"]))
    if block.part in ("state", "enter"):
        items.extend(_stage_items(step, entry=True))
        items.extend(_BEFORE_WORK.get(step.state_type, _nothing)(step))
    if block.part == "enter":
        return items
    if not step.finished:
        items.append(Text(_("{state} had not finished when this walkthrough was made (for example, a task "
                            "waiting for its callback).").format(state=c(step.name))))
        return items
    if block.part == "leave":
        items.append(Text(_back_in(step)))
    items.extend(_AFTER_WORK.get(step.state_type, _nothing)(step))
    items.extend(_retries(step))
    if step.catch is not None:
        items.extend(_caught(step))
    else:
        items.extend(_stage_items(step, entry=False))
        items.extend(_variables(step))
    if step.error is not None and step.catch is None:
        items.append(Value("errorDetails", step.error))
        items.append(Text(_("{state} failed with {error}; nothing caught it.").format(
            state=c(step.name), error=c(step.error.get("error")))))
    elif step.catch is None:
        items.append(Text(_way_out(step)))
    return items


def tell_opening(walkthrough: Walkthrough) -> list[Item]:
    items: list[Item] = []
    if walkthrough.comment:
        items.append(Text(walkthrough.comment))
    items.append(Value(_("execution input"), walkthrough.input))
    if not walkthrough.inspected:
        items.append(Text(_("This execution was not run with inspection, so only each state's input and output "
                            "are shown (run it with inspect=True for every data-flow stage).")))
    return items


def tell_ending(walkthrough: Walkthrough) -> list[Item]:
    ended = walkthrough.ended_offset
    if ended is None:
        ending = _("The execution ended {status}.").format(status=walkthrough.status)
    else:
        ending = _("The execution ended {status} after {duration} of virtual time.").format(
            status=walkthrough.status, duration=format_seconds(ended))
    items: list[Item] = [Text(ending)]
    if walkthrough.status == "SUCCEEDED":
        items.append(Value(_("execution output"), walkthrough.output))
    elif walkthrough.error is not None or walkthrough.cause is not None:
        items.append(Value(_("error"), {k: v for k, v in (("error", walkthrough.error), ("cause", walkthrough.cause))
                                        if v is not None}))
    path = " → ".join(s.name for s in walkthrough.all_steps())
    if path:
        items.append(Text(_("States entered, in order: {path}.").format(path=path)))
    return items


# -- headings and times -------------------------------------------------------------------------------
def _heading(block: Block) -> Heading:
    step = block.step
    when = f"+{format_seconds(step.entered_offset)}"
    if block.part == "leave" and step.exited_offset is not None:
        when = f"+{format_seconds(step.exited_offset)}"
    return Heading(step.number, step.name, step.state_type, tuple(step.trail), when, block.part)


def format_seconds(seconds: float) -> str:
    """``3725`` → ``1h 2m 5s``; fractions of a second are kept (``2.5s``)."""
    whole = int(seconds)
    fraction = seconds - whole
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    tail = f"{secs + fraction:g}s" if fraction else f"{secs}s"
    parts = [f"{hours}h" if hours else "", f"{minutes}m" if minutes else "", tail if (secs or fraction) else ""]
    text = " ".join(p for p in parts if p)
    return text or "0s"


# -- data-flow stages ---------------------------------------------------------------------------------
def _stage_items(step: Step, *, entry: bool) -> list[Item]:
    items: list[Item] = []
    for stage in step.stages:
        if (stage.key in _ENTRY_KEYS) != entry or stage.key == "variables":
            continue
        items.append(_stage_item(step, stage))
    recorded_output = any(s.key in ("afterOutputPath", "output") for s in step.stages)
    if not entry and not recorded_output and step.error is None:
        # A JSONata Choice records no stage: its output is its input, or the matched rule's Output.
        key = "output" if step.jsonata else "afterOutputPath"
        items.append(Same(key, _("the state input goes on")) if step.output == step.visit.input
                     else Value(key, step.output))
    return items


def _stage_item(step: Step, stage: Stage) -> Item:
    if stage.key == "input":
        return _input_item(step, stage.value)
    if stage.key == "result" and step.state_type == "Pass" and not stage.is_set and not step.jsonata:
        return Same("result", _("the effective input: a Pass state without `Result` passes it on"))
    if stage.key == "result":
        return Value("result", stage.value, stage.field, stage.expression if stage.is_set else MISSING)
    if not stage.is_set and not stage.changed:
        return Same(stage.key, _(_UNSET_REASONS.get(stage.key, N_("unchanged"))))
    return Value(stage.key, stage.value, stage.field, stage.expression)


def _input_item(step: Step, value: Any) -> Item:
    """The state input, unless the reader has just seen it as the previous state's output."""
    before = step.previous
    if before is not None and before.error is None and before.output == value:
        return Same("input", _("the output of {state}").format(state=c(before.name)))
    if before is None and step.parent is None:
        return Same("input", _("the execution input"))
    if before is None and step.parent is not None and step.parent.branch_input == value:
        return Same("input", _("the input of {state}'s branches").format(state=c(step.parent.name)))
    return Value("input", value)


_UNSET_REASONS = {
    "afterInputPath": N_("no `InputPath`: the whole input goes on"),
    "afterParameters": N_("no `Parameters`: unchanged"),
    "afterArguments": N_("no `Arguments`: the input goes on"),
    "afterResultSelector": N_("no `ResultSelector`: the result goes on"),
    "afterResultPath": N_("no `ResultPath`: the result replaces the input (`ResultPath` defaults to `$`)"),
    "afterOutputPath": N_("no `OutputPath`: the whole of it is the output"),
    "output": N_("no `Output`: unchanged"),
}


def _variables(step: Step) -> list[Item]:
    if not step.assigned:
        return []
    names = ", ".join(c(f"${name}") for name in step.assigned)
    return [
        Value("variables", step.assigned, "Assign", step.spec.get("Assign", MISSING)),
        Text(_("`Assign` sets {names}; the new values are visible from the next state on.").format(names=names)),
        Value(_("variables before"), step.variables_before),
        Value(_("variables after"), step.variables_after),
    ]


# -- what each state type does between its input and its output --------------------------------------
def _nothing(_step: Step) -> list[Item]:
    return []


def _task_before(step: Step) -> list[Item]:
    resource = step.spec.get("Resource", "?")
    return [Text(_("Calls {resource} with the effective input.").format(resource=c(resource)))]


def _wait_after(step: Step) -> list[Item]:
    field = next((f for f in ("Seconds", "SecondsPath", "Timestamp", "TimestampPath") if f in step.spec), None)
    how = f" ({c(field)}: {c(step.spec[field])})" if field else ""
    waited = _("an unknown time") if step.duration is None else format_seconds(step.duration)
    return [Text(_("Waits {duration} of virtual time{how}; no real time passes.").format(duration=waited, how=how))]


def _choice_after(step: Step) -> list[Item]:
    items: list[Item] = []
    for check in step.choice:
        items.extend(_rule_items(check))
    if not step.choice and step.error is None:
        items.append(Text(_("No rule details were recorded for this visit.")))
    return items


def _rule_items(check: RuleCheck) -> list[Item]:
    if check.is_default:
        return [Text(_("No rule matched, so `Default` sends the execution to {state}.").format(state=c(check.next)))]
    if check.matched:
        verdict = _("Rule {index} (→ {state}) matched.")
    else:
        verdict = _("Rule {index} (→ {state}) did not match.")
    items: list[Item] = [Text(verdict.format(index=check.index, state=c(check.next)))]
    if check.condition is not None:
        items.append(Text(_("`Condition`: {condition} was {value}.").format(
            condition=c(check.condition), value="true" if check.matched else "false"), bullet=True))
    for comparison in check.comparisons:
        seen = (_("nothing (the path matched nothing)") if comparison.value is MISSING
                else c(compact(comparison.value)))
        operand = f"{c(compact(comparison.operand))}"
        if comparison.operand_is_path:
            resolved = _("nothing") if comparison.operand_value is MISSING else f"{c(compact(comparison.operand_value))}"
            operand = f"{c(comparison.operand)} = {resolved}"
        outcome = {True: "true", False: "false", None: _("an error")}[comparison.holds]
        items.append(Text(_("{variable} is {value}; {operator} {operand} → {outcome}.").format(
            variable=c(comparison.variable), value=seen, operator=c(comparison.operator), operand=operand,
            outcome=outcome), bullet=True))
    return items


def _map_before(step: Step) -> list[Item]:
    items: list[Item] = []
    if step.items is not MISSING:
        field = "Items" if step.jsonata else "ItemsPath"
        items.append(Value("afterItemsPath", step.items, field, step.spec.get(field, MISSING)))
    selector = "ItemSelector" if "ItemSelector" in step.spec else "Parameters" if "Parameters" in step.spec else None
    count = len(step.item_inputs)
    concurrency = step.spec.get("MaxConcurrency", 0)
    limit = _("all at once") if concurrency in (0, None) else _("at most {count} at a time").format(count=concurrency)
    items.append(Text(ngettext(
        "Runs its item processor once per item: {count} iteration, {limit} (`MaxConcurrency`: {concurrency}).",
        "Runs its item processor once per item: {count} iterations, {limit} (`MaxConcurrency`: {concurrency}).",
        count).format(count=count, limit=limit, concurrency=c(compact(concurrency)))))
    if step.item_inputs and selector is None and step.item_inputs == step.items:
        items.append(Same("afterItemSelector", _("no `ItemSelector`: each item is its iteration's input")))
    elif step.item_inputs:
        items.append(Value("afterItemSelector", step.item_inputs, selector,
                           step.spec.get(selector, MISSING) if selector else MISSING))
    return items


def _parallel_before(step: Step) -> list[Item]:
    branches = len(step.spec.get("Branches") or ())
    items: list[Item] = [Text(_("Runs its {count} branches side by side, each on the same input.").format(
        count=branches))]
    return items


def _back_in(step: Step) -> str:
    if step.state_type == "Map":
        lanes = {c.lane for c in step.children}
        return _("Back in {state}: its {count} iteration(s) are done; their outputs, in item order, "
                 "are its result.").format(state=c(step.name), count=len(lanes))
    return _("Back in {state}: every branch is done; their outputs, in branch order, are its result.").format(
        state=c(step.name))


_BEFORE_WORK: dict[str, Callable[[Step], list[Item]]] = {
    "Task": _task_before,
    "Map": _map_before,
    "Parallel": _parallel_before,
}
_AFTER_WORK: dict[str, Callable[[Step], list[Item]]] = {
    "Wait": _wait_after,
    "Choice": _choice_after,
}


# -- errors, Retry and Catch ---------------------------------------------------------------------------
def _retries(step: Step) -> list[Item]:
    items: list[Item] = []
    for retry in step.retries:
        items.extend(_retry_items(retry))
    return items


def _retry_items(retry: RetryStep) -> list[Item]:
    cause = f" ({retry.cause})" if retry.cause else ""
    return [
        Text(_("Attempt {attempt} failed with {error}{cause}. Retrier {retrier} (`ErrorEquals` {errors}) takes it: "
               "retry {retry} of that retrier, after {wait} = {formula}.").format(
            attempt=retry.attempt, error=c(retry.error), cause=cause, retrier=retry.retrier,
            errors=c(compact(list(retry.error_equals))), retry=retry.retry_of_retrier + 1,
            wait=format_seconds(retry.backoff_seconds), formula=retry.formula)),
        Value("errorDetails", {"retryIndex": retry.retrier, "retryBackoffIntervalSeconds": retry.backoff_seconds}),
    ]


def _caught(step: Step) -> list[Item]:
    catch = step.catch or {}
    index = catch.get("catcher", 0)
    catchers = step.spec.get("Catch") or []
    catcher = catchers[index] if index < len(catchers) and isinstance(catchers[index], dict) else {}
    error_output = catch.get("errorOutput", {})
    items: list[Item] = [
        Text(_("The state failed with {error}; catcher {index} (`ErrorEquals` {errors}) catches it.").format(
            error=c(error_output.get("Error")), index=index, errors=c(compact(catcher.get("ErrorEquals", []))))),
        Value("errorDetails", {"catchIndex": index}),
        Value(_("error output"), error_output),
    ]
    if step.jsonata:
        items.append(Value("output", step.output, "Output", catcher.get("Output", MISSING)))
    elif "ResultPath" in catcher:
        items.append(Value("afterResultPath", step.output, "ResultPath", catcher["ResultPath"]))
    else:
        items.append(Same("afterResultPath", _("the catcher has no `ResultPath`: the error output replaces the input")))
    items.extend(_variables(step))
    items.append(Text(_("→ `Next`: {state} (the catcher's).").format(state=c(catch.get("next", step.next)))))
    return items


def _way_out(step: Step) -> str:
    if step.next is not None:
        return _("→ `Next`: {state}.").format(state=c(step.next))
    return _("→ End of its branch.") if step.parent is not None else _("→ End of the execution.")


# -- JSON ------------------------------------------------------------------------------------------------
def compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def pretty(value: Any, width: int = 88) -> str:
    """Indented JSON that keeps every object or array on one line when it fits in ``width``."""
    return "\n".join(_pretty_lines(value, width, ""))


def _pretty_lines(value: Any, width: int, indent: str) -> list[str]:
    text = compact(value)
    if len(indent) + len(text) <= width or not isinstance(value, (dict, list)) or not value:
        return [indent + text]
    inner = indent + "  "
    if isinstance(value, dict):
        opening, closing = "{", "}"
        members = [_prefixed(inner, compact(k) + ": ", v, width) for k, v in value.items()]
    elif all(not isinstance(v, (dict, list)) for v in value):
        return [indent + "[", *_filled(value, width, inner), indent + "]"]
    else:
        opening, closing = "[", "]"
        members = [_pretty_lines(v, width, inner) for v in value]
    lines = [indent + opening]
    for position, member in enumerate(members):
        if position < len(members) - 1:
            member = [*member[:-1], member[-1] + ","]
        lines.extend(member)
    lines.append(indent + closing)
    return lines


def _prefixed(indent: str, prefix: str, value: Any, width: int) -> list[str]:
    """A member ``"key": value`` whose value opens on the key's line."""
    text = compact(value)
    if len(indent) + len(prefix) + len(text) <= width:
        return [indent + prefix + text]
    nested = _pretty_lines(value, width, indent)
    if len(nested) == 1:  # a scalar too long for any line
        return [indent + prefix + text]
    return [indent + prefix + nested[0].lstrip(), *nested[1:]]


def _filled(values: list[Any], width: int, indent: str) -> list[str]:
    """Scalars packed several to a line, as a reader would write a long list of numbers."""
    lines: list[str] = []
    line = ""
    for text in (compact(v) for v in values):
        candidate = f"{line}, {text}" if line else text
        if line and len(indent) + len(candidate) + 1 > width:
            lines.append(indent + line + ",")
            candidate = text
        line = candidate
    lines.append(indent + line)
    return lines
