"""sfnsim: run AWS Step Functions state machines locally, on a virtual clock, with AWS's history.

>>> from sfnsim import StateMachine
>>> sm = StateMachine.from_dict({"StartAt": "Hello", "States": {"Hello": {"Type": "Pass", "End": True}}})
>>> sm.run({"greeting": "hi"}).output
{'greeting': 'hi'}
"""

from __future__ import annotations

from importlib import import_module

# typing.TYPE_CHECKING without importing typing (type checkers know the name): `import sfnsim`
# then costs next to nothing, and a pytest session that never uses sfnsim does not pay for it.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from sfnsim import mock
    from sfnsim.api import Execution, StateMachine
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
    from sfnsim.server import serve
    from sfnsim.tasks.outcomes import PENDING, TaskResponse

# Loaded on first use, so `sfnsim --help` does not pay for the engine.
_ERRORS = ("DefinitionError", "HandlerError", "InputError", "SfnSimError", "SimulationLimitError", "StatesError",
           "TaskFailed", "UnsupportedFeatureError")
_LAZY = {
    **{name: ("sfnsim.errors", name) for name in _ERRORS},
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


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


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
