"""Static validation of a definition: everything AWS checks before it accepts a state machine.

Two passes, both run in full so that every problem is reported at once:

1. the pydantic models (``models``) check the shape: required fields, unknown fields, value types
   (``shape.certainly_well_shaped`` first: a definition it vouches for skips the models, which
   would find nothing; pydantic is imported only when they are asked);
2. the rules below check what a schema cannot: transitions and reachability, the query language
   in force for each state, paths, payload templates, intrinsic calls, JSONata syntax, fields that
   exclude each other, Retry/Catch ordering, and the Task resources AWS recognizes.

The second pass reads the raw data defensively (any value may have the wrong type; the first pass
has already reported that), so it never raises on malformed input.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Iterator, KeysView

from sfnsim.asl.loading import Locator, join_pointer, locator_for, split_pointer
from sfnsim.asl.shape import QUERY_LANGUAGES, STATE_PARTS, certainly_well_shaped, is_jsonata, show_value
from sfnsim.asl.resources import (
    ITEM_READERS,
    RESULT_WRITERS,
    classify_task_resource,
    express_problem,
    has_placeholder,
    service_resource_name,
)
from sfnsim.dataflow.jsonpath import (
    PathSyntaxError,
    compile_path,
    compile_reference_path,
)
from sfnsim.dataflow.choice import OPERATOR_OPERANDS as OPERATORS
from sfnsim.dataflow.intrinsics import compile_intrinsic
from sfnsim.dataflow.timestamps import is_timestamp
from sfnsim.errors import Problem

if TYPE_CHECKING:
    from pydantic import ValidationError

# Fields that belong to one query language only, and what to use instead in the other.
JSONPATH_ONLY: dict[str, str] = {
    "InputPath": "use $states.input in Arguments or Output",
    "Parameters": "use Arguments",
    "ResultSelector": "use Output",
    "ResultPath": "use Output or Assign",
    "OutputPath": "use Output",
    "Result": "use Output",
    "ItemsPath": "use Items",
    "TimeoutSecondsPath": "use TimeoutSeconds with a JSONata expression",
    "HeartbeatSecondsPath": "use HeartbeatSeconds with a JSONata expression",
    "SecondsPath": "use Seconds with a JSONata expression",
    "TimestampPath": "use Timestamp with a JSONata expression",
    "ErrorPath": "use Error with a JSONata expression",
    "CausePath": "use Cause with a JSONata expression",
    "MaxConcurrencyPath": "use MaxConcurrency with a JSONata expression",
    "ToleratedFailureCountPath": "use ToleratedFailureCount with a JSONata expression",
    "ToleratedFailurePercentagePath": "use ToleratedFailurePercentage with a JSONata expression",
    "MaxItemsPath": "use MaxItems with a JSONata expression",
    "MaxItemsPerBatchPath": "use MaxItemsPerBatch with a JSONata expression",
    "MaxInputBytesPerBatchPath": "use MaxInputBytesPerBatch with a JSONata expression",
    "Variable": "use Condition",
    **{name: "use Condition" for name in OPERATORS},
    "And": "use Condition",
    "Or": "use Condition",
    "Not": "use Condition",
}
JSONATA_ONLY: dict[str, str] = {
    "Arguments": "use Parameters",
    "Output": "use OutputPath or ResultSelector",
    "Items": "use ItemsPath",
    "Condition": "use Variable with a comparison operator",
}
# Numeric fields that may hold a JSONata expression in a JSONata state.
EXPRESSION_NUMBERS = (
    "TimeoutSeconds",
    "HeartbeatSeconds",
    "Seconds",
    "MaxConcurrency",
    "ToleratedFailureCount",
    "ToleratedFailurePercentage",
    "MaxItems",
    "MaxItemsPerBatch",
    "MaxInputBytesPerBatch",
)
# Fields holding a path (any JSONPath) in a JSONPath state.
PATH_FIELDS = (
    "InputPath",
    "OutputPath",
    "ItemsPath",
    "TimeoutSecondsPath",
    "HeartbeatSecondsPath",
    "SecondsPath",
    "TimestampPath",
    "MaxConcurrencyPath",
    "ToleratedFailureCountPath",
    "ToleratedFailurePercentagePath",
)
# Fields holding a payload template ("key.$" values are evaluated) in a JSONPath state.
TEMPLATE_FIELDS = ("Parameters", "ResultSelector", "ItemSelector", "Credentials", "Assign")
# Mutually exclusive pairs: a value and the path that computes it.
EXCLUSIVE: dict[str, tuple[tuple[str, str], ...]] = {
    "Task": (("TimeoutSeconds", "TimeoutSecondsPath"), ("HeartbeatSeconds", "HeartbeatSecondsPath")),
    "Fail": (("Error", "ErrorPath"), ("Cause", "CausePath")),
    "Map": (
        ("Iterator", "ItemProcessor"),
        ("Parameters", "ItemSelector"),
        ("ItemsPath", "Items"),
        ("MaxConcurrency", "MaxConcurrencyPath"),
        ("ToleratedFailureCount", "ToleratedFailureCountPath"),
        ("ToleratedFailurePercentage", "ToleratedFailurePercentagePath"),
    ),
}
FLOW_TYPES = frozenset({"Pass", "Task", "Wait", "Parallel", "Map"})
TERMINAL_TYPES = frozenset({"Succeed", "Fail"})
_NOT_EVALUATED = frozenset({"Comment", "Branches", "ItemProcessor", "Iterator"})


# A plain class, not a dataclass: it is built on every run's import path and nothing compares or copies it.
class _Context:
    """What the checks share: where problems go and facts about the whole machine."""

    def __init__(self, locate: Callable[[str], tuple[int | None, int | None]], source: str | None,
                 machine_type: str | None, top_language: str) -> None:
        self.locate = locate
        self.source = source
        self.machine_type = machine_type
        self.top_language = top_language
        self.problems: list[Problem] = []
        self.state_names: dict[str, str] = {}  # name -> pointer of its first use

    def add(self, pointer: str, message: str) -> None:
        line, column = self.locate(pointer)
        self.problems.append(Problem(pointer, message, line, column, self.source))


# --------------------------------------------------------------------------------------------
# Entry points


def validate_definition(
    data: Any,
    *,
    locator: Locator | None = None,
    source_name: str | None = None,
    state_machine_type: str | None = None,
) -> list[Problem]:
    """Every problem with a definition (an empty list when AWS would accept it). Never raises."""
    top = data.get("QueryLanguage") if isinstance(data, dict) else None
    ctx = _Context(locator_for(locator), source_name, state_machine_type, top if top in QUERY_LANGUAGES else "JSONPath")
    if not isinstance(data, dict):
        ctx.add("", "Definition must be a valid JSON object")
        return ctx.problems
    if not certainly_well_shaped(data):
        _check_with_models(ctx, data)
    _check_scope(ctx, data, "", ctx.top_language, nested=False)
    return _ordered(_unique(ctx.problems), data)


def _check_with_models(ctx: _Context, data: dict) -> None:
    from pydantic import ValidationError

    from sfnsim.asl.models import StateMachine

    try:
        StateMachine.model_validate(data)
    except ValidationError as exc:
        _report_schema_errors(ctx, data, exc)


def _unique(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple[str, str]] = set()
    kept = []
    for p in problems:
        if (p.pointer, p.message) not in seen:
            seen.add((p.pointer, p.message))
            kept.append(p)
    return kept


def _ordered(problems: list[Problem], data: Any) -> list[Problem]:
    """Problems in the order their places appear in the document."""
    if not problems:  # numbering every node of a large, valid document costs as much as checking it
        return problems
    order: dict[str, int] = {}

    def number(node: Any, pointer: str) -> None:
        order[pointer] = len(order)
        children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, child in children:
            number(child, join_pointer(pointer, key))

    number(data, "")

    def key(problem: Problem) -> int:
        pointer = problem.pointer
        while pointer not in order and pointer:
            pointer = pointer.rsplit("/", 1)[0]
        return order.get(pointer, 0)

    return sorted(problems, key=key)


# --------------------------------------------------------------------------------------------
# Pass 1: schema errors from pydantic, in plain words

_TYPE_WORDS = {
    "string_type": "a string",
    "bool_type": "true or false",
    "dict_type": "a JSON object",
    "model_type": "a JSON object",
    "model_attributes_type": "a JSON object",
    "list_type": "an array",
    "int_type": "an integer",
    "float_type": "a number",
}


def _report_schema_errors(ctx: _Context, data: dict, exc: ValidationError) -> None:
    from sfnsim.asl.models import STATE_MODELS, StateMachine, field_names

    top_level_fields = field_names(StateMachine)
    missing: dict[str, list[str]] = {}
    for error in exc.errors(include_url=False):
        pointer, node, parent = _follow(data, error["loc"])
        name = (split_pointer(pointer) or [""])[-1]
        kind = error["type"]
        if kind == "missing":
            missing.setdefault(pointer.rsplit("/", 1)[0], []).append(name)
        elif kind == "extra_forbidden":
            ctx.add(pointer, f"Field '{name}' is not supported{_in(parent)}")
        elif kind == "union_tag_not_found":
            missing.setdefault(pointer, []).append("Type")
        elif kind == "union_tag_invalid":
            ctx.add(
                join_pointer(pointer, "Type"),
                f"{show_value(_get(data, pointer, 'Type'))} is not a state type: use one of {', '.join(STATE_MODELS)}",
            )
        elif kind == "literal_error":
            ctx.add(pointer, f"{name} must be {error['ctx']['expected']}, got {show_value(node)}")
        elif kind in _TYPE_WORDS and pointer.rsplit("/", 1)[0].endswith("/States"):
            hint = (
                f" ('{name}' is a top-level field: put it next to StartAt, not inside States)"
                if name in top_level_fields
                else ""
            )
            ctx.add(pointer, f"State '{name}' must be a JSON object, got {show_value(node)}{hint}")
        elif kind in _TYPE_WORDS:
            ctx.add(pointer, f"{name} must be {_TYPE_WORDS[kind]}, got {show_value(node)}")
        elif kind == "too_short":
            ctx.add(pointer, f"{name} must not be empty")
        elif kind == "asl":
            ctx.add(pointer, f"{name} {error['msg']}")
        else:
            ctx.add(pointer, f"{name}: {error['msg']}")
    for parent_pointer, names in missing.items():
        ctx.add(parent_pointer, f"These fields are required: [{', '.join(names)}]")


def _follow(data: Any, loc: tuple) -> tuple[str, Any, Any]:
    """The JSON pointer for a pydantic error location, with the value there and its parent."""
    pointer, node, parent = "", data, None
    for item in loc:
        if isinstance(node, dict) and isinstance(item, str) and item not in node and node.get("Type") == item:
            continue  # the tag pydantic adds for the state's Type
        parent = node
        if isinstance(node, dict):
            node = node.get(item)
        elif isinstance(node, list) and isinstance(item, int) and 0 <= item < len(node):
            node = node[item]
        else:
            node = None
        pointer = join_pointer(pointer, item)
    return pointer, node, parent


def _get(data: Any, pointer: str, key: str) -> Any:
    node = data
    for token in split_pointer(pointer):
        node = node.get(token) if isinstance(node, dict) else None
    return node.get(key) if isinstance(node, dict) else None


def _in(parent: Any) -> str:
    if isinstance(parent, dict) and _type_of(parent) in STATE_PARTS:
        return f" in a {parent['Type']} state"
    return ""


# --------------------------------------------------------------------------------------------
# Pass 2: the rules a schema cannot express


def _check_scope(ctx: _Context, scope: dict, pointer: str, language: str, *, nested: bool) -> None:
    """One set of states: the top level, a Parallel branch, or a Map's item processor."""
    states = scope.get("States")
    if not isinstance(states, dict):
        return
    where = " in this branch" if nested else ""
    start = scope.get("StartAt")
    if isinstance(start, str) and start not in states:
        ctx.add(
            join_pointer(pointer, "StartAt"), f"StartAt refers to '{start}', but there is no state of that name{where}"
        )
    names = states.keys()  # built once: a set per state made loading quadratic in the states
    for name, state in states.items():
        state_pointer = join_pointer(pointer, "States", name)
        _check_name(ctx, name, state_pointer)
        if isinstance(state, dict):
            _check_state(ctx, state, state_pointer, language, names)
    if isinstance(start, str) and start in states:
        _check_reachable(ctx, states, start, pointer)
    # A scope whose states are malformed has already been reported; "no terminal state" would be noise.
    well_formed = all(isinstance(s, dict) and _type_of(s) in STATE_PARTS for s in states.values())
    if states and well_formed and not any(_is_terminal(s) for s in states.values()):
        ctx.add(
            join_pointer(pointer, "States"),
            f"No terminal state{where}: at least one state must have End: true or be a Succeed or Fail state",
        )


def _check_name(ctx: _Context, name: str, pointer: str) -> None:
    if name in ctx.state_names:
        ctx.add(
            pointer,
            f"Duplicate state name '{name}': state names must be unique in the whole state machine"
            f" (also at {ctx.state_names[name]})",
        )
    else:
        ctx.state_names[name] = pointer
    if len(name) > 80:
        ctx.add(pointer, f"State name '{name[:20]}...' is too long: at most 80 characters are allowed")


def _is_terminal(state: Any) -> bool:
    return isinstance(state, dict) and (_type_of(state) in TERMINAL_TYPES or state.get("End") is True)


def _type_of(state: dict) -> str | None:
    """The state's Type when it is text. Anything else the schema reports, and no rule applies to it
    (nor can it be looked up in a table: a list or an object is not hashable)."""
    state_type = state.get("Type")
    return state_type if isinstance(state_type, str) else None


def _transitions(state: dict) -> Iterator[tuple[str, Any]]:
    """(relative pointer, target) for every transition out of a state."""
    if "Next" in state:
        yield "/Next", state["Next"]
    if "Default" in state:
        yield "/Default", state["Default"]
    for field_name in ("Choices", "Catch"):
        entries = state.get(field_name)
        if isinstance(entries, list):
            for i, entry in enumerate(entries):
                if isinstance(entry, dict) and "Next" in entry:
                    yield f"/{field_name}/{i}/Next", entry["Next"]


def _check_reachable(ctx: _Context, states: dict, start: str, pointer: str) -> None:
    seen = {start}
    todo = [start]
    while todo:
        state = states.get(todo.pop())
        if isinstance(state, dict):
            for _, target in _transitions(state):
                if isinstance(target, str) and target in states and target not in seen:
                    seen.add(target)
                    todo.append(target)
    for name, state in states.items():
        if name not in seen and isinstance(state, dict):
            ctx.add(
                join_pointer(pointer, "States", name),
                f"State '{name}' is not reachable: no transition leads to it from StartAt",
            )


def _check_state(ctx: _Context, state: dict, pointer: str, inherited: str, names: KeysView[str]) -> None:
    declared = state.get("QueryLanguage")
    language = declared if declared in QUERY_LANGUAGES else inherited
    if declared == "JSONPath" and ctx.top_language == "JSONata":
        # AWS refuses it (ValidateStateMachineDefinition, recorded in LocalStack's
        # test_sfn_api_validation snapshot: SCHEMA_VALIDATION_FAILED at the state), although
        # asl-validator's suite calls such a machine valid.
        ctx.add(pointer, "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine")
    state_type = _type_of(state)
    _check_language_fields(ctx, state, pointer, language)
    for first, second in EXCLUSIVE.get(state_type, ()):
        if first in state and second in state:
            ctx.add(pointer, f"A {state_type} state may have only one of {first} and {second}")
    _check_transitions(ctx, state, pointer, names)
    for field_name in ("Retry", "Catch"):
        if field_name in state:
            _check_error_handlers(ctx, state[field_name], join_pointer(pointer, field_name), field_name)
    if "Assign" in state:
        _check_assign(ctx, state["Assign"], join_pointer(pointer, "Assign"))
    if language == "JSONPath":
        _check_jsonpath_state(ctx, state, pointer)
    else:
        _check_jsonata_values(ctx, state, pointer)
    checker = _TYPE_CHECKS.get(state_type)
    if checker is not None:
        checker(ctx, state, pointer, language)


def _check_language_fields(ctx: _Context, state: dict, pointer: str, language: str) -> None:
    """Fields of the other query language, in the state and in its Catch and Choice rules."""
    wrong = JSONATA_ONLY if language == "JSONPath" else JSONPATH_ONLY
    other = "JSONata" if language == "JSONPath" else "JSONPath"
    for where, node in _language_scoped_nodes(state, pointer):
        for name in node:
            if name in wrong:
                ctx.add(
                    join_pointer(where, name),
                    f"Field '{name}' is not supported when QueryLanguage is {language}:"
                    f" it is a {other} field ({wrong[name]})",
                )
            elif language == "JSONPath" and name in EXPRESSION_NUMBERS and is_jsonata(node[name]):
                ctx.add(
                    join_pointer(where, name),
                    f"{name} can hold a JSONata expression only when QueryLanguage is JSONata",
                )


def _language_scoped_nodes(state: dict, pointer: str) -> Iterator[tuple[str, dict]]:
    yield pointer, state
    for name in ("Catch", "Choices"):
        entries = state.get(name)
        if isinstance(entries, list):
            for i, entry in enumerate(entries):
                if isinstance(entry, dict):
                    yield from _rule_nodes(entry, join_pointer(pointer, name, i))
    for name in ("ItemReader", "ItemBatcher", "ResultWriter"):
        part = state.get(name)
        if isinstance(part, dict):
            yield join_pointer(pointer, name), part
            config = part.get("ReaderConfig")
            if isinstance(config, dict):
                yield join_pointer(pointer, name, "ReaderConfig"), config


def _rule_nodes(rule: dict, pointer: str) -> Iterator[tuple[str, dict]]:
    yield pointer, rule
    for name in ("And", "Or"):
        if isinstance(rule.get(name), list):
            for i, sub in enumerate(rule[name]):
                if isinstance(sub, dict):
                    yield from _rule_nodes(sub, join_pointer(pointer, name, i))
    if isinstance(rule.get("Not"), dict):
        yield from _rule_nodes(rule["Not"], join_pointer(pointer, "Not"))


def _check_transitions(ctx: _Context, state: dict, pointer: str, names: KeysView[str]) -> None:
    state_type = _type_of(state)
    for relative, target in _transitions(state):
        if isinstance(target, str) and target not in names:
            ctx.add(
                pointer + relative,
                f"{relative.rsplit('/', 1)[-1]} refers to '{target}',"
                " but there is no state of that name in the same scope",
            )
    if state_type not in FLOW_TYPES:
        return
    has_next, ends = "Next" in state, state.get("End") is True
    if has_next and ends:
        ctx.add(pointer, f"A {state_type} state cannot have both Next and End: true")
    elif not has_next and not ends:
        ctx.add(pointer, f"A {state_type} state must have either Next or End: true")


def _check_error_handlers(ctx: _Context, entries: Any, pointer: str, field_name: str) -> None:
    """States.ALL must stand alone in its ErrorEquals, in the last Retry or Catch entry."""
    if not isinstance(entries, list):
        return
    for i, entry in enumerate(entries):
        errors = entry.get("ErrorEquals") if isinstance(entry, dict) else None
        if not isinstance(errors, list) or "States.ALL" not in errors:
            continue
        if len(errors) > 1:
            ctx.add(join_pointer(pointer, i, "ErrorEquals"), "States.ALL must appear alone in ErrorEquals")
        if i != len(entries) - 1:
            ctx.add(join_pointer(pointer, i), f"The {field_name} entry with States.ALL must be the last one")


def _check_assign(ctx: _Context, assign: Any, pointer: str) -> None:
    if not isinstance(assign, dict):
        return
    for key in assign:
        name = key[:-2] if key.endswith(".$") else key
        # AWS's "Passing data between states with variables" page: a variable name follows the
        # Unicode identifier rules (UAX #31, as str.isidentifier) and has at most 80 characters,
        # so "top-level" is refused, whatever asl-validator's suite says.
        if not name.isidentifier() or len(name) > 80:
            ctx.add(
                join_pointer(pointer, key),
                f"'{name}' is not a valid variable name:"
                " use at most 80 letters, digits and underscores, not starting with a digit",
            )


# --------------------------------------------------------------------------------------------
# JSONPath: paths, reference paths, payload templates, intrinsic functions


def _check_jsonpath_state(ctx: _Context, state: dict, pointer: str) -> None:
    # Only the fields the state has: a pointer built for every absent field made up most of loading.
    for name in PATH_FIELDS:
        if name in state:
            _check_path(ctx, state[name], join_pointer(pointer, name), name)
    for name in ("ErrorPath", "CausePath"):  # these also take an intrinsic function
        value = state.get(name)
        if isinstance(value, str) and value.startswith("States."):
            _check_intrinsic(ctx, value, join_pointer(pointer, name), name)
        elif value is not None:
            _check_path(ctx, value, join_pointer(pointer, name), name)
    if "ResultPath" in state:
        _check_reference_path(ctx, state["ResultPath"], join_pointer(pointer, "ResultPath"))
    catchers = state.get("Catch")
    for i, catcher in enumerate(catchers if isinstance(catchers, list) else []):
        if isinstance(catcher, dict):
            _check_reference_path(ctx, catcher.get("ResultPath"), join_pointer(pointer, "Catch", i, "ResultPath"))
    for name in TEMPLATE_FIELDS:
        if name in state:
            _check_template(ctx, state[name], join_pointer(pointer, name))
    for name in ("ItemReader", "ResultWriter"):
        part = state.get(name)
        if isinstance(part, dict) and "Parameters" in part:
            _check_template(ctx, part["Parameters"], join_pointer(pointer, name, "Parameters"))
    batcher = state.get("ItemBatcher")
    if isinstance(batcher, dict):
        for name in ("MaxItemsPerBatchPath", "MaxInputBytesPerBatchPath"):
            _check_path(ctx, batcher.get(name), join_pointer(pointer, "ItemBatcher", name), name)
        if "BatchInput" in batcher:
            _check_template(ctx, batcher["BatchInput"], join_pointer(pointer, "ItemBatcher", "BatchInput"))
    reader = state.get("ItemReader")
    config = reader.get("ReaderConfig") if isinstance(reader, dict) else None
    if isinstance(config, dict):
        _check_path(
            ctx,
            config.get("MaxItemsPath"),
            join_pointer(pointer, "ItemReader", "ReaderConfig", "MaxItemsPath"),
            "MaxItemsPath",
        )


def _check_path(ctx: _Context, value: Any, pointer: str, name: str) -> None:
    # A script expression such as "$[(@.length-1)].bar" is refused. AWS evaluates paths with Jayway
    # JsonPath (its runtime causes are Jayway's, e.g. "No results for path: $['x']"), whose
    # operators have filters "[?(...)]" but no script expressions "[(...)]"; only asl-validator's
    # suite (jsonpath-plus, Goessner's syntax) accepts it.
    if not isinstance(value, str):
        return
    try:
        compile_path(value)
    except PathSyntaxError as exc:
        ctx.add(pointer, f"{name} is not a valid JSONPath: {exc}")


def _check_reference_path(ctx: _Context, value: Any, pointer: str) -> None:
    if not isinstance(value, str):
        return
    try:
        compile_reference_path(value)
    except PathSyntaxError as exc:
        ctx.add(pointer, f"ResultPath is not a valid reference path: {exc}")


def _check_template(ctx: _Context, template: Any, pointer: str) -> None:
    """A payload template: each "key.$" holds a path or an intrinsic call."""
    if isinstance(template, list):
        for i, item in enumerate(template):
            _check_template(ctx, item, join_pointer(pointer, i))
        return
    if not isinstance(template, dict):
        return
    for key, value in template.items():
        child = join_pointer(pointer, key)
        if not key.endswith(".$"):
            _check_template(ctx, value, child)
            continue
        if key[:-2] in template:
            ctx.add(child, f"Field '{key}' conflicts with field '{key[:-2]}': both give the output field '{key[:-2]}'")
        if not isinstance(value, str):
            ctx.add(
                child,
                f"The value of '{key}' must be a path or an intrinsic function call (a string),"
                f" got {show_value(value)}",
            )
        elif value.startswith("States."):
            _check_intrinsic(ctx, value, child, f"The value of '{key}'")
        elif value.startswith("$"):
            _check_path(ctx, value, child, f"The value of '{key}'")
        else:
            ctx.add(
                child,
                f"The value of '{key}' must be a path (starting with $) or an intrinsic function call"
                f" (States.…), got {show_value(value)}",
            )


def _check_intrinsic(ctx: _Context, text: str, pointer: str, name: str) -> None:
    message = intrinsic_problem(text)
    if message:
        ctx.add(pointer, f"{name} is not a valid intrinsic function call: {message}")


def intrinsic_problem(text: str) -> str | None:
    """Why ``text`` is not a valid intrinsic function call, or None (the compiler says what and where)."""
    try:
        compile_intrinsic(text)
    except ValueError as exc:  # IntrinsicSyntaxError, and any ValueError the compiler lets through
        return str(exc)
    return None


# --------------------------------------------------------------------------------------------
# JSONata


def _check_jsonata_values(ctx: _Context, node: Any, pointer: str) -> None:
    """Every "{% ... %}" string below a JSONata state must be a well-formed JSONata expression."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key not in _NOT_EVALUATED:
                _check_jsonata_values(ctx, value, join_pointer(pointer, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            _check_jsonata_values(ctx, value, join_pointer(pointer, i))
    elif isinstance(node, str) and node.startswith("{%"):
        # Only a string that opens with "{%" is an expression (AWS's JSONata page: the syntax is
        # "{% <JSONata expression> %}"); "10 %}" is a plain string value, which asl-validator's
        # suite alone calls invalid.
        if not node.endswith("%}"):
            ctx.add(pointer, "A JSONata expression must end with '%}'")
        else:
            message = jsonata_problem(node[2:-2])
            if message:
                ctx.add(pointer, f"Invalid JSONata expression {show_value(node)}: {message}")


def jsonata_problem(expression: str) -> str | None:
    """Why a JSONata expression (the text inside ``{% %}``) would be refused, or None."""
    if not expression.strip():
        return "the expression is empty"
    # Imported here: only JSONata definitions need the JSONata engine.
    from sfnsim.dataflow.jsonata import JsonataSyntaxError, compile_expression

    try:
        compile_expression(expression)
    except JsonataSyntaxError as exc:
        return f"{exc.code}: {exc.message}" + (f" (at character {exc.position})" if exc.position is not None else "")
    return None


# --------------------------------------------------------------------------------------------
# Per state type


def _check_task(ctx: _Context, state: dict, pointer: str, language: str) -> None:
    timeout, heartbeat = state.get("TimeoutSeconds"), state.get("HeartbeatSeconds")
    if isinstance(timeout, int) and isinstance(heartbeat, int) and heartbeat >= timeout:
        ctx.add(join_pointer(pointer, "HeartbeatSeconds"), "HeartbeatSeconds must be smaller than TimeoutSeconds")
    resource = state.get("Resource")
    if not isinstance(resource, str) or has_placeholder(resource):
        return
    kind = classify_task_resource(resource)
    if isinstance(kind, str):
        ctx.add(join_pointer(pointer, "Resource"), kind)
    elif ctx.machine_type == "EXPRESS":
        message = express_problem(kind)
        if message:
            ctx.add(join_pointer(pointer, "Resource"), message)


def _check_wait(ctx: _Context, state: dict, pointer: str, language: str) -> None:
    given = [name for name in ("Seconds", "SecondsPath", "Timestamp", "TimestampPath") if name in state]
    if len(given) != 1:
        found = f" (found {', '.join(given)})" if given else ""
        ctx.add(
            pointer, f"A Wait state must have exactly one of Seconds, SecondsPath, Timestamp and TimestampPath{found}"
        )
    _check_timestamp(ctx, state.get("Timestamp"), join_pointer(pointer, "Timestamp"), "Timestamp")


def _check_timestamp(ctx: _Context, value: Any, pointer: str, name: str) -> None:
    if isinstance(value, str) and not is_jsonata(value) and not is_timestamp(value):
        ctx.add(pointer, f"{name} must be an ISO-8601 timestamp such as 2016-03-14T01:59:00Z, got {show_value(value)}")


def _check_choice(ctx: _Context, state: dict, pointer: str, language: str) -> None:
    choices = state.get("Choices")
    if isinstance(choices, list):
        for i, rule in enumerate(choices):
            if isinstance(rule, dict):
                _check_rule(ctx, rule, join_pointer(pointer, "Choices", i), language, top=True)


def _check_rule(ctx: _Context, rule: dict, pointer: str, language: str, *, top: bool) -> None:
    if top and "Next" not in rule:
        ctx.add(pointer, "These fields are required: [Next]")
    if not top:
        for name in ("Next", "Assign", "Output"):
            if name in rule:
                ctx.add(join_pointer(pointer, name), f"Field '{name}' is only allowed in a top-level Choice rule")
    if language == "JSONata":
        if top and "Condition" not in rule:
            ctx.add(pointer, "These fields are required: [Condition]")
        return
    combinators = [name for name in ("And", "Or", "Not") if name in rule]
    comparisons = [name for name in rule if name in OPERATORS]
    if combinators:
        if len(combinators) + len(comparisons) > 1 or "Variable" in rule:
            ctx.add(
                pointer,
                f"A Choice rule with {combinators[0]} cannot also have"
                f" {', '.join((combinators + comparisons)[1:]) or 'Variable'}",
            )
        for name in ("And", "Or"):
            subs = rule.get(name)
            if isinstance(subs, list):
                if not subs:
                    ctx.add(join_pointer(pointer, name), f"{name} must contain at least one rule")
                for i, sub in enumerate(subs):
                    if isinstance(sub, dict):
                        _check_rule(ctx, sub, join_pointer(pointer, name, i), language, top=False)
        if isinstance(rule.get("Not"), dict):
            _check_rule(ctx, rule["Not"], join_pointer(pointer, "Not"), language, top=False)
        return
    if not comparisons:
        ctx.add(
            pointer, "A Choice rule needs a comparison operator (such as StringEquals or IsPresent), or And, Or or Not"
        )
        return
    if len(comparisons) > 1:
        ctx.add(pointer, f"A Choice rule can have only one comparison operator, found {', '.join(comparisons)}")
    if "Variable" not in rule:
        ctx.add(pointer, "These fields are required: [Variable]")
    _check_path(ctx, rule.get("Variable"), join_pointer(pointer, "Variable"), "Variable")
    for name in comparisons:
        value = rule[name]
        if OPERATORS[name] == "path":
            _check_path(ctx, value, join_pointer(pointer, name), name)
        elif OPERATORS[name] == "timestamp":
            _check_timestamp(ctx, value, join_pointer(pointer, name), name)


def _check_parallel(ctx: _Context, state: dict, pointer: str, language: str) -> None:
    branches = state.get("Branches")
    if isinstance(branches, list):
        for i, branch in enumerate(branches):
            if isinstance(branch, dict):
                _check_scope(ctx, branch, join_pointer(pointer, "Branches", i), language, nested=True)


def _check_map(ctx: _Context, state: dict, pointer: str, language: str) -> None:
    if "Iterator" not in state and "ItemProcessor" not in state:
        ctx.add(pointer, "These fields are required: [ItemProcessor]")
    items = state.get("Items")
    if "Items" in state and not isinstance(items, list) and not is_jsonata(items):
        ctx.add(
            join_pointer(pointer, "Items"), f"Items must be an array or a JSONata expression, got {show_value(items)}"
        )
    for name in ("ItemProcessor", "Iterator"):
        processor = state.get(name)
        if not isinstance(processor, dict):
            continue
        config = processor.get("ProcessorConfig")
        if isinstance(config, dict) and config.get("Mode") == "DISTRIBUTED" and "ExecutionType" not in config:
            ctx.add(
                join_pointer(pointer, name, "ProcessorConfig"),
                "ExecutionType (STANDARD or EXPRESS) is required when Mode is DISTRIBUTED",
            )
        _check_scope(ctx, processor, join_pointer(pointer, name), language, nested=True)
    _check_s3_resource(ctx, state.get("ItemReader"), join_pointer(pointer, "ItemReader"), ITEM_READERS)
    _check_s3_resource(ctx, state.get("ResultWriter"), join_pointer(pointer, "ResultWriter"), RESULT_WRITERS)
    batcher = state.get("ItemBatcher")
    if isinstance(batcher, dict):
        for first in ("MaxItemsPerBatch", "MaxInputBytesPerBatch"):
            if first in batcher and first + "Path" in batcher:
                ctx.add(
                    join_pointer(pointer, "ItemBatcher"), f"ItemBatcher may have only one of {first} and {first}Path"
                )
    reader = state.get("ItemReader")
    config = reader.get("ReaderConfig") if isinstance(reader, dict) else None
    if isinstance(config, dict) and "MaxItems" in config and "MaxItemsPath" in config:
        ctx.add(
            join_pointer(pointer, "ItemReader", "ReaderConfig"),
            "ReaderConfig may have only one of MaxItems and MaxItemsPath",
        )


def _check_s3_resource(ctx: _Context, part: Any, pointer: str, allowed: set[str]) -> None:
    resource = part.get("Resource") if isinstance(part, dict) else None
    if not isinstance(resource, str) or has_placeholder(resource):
        return
    if service_resource_name(resource) not in allowed:
        names = " or ".join(f"arn:aws:states:::{name}" for name in sorted(allowed))
        ctx.add(
            join_pointer(pointer, "Resource"), f"The resource provided {resource} is not recognized here: use {names}"
        )


_TYPE_CHECKS: dict[str, Callable[[_Context, dict, str, str], None]] = {
    "Task": _check_task,
    "Wait": _check_wait,
    "Choice": _check_choice,
    "Parallel": _check_parallel,
    "Map": _check_map,
}

__all__ = ["check_definition", "intrinsic_problem", "jsonata_problem", "validate_definition"]
