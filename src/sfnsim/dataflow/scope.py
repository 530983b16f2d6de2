"""What an expression can see while it is evaluated: the state's data, the context object, variables."""

from __future__ import annotations

import random
from typing import Any, Callable, Mapping


# A plain class, not a dataclass: it is built on every run's import path and nothing compares or copies it.
class Scope:
    """The roots a JSONPath expression resolves against.

    ``data`` is ``$`` (the effective input of the current stage), ``context`` is ``$$`` (the context
    object), ``variables`` maps a workflow variable's name to its value (``$name``), ``rng`` is the
    execution's seeded generator (for ``States.UUID`` and ``States.MathRandom``).
    """

    __slots__ = ("data", "context", "variables", "rng")

    def __init__(self, data: Any, context: Mapping[str, Any] | Callable[[], Mapping[str, Any]] | None = None,
                 variables: Mapping[str, Any] | None = None, rng: random.Random | None = None) -> None:
        self.data = data
        self.context = {} if context is None else context
        self.variables = {} if variables is None else variables
        self.rng = random.Random(0) if rng is None else rng

    def context_value(self) -> Any:
        """``$$``; the engine may pass a zero-argument callable so it is only built when used."""
        context = self.context
        if callable(context):
            context = self.context = context()
        return context
