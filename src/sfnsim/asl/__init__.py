"""The Amazon States Language: models of a definition, loading (JSON, YAML, CloudFormation/SAM
templates) and static validation with precise locations."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

# Loaded on first use: importing any module of this package runs this file first, and the models
# need pydantic, which loading a valid definition does not (``sfnsim.asl.fast_check``).
_HOMES = {
    "Definition": "sfnsim.asl.definition",
    "load_definition": "sfnsim.asl.definition",
    "Locator": "sfnsim.asl.loading",
    "parse_text": "sfnsim.asl.loading",
    "validate_definition": "sfnsim.asl.validation",
    **dict.fromkeys(["Branch", "Catcher", "ChoiceRule", "ChoiceState", "FailState", "MapState", "ParallelState",
                     "PassState", "Processor", "Retrier", "StateMachine", "SucceedState", "TaskState", "WaitState"],
                    "sfnsim.asl.models"),
}


def __getattr__(name: str) -> Any:
    try:
        module_name = _HOMES[name]
    except KeyError:
        raise AttributeError(f"module 'sfnsim.asl' has no attribute {name!r}") from None
    value = getattr(import_module(module_name), name)
    globals()[name] = value
    return value


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
