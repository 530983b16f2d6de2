"""Pydantic models of the Amazon States Language, in both query languages.

The models describe the *shape* of a definition: which fields each state type has, and what kind
of value each field takes. A field that a state type does not have is an error (AWS rejects
unknown fields). Rules that depend on more than one field, on the query language in force, or on
the rest of the machine (transitions, reachability, paths) live in ``validation``.

Numeric fields that JSONata states may compute (``TimeoutSeconds``, ``Seconds``,
``MaxConcurrency``...) accept a ``{% ... %}`` string here; ``validation`` refuses such a string in a
JSONPath state. Field names are AWS's (the aliases); attributes are their snake_case forms.

The ranges, enumerations and query languages are ``sfnsim.asl.shape``'s, which also checks a
definition's shape without the models (validation's fast path; a test keeps the two in step).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Optional, TypeVar, Union

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    create_model,
)
from pydantic.alias_generators import to_pascal
from pydantic_core import PydanticCustomError

from sfnsim.asl import shape
from sfnsim.asl.shape import QUERY_LANGUAGES, NumberSpec, is_jsonata, show_value
from sfnsim.dataflow.choice import OPERATOR_OPERANDS
from sfnsim.dataflow.jsontypes import is_number


def _fail(message: str) -> None:
    raise PydanticCustomError("asl", "{message}", {"message": message})


def _number_text(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


def _range_text(minimum: float | None, maximum: float | None) -> str:
    if maximum is not None and minimum is not None:
        return f" from {_number_text(minimum)} to {_number_text(maximum)}"
    if minimum == 1:
        return " greater than 0"
    if minimum == 0:
        return " that is not negative"
    return f" of at least {_number_text(minimum)}" if minimum is not None else ""


def _numeric(spec: NumberSpec) -> Any:
    """A field holding an integer (or any number) within a range, or optionally a JSONata string."""
    kind, minimum, maximum, expression = spec

    def check(value: Any) -> Any:
        if expression and is_jsonata(value):
            return value
        ok = isinstance(value, int) and not isinstance(value, bool) if kind == "integer" else is_number(value)
        if ok and (minimum is None or value >= minimum) and (maximum is None or value <= maximum):
            return value
        article = "an" if kind == "integer" else "a"
        _fail(f"must be {article} {kind}{_range_text(minimum, maximum)}, got {show_value(value)}")

    return Annotated[Any, PlainValidator(check)]


def _condition(value: Any) -> Any:
    if is_jsonata(value) or isinstance(value, bool):
        return value
    _fail(f"must be a JSONata expression (or true/false), got {show_value(value)}")


def _string_list(non_empty: bool) -> Any:
    def check(value: Any) -> Any:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            _fail(f"must be an array of strings, got {show_value(value)}")
        if non_empty and not value:
            _fail("must not be empty")
        return value

    return Annotated[Any, PlainValidator(check)]


def _resource(value: Any) -> Any:
    # A CloudFormation intrinsic left in a template-style definition stands for an ARN known at deploy time.
    if isinstance(value, str) or _is_intrinsic(value):
        return value
    _fail(f"must be a string (an ARN), got {show_value(value)}")


def _is_intrinsic(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and next(iter(value)) in INTRINSIC_KEYS


INTRINSIC_KEYS = frozenset(
    [
        "Ref",
        "Fn::GetAtt",
        "Fn::Sub",
        "Fn::Join",
        "Fn::If",
        "Fn::ImportValue",
        "Fn::FindInMap",
        "Fn::Select",
        "Fn::Base64",
    ]
)


def _not_null(value: Any) -> Any:
    if value is None:
        _fail("must not be null (leave the field out instead)")
    return value


T = TypeVar("T")
# An optional field: it may be left out, but not set to null (only the I/O paths may be null).
Opt = Annotated[Optional[T], BeforeValidator(_not_null)]
NullablePath = Optional[str]  # InputPath, OutputPath and ResultPath: null has a meaning

Json = Any  # any JSON value: payload templates, Result, Output, Arguments
Seconds = _numeric(shape.SECONDS)
WaitSeconds = _numeric(shape.WAIT_SECONDS)
Count = _numeric(shape.COUNT)
Percentage = _numeric(shape.PERCENTAGE)
RetryInterval = _numeric(shape.RETRY_INTERVAL)
RetryAttempts = _numeric(shape.RETRY_ATTEMPTS)
BackoffRate = _numeric(shape.BACKOFF_RATE)
MaxDelay = _numeric(shape.MAX_DELAY)
MachineTimeout = _numeric(shape.MACHINE_TIMEOUT)
AnyNumber = _numeric(shape.ANY_NUMBER)
MaxItems = _numeric(shape.MAX_ITEMS)
BatchItems = _numeric(shape.BATCH_ITEMS)
BatchBytes = _numeric(shape.BATCH_BYTES)
QueryLanguageName = Literal[QUERY_LANGUAGES]
ErrorNames = _string_list(non_empty=True)
Resource = Annotated[Any, PlainValidator(_resource)]
Assignments = dict[str, Any]


class AslModel(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, strict=True, populate_by_name=False, alias_generator=to_pascal,
        defer_build=True,
    )


# --------------------------------------------------------------------------------------------
# Retry and Catch


class Retrier(AslModel):
    error_equals: ErrorNames
    interval_seconds: RetryInterval = None
    max_attempts: RetryAttempts = None
    backoff_rate: BackoffRate = None
    max_delay_seconds: MaxDelay = None
    jitter_strategy: Opt[Literal[shape.JITTER_STRATEGIES]] = None
    comment: Opt[str] = None


class Catcher(AslModel):
    error_equals: ErrorNames
    next: str
    result_path: NullablePath = None
    output: Json = None
    assign: Opt[Assignments] = None
    comment: Opt[str] = None


# --------------------------------------------------------------------------------------------
# Choice rules: the comparison operators are a table, and the model is built from it.

# The operator table is dataflow's (the compiler's): operator -> the type of its operand.
OPERATORS = OPERATOR_OPERANDS
_OPERATOR_VALUE = {
    "string": Opt[str],
    "timestamp": Opt[str],
    "path": Opt[str],
    "boolean": Opt[bool],
    "number": AnyNumber,
}


class _ChoiceRuleBase(AslModel):
    variable: Opt[str] = None
    condition: Annotated[Any, PlainValidator(_condition)] = None
    next: Opt[str] = None
    output: Json = None
    assign: Opt[Assignments] = None
    comment: Opt[str] = None


ChoiceRule: type[_ChoiceRuleBase] = create_model(  # type: ignore[call-overload]
    "ChoiceRule",
    __base__=_ChoiceRuleBase,
    __module__=__name__,
    and_=(Opt[list["ChoiceRule"]], Field(None, alias="And")),
    or_=(Opt[list["ChoiceRule"]], Field(None, alias="Or")),
    not_=(Opt["ChoiceRule"], Field(None, alias="Not")),
    **{"op_" + name: (_OPERATOR_VALUE[kind], Field(None, alias=name)) for name, kind in OPERATORS.items()},
)


# --------------------------------------------------------------------------------------------
# Map's parts


class ProcessorConfig(AslModel):
    mode: Opt[Literal[shape.PROCESSOR_MODES]] = None
    execution_type: Opt[Literal[shape.EXECUTION_TYPES]] = None


class ReaderConfig(AslModel):
    input_type: Opt[Literal[shape.READER_INPUT_TYPES]] = None
    csv_header_location: Opt[Literal[shape.CSV_HEADER_LOCATIONS]] = Field(None, alias="CSVHeaderLocation")
    csv_headers: Json = Field(None, alias="CSVHeaders")
    csv_delimiter: Opt[Literal[shape.CSV_DELIMITERS]] = Field(None, alias="CSVDelimiter")
    manifest_type: Opt[Literal[shape.MANIFEST_TYPES]] = None
    max_items: MaxItems = None
    max_items_path: Opt[str] = None
    # A JSON pointer into a JSON object dataset, and S3 listing flattening (AWS "ItemReader" page).
    items_pointer: Opt[str] = None
    transformation: Opt[Literal[shape.READER_TRANSFORMATIONS]] = None


class ItemReader(AslModel):
    resource: Resource
    parameters: Json = None
    arguments: Json = None
    reader_config: Opt[ReaderConfig] = None


class ItemBatcher(AslModel):
    max_items_per_batch: BatchItems = None
    max_items_per_batch_path: Opt[str] = None
    max_input_bytes_per_batch: BatchBytes = None
    max_input_bytes_per_batch_path: Opt[str] = None
    batch_input: Json = None


class WriterConfig(AslModel):
    output_type: Opt[Literal[shape.WRITER_OUTPUT_TYPES]] = None
    transformation: Opt[Literal[shape.WRITER_TRANSFORMATIONS]] = None


class ResultWriter(AslModel):
    resource: Opt[Resource] = None
    parameters: Json = None
    arguments: Json = None
    writer_config: Opt[WriterConfig] = None


# --------------------------------------------------------------------------------------------
# States


class _State(AslModel):
    comment: Opt[str] = None
    query_language: Opt[QueryLanguageName] = None


class _Flow(_State):
    """A state that moves on: either ``Next`` or ``End``."""

    next: Opt[str] = None
    end: Opt[bool] = None


class _InputOutput(_State):
    input_path: NullablePath = None
    output_path: NullablePath = None
    output: Json = None


class _Results(_InputOutput):
    result_path: NullablePath = None
    assign: Opt[Assignments] = None


class _Recovers(AslModel):
    retry: Opt[list[Retrier]] = None
    catch: Opt[list[Catcher]] = None
    result_selector: Json = None


class PassState(_Results, _Flow):
    type: Literal["Pass"] = Field(alias="Type")
    parameters: Json = None
    result: Json = None


class TaskState(_Recovers, _Results, _Flow):
    type: Literal["Task"] = Field(alias="Type")
    resource: Resource
    parameters: Json = None
    arguments: Json = None
    timeout_seconds: Seconds = None
    timeout_seconds_path: Opt[str] = None
    heartbeat_seconds: Seconds = None
    heartbeat_seconds_path: Opt[str] = None
    credentials: Opt[dict[str, Any]] = None


class ChoiceState(_InputOutput):
    type: Literal["Choice"] = Field(alias="Type")
    choices: Annotated[list[ChoiceRule], Field(min_length=1)]  # type: ignore[valid-type]
    default: Opt[str] = None
    assign: Opt[Assignments] = None


class WaitState(_InputOutput, _Flow):
    type: Literal["Wait"] = Field(alias="Type")
    seconds: WaitSeconds = None
    seconds_path: Opt[str] = None
    timestamp: Opt[str] = None
    timestamp_path: Opt[str] = None
    assign: Opt[Assignments] = None


class SucceedState(_InputOutput):
    type: Literal["Succeed"] = Field(alias="Type")


class FailState(_State):
    type: Literal["Fail"] = Field(alias="Type")
    error: Opt[str] = None
    error_path: Opt[str] = None
    cause: Opt[str] = None
    cause_path: Opt[str] = None


class ParallelState(_Recovers, _Results, _Flow):
    type: Literal["Parallel"] = Field(alias="Type")
    branches: Annotated[list["Branch"], Field(min_length=1)]
    parameters: Json = None
    arguments: Json = None


class MapState(_Recovers, _Results, _Flow):
    type: Literal["Map"] = Field(alias="Type")
    item_processor: Opt["Processor"] = None
    iterator: Opt["Processor"] = None  # the older name of ItemProcessor
    items_path: Opt[str] = None
    items: Json = None
    item_selector: Json = None
    parameters: Json = None  # the older name of ItemSelector
    max_concurrency: Count = None
    max_concurrency_path: Opt[str] = None
    item_reader: Opt[ItemReader] = None
    item_batcher: Opt[ItemBatcher] = None
    result_writer: Opt[ResultWriter] = None
    tolerated_failure_count: Count = None
    tolerated_failure_count_path: Opt[str] = None
    tolerated_failure_percentage: Percentage = None
    tolerated_failure_percentage_path: Opt[str] = None
    label: Opt[str] = None


State = Annotated[
    Union[PassState, TaskState, ChoiceState, WaitState, SucceedState, FailState, ParallelState, MapState],
    Field(discriminator="type"),
]
STATE_MODELS: dict[str, type[AslModel]] = {
    "Pass": PassState,
    "Task": TaskState,
    "Choice": ChoiceState,
    "Wait": WaitState,
    "Succeed": SucceedState,
    "Fail": FailState,
    "Parallel": ParallelState,
    "Map": MapState,
}


class Branch(AslModel):
    """The states of one Parallel branch."""

    start_at: str
    states: dict[str, State]
    comment: Opt[str] = None


class Processor(Branch):
    """The states run for each Map item (``ItemProcessor``, or the older ``Iterator``)."""

    processor_config: Opt[ProcessorConfig] = None


class StateMachine(Branch):
    """A whole definition."""

    query_language: Opt[QueryLanguageName] = None
    timeout_seconds: MachineTimeout = None
    version: Opt[str] = None




def field_names(model: type[BaseModel]) -> frozenset[str]:
    """The AWS field names a model accepts."""
    return frozenset(f.alias or name for name, f in model.model_fields.items())
