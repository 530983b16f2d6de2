"""sfnsim: run AWS Step Functions state machines locally, on a virtual clock, with AWS's history.

>>> from sfnsim import StateMachine
>>> sm = StateMachine.from_dict({"StartAt": "Hello", "States": {"Hello": {"Type": "Pass", "End": True}}})
>>> sm.run({"greeting": "hi"}).output
{'greeting': 'hi'}
"""

from sfnsim import mock
from sfnsim.api import Execution, StateMachine
from sfnsim.errors import (
    DefinitionError,
    HandlerError,
    InputError,
    SfnSimError,
    StatesError,
    TaskFailed,
    UnsupportedFeatureError,
)
from sfnsim.tasks.outcomes import PENDING, TaskResponse

__all__ = [
    "mock",
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
]
__version__ = "0.1.0"
