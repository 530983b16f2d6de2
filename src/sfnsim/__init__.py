"""sfnsim: run AWS Step Functions state machines locally, on a virtual clock, with AWS's history.

>>> from sfnsim import StateMachine
>>> sm = StateMachine.from_dict({"StartAt": "Hello", "States": {"Hello": {"Type": "Pass", "End": True}}})
>>> sm.run({"greeting": "hi"}).output
{'greeting': 'hi'}
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from sfnsim.errors import (
    DefinitionError,
    HandlerError,
    InputError,
    SfnSimError,
    SimulationLimitError,
    StatesError,
    TaskFailed,
    UnsupportedFeatureError,
)

if TYPE_CHECKING:
    from sfnsim import mock
    from sfnsim.api import Execution, StateMachine
    from sfnsim.server import serve
    from sfnsim.tasks.outcomes import PENDING, TaskResponse

# Loaded on first use, so `sfnsim --help` does not pay for the engine.
_LAZY = {
    "StateMachine": ("sfnsim.api", "StateMachine"),
    "Execution": ("sfnsim.api", "Execution"),
    "TaskResponse": ("sfnsim.tasks.outcomes", "TaskResponse"),
    "PENDING": ("sfnsim.tasks.outcomes", "PENDING"),
    "mock": ("sfnsim.mock", None),
    "serve": ("sfnsim.server", "serve"),
}


def __getattr__(name: str) -> Any:
    try:
        module_name, attribute = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'sfnsim' has no attribute {name!r}") from None
    module = import_module(module_name)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value
    return value


__all__ = [
    "mock",
    "serve",
    "PENDING",
    "StateMachine",
    "Execution",
    "TaskFailed",
    "TaskResponse",
    "StatesError",
    "SfnSimError",
    "DefinitionError",
    "HandlerError",
    "InputError",
    "UnsupportedFeatureError",
    "SimulationLimitError",
]
__version__ = "0.1.0"
