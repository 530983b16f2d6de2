"""What an expression can see while it is evaluated: the state's data, the context object, variables."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping


@dataclass(slots=True)
class Scope:
    """The roots a JSONPath expression resolves against.

    ``data`` is ``$`` (the effective input of the current stage), ``context`` is ``$$`` (the context
    object), ``variables`` maps a workflow variable's name to its value (``$name``), ``rng`` is the
    execution's seeded generator (for ``States.UUID`` and ``States.MathRandom``).
    """

    data: Any
    context: Mapping[str, Any] | Callable[[], Mapping[str, Any]] = field(default_factory=dict)
    variables: Mapping[str, Any] = field(default_factory=dict)
    rng: random.Random = field(default_factory=lambda: random.Random(0))

    def context_value(self) -> Any:
        """``$$``; the engine may pass a zero-argument callable so it is only built when used."""
        context = self.context
        if callable(context):
            context = self.context = context()
        return context
