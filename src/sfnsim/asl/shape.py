"""A definition's shape checked in plain Python: the fast path of validation's first pass.

The pydantic models (``sfnsim.asl.models``) are the language's schema and give every shape problem
its message. Building them costs more than loading and running a small machine (pydantic, then a
schema per model), so ``certainly_well_shaped`` answers first: True only when the definition is
certainly one the models accept (every field known to its part, every value of the kind the model
takes). Anything it is not sure of (a CloudFormation intrinsic as a Resource, a dict subclass,
nesting too deep to walk) answers False, and validation asks the models, which find and word the
problems exactly as before. So the answer can only skip the models for a definition they accept;
``tests/asl/test_shape.py`` checks that over the shared corpora and mutated definitions, and that
these tables name the same fields as the models.

This module also holds the plain facts the models and the validator's second pass share: the
query languages, the numeric fields' ranges and the enumerations.
"""

from __future__ import annotations

from typing import Any, Callable

from sfnsim.dataflow.choice import OPERATOR_OPERANDS

QUERY_LANGUAGES = ("JSONPath", "JSONata")
MAX_SECONDS = 99_999_999

# Numeric fields: (kind, minimum, maximum, whether a JSONata state may give a "{% ... %}" string).
NumberSpec = tuple[str, "float | None", "float | None", bool]
SECONDS: NumberSpec = ("integer", 1, MAX_SECONDS, True)
WAIT_SECONDS: NumberSpec = ("integer", 0, MAX_SECONDS, True)
COUNT: NumberSpec = ("integer", 0, None, True)
PERCENTAGE: NumberSpec = ("number", 0, 100, True)
RETRY_INTERVAL: NumberSpec = ("integer", 1, MAX_SECONDS, False)
RETRY_ATTEMPTS: NumberSpec = ("integer", 0, MAX_SECONDS, False)
BACKOFF_RATE: NumberSpec = ("number", 1, None, False)
MAX_DELAY: NumberSpec = ("integer", 1, 31_622_400, False)
MACHINE_TIMEOUT: NumberSpec = ("integer", 1, None, False)
ANY_NUMBER: NumberSpec = ("number", None, None, False)
MAX_ITEMS: NumberSpec = ("integer", 0, 100_000_000, True)
BATCH_ITEMS: NumberSpec = ("integer", 1, None, True)
BATCH_BYTES: NumberSpec = ("integer", 1, 262_144, True)  # 256 KiB

# Fields that take one of a few words.
JITTER_STRATEGIES = ("FULL", "NONE")
PROCESSOR_MODES = ("INLINE", "DISTRIBUTED")
EXECUTION_TYPES = ("STANDARD", "EXPRESS")
READER_INPUT_TYPES = ("CSV", "JSON", "JSONL", "MANIFEST", "PARQUET")
CSV_HEADER_LOCATIONS = ("FIRST_ROW", "GIVEN")
CSV_DELIMITERS = ("COMMA", "PIPE", "SEMICOLON", "SPACE", "TAB")
MANIFEST_TYPES = ("ATHENA_DATA", "CSV", "S3_INVENTORY")
READER_TRANSFORMATIONS = ("NONE", "LOAD_AND_FLATTEN")
WRITER_OUTPUT_TYPES = ("JSON", "JSONL")
WRITER_TRANSFORMATIONS = ("NONE", "COMPACT", "FLATTEN")


def is_jsonata(value: Any) -> bool:
    """A JSONata expression field value: a string wrapped in ``{%`` and ``%}``."""
    return isinstance(value, str) and value.startswith("{%") and value.endswith("%}")


def show_value(value: Any) -> str:
    """A value as a message quotes it: strings shortened, JSON words for true/false/null."""
    if isinstance(value, str):
        return repr(value) if len(value) < 60 else repr(value[:57] + "...")
    if isinstance(value, bool) or value is None:
        return {True: "true", False: "false", None: "null"}[value]
    if isinstance(value, (dict, list)):
        return "an object" if isinstance(value, dict) else "an array"
    return repr(value)


# --------------------------------------------------------------------------------------------
# The check. A kind is a predicate "certainly accepted"; exact types only (``type(v) is str``):
# the models are strict, and a subclass is left to them.

Kind = Callable[[Any], bool]


class _Part:
    """One model's fields: the kind of each, and which must be there."""

    def __init__(self, fields: dict[str, Kind], required: tuple[str, ...] = ()) -> None:
        self.fields = fields
        self.required = required

    def fits(self, value: Any) -> bool:
        if type(value) is not dict:
            return False
        fields = self.fields
        for name, item in value.items():
            kind = fields.get(name)
            if kind is None or not kind(item):
                return False
        return all(name in value for name in self.required)


def _text(value: Any) -> bool:
    return type(value) is str


def _nullable_path(value: Any) -> bool:  # InputPath, OutputPath, ResultPath: null has a meaning
    return value is None or type(value) is str


def _anything(value: Any) -> bool:  # payload templates, Result, Output, Arguments
    return True


def _flag(value: Any) -> bool:
    return type(value) is bool


def _text_keys(value: Any) -> bool:  # Assign, Credentials
    return type(value) is dict and all(type(key) is str for key in value)


def _error_names(value: Any) -> bool:
    return type(value) is list and bool(value) and all(type(name) is str for name in value)


def _condition(value: Any) -> bool:
    return type(value) is bool or (type(value) is str and is_jsonata(value))


def _one_of(words: tuple[str, ...]) -> Kind:
    allowed = frozenset(words)
    return lambda value: type(value) is str and value in allowed


def _number(spec: NumberSpec) -> Kind:
    kind, minimum, maximum, expression = spec
    types = (int,) if kind == "integer" else (int, float)

    def check(value: Any) -> bool:
        if type(value) in types:
            return (minimum is None or value >= minimum) and (maximum is None or value <= maximum)
        return expression and type(value) is str and is_jsonata(value)

    return check


def _part(part: _Part) -> Kind:
    return part.fits


def _list_of(kind: Kind, *, non_empty: bool = False) -> Kind:
    return lambda value: type(value) is list and (bool(value) or not non_empty) and all(kind(v) for v in value)


def _states(value: Any) -> bool:
    if type(value) is not dict:
        return False
    for name, state in value.items():
        if type(name) is not str or type(state) is not dict:
            return False
        state_type = state.get("Type")
        part = STATE_PARTS.get(state_type) if type(state_type) is str else None
        if part is None or not part.fits(state):
            return False
    return True


_COMMON = {"Comment": _text, "QueryLanguage": _one_of(QUERY_LANGUAGES)}
_FLOW = {"Next": _text, "End": _flag}
_INPUT_OUTPUT = {"InputPath": _nullable_path, "OutputPath": _nullable_path, "Output": _anything}
_RESULTS = {**_INPUT_OUTPUT, "ResultPath": _nullable_path, "Assign": _text_keys}

RETRIER = _Part({
    "ErrorEquals": _error_names, "IntervalSeconds": _number(RETRY_INTERVAL), "MaxAttempts": _number(RETRY_ATTEMPTS),
    "BackoffRate": _number(BACKOFF_RATE), "MaxDelaySeconds": _number(MAX_DELAY),
    "JitterStrategy": _one_of(JITTER_STRATEGIES), "Comment": _text,
}, ("ErrorEquals",))
CATCHER = _Part({
    "ErrorEquals": _error_names, "Next": _text, "ResultPath": _nullable_path, "Output": _anything,
    "Assign": _text_keys, "Comment": _text,
}, ("ErrorEquals", "Next"))
_RECOVERS = {"Retry": _list_of(_part(RETRIER)), "Catch": _list_of(_part(CATCHER)), "ResultSelector": _anything}

_OPERAND_KINDS: dict[str, Kind] = {"string": _text, "timestamp": _text, "path": _text, "boolean": _flag,
                                   "number": _number(ANY_NUMBER)}
CHOICE_RULE = _Part({
    "Variable": _text, "Condition": _condition, "Next": _text, "Output": _anything, "Assign": _text_keys,
    "Comment": _text,
    **{name: _OPERAND_KINDS[operand] for name, operand in OPERATOR_OPERANDS.items()},
})
CHOICE_RULE.fields.update(And=_list_of(_part(CHOICE_RULE)), Or=_list_of(_part(CHOICE_RULE)),
                          Not=_part(CHOICE_RULE))

BRANCH = _Part({"StartAt": _text, "States": _states, "Comment": _text}, ("StartAt", "States"))
PROCESSOR_CONFIG = _Part({"Mode": _one_of(PROCESSOR_MODES), "ExecutionType": _one_of(EXECUTION_TYPES)})
PROCESSOR = _Part({**BRANCH.fields, "ProcessorConfig": _part(PROCESSOR_CONFIG)}, BRANCH.required)
READER_CONFIG = _Part({
    "InputType": _one_of(READER_INPUT_TYPES), "CSVHeaderLocation": _one_of(CSV_HEADER_LOCATIONS),
    "CSVHeaders": _anything, "CSVDelimiter": _one_of(CSV_DELIMITERS), "ManifestType": _one_of(MANIFEST_TYPES),
    "MaxItems": _number(MAX_ITEMS), "MaxItemsPath": _text, "ItemsPointer": _text,
    "Transformation": _one_of(READER_TRANSFORMATIONS),
})
# A Resource may also be a CloudFormation intrinsic ({"Fn::GetAtt": ...}): rare, and left to the models.
ITEM_READER = _Part({"Resource": _text, "Parameters": _anything, "Arguments": _anything,
                     "ReaderConfig": _part(READER_CONFIG)}, ("Resource",))
ITEM_BATCHER = _Part({
    "MaxItemsPerBatch": _number(BATCH_ITEMS), "MaxItemsPerBatchPath": _text,
    "MaxInputBytesPerBatch": _number(BATCH_BYTES), "MaxInputBytesPerBatchPath": _text, "BatchInput": _anything,
})
WRITER_CONFIG = _Part({"OutputType": _one_of(WRITER_OUTPUT_TYPES), "Transformation": _one_of(WRITER_TRANSFORMATIONS)})
RESULT_WRITER = _Part({"Resource": _text, "Parameters": _anything, "Arguments": _anything,
                       "WriterConfig": _part(WRITER_CONFIG)})


def _state(fields: dict[str, Kind], required: tuple[str, ...] = ()) -> _Part:
    return _Part({**_COMMON, "Type": _text, **fields}, ("Type", *required))


# The state types, as ``sfnsim.asl.models.STATE_MODELS`` lists them (a test checks both agree).
STATE_PARTS: dict[str, _Part] = {
    "Pass": _state({**_RESULTS, **_FLOW, "Parameters": _anything, "Result": _anything}),
    "Task": _state({
        **_RECOVERS, **_RESULTS, **_FLOW, "Resource": _text, "Parameters": _anything, "Arguments": _anything,
        "TimeoutSeconds": _number(SECONDS), "TimeoutSecondsPath": _text, "HeartbeatSeconds": _number(SECONDS),
        "HeartbeatSecondsPath": _text, "Credentials": _text_keys,
    }, ("Resource",)),
    "Choice": _state({**_INPUT_OUTPUT, "Choices": _list_of(_part(CHOICE_RULE), non_empty=True), "Default": _text,
                      "Assign": _text_keys}, ("Choices",)),
    "Wait": _state({**_INPUT_OUTPUT, **_FLOW, "Seconds": _number(WAIT_SECONDS), "SecondsPath": _text,
                    "Timestamp": _text, "TimestampPath": _text, "Assign": _text_keys}),
    "Succeed": _state(_INPUT_OUTPUT),
    "Fail": _state({"Error": _text, "ErrorPath": _text, "Cause": _text, "CausePath": _text}),
    "Parallel": _state({**_RECOVERS, **_RESULTS, **_FLOW, "Branches": _list_of(_part(BRANCH), non_empty=True),
                        "Parameters": _anything, "Arguments": _anything}, ("Branches",)),
    "Map": _state({
        **_RECOVERS, **_RESULTS, **_FLOW, "ItemProcessor": _part(PROCESSOR), "Iterator": _part(PROCESSOR),
        "ItemsPath": _text, "Items": _anything, "ItemSelector": _anything, "Parameters": _anything,
        "MaxConcurrency": _number(COUNT), "MaxConcurrencyPath": _text, "ItemReader": _part(ITEM_READER),
        "ItemBatcher": _part(ITEM_BATCHER), "ResultWriter": _part(RESULT_WRITER),
        "ToleratedFailureCount": _number(COUNT), "ToleratedFailureCountPath": _text,
        "ToleratedFailurePercentage": _number(PERCENTAGE), "ToleratedFailurePercentagePath": _text,
        "Label": _text,
    }),
}
STATE_MACHINE = _Part({**BRANCH.fields, "QueryLanguage": _one_of(QUERY_LANGUAGES),
                       "TimeoutSeconds": _number(MACHINE_TIMEOUT), "Version": _text}, BRANCH.required)


def certainly_well_shaped(data: Any) -> bool:
    """True only if the models certainly accept ``data`` as a whole definition (False: ask them)."""
    try:
        return STATE_MACHINE.fits(data)
    except RecursionError:  # nested deeper than a plain walk goes: the models decide
        return False
