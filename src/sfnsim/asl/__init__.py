"""The Amazon States Language: models of a definition, loading (JSON, YAML, CloudFormation/SAM
templates) and static validation with precise locations."""

from __future__ import annotations

from sfnsim.asl.definition import Definition, load_definition
from sfnsim.asl.loading import Locator, parse_text
from sfnsim.asl.models import (
    Branch,
    Catcher,
    ChoiceRule,
    ChoiceState,
    FailState,
    MapState,
    ParallelState,
    PassState,
    Processor,
    Retrier,
    StateMachine,
    SucceedState,
    TaskState,
    WaitState,
)
from sfnsim.asl.validation import validate_definition

__all__ = [
    "Branch",
    "Catcher",
    "ChoiceRule",
    "ChoiceState",
    "Definition",
    "FailState",
    "Locator",
    "MapState",
    "ParallelState",
    "PassState",
    "Processor",
    "Retrier",
    "StateMachine",
    "SucceedState",
    "TaskState",
    "WaitState",
    "load_definition",
    "parse_text",
    "validate_definition",
]
